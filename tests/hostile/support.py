"""The hostile tests' harness: an in-process keepwarm over a fake mailbox, and outgoing-mail checks."""

from __future__ import annotations

import email
import functools
import importlib.util
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from pathlib import Path

from aiosmtplib.email import flatten_message
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from keepwarm.app import outbox, reminders, thanks
from keepwarm.app.commands import CommandHandler
from keepwarm.app.outbox import OwnerMail
from keepwarm.app.poll import PollReport
from keepwarm.app.settings import Settings
from keepwarm.domain.classify import Identity
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.outbox import OutboxItem
from keepwarm.mail.message import HEADER_FIELDS
from keepwarm.mail.smtp import screen
from keepwarm.ports import FolderInfo, FolderStatus, RawMail, SendResult
from keepwarm.render.engine import Renderer
from keepwarm.runtime.service import Service
from keepwarm.store import Store
from keepwarm.store.repository import FILE_NAME

OWNER = "naomi@example.com"
OWNER_NAME = "Naomi Owner"
DAEMON = "naomi+keepwarm@example.com"
STRANGER = "mallory@evil.example"
EVE = "eve@evil.example"
ALICE = "alice@example.org"
SECRET = b"hostile-tests-secret-0123456789abcdef"
OTHER_SECRET = b"another-keepwarms-secret-9876543210"
SERVID = "mx.example.com"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
REMINDED = NOW - timedelta(hours=1)

# Every header keepwarm.mail.compose.build writes (MIME ones included); anything else was injected.
OUTGOING_HEADERS = frozenset(
    {
        "from",
        "to",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
        "x-auto-response-suppress",
        "x-keepwarm",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
# handle() outcomes that mean the message was taken as the owner's (its commands ran or were answered).
ACCEPTED = frozenset({"applied", "command-error", "no-command"})

# -- hypothesis ------------------------------------------------------------------------------------

# Hypothesis caches (constants it lifts from the source, Unicode tables) in ./.hypothesis even
# without an example database: keep them out of the checkout unless told where to put them.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "keepwarm-hypothesis")

EXAMPLES_ENV = "KEEPWARM_HYPOTHESIS_EXAMPLES"
DEFAULT_EXAMPLES = 300
LONG_RUN = EXAMPLES_ENV in os.environ


def examples(share: float = 1.0) -> int:
    """Examples per property: KEEPWARM_HYPOTHESIS_EXAMPLES (all of it), else a share of 300."""
    if LONG_RUN:
        return max(1, int(os.environ[EXAMPLES_ENV]))
    return max(20, int(DEFAULT_EXAMPLES * share))


def hostile_settings(share: float = 1.0) -> settings:
    """No deadline, no example database (nothing written outside tmp). A plain run is quick and
    reproducible: a fixed seed, and no shrinking (a known bug would otherwise spend minutes being
    minimised; tests/hostile/test_regressions.py holds each one minimal). A long run (the variable
    set) explores with fresh randomness and shrinks what it finds."""
    phases = [Phase.explicit, Phase.generate, Phase.target] + ([Phase.shrink] if LONG_RUN else [])
    return settings(
        max_examples=examples(share),
        deadline=None,
        database=None,
        derandomize=not LONG_RUN,
        phases=phases,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


# -- CPython's email corpus ------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    """``test/test_email/data/msg_*.txt`` of this interpreter's stdlib test package (empty without it)."""
    spec = importlib.util.find_spec("test")
    if spec is None or spec.origin is None:
        return []
    data = Path(spec.origin).parent / "test_email" / "data"
    return sorted(data.glob("msg_*.txt")) if data.is_dir() else []


# -- raw messages ----------------------------------------------------------------------------------


def message(*headers: tuple[str, str], body: str = "", content_type: str | None = None) -> bytes:
    """A raw message from (name, value) pairs and a text body; CRLF line ends."""
    lines = [f"{name}: {value}" for name, value in headers]
    if content_type is not None:
        lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}"]
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8", "surrogateescape")


def reply_address(token: str, daemon: str = DAEMON) -> str:
    """The daemon address with a reminder token as its plus tag (where replies to reminders go)."""
    local, _, domain = daemon.rpartition("@")
    return f"{local}+{token}@{domain}"


def header_fields(raw: bytes) -> bytes:
    """What ``BODY.PEEK[HEADER.FIELDS (...)]`` returns: keepwarm's fields, folding kept, then a blank
    line. CR, LF and CRLF all end a line and the first empty line ends the header, as Dovecot stores
    an APPENDed message (it turns a bare CR into CRLF; over LMTP it keeps the CR inside the line)."""
    wanted = {name.encode() for name in HEADER_FIELDS}
    kept: list[bytes] = []
    keep = False
    for line in raw.splitlines():
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line + b"\r\n")
            continue
        keep = b":" in line and line.split(b":", 1)[0].strip().upper() in wanted
        if keep:
            kept.append(line + b"\r\n")
    return b"".join(kept) + b"\r\n"


def parse(raw: bytes | str) -> EmailMessage:
    """A message as keepwarm's outbox reads it back (``policy.default``)."""
    msg = (
        email.message_from_bytes(raw, policy=policy.default)
        if isinstance(raw, bytes)
        else email.message_from_string(raw, policy=policy.default)
    )
    assert isinstance(msg, EmailMessage)
    return msg


def strict_senders(raw: bytes) -> list[str] | None:
    """The From addresses as the strict ``policy.default`` parser reads them; None if it cannot."""
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        found = []
        for header in msg.get_all("From") or []:
            found += [a.addr_spec.lower() for a in header.addresses]
        return found
    except Exception:  # the strict parser raises on plenty of hostile input; "unknown" is the answer
        return None


# -- keepwarm's outgoing mail ----------------------------------------------------------------------


def recipients_of(msg: Message) -> list[str]:
    """Every address in To, Cc and Bcc, as ``keepwarm.mail.smtp.guard`` reads them."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in (msg.get_all(name) or [])]
    return [address.lower() for _, address in getaddresses(fields)]


def outgoing_problems(raw: bytes | str, owner: frozenset[str] = frozenset({OWNER})) -> list[str]:
    """What is wrong with one of keepwarm's own messages: a header compose never writes (injected),
    a header twice, a value that decodes to several lines, or a recipient who is not the owner."""
    problems: list[str] = []
    try:
        msg = parse(raw)
        names = Counter(name.lower() for name in msg)
        values = [(name, str(value)) for name, value in msg.items()]
    except Exception as exc:  # unreadable output is a problem, not a crash of the check
        return [f"unparseable: {type(exc).__name__}: {exc}"]
    for name, count in sorted(names.items()):
        if name not in OUTGOING_HEADERS:
            problems.append(f"injected header {name!r}")
        elif count > 1:
            problems.append(f"header {name!r} {count} times")
    for name, value in values:
        if "\r" in value or "\n" in value:
            problems.append(f"{name} decodes to several lines: {value!r}")
    strangers = [r for r in recipients_of(msg) if r not in owner]
    if strangers or not recipients_of(msg):
        problems.append(f"recipients {recipients_of(msg)} are not only the owner")
    return problems


@dataclass(frozen=True)
class Sent:
    """One message the checking sender accepted: outbox id, envelope recipients, bytes on the wire."""

    item_id: int
    recipients: tuple[str, ...]
    wire: bytes


class CheckingSender:
    """A MailSender that does what SmtpSender does short of the network: the same ``screen`` by the
    owner-only guard (a refused message fails alone, for good), then aiosmtplib's flattening."""

    def __init__(self, allowed: frozenset[str] = frozenset({OWNER})) -> None:
        self.allowed = allowed
        self.sent: list[Sent] = []

    def send(
        self, batch: Sequence[tuple[int, EmailMessage]], on_result: Callable[[SendResult], None]
    ) -> list[SendResult]:
        envelopes, results = screen(batch, self.allowed)
        for result in results:
            on_result(result)
        for item_id, msg, recipients in envelopes:
            self.sent.append(Sent(item_id, tuple(recipients), flatten_message(msg)))
            results.append(SendResult(item_id, True))
            on_result(results[-1])
        return results


# -- an in-process keepwarm ------------------------------------------------------------------------


class FakeMailbox:
    """A MailSource over messages in memory: one folder, UIDs from 1, fetches as IMAP would."""

    def __init__(self, folder: str = "INBOX") -> None:
        self.folder = folder
        self.messages: list[tuple[bytes, datetime]] = []

    def add(self, raw: bytes, at: datetime) -> int:
        self.messages.append((raw, at))
        return len(self.messages)

    def folders(self) -> list[FolderInfo]:
        return [FolderInfo(self.folder, (), None)]

    def watched_folders(self, setting: Sequence[str]) -> list[str]:
        return [self.folder]

    def status(self, folder: str) -> FolderStatus:
        return FolderStatus(uidvalidity=1, uidnext=len(self.messages) + 1, exists=len(self.messages))

    def open(self, folder: str) -> FolderStatus:
        return self.status(folder)

    def uids_after(self, last_uid: int, since: date | None) -> list[int]:
        return list(range(last_uid + 1, len(self.messages) + 1))

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[RawMail]:
        for uid in uids:
            raw, at = self.messages[uid - 1]
            yield RawMail(uid, header_fields(raw), at)

    def fetch_message(self, uid: int, max_bytes: int) -> bytes:
        return self.messages[uid - 1][0][:max_bytes]

    def invitations(self, uids: Sequence[int]) -> dict[int, list[bytes]]:
        """What a server's BODYSTRUCTURE would point to: each text/calendar part, decoded."""
        found = {}
        for uid in uids:
            message = email.message_from_bytes(self.messages[uid - 1][0], policy=policy.compat32)
            parts = [
                p.get_payload(decode=True) for p in message.walk() if p.get_content_type() == "text/calendar"
            ]
            if texts := [p for p in parts if isinstance(p, bytes) and p]:
                found[uid] = texts
        return found

    def has_message(self, folder: str, message_id: str) -> bool:
        return any(message_id.encode() in header_fields(raw) for raw, _ in self.messages)

    def close(self) -> None:
        return None


@functools.cache
def renderer() -> Renderer:
    """The shipped templates (one Renderer for the session: Jinja compiles each template once)."""
    return Renderer(None)


def who(owner: frozenset[str] = frozenset({OWNER}), daemon: str = DAEMON) -> Identity:
    """The owner and daemon addresses as the classifier sees them."""
    return Identity(owner_emails=owner, daemon_address=daemon)


@dataclass
class Keepwarm:
    """keepwarm's poll, command handling, reminders and delivery over one store, in process."""

    store: Store
    servid: str | None = None
    trust_from: bool = False
    owner: str = OWNER
    daemon: str = DAEMON
    secret: bytes = SECRET
    mailbox: FakeMailbox = field(default_factory=FakeMailbox)
    sender: CheckingSender = field(default_factory=CheckingSender)

    def __post_init__(self) -> None:
        self.sender.allowed = frozenset({self.owner})

    @property
    def who(self) -> Identity:
        return replace(
            who(frozenset({self.owner}), self.daemon), servid=self.servid, trust_from=self.trust_from
        )

    @property
    def settings(self) -> Settings:
        """The settings as runtime.wiring would build them for this owner (answers uncapped)."""
        return Settings(
            who=self.who,
            owner_name=OWNER_NAME,
            owner_address=self.owner,
            default_cadence_days=30,
            backfill=timedelta(days=3650),
            cap=50,
            max_replies_per_hour=1000,
            mail=OwnerMail(self.owner, self.daemon, self.secret, plus_addressing=True),
            can_send=True,
        )

    @property
    def service(self) -> Service:
        """The production Service, with this harness's mailbox and sender as its ports."""
        return Service(
            self.settings,
            self.store,
            renderer(),
            mailbox=lambda: self.mailbox,
            sender=lambda: self.sender,
            clock=lambda: NOW,
        )

    @property
    def handler(self) -> CommandHandler:
        return CommandHandler(self.store, renderer(), self.settings)

    def receive(self, raw: bytes, at: datetime = NOW) -> PollReport:
        """The message arrives and keepwarm polls, as the daemon does: touches, commands, settling."""
        self.mailbox.add(raw, at)
        return self.service.poll(at)

    def remind(self, at: datetime) -> list[EmailMessage]:
        """Run the reminder job and queue pending thank-yous, as Service.remind does (no sending)."""
        messages = reminders.run(self.store, renderer(), self.settings, at)
        with self.store.transaction():
            messages += thanks.queue_thanks(self.store, renderer(), self.settings, at)
        return messages

    def deliver(self, at: datetime) -> outbox.DeliveryReport:
        """Send what is queued through the checking sender."""
        return outbox.deliver(self.store, self.sender, at)

    def outbox(self, kind: str | None = None) -> list[OutboxItem]:
        return [i for i in self.store.outbox.items() if kind is None or i.kind == kind]

    def kept(self) -> list[OutboxItem]:
        """The outbox rows that still hold their message: a sent one drops it after RETENTION (its
        copy on the wire is checked through ``sender.sent``)."""
        return [i for i in self.outbox() if i.raw]

    def reminder_token(self) -> str:
        """The token of the (first) reminder queued."""
        return self.outbox("reminder")[0].token

    def state(self) -> tuple[object, ...]:
        """What a command could change: contacts, manual touches, openers, news, thanks."""
        manual = [t for t in self.store.touches() if t.direction is Direction.MANUAL]
        extras = self.store.extras
        return (
            self.store.contacts(),
            manual,
            extras.openers(pending=False),
            extras.news(NOW),
            extras.pending_thanks(),
        )


def seed(
    state_dir: Path,
    *,
    servid: str | None = None,
    trust_from: bool = False,
    owner: str = OWNER,
    daemon: str = DAEMON,
) -> Keepwarm:
    """A keepwarm tracking Alice (last written 40 days ago, every 30 days), reminded an hour ago."""
    store = Store(state_dir)
    store.add_contact(Contact("Alice Example", (ALICE,), NOW - timedelta(days=400), cadence_days=30))
    store.add_touches([Touch(ALICE, NOW - timedelta(days=40), Direction.OUT, subject="Lisbon?")])
    keepwarm = Keepwarm(store, servid=servid, trust_from=trust_from, owner=owner, daemon=daemon)
    assert len(keepwarm.remind(REMINDED)) == 1
    # Delivered before anyone answers it, as in life (an unsent reminder is cancelled by a touch).
    assert keepwarm.deliver(REMINDED).sent == [keepwarm.outbox("reminder")[0].id]
    return keepwarm


@contextmanager
def clone(template: Keepwarm) -> Iterator[Keepwarm]:
    """A fresh keepwarm whose store starts as a copy of ``template``'s (cheap, for each example)."""
    with tempfile.TemporaryDirectory(prefix="kw-hostile-") as directory:
        shutil.copyfile(template.store.path, Path(directory) / FILE_NAME)
        yield Keepwarm(
            Store(Path(directory)),
            servid=template.servid,
            trust_from=template.trust_from,
            owner=template.owner,
            daemon=template.daemon,
        )


# -- counting ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What a batch of attacks achieved; every list must stay empty."""

    name: str
    attempts: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)
    foreign_commands: list[str] = field(default_factory=list)
    foreign_mail: list[str] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.name}: {self.attempts} attempts, {len(self.crashes)} crashes, "
            f"{len(self.foreign_commands)} commands run for someone not the owner, "
            f"{len(self.foreign_mail)} messages queued or sent to someone not the owner, "
            f"{len(self.injected)} outgoing messages with injected headers; outcomes {dict(self.outcomes)}"
        )

    def check_outgoing(
        self, label: str, raw: bytes | str, owner: frozenset[str] = frozenset({OWNER})
    ) -> None:
        """Record the problems of one outgoing message (recipients and headers)."""
        for problem in outgoing_problems(raw, owner):
            bucket = self.foreign_mail if problem.startswith("recipients") else self.injected
            bucket.append(f"{label}: {problem}")

    def assert_clean(self) -> None:
        print(self.summary())
        details = "\n  ".join([*self.crashes, *self.foreign_commands, *self.foreign_mail, *self.injected])
        assert not (self.crashes or self.foreign_commands or self.foreign_mail or self.injected), (
            f"{self.summary()}\n  {details}"
        )


# -- attacks -----------------------------------------------------------------------------------------


def reply(
    keepwarm: Keepwarm,
    body: str,
    *,
    sender: str = f"{OWNER_NAME} <{OWNER}>",
    token: str | None = None,
    top: Sequence[tuple[str, str]] = (),
    subject: str = "Re: Check in with Alice Example",
    msgid: str = "reply-1@mail.example.com",
) -> bytes:
    """A reply to keepwarm's reminder, shaped as Gmail writes one (``top``: headers a receiving
    server would have prepended, such as Authentication-Results)."""
    token = token or keepwarm.reminder_token()
    reference = f"<kw-{token}@{keepwarm.daemon.rpartition('@')[2]}>"
    return message(
        *top,
        ("From", sender),
        ("To", f"keepwarm <{reply_address(token, keepwarm.daemon)}>"),
        ("Subject", subject),
        ("Date", "Fri, 20 Nov 2026 09:29:00 +0000"),
        ("Message-ID", f"<{msgid}>"),
        ("In-Reply-To", reference),
        ("References", reference),
        body=f"{body}\n\nOn Fri, Nov 20, 2026 at 8:30 AM keepwarm <{keepwarm.daemon}> wrote:\n> Check in\n",
        content_type='text/plain; charset="UTF-8"',
    )


def to_daemon(
    keepwarm: Keepwarm,
    body: str,
    *,
    sender: str = f"{OWNER_NAME} <{OWNER}>",
    subject: str = "keepwarm",
    top: Sequence[tuple[str, str]] = (),
    msgid: str = "cmd-1@mail.example.com",
) -> bytes:
    """A message written to the daemon address (add, log, list…)."""
    return message(
        *top,
        ("From", sender),
        ("To", keepwarm.daemon),
        ("Subject", subject),
        ("Date", "Fri, 20 Nov 2026 09:29:00 +0000"),
        ("Message-ID", f"<{msgid}>"),
        body=body + "\n",
        content_type='text/plain; charset="UTF-8"',
    )


def attack(tally: Tally, keepwarm: Keepwarm, label: str, raw: bytes, at: datetime = NOW) -> None:
    """Deliver one hostile message, poll, send what was queued; tally what the attacker achieved."""
    tally.attempts += 1
    before = keepwarm.state()
    try:
        report = keepwarm.receive(raw, at)
        keepwarm.deliver(at)
    except Exception as exc:  # counted, not raised: one attack must not hide the others
        tally.crashes.append(f"{label}: {type(exc).__name__}: {exc}")
        return
    tally.outcomes.update(report.commands or {"not-a-command": 1})
    ran = {outcome: n for outcome, n in report.commands.items() if outcome in ACCEPTED}
    if ran or keepwarm.state() != before:
        tally.foreign_commands.append(f"{label}: {dict(report.commands)}")
    for item in keepwarm.kept():
        tally.check_outgoing(f"{label} (outbox {item.kind})", item.raw, frozenset({keepwarm.owner}))
    for sent in keepwarm.sender.sent:
        if set(sent.recipients) != {keepwarm.owner}:
            tally.foreign_mail.append(f"{label}: sent to {sent.recipients}")
        tally.check_outgoing(f"{label} (wire)", sent.wire, frozenset({keepwarm.owner}))
