"""The email command language: every reply and daemon-address form, digest numbers, limits, errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from keepwarm.domain.commands import (
    DEFAULT_SNOOZE,
    LATER,
    MAX_LINES,
    MAX_SNOOZE,
    Command,
    CommandError,
    NoCommandError,
    command_lines,
    parse_daemon_line,
    parse_daemon_mail,
    parse_line,
    parse_reply,
)
from keepwarm.domain.model import Birthday, Channel

# -- replies to a reminder ---------------------------------------------------------------------------


def test_done_alone_is_a_touch_of_no_particular_kind() -> None:
    assert parse_line("done") == Command("done", channel=Channel.OTHER)


@pytest.mark.parametrize(
    ("line", "channel"),
    [
        ("done call", Channel.CALL),
        ("done video", Channel.VIDEO),
        ("done coffee", Channel.MEETING),
        ("done lunch", Channel.MEETING),
        ("done whatsapp", Channel.MESSAGE),
        ("done email", Channel.EMAIL),
        ("did phone", Channel.CALL),
        ("talked zoom", Channel.VIDEO),
    ],
)
def test_done_with_a_channel_word(line: str, channel: Channel) -> None:
    command = parse_line(line)

    assert command.verb == "done"
    assert command.channel is channel
    assert command.text == ""


def test_done_note_keeps_the_owners_case() -> None:
    command = parse_line("done coffee Met at the museum")

    assert command == Command("done", channel=Channel.MEETING, text="Met at the museum")


def test_done_without_a_channel_word_keeps_the_whole_note() -> None:
    command = parse_line("done Long walk with Bob")

    assert command.channel is Channel.OTHER
    assert command.text == "Long walk with Bob"


def test_snooze_for_a_duration() -> None:
    assert parse_line("snooze 2w") == Command("snooze", snooze=timedelta(days=14))


def test_snooze_for_a_spelled_out_duration() -> None:
    assert parse_line("snooze for 10 days").snooze == timedelta(days=10)


def test_snooze_until_a_date() -> None:
    assert parse_line("snooze until 2027-01-10") == Command("snooze", until=date(2027, 1, 10))


def test_snooze_until_something_that_is_not_a_date_says_how_to_write_it() -> None:
    with pytest.raises(CommandError, match="2027-01-10 or 10 January"):
        parse_line("snooze until the cows come home")


def test_snooze_alone_is_seven_days() -> None:
    assert timedelta(days=7) == DEFAULT_SNOOZE
    assert parse_line("snooze") == Command("snooze", snooze=timedelta(days=7))


def test_later_is_a_three_day_snooze() -> None:
    assert timedelta(days=3) == LATER
    assert parse_line("later") == Command("snooze", snooze=timedelta(days=3))


def test_every_sets_the_cadence_in_days() -> None:
    assert parse_line("every 3 weeks") == Command("every", cadence_days=21)
    assert parse_line("every 3w") == Command("every", cadence_days=21)


def test_cadence_is_a_synonym_of_every() -> None:
    assert parse_line("cadence monthly") == Command("every", cadence_days=30)


@pytest.mark.parametrize("verb", ["pause", "resume", "stop", "undo", "help"])
def test_single_word_commands(verb: str) -> None:
    assert parse_line(verb) == Command(verb)


@pytest.mark.parametrize("line", ["pause please", "stop it", "undo that", "resume now"])
def test_single_word_commands_take_no_arguments(line: str) -> None:
    with pytest.raises(CommandError, match="is not a command"):
        parse_line(line)


def test_note_keeps_its_text_verbatim() -> None:
    assert parse_line("note Starts At The New Job in March") == Command(
        "note", text="Starts At The New Job in March"
    )


def test_group_names_the_group() -> None:
    assert parse_line("group Close Friends") == Command("group", text="Close Friends")


@pytest.mark.parametrize(
    ("line", "birthday"),
    [
        ("birthday 1990-05-17", Birthday(5, 17, 1990)),
        ("birthday 05-17", Birthday(5, 17)),
        ("birthday --02-29", Birthday(2, 29)),
    ],
)
def test_birthday(line: str, birthday: Birthday) -> None:
    assert parse_line(line) == Command("birthday", birthday=birthday)


def test_an_impossible_birthday_is_refused() -> None:
    with pytest.raises(CommandError, match="not a real date"):
        parse_line("birthday 1990-02-30")


@pytest.mark.parametrize("verb", ["note", "group", "birthday", "every", "cadence"])
def test_commands_that_need_an_argument_refuse_to_go_without(verb: str) -> None:
    with pytest.raises(CommandError, match=verb):
        parse_line(verb)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("SNOOZE 2W", Command("snooze", snooze=timedelta(days=14))),
        ("Done Call", Command("done", channel=Channel.CALL)),
        ("EVERY 3 WEEKS", Command("every", cadence_days=21)),
        ("Pause", Command("pause")),
        ("  snooze   2w  ", Command("snooze", snooze=timedelta(days=14))),
    ],
)
def test_commands_are_case_insensitive(line: str, expected: Command) -> None:
    assert parse_line(line) == expected


# -- digest entry numbers ------------------------------------------------------------------------------


def test_done_with_an_entry_number() -> None:
    assert parse_line("done 2") == Command("done", entry=2, channel=Channel.OTHER)


def test_done_with_an_entry_number_a_channel_and_a_note() -> None:
    assert parse_line("done 2 call Talked About Lisbon") == Command(
        "done", entry=2, channel=Channel.CALL, text="Talked About Lisbon"
    )


def test_snooze_with_an_entry_number_and_a_duration() -> None:
    assert parse_line("snooze 1 3w") == Command("snooze", entry=1, snooze=timedelta(days=21))


def test_later_with_an_entry_number() -> None:
    assert parse_line("later 3") == Command("snooze", entry=3, snooze=timedelta(days=3))


def test_every_with_an_entry_number() -> None:
    assert parse_line("every 3 2w") == Command("every", entry=3, cadence_days=14)


def test_every_3_weeks_is_a_cadence_not_entry_3() -> None:
    command = parse_line("every 3 weeks")

    assert command.entry is None
    assert command.cadence_days == 21


def test_snooze_2_weeks_is_a_duration_not_entry_2() -> None:
    command = parse_line("snooze 2 weeks")

    assert command.entry is None
    assert command.snooze == timedelta(days=14)


@pytest.mark.parametrize("verb", ["pause", "resume", "stop", "undo"])
def test_single_word_commands_take_an_entry_number(verb: str) -> None:
    assert parse_line(f"{verb} 2") == Command(verb, entry=2)


def test_note_with_an_entry_number() -> None:
    assert parse_line("note 2 New Baby") == Command("note", entry=2, text="New Baby")


def test_snooze_until_a_date_with_an_entry_number() -> None:
    """In a digest every command takes the entry's number; ``snooze until`` too."""
    assert parse_line("snooze 2 until 2027-01-10") == Command("snooze", entry=2, until=date(2027, 1, 10))


# -- limits ------------------------------------------------------------------------------------------


def test_an_absurd_snooze_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(CommandError) as caught:
        parse_line("snooze 99999y")

    message = str(caught.value)
    assert "snooze 99999y" in message
    assert "longer than 100 years" in message


def test_a_long_snooze_is_clamped_to_a_year_with_a_note() -> None:
    command = parse_line("snooze 5y")

    assert command.snooze == MAX_SNOOZE == timedelta(days=365)
    assert command.clamped == "a snooze lasts at most a year"


def test_a_snooze_of_exactly_a_year_is_not_clamped() -> None:
    command = parse_line("snooze 1y")

    assert command.snooze == timedelta(days=365)
    assert command.clamped is None


@pytest.mark.parametrize("line", ["every 0d", "snooze 0d", "every 11y"])
def test_zero_and_absurd_durations_are_rejected(line: str) -> None:
    with pytest.raises(CommandError, match=line):
        parse_line(line)


def test_every_0d_says_a_cadence_must_be_at_least_a_day() -> None:
    with pytest.raises(CommandError, match="at least one day"):
        parse_line("every 0d")


@pytest.mark.parametrize("line", ["frobnicate", "snooze forever", "done-ish", "ok thanks!"])
def test_an_unknown_command_names_the_line(line: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_line(line)

    assert repr(line) in str(caught.value)


def test_a_line_meant_as_a_command_that_does_not_read_names_itself_in_a_reply() -> None:
    with pytest.raises(CommandError) as caught:
        parse_reply("snooze forever\n")

    assert "'snooze forever'" in str(caught.value)


@pytest.mark.parametrize(
    "line", ["frobnicate", "done-ish", "ok thanks!", "Later this week maybe, I'm swamped."]
)
def test_a_line_that_is_no_command_at_all_is_prose(line: str) -> None:
    with pytest.raises(NoCommandError, match="no command found"):
        parse_reply(f"{line}\n")


def test_a_bad_command_among_good_ones_fails_the_whole_reply() -> None:
    with pytest.raises(CommandError, match="'snooze forever'"):
        parse_reply("snooze 2w\nsnooze forever\npause")


def test_prose_among_commands_is_left_alone() -> None:
    commands = parse_reply("snooze 2w\nwibble\nLet's catch up when I'm back.\npause")

    assert [c.verb for c in commands] == ["snooze", "pause"]


# -- where the commands end ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        "Thanks,\nNaomi",
        "thank you!\nN.",
        "Cheers\nN",
        "Best,\nNaomi Owner\n+351 912 345 678",
        "Kind regards,\nNaomi",
        "--\nNaomi Owner\nHead of Things",
        "-- \nNaomi",
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for Android",
    ],
)
def test_a_sign_off_ends_the_command_block(signature: str) -> None:
    commands = parse_reply(f"snooze 2w\nnote Call about the trip\n{signature}\n")

    assert [c.verb for c in commands] == ["snooze", "note"]


def test_the_blank_line_after_the_commands_ends_the_block() -> None:
    assert command_lines("\n\n  done call\nsnooze 2w\n\nNaomi\n") == ["done call", "snooze 2w"]


def test_a_quote_marker_ends_the_block() -> None:
    assert command_lines("pause\n> stop\n> done") == ["pause"]


def test_nothing_but_a_sign_off_is_no_command() -> None:
    with pytest.raises(CommandError, match="no command found"):
        parse_reply("\nThanks!\nNaomi\n")


def test_an_empty_reply_is_no_command() -> None:
    with pytest.raises(CommandError, match="no command found"):
        parse_reply("")


def test_fifty_command_lines_are_allowed() -> None:
    assert len(parse_reply("\n".join(["note ok"] * MAX_LINES))) == MAX_LINES == 50


def test_more_than_fifty_command_lines_are_refused() -> None:
    with pytest.raises(CommandError, match="more than 50 command lines"):
        parse_reply("\n".join(["note ok"] * (MAX_LINES + 1)))


def test_a_huge_body_is_refused_without_parsing_every_line() -> None:
    with pytest.raises(CommandError, match="more than 50"):
        parse_reply("done\n" * 100_000)


# -- mail to the daemon address -------------------------------------------------------------------------


def test_add_with_name_cadence_and_group() -> None:
    command = parse_daemon_line("add Alice Example <alice@example.org> every 3w group friends")

    assert command == Command(
        "add", address="alice@example.org", name="Alice Example", cadence_days=21, group="friends"
    )


def test_add_a_bare_address() -> None:
    assert parse_daemon_line("add bob@example.org") == Command("add", address="bob@example.org", name="")


def test_add_lower_cases_the_address_and_is_case_insensitive() -> None:
    command = parse_daemon_line("ADD Carol <Carol@Example.ORG> EVERY monthly")

    assert (command.verb, command.address, command.name, command.cadence_days) == (
        "add",
        "carol@example.org",
        "Carol",
        30,
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("add", "write: add Name"),
        ("add Bob", "'Bob' is not"),
        ("add Alice <alice@>", "not 'Name <address>'"),
        ("add alice@example.org every 0d", "at least one day"),
    ],
)
def test_add_errors_say_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        parse_daemon_line(line)


def test_log_a_call_with_a_note() -> None:
    command = parse_daemon_line("log call with alice@example.org great chat")

    assert command == Command("log", channel=Channel.CALL, address="alice@example.org", text="great chat")


def test_log_without_a_channel_word_is_other() -> None:
    command = parse_daemon_line("log with <Bob@Example.org>")

    assert (command.channel, command.address, command.text) == (Channel.OTHER, "bob@example.org", "")


def test_log_with_an_unknown_channel_word_is_refused() -> None:
    with pytest.raises(CommandError, match="'dance' is not a kind of contact"):
        parse_daemon_line("log dance with alice@example.org")


@pytest.mark.parametrize("verb", ["due", "status", "list", "help"])
def test_questions_to_the_daemon(verb: str) -> None:
    assert parse_daemon_line(verb) == Command(verb)
    assert parse_daemon_line(verb.upper()) == Command(verb)


def test_reply_commands_are_not_daemon_commands() -> None:
    with pytest.raises(CommandError, match="'snooze 2w' is not a command"):
        parse_daemon_line("snooze 2w")


def test_a_command_in_the_subject_wins_over_the_body() -> None:
    commands = parse_daemon_mail("add Alice Example <alice@example.org> every 3w group friends", "Hi!\n")

    assert [c.verb for c in commands] == ["add"]
    assert commands[0].address == "alice@example.org"


def test_the_subject_is_case_insensitive() -> None:
    assert parse_daemon_mail("  List  ", "") == [Command("list")]


def test_commands_in_the_first_body_lines_when_the_subject_is_not_one() -> None:
    body = "log call with alice@example.org great chat\ndue\n\nThanks,\nNaomi\n"

    commands = parse_daemon_mail("quick update", body)

    assert [c.verb for c in commands] == ["log", "due"]


def test_an_empty_subject_reads_the_body() -> None:
    assert parse_daemon_mail("", "add bob@example.org\n-- \nNaomi") == [
        Command("add", address="bob@example.org")
    ]


def test_daemon_mail_without_a_command() -> None:
    with pytest.raises(CommandError, match="no command found"):
        parse_daemon_mail("hello", "\n\nCheers,\nNaomi")


def test_daemon_mail_with_a_bad_body_line_names_it() -> None:
    with pytest.raises(CommandError, match="'log lunch'"):
        parse_daemon_mail("", "list\nlog lunch\n")


def test_daemon_mail_with_too_many_lines_is_refused() -> None:
    with pytest.raises(CommandError, match="more than 50"):
        parse_daemon_mail("", "list\n" * 51)


@pytest.mark.parametrize(
    "sentence",
    [
        "Note that I'm away next week.",
        "note to self: call her",
        "Group dinner was fun.",
        "group hug, everyone!",
        "Stop by if you're in town",
        "Pause for a while maybe?",
    ],
)
def test_a_sentence_that_starts_with_a_verb_stays_a_sentence(sentence: str) -> None:
    with pytest.raises(NoCommandError):
        parse_reply(f"{sentence}\n")


def test_done_with_a_pleasantry_is_still_done_but_a_destructive_verb_never_is() -> None:
    assert [c.verb for c in parse_reply("Done, thanks!\n")] == ["done"]
    with pytest.raises(NoCommandError):
        parse_reply("Stop, I'm drowning in mail!\n")
