"""The demo itself: real keepwarm code over real IMAP and SMTP, narrated step by step."""

from __future__ import annotations

import email
import logging
import smtplib
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from keepwarm import config as config_module
from keepwarm.app import contacts
from keepwarm.demo import sample
from keepwarm.demo.servers import HOST, DemoAccount, demo_account, imap_login, imap_server, smtp_server
from keepwarm.domain.durations import format_cadence, parse_cadence
from keepwarm.domain.suggest import suggest
from keepwarm.runtime import wiring
from keepwarm.store import Store

Say = Callable[[str], None]
CADENCES = {"alice@friends.example": "6w", "chloe@uni.example": "monthly", "dev@startup.example": "2mo"}


def _env(tmp: Path, account: DemoAccount, imap_port: int, smtp_port: int) -> Path:
    path = tmp / "demo.env"
    daemon = account.address.replace("@", "+keepwarm@")
    path.write_text(
        "\n".join(
            [
                f"KEEPWARM_OWNER_NAME={sample.OWNER_NAME}",
                f"KEEPWARM_OWNER_EMAILS={account.address}",
                f"KEEPWARM_DAEMON_ADDRESS={daemon}",
                f"KEEPWARM_IMAP_HOST={HOST}",
                f"KEEPWARM_IMAP_PORT={imap_port}",
                "KEEPWARM_IMAP_SECURITY=none",
                f"KEEPWARM_IMAP_USER={account.address}",
                f"KEEPWARM_IMAP_PASSWORD={account.password}",
                f"KEEPWARM_SMTP_HOST={HOST}",
                f"KEEPWARM_SMTP_PORT={smtp_port}",
                "KEEPWARM_SMTP_SECURITY=none",
                f"KEEPWARM_SMTP_USER={account.address}",
                f"KEEPWARM_SMTP_PASSWORD={account.password}",
                f"KEEPWARM_STATE_DIR={tmp / 'state'}",
                "KEEPWARM_TIMEZONE=UTC",
                "KEEPWARM_SECRET=demo-secret-demo-secret-demo",
                "",
            ]
        )
    )
    return path


def _fill(imap_port: int, account: DemoAccount, now: datetime) -> int:
    client = imap_login(imap_port, account)
    try:
        if not client.folder_exists("Sent"):
            client.create_folder("Sent")
        messages = sample.mailbox(account.address, now)
        for item in messages:
            client.append(item.folder, item.raw)
    finally:
        client.logout()
    return len(messages)


def _latest(imap_port: int, account: DemoAccount, kind: str) -> EmailMessage:
    client = imap_login(imap_port, account)
    try:
        client.select_folder("INBOX", readonly=True)
        for uid in reversed(client.search("ALL")):
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            msg = email.message_from_bytes(raw, policy=policy.default)
            if isinstance(msg, EmailMessage) and str(msg.get("X-Keepwarm", "")).startswith(kind):
                return msg
    finally:
        client.logout()
    raise RuntimeError(f"no {kind} arrived in the demo INBOX")


def _reply(reminder: EmailMessage, account: DemoAccount, smtp_port: int, text: str) -> None:
    """The owner answers the reminder from their mail client, the way Gmail would write it."""
    reply = EmailMessage()
    reply["From"] = f"{sample.OWNER_NAME} <{account.address}>"
    reply["To"] = str(reminder["Reply-To"])
    reply["Subject"] = f"Re: {reminder['Subject']}"
    reply["Date"] = format_datetime(datetime.now().astimezone())
    reply["Message-ID"] = make_msgid(domain="demo.example")
    reply["In-Reply-To"] = str(reminder["Message-ID"])
    reply["References"] = str(reminder["Message-ID"])
    reply.set_content(f"{text}\n\nOn {reminder['Date']}, keepwarm wrote:\n> {reminder['Subject']}\n")
    with smtplib.SMTP(HOST, smtp_port, local_hostname="demo.localhost", timeout=10) as smtp:
        smtp.login(account.address, account.password)
        smtp.send_message(reply)


class _Demo:
    """One demo run: the servers' ports, the owner, and keepwarm's real service over them."""

    def __init__(self, say: Say, account: DemoAccount, tmp: Path, ports: tuple[int, int]) -> None:
        self.say = say
        self.account = account
        self.imap_port, self.smtp_port = ports
        self.config = config_module.load(env_file=_env(tmp, account, *ports), environ={})
        self.store = Store(self.config.state_dir)
        self.service = wiring.build_service(self.config, self.store)

    def now(self) -> datetime:
        return datetime.now(self.config.timezone)

    def backfill(self) -> None:
        report = self.service.poll(self.now())
        self.say(f"\n2. First poll (backfill): read {report.messages} message headers, never a body.")
        for address, n in report.touches.most_common():
            self.say(f"   {n} touch{'es' if n != 1 else ''} with {address}")
        for reason, n in sorted(report.skipped.items()):
            self.say(f"   {n} skipped as {reason}")

    def suggest_and_track(self) -> None:
        tracked = {a for c in self.store.contacts() for a in c.emails}
        found = suggest(self.store.touches(), tracked, self.now())
        self.say("\n3. People you write with both ways, not tracked yet (keepwarm suggest):")
        for suggestion in found:
            who = suggestion.name or suggestion.address
            self.say(f"   {who:<14} {suggestion.sent} sent, {suggestion.received} received")
        self.say("   Tracking three of them, each with a cadence:")
        for suggestion in found:
            every = CADENCES.get(suggestion.address)
            if every is not None:
                mailbox = f"{suggestion.name} <{suggestion.address}>"
                contact = contacts.add_contact(self.store, mailbox, self.now(), every=every)
                self.say(f"   + {contact.label}, {format_cadence(parse_cadence(every))}")

    def due(self) -> None:
        self.say("\n4. Who is due (keepwarm due):")
        for standing in contacts.due_list(
            self.store,
            self.config.default_cadence_days,
            self.now(),
            unanswered_counts=self.config.unanswered_counts,
        ):
            days = standing.days_since_last_touch
            self.say(f"   {standing.contact.name:<14} last touch {days} days ago, {standing.status.value}")

    def remind(self) -> EmailMessage:
        sent, _ = self.service.remind(self.now())
        reminder = _latest(self.imap_port, self.account, "reminder")
        self.say(f"\n5. The reminder job sent {sent} reminder(s) to your INBOX over SMTP. The latest:")
        self.say(f"   Subject: {reminder['Subject']}")
        self.say(f"   Reply-To: {reminder['Reply-To']}")
        body = reminder.get_body(("plain",))
        if body is not None:
            self.say("   " + "\n   ".join(str(body.get_content()).splitlines()[:14]))
        return reminder

    def reply(self, reminder: EmailMessage) -> None:
        _reply(reminder, self.account, self.smtp_port, "snooze 2w")
        self.say("\n6. You reply 'snooze 2w' from your mail client; it goes through SMTP to keepwarm.")
        report = self.service.poll(self.now())
        self.service.deliver(self.now())
        confirmation = _latest(self.imap_port, self.account, "confirmation")
        text = confirmation.get_body(("plain",))
        applied = report.commands.get("applied", 0)
        outcome = "applied it" if applied == 1 else f"applied {applied} commands"
        self.say(f"   The next poll {outcome} and answered in the same thread:")
        self.say(f"   Subject: {confirmation['Subject']}")
        if text is not None:
            self.say("   " + "\n   ".join(str(text.get_content()).strip().splitlines()))


def _quiet() -> None:
    """The narration is the output; the servers' and keepwarm's routine logs would drown it."""
    logging.getLogger("keepwarm").setLevel(logging.ERROR)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


def run(say: Say, *, keep: bool = False) -> int:
    """Run the whole loop and narrate it; with ``keep``, leave the servers up until Ctrl-C."""
    _quiet()
    started = time.monotonic()
    account = demo_account()
    with (
        tempfile.TemporaryDirectory(prefix="keepwarm-demo-") as tmp_name,
        imap_server(account) as imap_port,
        smtp_server(imap_port, account) as smtp_port,
    ):
        say(f"1. Private mail servers on {HOST}: IMAP (pymap) port {imap_port}, SMTP (aiosmtpd) {smtp_port}.")
        count = _fill(imap_port, account, datetime.now().astimezone())
        say(f"   Filled {account.address}'s mailbox with {count} messages (INBOX and Sent).")
        demo = _Demo(say, account, Path(tmp_name), (imap_port, smtp_port))
        demo.backfill()
        demo.suggest_and_track()
        demo.due()
        demo.reply(demo.remind())
        took = time.monotonic() - started
        say(f"\nDone in {took:.1f} s. Everything ran on 127.0.0.1; nothing left the machine.")
        if keep:
            _wait(say, account, imap_port, smtp_port)
    return 0


def _wait(say: Say, account: DemoAccount, imap_port: int, smtp_port: int) -> None:
    say(
        f"\nServers stay up until Ctrl-C. Point a mail client at IMAP {HOST}:{imap_port} and SMTP "
        f"{HOST}:{smtp_port} (no TLS), user {account.address}, password {account.password}."
    )
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopped")
