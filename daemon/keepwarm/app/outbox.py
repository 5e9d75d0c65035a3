"""keepwarm's mail to the owner: queued in the outbox one way (``OwnerMail.queue``), then delivered.

Every message keepwarm writes (reminders, digests, answers, notices, the overview) is queued by
``OwnerMail.queue``: one transaction reserves the outbox row, signs the token that names it, builds
the message around that token and keeps it. Delivery sends what is due and records each result as
soon as it is known: a message is marked sent right after the server accepts it, in its own small
transaction, so a crash can repeat at most the one message in flight. Connection errors and 4xx
replies are retried on later cycles with a doubling pause; a 5xx is final and shown by
``keepwarm status``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_string, policy
from email.message import EmailMessage

from keepwarm.domain.outbox import OutboxItem, OutboxKind, OutboxState, retry_after
from keepwarm.domain.quotes import distinctive_lines
from keepwarm.domain.tokens import make_token
from keepwarm.errors import KeepwarmError
from keepwarm.mail import compose
from keepwarm.ports import MailSender, MailSource, SendResult
from keepwarm.store import Store

log = logging.getLogger("keepwarm.outbox")

# Does the owner's mailbox hold a message with this Message-ID?
Delivered = Callable[[str], bool]


@contextlib.contextmanager
def mailbox_lookup(connect: Callable[[], MailSource], folders: Sequence[str]) -> Iterator[Delivered]:
    """A Delivered over the owner's watched folders, logging in only if something is looked up."""
    opened: list[tuple[MailSource, list[str]]] = []

    def delivered(message_id: str) -> bool:
        if not opened:
            source = connect()
            opened.append((source, source.watched_folders(folders)))
        source, names = opened[0]
        return any(source.has_message(name, message_id) for name in names)

    try:
        yield delivered
    finally:
        for source, _ in opened:
            source.close()


@dataclass(frozen=True)
class Letter:
    """What one message to the owner says, and the message it answers (if any)."""

    subject: str
    text: str
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # What a reply to it acts on: entry number -> contact id; and the change it reports (undo).
    about: tuple[tuple[int, int], ...] = ()
    change: int | None = None
    # The check-in drafts in it, each attached as a message of its own, ready to forward.
    drafts: tuple[compose.DraftText, ...] = ()


@dataclass(frozen=True)
class OwnerMail:
    """The one way to mail the owner, built once from the settings."""

    owner_address: str
    daemon_address: str
    secret: bytes
    plus_addressing: bool

    def reply_to(self, token: str) -> str:
        """Where a reply to the message with this token goes (its Reply-To)."""
        return compose.reply_address(self.daemon_address, token, self.plus_addressing)

    def build(
        self, kind: OutboxKind, letter: Letter, token: str, now: datetime, *, to: str | None = None
    ) -> EmailMessage:
        """The message itself (``queue`` keeps it; a dry run only shows it)."""
        return compose.build(
            kind=kind,
            daemon_address=self.daemon_address,
            owner_address=to or self.owner_address,
            subject=letter.subject,
            text=letter.text,
            html=letter.html,
            token=token,
            now=now,
            plus_addressing=self.plus_addressing,
            in_reply_to=letter.in_reply_to,
            references=letter.references,
            drafts=letter.drafts,
        )

    def queue(
        self,
        store: Store,
        kind: OutboxKind,
        now: datetime,
        letter: Letter | Callable[[str], Letter],
        *,
        to: str | None = None,
        held: bool = False,
    ) -> tuple[int, EmailMessage]:
        """Queue a message of ``kind``: ``letter``, or a function that writes it around its token
        (reminders print the token). ``to`` is one of the owner's addresses (default the first).
        A ``held`` message waits for ``release_held`` instead of being sent."""
        state = OutboxState.HELD if held else OutboxState.PENDING
        with store.transaction():
            item = store.outbox.add(OutboxItem(0, kind, state, now, raw=""))
            token = make_token(self.secret, item.id, now)
            content = letter(token) if callable(letter) else letter
            msg = self.build(kind, content, token, now, to=to)
            store.outbox.update(
                item.with_changes(
                    raw=msg.as_string(),
                    subject=str(msg["Subject"]),
                    token=token,
                    about=content.about,
                    change=content.change,
                    quote=tuple(distinctive_lines(content.text)),
                )
            )
        return item.id, msg


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def deliver(
    store: Store, sender: MailSender, now: datetime, delivered: Delivered | None = None
) -> DeliveryReport:
    """Send every pending message whose time has come (and forget old sent messages' text).

    A message whose earlier send began but never heard the server's answer (a crash, a dropped
    connection) may have been accepted: ``delivered`` looks for it in the owner's mailbox first,
    and a message found there is recorded as sent, not sent again."""
    report = DeliveryReport()
    store.outbox.prune(now)
    due = store.outbox.sendable(now)
    if not due:
        return report
    due = _not_yet_delivered(store, due, delivered, now, report)
    batch: list[tuple[int, EmailMessage]] = []
    for item in due:
        parsed = message_from_string(item.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        batch.append((item.id, parsed))
    if not batch:
        return report
    # One save before the batch: from here until each answer is recorded, a crash leaves these
    # rows "attempted", and the next delivery looks before it sends.
    with store.transaction():
        for item in due:
            store.outbox.update(item.with_changes(attempted_at=now))

    def record(result: SendResult) -> None:
        item = store.outbox.get(result.item_id)
        if item is None:
            return
        if result.sent:
            store.outbox.update(item.with_changes(state=OutboxState.SENT, sent_at=now, last_error=None))
            report.sent.append(item.id)
            return
        attempts = item.attempts + 1
        if result.permanent:
            store.outbox.update(
                item.with_changes(state=OutboxState.FAILED, attempts=attempts, last_error=result.error)
            )
            store.runs.error(now, f"message {item.id} ({item.subject}) refused: {result.error}")
            report.failed.append(item.id)
            log.error("message %s refused for good: %s", item.id, result.error)
            return
        store.outbox.update(
            item.with_changes(
                attempts=attempts, next_attempt_at=now + retry_after(attempts), last_error=result.error
            )
        )
        report.retrying.append(item.id)
        log.warning("message %s not sent, will retry: %s", item.id, result.error)

    sender.send(batch, record)
    return report


def _not_yet_delivered(
    store: Store, due: list[OutboxItem], delivered: Delivered | None, now: datetime, report: DeliveryReport
) -> list[OutboxItem]:
    """``due`` without the attempted messages the mailbox already holds (recorded as sent now).

    When the mailbox cannot be asked, an attempted message waits for the next delivery rather
    than risk a second copy; the others go ahead."""
    attempted = [i for i in due if i.attempted_at is not None]
    if not attempted or delivered is None:
        return due
    found: set[int] = set()
    try:
        for item in attempted:
            message_id = message_from_string(item.raw, policy=policy.default)["Message-ID"]
            if message_id and delivered(str(message_id)):
                found.add(item.id)
    except KeepwarmError as exc:
        log.warning("cannot look in the mailbox for messages that may have been sent (%s): they wait", exc)
        waiting = {i.id for i in attempted}
        return [i for i in due if i.id not in waiting]
    with store.transaction():
        for item in attempted:
            if item.id in found:
                store.outbox.update(item.with_changes(state=OutboxState.SENT, sent_at=now, last_error=None))
                report.sent.append(item.id)
                log.info("message %s was delivered before an interruption: not sent again", item.id)
    return [i for i in due if i.id not in found]
