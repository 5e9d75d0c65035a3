"""What the use cases need from the configuration: one projection, built once by ``runtime.wiring``.

The use cases never see the configuration itself (its keys, files and secrets' sources); they get
these values. Mail to the owner needs the mail settings complete: until they are, ``mail`` is
None and ``owner_mail()`` raises the configuration's own one-line problems.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time, timedelta

from keepwarm.app.outbox import OwnerMail
from keepwarm.domain.classify import Identity
from keepwarm.errors import ConfigError


@dataclass(frozen=True)
class Mailbox:
    """One of the owner's mailboxes as a poll reads it: its name, folders and authserv-id."""

    name: str
    folders: tuple[str, ...] = ("auto",)
    servid: str | None = None
    first: bool = True

    @property
    def prefix(self) -> str:
        """What its folders' keys in the store start with: nothing for the first mailbox (as
        before there were several), ``work:`` for a further one."""
        return "" if self.first else f"{self.name}:"


@dataclass(frozen=True)
class Settings:
    """The owner, the mailbox, the reminders and the command answers, as the use cases see them."""

    who: Identity
    owner_name: str | None
    owner_address: str
    default_cadence_days: int
    folders: tuple[str, ...] = ("auto",)
    backfill: timedelta = timedelta(days=730)
    digest: bool = False
    cap: int = 3
    confirmations: str = "all"
    bcc_confirmations: str = "each"  # each, daily (one summary with the reminders) or off
    max_replies_per_hour: int = 20
    overview: str = "off"
    overview_day: int = 6
    reminder_time: time = time(8, 30)
    reminder_days: frozenset[int] = frozenset(range(7))
    mail: OwnerMail | None = None
    mail_problems: tuple[str, ...] = ()
    can_send: bool = False
    # The mailboxes after the first (whose folders are ``folders`` and authserv-id ``who.servid``).
    more_mailboxes: tuple[Mailbox, ...] = ()
    mailbox_name: str = "main"  # the first one's
    birthday_notice: int = 0  # days ahead of a yearly date for its early reminder (0: none)
    owed_after: int = 0  # days after which an unanswered mail from a contact is reminded (0: off)
    unanswered_counts: bool = False  # whether mail from them resets their cadence before an answer
    save_drafts: bool = False  # each reminder's draft also goes to the owner's Drafts folder
    quiet_after: int = 0  # unanswered messages from the owner after which a contact has gone quiet
    draft_language: str = "en"  # of drafts to anyone whose own or group's language does not say

    def owner_mail(self) -> OwnerMail:
        """The one way to mail the owner; a ConfigError naming the missing keys until it is set up."""
        if self.mail is None:
            raise ConfigError(list(self.mail_problems) or ["the mail settings are incomplete"])
        return self.mail


def checked_identity(who: Identity, learned_servid: str | None) -> Identity:
    """``who``, with the authserv-id learned from the owner's first authenticated reply when
    AUTH_SERVID is not set: from then on her provider's stamp is checked as if it were."""
    if who.servid is not None or learned_servid is None:
        return who
    return replace(who, servid=learned_servid)
