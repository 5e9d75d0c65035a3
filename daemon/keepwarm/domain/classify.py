"""What counts as a touch: decide, for one parsed email, which touches it is evidence of, or why not.

Rules, in order: a message needs exactly one sender; keepwarm's own mail and mail to the daemon
address are not touches (commands are handled elsewhere); lists, bulk and automatic mail, no-reply
senders and broadcasts are skipped; mail from the owner is an outgoing touch with each To and Cc
recipient (a BCC to the daemon address also asks to track them); mail to the owner is an incoming
touch with its sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from keepwarm.domain.authres import authentication_passes
from keepwarm.domain.bcctag import BccIntent, read_tag
from keepwarm.domain.inbound import InboundMail, Mailbox, automatic_reason
from keepwarm.domain.model import Direction, Touch

# A Date more than this far ahead of now is a broken clock, not a message from the future.
_FUTURE_SLACK = timedelta(days=1)
_NOREPLY = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?|notifications?"
    r"|noreply-[\w.-]+|[\w.-]*-noreply)(?:[+-][^@]*)?@",
)


class SkipReason(StrEnum):
    """Why a message is not a touch; counted per reason in every poll report."""

    NO_FROM = "no-from"
    BAD_FROM = "bad-from"
    KEEPWARM = "keepwarm-own"
    COMMAND = "to-daemon"
    LIST = "mailing-list"
    BULK = "bulk"
    AUTOMATIC = "auto-generated"
    NOREPLY = "no-reply-sender"
    BROADCAST = "too-many-recipients"
    FORGED = "forged-owner"
    TO_SELF = "only-owner-recipients"
    NOT_ADDRESSED = "not-to-owner"


@dataclass(frozen=True)
class Identity:
    """Who is who: the owner's addresses, the daemon address, and the broadcast threshold."""

    owner_emails: frozenset[str]
    daemon_address: str | None
    max_recipients: int = 20
    # AUTH_SERVID: mail "from the owner" that our provider's stamp fails is forged.
    servid: str | None = None
    # TRUST_FROM: with no servid, the owner chose to trust the From header of what reaches the daemon.
    trust_from: bool = False

    @property
    def unverified(self) -> bool:
        """Whether a From header naming the owner is all the evidence there is (nothing checks it)."""
        return self.servid is None and not self.trust_from

    def is_owner(self, address: str) -> bool:
        """One of the owner's addresses, or a plus-variant of one (naomi+news@…)."""
        if address in self.owner_emails:
            return True
        return "+" in address and _without_plus(address) in self.owner_emails

    def daemon_tag(self, address: str) -> str | None:
        """None if not the daemon address; "" for the address itself; the tag for a plus variant.

        With ``naomi+keepwarm@example.com`` the variant is ``naomi+keepwarm+3w@example.com``; with a
        dedicated ``keepwarm@example.com`` it is ``keepwarm+3w@example.com``.
        """
        if self.daemon_address is None:
            return None
        if address == self.daemon_address:
            return ""
        base_local, _, base_domain = self.daemon_address.rpartition("@")
        if not address.startswith(base_local + "+"):
            return None  # the usual answer, without taking the address apart
        local, _, domain = address.rpartition("@")
        if domain == base_domain and local.startswith(base_local + "+"):
            return local[len(base_local) + 1 :]
        return None

    def is_daemon(self, address: str) -> bool:
        """The daemon address or one of its plus variants."""
        return self.daemon_tag(address) is not None


def _without_plus(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def is_noreply(address: str) -> bool:
    """An address nobody reads: noreply@, no-reply@, mailer-daemon@, bounces@ and the like."""
    return bool(_NOREPLY.match(address))


@dataclass(frozen=True)
class Verdict:
    """The touches one message is evidence of, or the reason it is none."""

    touches: tuple[Touch, ...] = ()
    skip: SkipReason | None = None
    bcc: BccIntent | None = None
    names: dict[str, str] = field(default_factory=dict)


def touch_time(mail: InboundMail, now: datetime) -> datetime:
    """The Date header, unless missing or later than the arrival (or now) by more than a day;
    then the server's arrival time, and failing that ``now``."""
    # A Date later than the message's own arrival (or than now) comes from a broken clock.
    arrived = mail.internal_date
    latest = min(now, arrived) if arrived is not None else now
    written = mail.date
    if written is not None and written <= latest + _FUTURE_SLACK:
        return written
    return arrived or now


def forged_owner(mail: InboundMail, who: Identity) -> bool:
    """Mail from one of the owner's addresses that our provider's stamp says failed DMARC and any
    aligned DKIM. (Without a stamp of ours it is the owner's own copy, in Sent or All Mail.)"""
    if who.servid is None or not mail.from_ or not who.is_owner(mail.from_[0].address):
        return False
    domain = mail.from_[0].address.rpartition("@")[2]
    return authentication_passes(mail.auth_results, who.servid, domain) is False


def _skip_reason(mail: InboundMail, who: Identity) -> SkipReason | None:
    if not mail.from_:
        return SkipReason.NO_FROM
    if len(mail.from_) > 1:
        return SkipReason.BAD_FROM
    sender = mail.from_[0].address
    if mail.keepwarm_mark or who.is_daemon(sender):
        return SkipReason.KEEPWARM
    for m in (*mail.to, *mail.cc):
        if who.is_daemon(m.address):
            return SkipReason.COMMAND  # authenticated, forged or not, by the command handler
    if forged_owner(mail, who):
        return SkipReason.FORGED
    automatic = automatic_reason(mail)
    if automatic is not None:
        return SkipReason(automatic)
    if is_noreply(sender):
        return SkipReason.NOREPLY
    # The daemon's own BCC copy does not make a message a broadcast (To and Cc hold none of it).
    recipients = len(mail.to) + len(mail.cc) + sum(1 for m in mail.bcc if not who.is_daemon(m.address))
    if recipients > who.max_recipients:
        return SkipReason.BROADCAST
    return None


def _bcc_tag(mail: InboundMail, who: Identity) -> str | None:
    """The daemon tag if the daemon address was a blind recipient (Bcc header or envelope)."""
    for address in (*(m.address for m in mail.bcc), *mail.delivered_to):
        tag = who.daemon_tag(address)
        if tag is not None:
            return tag
    return None


def classify(mail: InboundMail, who: Identity, now: datetime, source: str) -> Verdict:
    """Decide what one message means. Pure: the same input always gives the same verdict."""
    reason = _skip_reason(mail, who)
    if reason is not None:
        return Verdict(skip=reason)
    sender = mail.from_[0]
    if who.is_owner(sender.address):
        # Keyed by address: "Alice <a@x>" in To and "a@x" in Cc are one person, one touch.
        by_address: dict[str, Mailbox] = {}
        for m in (*mail.to, *mail.cc):
            if who.is_owner(m.address) or who.is_daemon(m.address) or is_noreply(m.address):
                continue
            if m.address not in by_address or (m.name and not by_address[m.address].name):
                by_address[m.address] = m
        peers = tuple(by_address.values())
        if not peers:
            return Verdict(skip=SkipReason.TO_SELF)
        tag = _bcc_tag(mail, who)
        at = touch_time(mail, now)  # read only now: most mail skipped never needs its Date
        addressed = {m.address for m in mail.to}
        touches = tuple(
            _touch(m, at, Direction.OUT, mail, source, copied=m.address not in addressed) for m in peers
        )
        bcc = read_tag(peers, tag, at.date(), now.date()) if tag is not None else None
        return Verdict(touches=touches, bcc=bcc, names=_names(peers))
    if not _addressed_to_owner(mail, who):
        return Verdict(skip=SkipReason.NOT_ADDRESSED)
    at = touch_time(mail, now)
    copied = not any(who.is_owner(m.address) for m in mail.to)
    return Verdict(
        touches=(_touch(sender, at, Direction.IN, mail, source, copied=copied),), names=_names((sender,))
    )


def _addressed_to_owner(mail: InboundMail, who: Identity) -> bool:
    """Whether any recipient (To, Cc, Bcc or the envelope's) is the owner."""
    for group in (mail.to, mail.cc, mail.bcc):
        for m in group:
            if who.is_owner(m.address):
                return True
    return any(who.is_owner(a) for a in mail.delivered_to)


def _touch(
    peer: Mailbox, at: datetime, direction: Direction, mail: InboundMail, source: str, *, copied: bool
) -> Touch:
    return Touch(
        address=peer.address,
        at=at,
        direction=direction,
        subject=mail.subject,  # read once, then kept (see InboundMail.details)
        message_id=mail.key,
        source=source,
        name=peer.name,
        copied=copied,
    )


def _names(mailboxes: tuple[Mailbox, ...]) -> dict[str, str]:
    return {m.address: m.name for m in mailboxes if m.name}
