"""Replies to reminders on the test bed (References-only token, undo, done, digest, caps) + shared helpers."""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from keepwarm.app import status as app_status
from keepwarm.app.poll import PollReport
from keepwarm.domain.model import Channel, Contact, Direction, Touch
from keepwarm.domain.outbox import OutboxItem
from keepwarm.domain.reminders import EntryState
from keepwarm.domain.tokens import find_tokens
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import plain_text
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import ReceivedMessage, SmtpServer

LISBON = ZoneInfo("Europe/Lisbon")
START = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)  # REMINDER_TIME on a Friday
LATER = START + timedelta(hours=1)
HELP_HEADING = "Reply to a reminder with one command per line:"


def parse(raw: bytes | str) -> EmailMessage:
    msg = (
        email.message_from_bytes(raw, policy=policy.default)
        if isinstance(raw, bytes)
        else email.message_from_string(raw, policy=policy.default)
    )
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    return plain_text(msg)


@dataclass
class Bed:
    """One owner's keepwarm on the test bed, and ways to talk to it."""

    testbed: Testbed
    account: Account
    smtp: SmtpServer
    service: Service
    sent_mark: int

    @property
    def store(self) -> Store:
        return self.service.store

    @property
    def owner(self) -> str:
        return self.account.address

    @property
    def daemon(self) -> str:
        return self.account.plus("keepwarm")

    @property
    def secret(self) -> bytes:
        return self.service.settings.owner_mail().secret

    def deliver(self, raw: bytes, to: str | None = None, mail_from: str = "someone@example.org") -> None:
        """Drop a message into the owner's INBOX (addressed to ``to``, the daemon by default)."""
        self.testbed.deliver(to or self.daemon, raw, mail_from=mail_from)

    def poll(self, when: datetime) -> PollReport:
        return self.service.poll(when)

    def inbox(self, kind: str) -> list[EmailMessage]:
        """keepwarm's own messages of one kind (reminder, digest, confirmation) in the INBOX."""
        found = [parse(raw) for raw in self.testbed.messages(self.account, "INBOX").values()]
        return [m for m in found if str(m["X-Keepwarm"] or "").startswith(kind)]

    def answers(self, when: datetime = LATER) -> list[EmailMessage]:
        """Send what is queued, then every answer to a command the owner has received."""
        self.service.deliver(when)
        return self.inbox("confirmation")

    def outbox(self, kind: str) -> list[OutboxItem]:
        return [i for i in self.store.outbox.items() if i.kind == kind]

    def sent(self) -> list[ReceivedMessage]:
        """Every envelope the SMTP server accepted since this bed was opened."""
        return self.smtp.received[self.sent_mark :]

    def token_tag_address(self, token: str) -> str:
        return self.account.plus(f"keepwarm+{token}")


def open_bed(
    testbed: Testbed,
    account: Account,
    smtp: SmtpServer,
    make_config: ConfigFactory,
    *,
    people: int = 1,
    remind: bool = True,
    **overrides: str,
) -> Bed:
    """A store with Alice (40 days since, every 30) and optionally Bob (60 days); reminders sent."""
    config = make_config(**overrides)
    store = Store(config.state_dir)
    seeds = [
        ("Alice Example", "alice@example.org", 40, "friends"),
        ("Bob Example", "bob@example.org", 60, None),
    ]
    for name, address, days, group in seeds[:people]:
        store.add_contact(
            Contact(name, (address,), START - timedelta(days=400), cadence_days=30, group=group)
        )
        store.add_touches([Touch(address, START - timedelta(days=days), Direction.OUT, subject="Hello")])
    bed = Bed(testbed, account, smtp, build_service(config, store), len(smtp.received))
    if remind:
        queued, _ = bed.service.remind(START)
        assert queued == (1 if overrides.get("reminder_mode") == "digest" else people)
        bed.poll(START + timedelta(minutes=1))  # sees its own reminders: not touches, not commands
    return bed


def contact(bed: Bed, address: str = "alice@example.org") -> Contact:
    (found,) = [c for c in bed.store.contacts() if address in c.emails]
    return found


def reminder_for(bed: Bed) -> EmailMessage:
    (reminder,) = bed.inbox("reminder") or bed.inbox("digest")
    return reminder


def reply_to(reminder: EmailMessage) -> str:
    return str(reminder["Reply-To"].addresses[0].addr_spec)


def reply(
    reminder: EmailMessage,
    body: str,
    msgid: str,
    *,
    sender: str,
    when: datetime = LATER,
    to: str | None = None,
    in_reply_to: bool = True,
    references: str | None = None,
    headers: str = "",
) -> bytes:
    """A reply shaped the way Gmail's web client writes one: commands on top, the reminder quoted."""
    original = reminder.get_body(("plain",))
    assert original is not None
    quoted = "\r\n".join(f"> {line}" for line in str(original.get_content()).splitlines()[:8])
    threading = f"In-Reply-To: {reminder['Message-ID']}\r\n" if in_reply_to else ""
    threading += f"References: {references if references is not None else reminder['Message-ID']}\r\n"
    return (
        f"From: Naomi Owner <{sender}>\r\n"
        f"To: {to or reminder['Reply-To']}\r\n"
        f"Subject: Re: {reminder['Subject']}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <{msgid}>\r\n"
        f"{threading}{headers}"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"{body}\r\n\r\n"
        f"On Fri, Nov 20, 2026 at 8:30 AM keepwarm <{reminder['From'].addresses[0].addr_spec}> wrote:\r\n\r\n"
        f"{quoted}\r\n"
    ).encode()


def answer_to(answers: list[EmailMessage], msgid: str) -> EmailMessage:
    """The one answer threaded under the command message ``msgid``."""
    (found,) = [a for a in answers if a["In-Reply-To"] == f"<{msgid}>"]
    return found


def send_reply(
    bed: Bed, reminder: EmailMessage, body: str, msgid: str, *, when: datetime = LATER, headers: str = ""
) -> None:
    """The owner replies to ``reminder`` (to its Reply-To, token tag and all)."""
    raw = reply(reminder, body, msgid, sender=bed.owner, when=when, headers=headers)
    bed.deliver(raw, to=reply_to(reminder))


# -- tests -------------------------------------------------------------------------------------------------


def test_a_reply_with_the_token_only_in_references_works(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """The client dropped Reply-To (and In-Reply-To): the References header still proves the reply."""
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    references = f"<CABx-older@mail.gmail.com> {reminder['Message-ID']}"
    raw = reply(
        reminder,
        "snooze 2w",
        "refs-1@mail.gmail.com",
        sender=bed.owner,
        to=bed.daemon,
        in_reply_to=False,
        references=references,
    )
    sent = parse(raw)
    assert (sent["To"], sent["In-Reply-To"]) == (bed.daemon, None)
    assert find_tokens(f"{sent['Subject']} {sent['To']}") == []  # References is all that is left
    bed.deliver(raw, to=bed.daemon)

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1}
    snoozed = contact(bed).snoozed_until
    assert snoozed is not None and snoozed.date() == (LATER + timedelta(days=14)).date()
    answer = answer_to(bed.answers(), "refs-1@mail.gmail.com")
    assert "snoozed Alice Example until 2026-12-04" in text_of(answer)


def test_undo_after_snooze_restores_snoozed_until(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    before = contact(bed)
    assert before.snoozed_until is None
    send_reply(bed, reminder, "snooze 2w", "snooze-1@mail.gmail.com")
    assert bed.poll(LATER).commands == {"applied": 1}
    assert contact(bed).snoozed_until == LATER + timedelta(days=14)

    send_reply(bed, reminder, "undo", "undo-1@mail.gmail.com", when=LATER + timedelta(minutes=5))
    report = bed.poll(LATER + timedelta(minutes=5))

    assert report.commands == {"applied": 1}
    assert contact(bed) == before
    answer = answer_to(bed.answers(LATER + timedelta(minutes=5)), "undo-1@mail.gmail.com")
    assert "undone: Alice Example <alice@example.org> is back as before the last command" in text_of(answer)


def test_undo_twice_has_nothing_left_to_undo(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    send_reply(bed, reminder, "pause", "pause-1@mail.gmail.com")
    send_reply(bed, reminder, "undo", "undo-1@mail.gmail.com")
    assert bed.poll(LATER).commands == {"applied": 2}
    # Written a minute later (the same reply at the same moment would be a replay, ignored).
    send_reply(bed, reminder, "undo", "undo-2@mail.gmail.com", when=LATER + timedelta(minutes=1))

    report = bed.poll(LATER + timedelta(minutes=1))

    assert report.commands == {"command-error": 1}
    assert contact(bed).paused is False
    answer = answer_to(bed.answers(LATER + timedelta(minutes=1)), "undo-2@mail.gmail.com")
    assert "Nothing was changed: there is nothing to undo for that contact" in text_of(answer)


def test_done_call_records_a_manual_touch_and_resolves_the_reminder(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    (entry,) = bed.store.reminders.entries()
    assert entry.state is EntryState.OPEN
    send_reply(bed, reminder, "done call Talked about Lisbon", "done-1@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1}
    manual = [t for t in bed.store.touches_for(["alice@example.org"]) if t.direction is Direction.MANUAL]
    assert [(t.channel, t.subject, t.at) for t in manual] == [(Channel.CALL, "Talked about Lisbon", LATER)]
    assert [e.state for e in bed.store.reminders.entries()] == [EntryState.RESOLVED]
    answer = answer_to(bed.answers(), "done-1@mail.gmail.com")
    assert "logged that you were in touch with Alice Example (call)" in text_of(answer)


def test_digest_done_2_acts_on_the_second_entry_only(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, people=2, reminder_mode="digest")
    digest = reminder_for(bed)
    assert str(digest["X-Keepwarm"]).startswith("digest")
    entries = {e.number: e for e in bed.store.reminders.entries()}
    assert set(entries) == {1, 2}
    first = bed.store.get_contact(entries[1].contact_id)
    second = bed.store.get_contact(entries[2].contact_id)
    assert first is not None and second is not None
    send_reply(bed, digest, "done", "which-1@mail.gmail.com")
    assert bed.poll(LATER).commands == {"command-error": 1}

    send_reply(bed, digest, "done 2", "done-2@mail.gmail.com", when=LATER + timedelta(minutes=1))
    report = bed.poll(LATER + timedelta(minutes=1))

    assert report.commands == {"applied": 1}
    manual = [t.address for t in bed.store.touches() if t.direction is Direction.MANUAL]
    assert manual == [second.primary_email]
    states = {e.number: e.state for e in bed.store.reminders.entries()}
    assert states == {1: EntryState.OPEN, 2: EntryState.RESOLVED}
    answers = bed.answers(LATER + timedelta(minutes=1))
    assert "that digest has 2 entries: say which, e.g. 'done 2'" in text_of(
        answer_to(answers, "which-1@mail.gmail.com")
    )
    assert f"logged that you were in touch with {second.name}" in text_of(
        answer_to(answers, "done-2@mail.gmail.com")
    )
    assert first.name not in text_of(answer_to(answers, "done-2@mail.gmail.com"))


def test_a_bad_command_gets_a_short_answer_and_changes_nothing(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    contacts_before = bed.store.contacts()
    touches_before = bed.store.touches()
    send_reply(bed, reminder, "snooze 2w\r\nsnooze forever", "unknown-1@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"command-error": 1}
    assert bed.store.contacts() == contacts_before
    assert bed.store.touches() == touches_before
    assert [e.state for e in bed.store.reminders.entries()] == [EntryState.OPEN]
    text = text_of(answer_to(bed.answers(), "unknown-1@mail.gmail.com"))
    assert "Nothing was changed: 'snooze forever'" in text
    assert HELP_HEADING not in text  # one short answer, not the whole manual
    assert "snoozed" not in text


def test_a_reply_with_no_command_gets_a_short_answer_and_changes_nothing(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    contacts_before = bed.store.contacts()
    send_reply(bed, reminder, "Later this week maybe, I'm swamped.", "prose-1@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"no-command": 1}
    assert bed.store.contacts() == contacts_before
    text = text_of(answer_to(bed.answers(), "prose-1@mail.gmail.com"))
    assert "found no command in your message, so nothing was changed" in text
    assert "snooze 2w" in text and HELP_HEADING not in text


def test_a_command_for_a_contact_removed_meanwhile_gets_a_clear_error(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    bed.store.remove_contact(contact(bed).id)  # e.g. `keepwarm remove alice` in the meantime
    send_reply(bed, reminder, "snooze 2w", "gone-1@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"command-error": 1}
    assert bed.store.contacts() == []
    text = text_of(answer_to(bed.answers(), "gone-1@mail.gmail.com"))
    assert "Nothing was changed: that contact is no longer tracked (add them again to use commands)" in text


def test_stop_then_a_later_command_on_the_same_reminder_fails(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    send_reply(bed, reminder, "stop", "stop-1@mail.gmail.com")
    assert bed.poll(LATER).commands == {"applied": 1}
    assert bed.store.contacts() == []
    send_reply(bed, reminder, "done", "after-1@mail.gmail.com")

    report = bed.poll(LATER + timedelta(minutes=1))

    assert report.commands == {"command-error": 1}
    assert not [t for t in bed.store.touches() if t.direction is Direction.MANUAL]


def test_confirmations_errors_answers_errors_only(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, confirmations="errors")
    reminder = reminder_for(bed)
    send_reply(bed, reminder, "snooze 2w", "ok-1@mail.gmail.com")
    send_reply(bed, reminder, "snooze forever", "bad-1@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1, "command-error": 1}
    assert contact(bed).snoozed_until == LATER + timedelta(days=14)
    answers = bed.answers()
    assert [a["In-Reply-To"] for a in answers] == ["<bad-1@mail.gmail.com>"]
    assert "Nothing was changed: 'snooze forever'" in text_of(answers[0])


def test_max_replies_per_hour_holds_answers_back_and_sends_them_together_when_the_hour_allows(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, max_replies_per_hour="2")
    reminder = reminder_for(bed)
    for n, command in enumerate(["every 3w", "note Moved to Porto", "snooze 2w"], start=1):
        send_reply(bed, reminder, command, f"cap-{n}@mail.gmail.com")

    report = bed.poll(LATER)

    assert report.commands == {"applied": 3}  # every command is still applied…
    alice = contact(bed)
    assert (alice.cadence_days, [n.text for n in alice.notes]) == (21, ["Moved to Porto"])
    assert alice.snoozed_until is not None
    assert len(bed.answers()) == 2  # …but only two answers go out this hour
    assert [i.state for i in bed.outbox("confirmation")] == ["sent", "sent", "held"]  # the third waits
    status = app_status.report(bed.store, bed.service.settings, LATER)
    assert (
        status["answers_held"] == 1
        and status["answers_released_at"] == (LATER + timedelta(hours=1)).isoformat()
    )

    hour_later = LATER + timedelta(minutes=61)
    send_reply(bed, reminder, "pause", "cap-4@mail.gmail.com", when=hour_later)
    bed.poll(hour_later)
    answers = bed.answers(hour_later)
    assert len(answers) == 4  # the pause's answer, and the held one in a message of its own
    assert "paused reminders for Alice Example" in text_of(answer_to(answers, "cap-4@mail.gmail.com"))
    (together,) = [a for a in answers if "held back by the hourly limit" in str(a["Subject"])]
    assert "snoozed Alice Example until" in text_of(together)
    assert app_status.report(bed.store, bed.service.settings, hour_later)["answers_held"] == 0
