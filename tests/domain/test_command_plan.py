"""Planning command messages: all-or-nothing, digest targeting, stop/undo rules, add and log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.commands import (
    Changes,
    Command,
    CommandError,
    parse_daemon_mail,
    parse_reply,
    plan_daemon_mail,
    plan_reply,
)
from keepwarm.domain.model import Birthday, Channel, Contact, Direction, Note

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ALICE = Contact("Alice Example", ("alice@example.org",), NOW - timedelta(days=300), id=1, cadence_days=30)
BOB = Contact("", ("bob@example.org", "bob@work.example"), NOW - timedelta(days=300), id=2)
CAROL = Contact("Carol", ("carol@example.org",), NOW - timedelta(days=300), id=3, paused=True)
CONTACTS = {c.id: c for c in (ALICE, BOB, CAROL)}
SINGLE = {1: ALICE.id}
DIGEST = {1: ALICE.id, 2: BOB.id, 3: CAROL.id}
KEY = "reply-1@mail.example"


def reply(text: str, entries: dict[int, int] = SINGLE, contacts: dict[int, Contact] = CONTACTS) -> Changes:
    return plan_reply(parse_reply(text), entries, contacts, NOW, KEY)


def daemon(text: str, contacts: tuple[Contact, ...] = (ALICE, BOB, CAROL), subject: str = "") -> Changes:
    return plan_daemon_mail(parse_daemon_mail(subject, text), list(contacts), NOW, KEY)


# -- replies -----------------------------------------------------------------------------------------


def test_every_command_of_a_reply_is_planned_against_the_ones_before() -> None:
    changes = reply("every 3w\npause\nnote Moved To Porto\ngroup family\nbirthday 05-17")

    alice = changes.updated[ALICE.id]
    assert alice.cadence_days == 21
    assert alice.paused is True
    assert alice.notes == (Note(NOW, "Moved To Porto"),)
    assert alice.group == "family"
    assert alice.birthday == Birthday(5, 17)
    assert changes.lines == [
        "you want to be in touch with Alice Example every 3 weeks",
        "paused reminders for Alice Example",
        "noted for Alice Example: Moved To Porto",
        "moved Alice Example to group family",
        "Alice Example's birthday is 17 May",
    ]
    assert not changes.touches and not changes.removed and not changes.added


def test_done_records_a_manual_touch_and_clears_a_snooze() -> None:
    snoozed = ALICE.with_changes(snoozed_until=NOW + timedelta(days=5))

    changes = reply("done call Talked About Lisbon", contacts={1: snoozed})

    (touch,) = changes.touches
    assert touch.address == "alice@example.org"
    assert touch.direction is Direction.MANUAL
    assert touch.channel is Channel.CALL
    assert touch.subject == "Talked About Lisbon"
    assert touch.at == NOW
    assert touch.message_id == f"{KEY}#0"
    assert touch.source == "email-command"
    assert changes.updated[ALICE.id].snoozed_until is None
    assert changes.lines == ["logged that you were in touch with Alice Example (call)"]


def test_done_for_a_contact_without_a_name_uses_the_primary_address() -> None:
    changes = reply("done 2", entries=DIGEST)

    assert [t.address for t in changes.touches] == ["bob@example.org"]
    assert changes.lines == ["logged that you were in touch with bob@example.org"]


def test_snooze_sets_snoozed_until_from_now() -> None:
    changes = reply("snooze 2w")

    assert changes.updated[ALICE.id].snoozed_until == NOW + timedelta(days=14)
    assert changes.lines == ["snoozed Alice Example until 2026-12-10"]


def test_snooze_until_is_midnight_of_that_day() -> None:
    changes = reply("snooze until 2027-01-10")

    assert changes.updated[ALICE.id].snoozed_until == datetime(2027, 1, 10, tzinfo=UTC)


def test_snooze_until_a_past_date_fails() -> None:
    with pytest.raises(CommandError, match="that date has passed"):
        reply("snooze until 2026-11-01")


def test_a_clamped_snooze_says_so() -> None:
    changes = reply("snooze 5y")

    assert changes.updated[ALICE.id].snoozed_until == NOW + timedelta(days=365)
    assert changes.lines == ["snoozed Alice Example until 2027-11-26 (a snooze lasts at most a year)"]


def test_resume_unpauses() -> None:
    changes = reply("resume 3", entries=DIGEST)

    assert changes.updated[CAROL.id].paused is False
    assert changes.lines == ["resumed reminders for Carol"]


# -- all or nothing ------------------------------------------------------------------------------------


def test_a_bad_second_command_fails_the_whole_reply() -> None:
    commands = [Command("snooze", snooze=timedelta(days=14)), Command("snooze", until=NOW.date())]
    result: Changes | None = None

    with pytest.raises(CommandError, match="that date has passed"):
        result = plan_reply(commands, SINGLE, CONTACTS, NOW, KEY)

    assert result is None
    assert CONTACTS[ALICE.id] == ALICE  # the input is left as it was


def test_a_bad_entry_number_after_good_commands_fails_the_whole_reply() -> None:
    with pytest.raises(CommandError, match="there is no entry 4 in that reminder"):
        reply("done 1\nsnooze 2 2w\npause 4", entries=DIGEST)


def test_an_unknown_line_fails_the_reply_before_anything_is_planned() -> None:
    with pytest.raises(CommandError, match="'snooze forever'"):
        reply("done\nsnooze forever")


# -- digests -------------------------------------------------------------------------------------------


def test_a_digest_command_without_a_number_asks_which_entry() -> None:
    with pytest.raises(CommandError) as caught:
        reply("done", entries=DIGEST)

    assert str(caught.value) == "that digest has 3 entries: say which, e.g. 'done 2'"


def test_a_digest_snooze_without_a_number_asks_which_entry() -> None:
    with pytest.raises(CommandError, match=r"say which, e\.g\. 'snooze 2'"):
        reply("snooze 2w", entries=DIGEST)


def test_a_digest_number_acts_on_that_entry_only() -> None:
    changes = reply("done 2\nsnooze 3 3w", entries=DIGEST)

    assert set(changes.updated) == {BOB.id, CAROL.id}
    assert [t.address for t in changes.touches] == ["bob@example.org"]
    assert changes.updated[CAROL.id].snoozed_until == NOW + timedelta(days=21)
    assert ALICE.id not in changes.touched_contacts


def test_a_single_reminder_needs_no_number_but_accepts_1() -> None:
    assert reply("done 1").touches[0].address == "alice@example.org"
    with pytest.raises(CommandError, match="no entry 2"):
        reply("done 2")


def test_touch_keys_are_distinct_per_command() -> None:
    changes = reply("done 1\ndone 2 call", entries=DIGEST)

    assert [t.message_id for t in changes.touches] == [f"{KEY}#0", f"{KEY}#1"]


# -- stop, removed contacts, undo, help ----------------------------------------------------------------


def test_stop_removes_the_contact() -> None:
    changes = reply("stop")

    assert changes.removed == {ALICE.id}
    assert changes.updated == {}
    assert changes.touched_contacts == {ALICE.id}
    assert "stopped tracking Alice Example" in changes.lines[0]


def test_a_command_after_stop_on_the_same_contact_fails() -> None:
    with pytest.raises(CommandError, match="no longer tracked"):
        reply("stop\nnote too late")


def test_stop_on_one_digest_entry_leaves_the_others_usable() -> None:
    changes = reply("stop 1\ndone 2", entries=DIGEST)

    assert changes.removed == {ALICE.id}
    assert set(changes.updated) == {BOB.id}


def test_a_command_for_a_removed_contact_fails() -> None:
    without_alice = {BOB.id: BOB}

    with pytest.raises(CommandError, match="that contact is no longer tracked"):
        reply("snooze 2w", contacts=without_alice)


def test_undo_alone_asks_for_the_contacts_snapshot() -> None:
    changes = reply("undo")

    assert changes.undo == [ALICE.id]
    assert not changes.updated and not changes.touches


def test_undo_with_other_commands_fails() -> None:
    with pytest.raises(CommandError, match="write 'undo' on its own"):
        reply("undo\nsnooze 2w")
    with pytest.raises(CommandError, match="write 'undo' on its own"):
        reply("help\nundo")


def test_undo_for_a_removed_contact_fails() -> None:
    with pytest.raises(CommandError, match="no longer tracked"):
        reply("undo", contacts={})


def test_help_is_an_answer_and_changes_nothing() -> None:
    changes = reply("help", entries=DIGEST)

    assert changes.answers == ["help"]
    assert changes.touched_contacts == set() and not changes.touches


# -- mail to the daemon address ------------------------------------------------------------------------


def test_add_plans_a_new_contact() -> None:
    changes = daemon("add Dave Example <dave@example.org> every 3w group friends")

    (dave,) = changes.added
    assert (dave.name, dave.emails, dave.cadence_days, dave.group, dave.added_at) == (
        "Dave Example",
        ("dave@example.org",),
        21,
        "friends",
        NOW,
    )
    assert changes.lines == ["now tracking Dave Example <dave@example.org>, every 3 weeks"]


@pytest.mark.parametrize(
    "line", ["add alice@example.org", "add ALICE@EXAMPLE.ORG", "add Robert <bob@work.example>"]
)
def test_add_of_an_address_already_tracked_fails(line: str) -> None:
    with pytest.raises(CommandError, match="already belongs to"):
        daemon(line)


def test_add_of_the_same_new_address_twice_in_one_message_fails() -> None:
    """Each planned add is checked against the ones before it, not only against the store."""
    with pytest.raises(CommandError, match="already belongs to"):
        daemon("add dave@example.org\nadd Dave <dave@example.org>")


def test_one_bad_add_fails_the_whole_message() -> None:
    with pytest.raises(CommandError, match="already belongs to Alice Example"):
        daemon("add dave@example.org\nadd alice@example.org")


def test_log_with_any_address_of_a_tracked_contact_touches_its_primary_address() -> None:
    changes = daemon("log call with bob@work.example great chat")

    (touch,) = changes.touches
    assert (touch.address, touch.channel, touch.subject, touch.direction) == (
        "bob@example.org",
        Channel.CALL,
        "great chat",
        Direction.MANUAL,
    )
    assert changes.lines == ["logged a call with bob@example.org"]
    assert changes.added == [] and changes.updated == {}


def test_log_for_an_untracked_address_records_a_touch_and_says_not_tracked_yet() -> None:
    changes = daemon("log coffee with erin@example.org Pastel de nata")

    (touch,) = changes.touches
    assert (touch.address, touch.channel, touch.subject) == (
        "erin@example.org",
        Channel.MEETING,
        "Pastel de nata",
    )
    assert changes.added == []
    assert changes.lines == [
        "logged a meeting with erin@example.org (not tracked yet: 'add' them to get reminders)"
    ]


def test_questions_become_answers_and_status_means_due() -> None:
    changes = daemon("due\nstatus\nlist\nhelp")

    assert changes.answers == ["due", "due", "list", "help"]
    assert not changes.lines and not changes.touches and not changes.added
