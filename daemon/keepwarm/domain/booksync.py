"""Keeping contacts in step with an address book the owner keeps elsewhere (CardDAV, a vdir). Pure.

Each card keepwarm tracks is linked to one contact, with the fields it last took from the card.
A changed card updates only those fields (name, addresses, group, birthday, anniversary, cadence,
the language of her drafts): what the owner keeps in keepwarm alone (notes, snooze, pause, a
maximum, addresses added here) stays. A new card becomes a contact, or links to the contact that
already has one of its addresses. A card removed upstream (or no longer in the tracked group) is
reported and its link dropped; the contact and its history stay: nothing here ever deletes one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from keepwarm.domain.merge import Record
from keepwarm.domain.model import Birthday, Contact, YearlyDate

_T = TypeVar("_T")
TRACK_ALL = "all"
ANNIVERSARY = "anniversary"


@dataclass(frozen=True)
class CardFields:
    """What a contact took from its card the last time the card was read."""

    name: str = ""
    emails: tuple[str, ...] = ()
    group: str | None = None
    birthday: Birthday | None = None
    anniversary: Birthday | None = None
    cadence_days: int | None = None
    language: str | None = None  # of her drafts, from the card's LANG


@dataclass(frozen=True)
class Link:
    """A card (by its href) and the contact it feeds."""

    contact_id: int
    etag: str
    fields: CardFields


@dataclass(frozen=True)
class CardRead:
    """One card as read from the address book: where, its version, its record and categories."""

    href: str
    etag: str
    record: Record
    categories: tuple[str, ...] = ()


@dataclass
class BookPlan:
    """What one sync does: contacts to add (with their card) and to change, links, reports."""

    new: list[tuple[str, Contact, Link]] = field(default_factory=list)
    updated: list[Contact] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # one line per card gone, naming the contact
    problems: list[str] = field(default_factory=list)


def tracked(categories: Sequence[str], track: str) -> bool:
    """TRACK=all takes every card; TRACK=<group> the cards with that category (any case)."""
    return track.casefold() == TRACK_ALL or track.casefold() in {c.casefold() for c in categories}


def card_fields(card: CardRead, track: str) -> CardFields:
    """The fields keepwarm takes from a card; the group is its first category other than the one
    that says it is tracked."""
    groups = [c for c in card.categories if c.casefold() != track.casefold()]
    anniversary = next((d.date for d in card.record.dates if d.label == ANNIVERSARY), None)
    record = card.record
    group = groups[0] if groups else None
    return CardFields(
        record.name, record.emails, group, record.birthday, anniversary, record.cadence_days, record.language
    )


def _follow(current: _T | None, old: _T | None, new: _T | None) -> _T | None:
    """The card's new value; when the card dropped it, clear it unless the owner changed it here."""
    if new is not None:
        return new
    return None if current == old else current


def apply_card(contact: Contact, old: CardFields, new: CardFields) -> Contact:
    """``contact`` with the card's changes from ``old`` to ``new``, and nothing else."""
    dropped = set(old.emails) - set(new.emails)
    emails = tuple(dict.fromkeys([*(e for e in contact.emails if e not in dropped), *new.emails]))
    dates = tuple(d for d in contact.dates if d.label != ANNIVERSARY)
    current_anniversary = next((d.date for d in contact.dates if d.label == ANNIVERSARY), None)
    anniversary = _follow(current_anniversary, old.anniversary, new.anniversary)
    if anniversary is not None:
        dates = (*dates, YearlyDate(ANNIVERSARY, anniversary))
    return contact.with_changes(
        name=new.name or contact.name,
        emails=emails or new.emails,
        group=_follow(contact.group, old.group, new.group),
        birthday=_follow(contact.birthday, old.birthday, new.birthday),
        cadence_days=_follow(contact.cadence_days, old.cadence_days, new.cadence_days),
        language=_follow(contact.language, old.language, new.language),
        dates=dates,
    )


def plan_sync(
    book: str,
    track: str,
    *,
    contacts: Sequence[Contact],
    links: Mapping[str, Link],
    changed: Sequence[CardRead],
    gone: Sequence[str],
    now: datetime,
) -> BookPlan:
    """Decide what the cards that changed (or are new) and the cards gone do to the contacts."""
    plan = BookPlan(links=dict(links))
    current = {c.id: c for c in contacts}
    for card in changed:
        if not tracked(card.categories, track):
            if card.href in plan.links:
                gone = [*gone, card.href]
            continue
        _one_card(card, current, plan, book=book, track=track, now=now)
    for href in gone:
        link = plan.links.pop(href, None)
        if link is not None:
            who = current[link.contact_id].label if link.contact_id in current else link.fields.name
            plan.removed.append(f"{who}: the card left address book {book}; contact and history kept")
    return plan


def _one_card(
    card: CardRead, current: dict[int, Contact], plan: BookPlan, *, book: str, track: str, now: datetime
) -> None:
    new = card_fields(card, track)
    where = f"address book {book}, {card.record.where}"
    if not new.emails:
        plan.problems.append(f"{where}: {card.record.name or 'a card'} has no email address: skipped")
        return
    link = plan.links.get(card.href)
    if link is not None and link.contact_id in current:
        owner, old = current[link.contact_id], link.fields
    else:
        owners = [c for c in current.values() if set(c.emails) & set(new.emails)]
        if any(set(c.emails) & set(new.emails) for _, c, _ in plan.new):
            plan.problems.append(f"{where}: another card has one of its addresses: skipped")
            return
        if len(owners) > 1:
            plan.problems.append(f"{where}: its addresses belong to {len(owners)} different contacts")
            return
        if not owners:
            contact = Contact(new.name, new.emails, now, group=new.group, cadence_days=new.cadence_days)
            contact = apply_card(contact, CardFields(), new)
            plan.new.append((card.href, contact, Link(0, card.etag, new)))
            return
        owner, old = owners[0], CardFields()
    others = [c for c in current.values() if c.id != owner.id and set(c.emails) & set(new.emails)]
    if others:
        plan.problems.append(f"{where}: {others[0].label} already has one of its addresses: skipped")
        return
    after = apply_card(owner, old, new)
    if after != owner:
        current[owner.id] = after
        plan.updated = [c for c in plan.updated if c.id != after.id] + [after]
    plan.links[card.href] = Link(owner.id, card.etag, new)
