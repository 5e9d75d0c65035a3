"""Parts of the soak test: an SMTP relay that goes down and comes back, the mail put into the owner's
mailbox (with the touches it must make, retried while Dovecot is away), and keepwarm's own messages
as they arrive in the owner's INBOX."""

from __future__ import annotations

import contextlib
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from imapclient.exceptions import IMAPClientError

from keepwarm.domain.ingest import TouchKey
from tests.testbed.fixtures import Account, Testbed, free_ports
from tests.testbed.smtp import ReceivedMessage, SmtpServer, Stage, lmtp_deliver

# What a server that went away looks like to a client (smtplib's errors are OSErrors).
GONE = (OSError, EOFError, IMAPClientError)
START_TRIES = 20


@dataclass(frozen=True)
class Person:
    """A correspondent."""

    name: str
    address: str


def build(headers: dict[str, str], body: str) -> bytes:
    """A plain-text message, headers encoded as a mail client would."""
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name] = value
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg.set_content(body)
    return msg.as_bytes(policy=policy.SMTP)


def rss_kib(pid: int) -> int | None:
    """The process's resident set (VmRSS, KiB), or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


class Relay:
    """A submission server of the soak's own (STARTTLS, AUTH as the test accounts) that delivers into
    the test bed's Dovecot over LMTP, and can be taken down and brought back on the same port. (The
    test bed's shared server cannot be restarted.) While Dovecot is away it answers DATA with 451."""

    def __init__(self, testbed: Testbed) -> None:
        self._testbed = testbed
        self.starttls_port, self.tls_port = free_ports(2)
        self._server: SmtpServer | None = None
        self._earlier: list[ReceivedMessage] = []

    @property
    def running(self) -> bool:
        return self._server is not None

    def up(self) -> None:
        if self._server is not None:
            return
        bed = self._testbed
        lmtp = bed.lmtp_port
        for attempt in range(START_TRIES):
            server = SmtpServer(
                starttls_port=self.starttls_port,
                tls_port=self.tls_port,
                tls_context=bed.tls.server_context(),
                check_login=bed.dovecot.check_password,
                has_mailbox=bed.dovecot.has_user,
                deliver=lambda mail_from, rcpt, raw: lmtp_deliver(lmtp, mail_from, rcpt, raw),
            )
            try:
                server.start()
            except (OSError, RuntimeError):  # the port not yet released by the last instance
                server.stop()
                if attempt == START_TRIES - 1:
                    raise
                time.sleep(0.25)
                continue
            self._server = server
            return

    def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            self._earlier += server.received

    def fail_next(self, code: int, message: str, count: int, stage: Stage) -> None:
        if self._server is not None:
            self._server.fail_next(code, message, count=count, stage=stage)

    def clear_faults(self) -> None:
        if self._server is not None:
            self._server.clear_faults()

    @property
    def received(self) -> list[ReceivedMessage]:
        """Every envelope any instance accepted, oldest first."""
        return self._earlier + (self._server.received if self._server is not None else [])


@dataclass(frozen=True)
class Operation:
    """One thing to put into the owner's mailbox: an LMTP delivery, an APPEND, or a MOVE to Archive."""

    kind: str  # "lmtp", "append" or "move"
    raw: bytes = b""
    rcpt: str = ""
    mail_from: str = ""
    message_id: str = ""  # the message a MOVE moves; the one an LMTP delivery brings


class Mail:
    """Everything the soak puts into the owner's mailbox, in order, retried until the server takes
    it, and the touches that must come of it. A copy the server took although the client saw an
    error is taken again: the same Message-ID, so the same touches."""

    def __init__(self, testbed: Testbed, account: Account, owner: Person) -> None:
        self._testbed = testbed
        self._account = account
        self.owner = owner
        self.queue: deque[Operation] = deque()
        self.expected: Counter[TouchKey] = Counter()
        self.counts: Counter[str] = Counter()
        self.heard_from: set[str] = set()  # addresses whose mail to the owner is in the mailbox
        self.in_inbox: list[str] = []  # Message-IDs delivered to INBOX and not moved
        self._serial = 0
        self._sender_of: dict[str, str] = {}

    def new_id(self, tag: str) -> str:
        self._serial += 1
        return f"soak-{self._serial}-{tag}@example.net"

    def incoming(self, sender: Person, subject: str, cc: Person | None = None) -> str:
        """Mail from ``sender`` to the owner (a Cc makes no touch: only the sender's counts)."""
        mid = self.new_id("in")
        headers = {"From": formataddr((sender.name, sender.address)), "To": formataddr(self._owner())}
        if cc is not None:
            headers["Cc"] = formataddr((cc.name, cc.address))
        raw = build({**headers, "Subject": subject, "Message-ID": f"<{mid}>"}, "Hello Naomi!")
        self.queue.append(Operation("lmtp", raw, self.owner.address, sender.address, mid))
        self.expected[(mid, sender.address, "in")] += 1
        self._sender_of[mid] = sender.address
        return mid

    def outgoing(self, to: Person, subject: str, cc: Person | None = None) -> str:
        """The owner's mail to ``to`` (and ``cc``), as her client files it in Sent."""
        mid = self.new_id("out")
        headers = {"From": formataddr(self._owner()), "To": formataddr((to.name, to.address))}
        if cc is not None:
            headers["Cc"] = formataddr((cc.name, cc.address))
            self.expected[(mid, cc.address, "out")] += 1
        raw = build({**headers, "Subject": subject, "Message-ID": f"<{mid}>"}, "Hi!")
        self.queue.append(Operation("append", raw, message_id=mid))
        self.expected[(mid, to.address, "out")] += 1
        return mid

    def bulk(self) -> str:
        """A newsletter: mail to the owner that is no touch."""
        mid = self.new_id("list")
        headers = {
            "From": "Weekly News <news@list.example.org>",
            "To": formataddr(self._owner()),
            "Subject": "This week",
            "Message-ID": f"<{mid}>",
            "List-Id": "<weekly.list.example.org>",
        }
        self.queue.append(
            Operation("lmtp", build(headers, "News."), self.owner.address, "news@list.example.org")
        )
        self.counts["bulk"] += 1
        return mid

    def archive(self, message_id: str) -> None:
        """The owner archives a message of her INBOX (a MOVE): still the one touch it was."""
        self.queue.append(Operation("move", message_id=message_id))

    def to_daemon(self, raw: bytes, rcpt: str, *, sent_copy: bool) -> None:
        """A message from the owner to keepwarm (``rcpt``: its address, or a reply's tagged one);
        ``sent_copy``: her client also files it in Sent, where keepwarm sees it too."""
        self.queue.append(Operation("lmtp", raw, rcpt, self.owner.address))
        if sent_copy:
            self.queue.append(Operation("append", raw))

    def flush(self) -> bool:
        """Hand over what is queued, in order; False when the server is away (the rest waits)."""
        if not self.queue:
            return True
        client = None
        try:
            while self.queue:
                op = self.queue[0]
                if op.kind == "lmtp":
                    lmtp_deliver(self._testbed.lmtp_port, op.mail_from, op.rcpt, op.raw)
                    if op.message_id in self._sender_of:
                        self.heard_from.add(self._sender_of[op.message_id])
                        self.in_inbox.append(op.message_id)
                else:
                    if client is None:
                        client = self._testbed.imap_client(self._account)
                    if op.kind == "append":
                        client.append("Sent", op.raw, flags=(b"\\Seen",))
                    else:
                        client.select_folder("INBOX")
                        uids = client.search(["HEADER", "Message-ID", f"<{op.message_id}>"])
                        if uids:
                            client.move(uids, "Archive")
                self.queue.popleft()
                self.counts[op.kind] += 1
        except GONE:
            self.counts["retried"] += 1
            return False
        finally:
            if client is not None:
                with contextlib.suppress(*GONE):
                    client.logout()
        return True

    def _owner(self) -> tuple[str, str]:
        return (self.owner.name, self.owner.address)


@dataclass(frozen=True)
class Arrived:
    """One of keepwarm's messages in the owner's INBOX."""

    kind: str  # the X-Keepwarm kind: reminder, confirmation, notice…
    message_id: str
    in_reply_to: str  # without the brackets
    subject: str
    reply_to: str

    @classmethod
    def of(cls, msg: EmailMessage) -> Arrived:
        reply_to = msg["Reply-To"]
        return cls(
            kind=str(msg["X-Keepwarm"] or "").split(";")[0],
            message_id=str(msg["Message-ID"] or ""),
            in_reply_to=str(msg["In-Reply-To"] or "").strip().strip("<>"),
            subject=str(msg["Subject"] or ""),
            reply_to=str(reply_to.addresses[0].addr_spec) if reply_to is not None else "",
        )


_FIELDS = "BODY.PEEK[HEADER.FIELDS (X-KEEPWARM MESSAGE-ID IN-REPLY-TO SUBJECT REPLY-TO)]"


class OwnerInbox:
    """keepwarm's messages as they arrive in the owner's INBOX, read incrementally."""

    def __init__(self, testbed: Testbed, account: Account) -> None:
        self._testbed = testbed
        self._account = account
        self._last_uid = 0
        self.arrived: list[Arrived] = []

    def scan(self) -> list[Arrived]:
        """keepwarm's messages that arrived since the last scan ([] while the server is away)."""
        found = []
        try:
            with self._testbed.imap_client(self._account) as client:
                client.select_folder("INBOX", readonly=True)
                uids = [int(u) for u in client.search(["UID", f"{self._last_uid + 1}:*"])]
                uids = sorted(u for u in uids if u > self._last_uid)
                if not uids:
                    return []
                fetched = client.fetch(uids, [_FIELDS])
        except GONE:
            return []
        for uid in uids:
            item = fetched.get(uid, {})
            raw = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"")
            msg = message_from_bytes(raw, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            if msg["X-Keepwarm"] is not None:
                found.append(Arrived.of(msg))
        self._last_uid = uids[-1]
        self.arrived += found
        return found

    def kinds(self) -> Counter[str]:
        return Counter(a.kind for a in self.arrived)


def read_folder(testbed: Testbed, account: Account, folder: str) -> list[EmailMessage]:
    """Every message of a folder, parsed (BODY.PEEK: nothing marked read)."""
    found = []
    for raw in testbed.messages(account, folder).values():
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def high_uids(testbed: Testbed, account: Account, folders: tuple[str, ...]) -> dict[str, int] | None:
    """The highest UID in each folder as the server has it now (0 if empty); None if it is away."""
    try:
        with testbed.imap_client(account) as client:
            high = {}
            for folder in folders:
                client.select_folder(folder, readonly=True)
                high[folder] = max((int(u) for u in client.search("ALL")), default=0)
            return high
    except GONE:
        return None
