"""Syncing an address book kept elsewhere (CardDAV, a vdir) into the contacts, read-only towards it.

Fetch what changed since the last sync, read the cards, let the domain decide (``plan_sync``),
and apply it with the book's new state in one transaction. A book that cannot be read keeps its
state and records the error; the next sync tries again. Cards removed upstream are reported
(the log, ``keepwarm status`` and ``check``), and their contacts and history stay.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from keepwarm.addressbook.carddav import AddressBookError, CardDavBook, Changes
from keepwarm.addressbook.vcard import categories, read_card
from keepwarm.addressbook.vdir import VdirBook
from keepwarm.domain.booksync import CardRead, plan_sync
from keepwarm.errors import KeepwarmError
from keepwarm.store import Store
from keepwarm.store.books import BookState

log = logging.getLogger(__name__)


class BookSource(Protocol):
    """Where cards come from: a CardDAV address book or a vdir folder."""

    def probe(self) -> str: ...
    def changes(self, token: str | None, known: Mapping[str, str]) -> Changes: ...
    def close(self) -> None: ...


def source(
    url: str | None, user: str | None, password: str | None, vdir: Path | None, timeout: float = 30.0
) -> BookSource:
    """The source for a book's settings: CardDAV when it has a URL, else its vdir."""
    if url:
        return CardDavBook(url, user or "", password or "", timeout)
    assert vdir is not None
    return VdirBook(vdir)


def probe(cards: BookSource) -> str:
    """Reach the book (log in, find it); a failure is a KeepwarmError with the reason in one line."""
    try:
        return cards.probe()
    except AddressBookError as exc:
        raise KeepwarmError(str(exc)) from None


@dataclass
class BookReport:
    """What one sync of one book did, in lines for the owner."""

    name: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None


def sync_book(store: Store, name: str, track: str, cards: BookSource, now: datetime) -> BookReport:
    """Bring the contacts in step with one address book."""
    report = BookReport(name)
    state = store.books.book(name)
    try:
        changes = cards.changes(state.token, {h: link.etag for h, link in state.links.items()})
    except AddressBookError as exc:
        report.error = str(exc)
        log.warning("address book %s: %s", name, exc)
        store.books.save(replace(state, error=str(exc)))
        return report
    reads = []
    for card in changes.cards:
        record = read_card(card.text, f"card {card.href.rsplit('/', 1)[-1]}", report.problems, now)
        if record is not None:
            reads.append(CardRead(card.href, card.etag, record, categories(card.text)))
    with store.transaction():
        plan = plan_sync(
            name,
            track,
            contacts=store.contacts(),
            links=state.links,
            changed=reads,
            gone=changes.gone,
            now=now,
        )
        for contact in plan.updated:
            store.update_contact(contact)
            report.updated.append(contact.label)
        links = dict(plan.links)
        for href, contact, link in plan.new:
            added = store.add_contact(contact)
            links[href] = replace(link, contact_id=added.id)
            report.added.append(added.label)
        store.books.save(BookState(name, changes.token, links, (*state.gone, *plan.removed), now, None))
    report.problems += plan.problems
    report.gone = plan.removed
    for line in [*report.problems, *report.gone]:
        log.warning("address book %s: %s", name, line)
    log.info(
        "address book %s: %d added, %d updated, %d gone",
        name,
        len(report.added),
        len(report.updated),
        len(report.gone),
    )
    return report
