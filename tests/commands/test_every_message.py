"""Every keepwarm message can be answered, on the test bed: a reply read by ``keepwarm poll``, undo
in answer to a confirmation (of add, log, news, thanks…), a reply to the weekly overview and to
an error answer, and a subject that is not a command left alone."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from keepwarm.domain.model import Direction
from tests.clitools import run_cli
from tests.commands.test_daemon_commands import to_daemon
from tests.commands.test_reply_commands import (
    LATER,
    Bed,
    answer_to,
    contact,
    open_bed,
    reminder_for,
    reply,
    reply_to,
    send_reply,
    text_of,
)
from tests.reminders.support import clean_environment, env_settings, write_env_file
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def answer(bed: Bed, msgid: str, when: object = LATER) -> EmailMessage:
    """The answer keepwarm sent to the owner's message ``msgid`` (after delivering what is queued)."""
    return answer_to(bed.answers(when), msgid)  # type: ignore[arg-type]


def answer_back(bed: Bed, to: EmailMessage, body: str, msgid: str, when: object = LATER) -> None:
    """The owner replies to one of keepwarm's messages, the way a mail client does."""
    bed.deliver(reply(to, body, msgid, sender=bed.owner, when=when), to=reply_to(to))  # type: ignore[arg-type]


def test_keepwarm_poll_applies_and_answers_a_reply_the_daemon_would(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    send_reply(bed, reminder_for(bed), "snooze 2w", "cli-1@mail.gmail.com")
    clean_environment(monkeypatch, tmp_path)
    env = write_env_file(tmp_path / "keepwarm.env", env_settings(testbed, account, bed.store.path.parent))

    result = run_cli(capsys, "--env-file", str(env), "poll", "--quiet")

    assert result.code == 0, result.err
    assert contact(bed).snoozed_until is not None  # applied by the CLI's poll, as the daemon would
    (answered,) = [a for a in bed.inbox("confirmation") if a["In-Reply-To"] == "<cli-1@mail.gmail.com>"]
    assert "snoozed Alice Example until" in text_of(answered)
    status = run_cli(capsys, "--env-file", str(env), "status", "--json").json()
    assert status["last_poll"] is not None
    assert bed.service.poll(LATER + timedelta(minutes=5)).commands == {}  # read once, not again


def test_undo_in_answer_to_the_confirmation_of_add_stops_tracking_the_new_contact(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(to_daemon(bed, "add Omar Said <omar@example.org>", "", "add-1@mail.gmail.com"))
    assert bed.poll(LATER).commands == {"applied": 1}
    confirmation = answer(bed, "add-1@mail.gmail.com")
    assert "now tracking Omar Said" in text_of(confirmation)

    answer_back(bed, confirmation, "undo", "undo-1@mail.gmail.com")
    assert bed.poll(LATER + timedelta(minutes=2)).commands == {"applied": 1}

    assert [c.name for c in bed.store.contacts()] == ["Alice Example"]
    undone = answer(bed, "undo-1@mail.gmail.com", LATER + timedelta(minutes=2))
    assert "undone: Omar Said <omar@example.org> is no longer tracked" in text_of(undone)


def test_undo_in_answer_to_the_confirmation_of_a_log_removes_the_touch(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    before = bed.store.touches()
    bed.deliver(to_daemon(bed, "", "log coffee with Alice yesterday", "log-1@mail.gmail.com"))
    bed.poll(LATER)
    (logged,) = [t for t in bed.store.touches() if t.direction is Direction.MANUAL]
    assert logged.at.date() == (LATER - timedelta(days=1)).date()

    answer_back(bed, answer(bed, "log-1@mail.gmail.com"), "undo", "undo-2@mail.gmail.com")
    bed.poll(LATER + timedelta(minutes=2))

    assert bed.store.touches() == before
    assert "undone: the touch it logged" in text_of(answer(bed, "undo-2@mail.gmail.com", LATER))


def test_a_reply_to_the_confirmation_acts_on_the_contact_it_was_about(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    send_reply(bed, reminder_for(bed), "snooze 2w", "s-1@mail.gmail.com")
    bed.poll(LATER)
    confirmation = answer(bed, "s-1@mail.gmail.com")

    # In a threaded client the newest message is the confirmation: the owner answers that one.
    answer_back(bed, confirmation, "every 6 weeks", "e-1@mail.gmail.com")
    assert bed.poll(LATER + timedelta(minutes=1)).commands == {"applied": 1}

    assert contact(bed).cadence_days == 42
    text = text_of(answer(bed, "e-1@mail.gmail.com"))
    assert "you want to be in touch with Alice Example every 6 weeks" in text


def test_a_reply_to_the_weekly_overview_acts_on_its_numbered_people(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, people=2, remind=False, overview="weekly")
    bed.service.overview(LATER)
    (overview,) = bed.inbox("overview")
    text = text_of(overview)
    assert "1. Bob Example" in text and "2. Alice Example" in text  # most overdue first

    answer_back(bed, overview, "done 2 coffee\r\nsnooze 1 3w", "ov-1@mail.gmail.com")
    assert bed.poll(LATER + timedelta(minutes=1)).commands == {"applied": 1}

    assert contact(bed, "bob@example.org").snoozed_until == LATER + timedelta(minutes=1, days=21)
    manual = [t for t in bed.store.touches() if t.direction is Direction.MANUAL]
    assert [t.address for t in manual] == ["alice@example.org"]


def test_a_reply_to_an_error_answer_can_carry_the_command_as_it_should_have_been(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    send_reply(bed, reminder_for(bed), "snooze forever", "bad-1@mail.gmail.com")
    bed.poll(LATER)
    error = answer(bed, "bad-1@mail.gmail.com")
    assert "Nothing was changed: 'snooze forever'" in text_of(error)

    answer_back(bed, error, "snooze 3 weeks", "good-1@mail.gmail.com")
    bed.poll(LATER + timedelta(minutes=1))

    assert contact(bed).snoozed_until == LATER + timedelta(minutes=1, days=21)


def test_a_subject_that_is_not_a_command_is_left_alone_and_the_body_is_read(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(to_daemon(bed, "add Omar", "log call with alice@example.org", "sub-1@mail.gmail.com"))
    bed.deliver(to_daemon(bed, "log", "add Omar Said <omar@example.org>", "sub-2@mail.gmail.com"))

    assert bed.poll(LATER).commands == {"applied": 2}

    assert [t.channel.value for t in bed.store.touches() if t.direction is Direction.MANUAL] == ["call"]
    assert [c.name for c in bed.store.contacts()] == ["Alice Example", "Omar Said"]
    assert "logged a call with Alice Example" in text_of(answer(bed, "sub-1@mail.gmail.com"))


@pytest.mark.parametrize(
    ("body", "undone"),
    [
        ("news: we moved to Lisbon", "undone: your news, as it was before"),
        ("thanks Alice for The Overstory", "undone: a thank-you, as it was before"),
    ],
)
def test_undo_in_answer_to_news_or_thanks_takes_it_back(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    body: str,
    undone: str,
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(to_daemon(bed, "", body, "x-1@mail.gmail.com"))
    bed.poll(LATER)
    assert bed.store.extras.news(LATER) is not None or bed.store.extras.pending_thanks()

    answer_back(bed, answer(bed, "x-1@mail.gmail.com"), "undo", "undo-x@mail.gmail.com")
    bed.poll(LATER + timedelta(minutes=1))

    assert bed.store.extras.news(LATER) is None and bed.store.extras.pending_thanks() == []
    assert undone in text_of(answer(bed, "undo-x@mail.gmail.com"))


def test_undo_of_an_older_change_waits_for_the_later_one(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    send_reply(bed, reminder_for(bed), "every 3w", "c-1@mail.gmail.com")
    bed.poll(LATER)
    first = answer(bed, "c-1@mail.gmail.com")
    send_reply(bed, reminder_for(bed), "every 5w", "c-2@mail.gmail.com", when=LATER + timedelta(minutes=1))
    bed.poll(LATER + timedelta(minutes=1))

    answer_back(bed, first, "undo", "undo-old@mail.gmail.com", LATER + timedelta(minutes=2))
    bed.poll(LATER + timedelta(minutes=2))

    assert contact(bed).cadence_days == 35  # nothing was changed
    text = text_of(answer(bed, "undo-old@mail.gmail.com", LATER + timedelta(minutes=2)))
    assert "a later change" in text and "undo that one first" in text
