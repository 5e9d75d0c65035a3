"""The address books, wired from their settings: sync them all (``keepwarm contacts sync`` and the
daemon's own job), and the lines ``keepwarm check`` prints for them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from keepwarm.app.addressbooks import BookReport, BookSource, probe, source, sync_book
from keepwarm.config import Config
from keepwarm.config.books import AddressBookConfig
from keepwarm.errors import ConfigError
from keepwarm.store import Store

# Seconds one request to an address book may take: the daemon's other work never waits on it,
# but a server that hangs must not hold the job for ever.
TIMEOUT = 30.0


def open_book(book: AddressBookConfig, timeout: float = TIMEOUT) -> BookSource:
    """The book's source, its password fetched now (a ConfigError names the key if that fails)."""
    password = book.password.resolve().reveal() if book.password is not None else None
    return source(book.url, book.user, password, book.vdir, timeout)


def sync_all(config: Config, store: Store, now: datetime) -> list[BookReport]:
    """Sync every configured address book; one that fails is reported and the others go on."""
    reports = []
    for book in config.addressbooks:
        try:
            cards = open_book(book)
        except ConfigError as exc:
            reports.append(BookReport(book.name, error=str(exc).replace("\n", "; ")))
            continue
        try:
            reports.append(sync_book(store, book.name, book.track, cards, now))
        finally:
            cards.close()
    return reports


def checks(config: Config, store: Store | None) -> list[tuple[str, Callable[[], str]]]:
    """One check per address book: log in and find it, and say what was removed upstream."""
    return [(f"address book {b.name}", functools.partial(_check, b, store)) for b in config.addressbooks]


def _check(book: AddressBookConfig, store: Store | None) -> str:
    cards = open_book(book)
    try:
        found = probe(cards)
    finally:
        cards.close()
    gone = store.books.book(book.name).gone if store is not None else ()
    more = f"; {len(gone)} removed upstream (contacts kept): {'; '.join(gone[-3:])}" if gone else ""
    return f"found {found} (tracking {book.track}){more}"
