"""Spoofing on the real test bed: forged commands change nothing; hostile names add no header or recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.tokens import make_token
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.hostile.support import OTHER_SECRET, Tally, message
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, AccountFactory, Testbed
from tests.testbed.smtp import ReceivedMessage, SmtpServer

LISBON = ZoneInfo("Europe/Lisbon")
START = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)  # REMINDER_TIME, a Friday
LATER = START + timedelta(hours=1)
SERVID = "mx.example.com"
ALICE = "alice@example.org"


@dataclass
class Live:
    """One owner's keepwarm on the test bed, with a reminder for Alice already in the INBOX."""

    testbed: Testbed
    account: Account
    smtp: SmtpServer
    service: Service
    mark: int
    token: str
    sequence: int = 0

    @property
    def owner(self) -> str:
        return self.account.address

    @property
    def daemon(self) -> str:
        return self.account.plus("keepwarm")

    @property
    def secret(self) -> bytes:
        return self.service.settings.owner_mail().secret

    def tagged(self, token: str) -> str:
        return self.account.plus(f"keepwarm+{token}")

    def sent(self) -> list[ReceivedMessage]:
        return self.smtp.received[self.mark :]

    def state(self) -> tuple[object, ...]:
        store = self.service.store
        return (store.contacts(), [t for t in store.touches() if t.direction is Direction.MANUAL])

    def reply(self, body: str, *, sender: str, token: str | None = None, top: tuple[str, ...] = ()) -> bytes:
        token = token or self.token
        reference = f"<kw-{token}@example.com>"
        self.sequence += 1
        return message(
            *[("Authentication-Results", stamp) for stamp in top],
            ("From", sender),
            ("To", f"keepwarm <{self.tagged(token)}>"),
            ("Subject", "Re: Check in with Alice Example"),
            ("Date", "Fri, 20 Nov 2026 09:29:00 +0000"),
            ("Message-ID", f"<attack-{self.sequence}@mail.example.com>"),
            ("In-Reply-To", reference),
            ("References", reference),
            body=f"{body}\n\nOn Fri, Nov 20, 2026 at 8:30 AM keepwarm <{self.daemon}> wrote:\n> Check in\n",
            content_type='text/plain; charset="UTF-8"',
        )


def open_live(
    testbed: Testbed, account: Account, smtp: SmtpServer, make_config: ConfigFactory, **overrides: str
) -> Live:
    config = make_config(max_reminders_per_day="20", **overrides)
    store = Store(config.state_dir)
    store.add_contact(Contact("Alice Example", (ALICE,), START - timedelta(days=200), cadence_days=30))
    store.add_touches([Touch(ALICE, START - timedelta(days=40), Direction.OUT, subject="Lisbon?")])
    service = build_service(config, store)
    mark = len(smtp.received)
    assert service.remind(START)[0] == 1
    service.poll(START + timedelta(minutes=1))  # its own reminder: neither a touch nor a command
    (reminder,) = [i for i in store.outbox.items() if i.kind == "reminder"]
    return Live(testbed, account, smtp, service, mark, reminder.token)


def _attack(tally: Tally, live: Live, label: str, raw: bytes, to: str, at: datetime = LATER) -> None:
    """Deliver over LMTP, poll, send what is queued; count what the attacker achieved."""
    tally.attempts += 1
    before, sent_before = live.state(), len(live.sent())
    live.testbed.deliver(to, raw, mail_from="mallory@evil.example")
    try:
        report = live.service.poll(at)
        live.service.deliver(at)
    except Exception as exc:  # counted, not raised: see the summary
        tally.crashes.append(f"{label}: {type(exc).__name__}: {exc}")
        return
    tally.outcomes.update(report.commands or {"not-a-command": 1})
    if (
        any(report.commands.get(o) for o in ("applied", "command-error", "no-command"))
        or live.state() != before
    ):
        tally.foreign_commands.append(f"{label}: {dict(report.commands)}")
    owner = frozenset({live.owner})
    for received in live.sent()[sent_before:]:
        if received.rcpt_tos != (live.owner,):
            tally.foreign_mail.append(f"{label}: sent to {received.rcpt_tos}")
        tally.check_outgoing(f"{label} (wire)", received.data, owner)


def test_spoofed_commands_on_the_test_bed(
    testbed: Testbed,
    account: Account,
    account_factory: AccountFactory,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
) -> None:
    live = open_live(testbed, account, smtp_server, make_config)
    mallory = account_factory("stranger")  # a real, deliverable mailbox
    stranger = mallory.address
    owner, tally = live.owner, Tally("test bed spoofing")
    old = make_token(live.secret, 1, LATER - timedelta(days=91))
    foreign = make_token(OTHER_SECRET, 1, START)
    attacks = [
        (
            "stranger replies with the genuine token",
            live.reply("stop", sender=stranger),
            live.tagged(live.token),
        ),
        (
            "stranger named Naomi",
            live.reply("stop", sender=f"Naomi Owner <{stranger}>"),
            live.tagged(live.token),
        ),
        (
            "stranger asks the daemon for the list",
            message(("From", stranger), ("To", live.daemon), ("Subject", "list"), body="list\n"),
            live.daemon,
        ),
        (
            "From with two addresses",
            live.reply("stop", sender=f"{owner}, {stranger}"),
            live.tagged(live.token),
        ),
        (
            "two From headers",
            message(("From", owner), ("From", stranger), ("To", live.daemon), ("Subject", "list")),
            live.daemon,
        ),
        ("getaddresses trick", live.reply("stop", sender=f"{stranger})<{owner}>"), live.tagged(live.token)),
        (
            "getaddresses trick, spaced",
            live.reply("stop", sender=f"{stranger}) <{owner}>"),
            live.tagged(live.token),
        ),
        ("token 91 days old", live.reply("stop", sender=owner, token=old), live.tagged(old)),
        ("token of another keepwarm", live.reply("stop", sender=owner, token=foreign), live.tagged(foreign)),
    ]
    for label, raw, to in attacks:
        _attack(tally, live, label, raw, to)
    _attack(
        tally,
        live,
        "genuine token replayed 91 days on",
        live.reply("stop", sender=owner),
        live.tagged(live.token),
        START + timedelta(days=91, hours=1),
    )
    tally.assert_clean()
    assert testbed.messages(mallory, "INBOX") == {}
    assert not any(stranger in ",".join(r.rcpt_tos) for r in smtp_server.received)
    assert set(tally.outcomes) <= {"rejected", "not-a-command"}


def test_forged_authentication_results_on_the_test_bed(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """AUTH_SERVID set: our server's stamp is the topmost of ours; the forger writes the rest."""
    live = open_live(testbed, account, smtp_server, make_config, auth_servid=SERVID)
    owner, tally = live.owner, Tally("test bed Authentication-Results")
    our_fail = f"{SERVID}; dkim=none; dmarc=fail header.from=example.com"
    forged = [
        ("no stamp", ()),
        (
            "foreign DKIM signature",
            (f"{SERVID}; dkim=pass header.d=evil.example; dmarc=fail header.from=example.com",),
        ),
        (
            "another server's pass above ours",
            ("relay.evil.example; dmarc=pass header.from=example.com", our_fail),
        ),
        ("a forged pass of ours below our fail", (our_fail, f"{SERVID}; dmarc=pass header.from=example.com")),
        ("look-alike authserv-id", (f"{SERVID}.evil.example; dmarc=pass header.from=example.com",)),
        (
            "a quoted envelope sender echoed in our stamp",
            (
                f"{SERVID}; dmarc=fail header.from=example.com; "
                'spf=pass smtp.mailfrom="x;dmarc=pass"@evil.example',
            ),
        ),
        (
            "a nested comment in our stamp",
            (f"{SERVID}; dmarc=fail (x (y; dmarc=pass) z) header.from=example.com",),
        ),
        (
            "a quoted reason in our stamp",
            (f'{SERVID}; dmarc=fail reason="; dmarc=pass header.from=example.com"',),
        ),
    ]
    for label, stamps in forged:
        _attack(tally, live, label, live.reply("pause", sender=owner, top=stamps), live.tagged(live.token))
    tally.assert_clean()

    # The control: a genuine, aligned pass from our server still works, under a foreign stamp.
    genuine = live.reply(
        "pause",
        sender=owner,
        top=("relay.evil.example; dmarc=fail", f"{SERVID}; dkim=pass header.d=example.com"),
    )
    live.testbed.deliver(live.tagged(live.token), genuine)
    assert live.service.poll(LATER).commands == {"applied": 1}
    assert live.service.store.contacts()[0].paused


HOSTILE_NAMES = [
    pytest.param("Eve\r\nBcc: {eve}", id="crlf-bcc"),
    pytest.param("Eve\r\n X-Injected: 1", id="folded-header-text"),
    pytest.param("Eve X-Injected: 1", id="header-text"),
    pytest.param("=?utf-8?q?Eve=0D=0ABcc:_{eve}?=", id="encoded-crlf"),
    pytest.param("=?utf-8?q?=3D=3Futf-8=3Fq=3FEve=3D0D=3D0AX-Injected=3A=5F1=3F=3D?=", id="encoded-twice"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_display_name_on_the_test_bed(
    testbed: Testbed,
    account: Account,
    account_factory: AccountFactory,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    name: str,
) -> None:
    """Eve's name becomes two contacts (the owner BCCs keepwarm writing to her; the owner adds her
    by command), then is confirmed, thanked and reminded of: all of it to the owner alone, with
    keepwarm's own headers only."""
    live = open_live(testbed, account, smtp_server, make_config)
    eve, eve_too = account_factory("eve").address, account_factory("eve").address
    name = name.replace("{eve}", eve)
    tally = Tally(f"display name {name!r}")
    sent = message(
        ("From", f"Naomi Owner <{live.owner}>"),
        ("To", f'"{name}" <{eve}>'),
        ("Bcc", live.daemon),
        ("Subject", "Lunch?"),
        ("Date", "Fri, 20 Nov 2026 09:00:00 +0000"),
        ("Message-ID", "<lunch-1@mail.example.com>"),
        body="Lunch next week?\n",
    )
    testbed.append(account, "Sent", sent, msg_time=LATER)
    add = message(
        ("From", live.owner),
        ("To", live.daemon),
        ("Subject", "new contact"),
        ("Message-ID", "<add-1@mail.example.com>"),
        body=f"add {name} <{eve_too}>\n",
        content_type='text/plain; charset="UTF-8"',
    )
    testbed.deliver(live.daemon, add)
    thanks = message(
        ("From", live.owner),
        ("To", live.daemon),
        ("Subject", f"thanks {eve_too} for the book"),
        ("Message-ID", "<thanks-1@mail.example.com>"),
    )
    testbed.deliver(live.daemon, thanks)
    tally.attempts += 3
    try:
        tally.outcomes.update(live.service.poll(LATER).commands)
        live.service.deliver(LATER)
        live.service.remind(START + timedelta(days=45))
    except Exception as exc:  # counted: see the summary
        tally.crashes.append(f"{type(exc).__name__}: {exc}")
    owner = frozenset({live.owner})
    # Sent rows drop their message after RETENTION; what reached the wire is checked below.
    for item in [i for i in live.service.store.outbox.items() if i.raw]:
        tally.check_outgoing(f"outbox {item.kind}", item.raw, owner)
    for received in live.sent():
        if received.rcpt_tos != (live.owner,):
            tally.foreign_mail.append(f"sent to {received.rcpt_tos}")
        tally.check_outgoing("wire", received.data, owner)
    for stranger in (eve, eve_too):
        assert not any(stranger in ",".join(r.rcpt_tos) for r in smtp_server.received)
    tally.assert_clean()
