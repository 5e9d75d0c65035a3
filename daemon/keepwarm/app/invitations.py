"""Meeting invitations in the owner's mail: a meeting touch at the meeting's time for the people
in it, instead of an email touch at the time the invitation was sent.

Only messages that made touches and whose top-level type can hold a calendar are looked into
(``mail.structure``), and of those only the text/calendar parts are fetched. Their events go to
the ``invitations`` calendar in the same transaction as the batch that read them, so a crash
never leaves an invitation read but its meeting unrecorded. Meetings to come are kept there and
become touches at the first poll after they have happened (``settle``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from keepwarm.app.calendars import CalendarRules, sync_calendar
from keepwarm.calendar.objects import CalendarObject
from keepwarm.domain.classify import Identity
from keepwarm.domain.events import INVITATIONS as NAME
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.ingest import BatchPlan
from keepwarm.mail.structure import may_hold_invitation
from keepwarm.ports import MailSource, RawMail
from keepwarm.store import Store


def _rules(who: Identity, backfill: timedelta, now: datetime) -> CalendarRules:
    zone = now.tzinfo
    assert zone is not None  # the domain's rule: every time is aware
    return CalendarRules(tuple(sorted(who.owner_emails)), who.max_recipients, backfill, zone)


def take(
    source: MailSource,
    who: Identity,
    readable: Sequence[tuple[RawMail, InboundMail]],
    plan: BatchPlan,
    folder: str,
) -> list[CalendarObject]:
    """The events of the invitations among these messages; their email touches leave ``plan``."""
    touched = {t.message_id for t in plan.touches}
    candidates = {
        raw.uid: mail
        for raw, mail in readable
        if mail.key in touched and may_hold_invitation(mail.content_type)
    }
    if not candidates:
        return []
    from keepwarm.calendar.invites import objects  # icalendar loads when an invitation may be here

    found: list[CalendarObject] = []
    invitations: set[str] = set()
    for uid, parts in source.invitations(sorted(candidates)).items():
        mail = candidates[uid]
        sender = mail.from_[0].address if mail.from_ else ""
        events = objects(parts, from_owner=who.is_owner(sender), where=f"{folder} UID {uid}")
        if events:
            found += events
            invitations.add(mail.key)
    plan.touches[:] = [t for t in plan.touches if t.message_id not in invitations]
    return found


def record(
    store: Store, found: list[CalendarObject], who: Identity, backfill: timedelta, now: datetime
) -> None:
    """Bring the invitations calendar in step with what a batch found (inside its transaction)."""
    if found:
        from keepwarm.calendar.invites import Invitations

        sync_calendar(store, NAME, Invitations(found), _rules(who, backfill, now), now, quiet=True)


def settle(store: Store, who: Identity, backfill: timedelta, now: datetime) -> None:
    """Meetings invited to that have happened since the last poll become touches."""
    if any(e.text is not None for e in store.calendars.calendar(NAME).events.values()):
        from keepwarm.calendar.invites import Invitations

        sync_calendar(store, NAME, Invitations(()), _rules(who, backfill, now), now)
