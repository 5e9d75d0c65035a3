"""Restoring a backup (the JSON export) into an empty store, all of it or nothing.

The tables are put in place and every part of the store is read back inside the one
transaction: a record the store cannot read undoes the restore and names the record.
"""

from __future__ import annotations

from keepwarm.domain.records import RecordError
from keepwarm.errors import StoreError, UsageError
from keepwarm.store import Store
from keepwarm.store.backup import BackupError, Tables

# What a table's records are, said to a person (singular, plural); others go by the table's name.
_WORDS = {
    "contacts": ("contact", "contacts"),
    "touches": ("touch", "touches"),
    "groups": ("group", "groups"),
    "dated": ("dated reminder", "dated reminders"),
    "entries": ("reminder entry", "reminder entries"),
    "outbox": ("outbox message", "outbox messages"),
    "folders": ("folder position", "folder positions"),
    "seen": ("batch of seen messages", "batches of seen messages"),
    "changes": ("undo record", "undo records"),
    "openers": ("opener", "openers"),
    "thanks": ("thank-you", "thank-yous"),
    "counters": ("counter", "counters"),
    "addressbooks": ("address book", "address books"),
    "calendars": ("calendar", "calendars"),
}


def describe(held: dict[str, int]) -> str:
    """``3 contacts, 1 dated reminder, 12 touches``: what tables hold, contacts and touches first."""
    order = sorted(held, key=lambda n: (n not in ("contacts", "touches"), n != "contacts", n))
    parts = []
    for name in order:
        one, many = _WORDS.get(name, (f"{name} record", f"{name} records"))
        parts.append(f"{held[name]} {one if held[name] == 1 else many}")
    return ", ".join(parts) or "nothing"


class _DryRunError(Exception):
    """Raised to roll a dry run's restore back once it has been checked."""


def restore(store: Store, tables: Tables, source: str, *, dry_run: bool = False) -> dict[str, int]:
    """Restore ``tables`` (from the file ``source``) into the empty ``store``; the records per table."""
    try:
        with store.transaction():
            held = store.backup.held()
            if held:
                raise UsageError(
                    f"{source}: not restored: the store {store.path} is not empty ({describe(held)}); "
                    "restore into a new KEEPWARM_STATE_DIR"
                )
            store.backup.restore(tables)
            _read_back(store)
            restored = store.backup.held()
            if dry_run:
                raise _DryRunError
    except _DryRunError:
        pass
    except BackupError as exc:
        raise UsageError(f"{source}: not restored: {exc}") from None
    except StoreError as exc:
        if isinstance(exc.__cause__, RecordError):
            raise UsageError(f"{source}: not restored: {exc}") from None
        raise
    return restored


def _read_back(store: Store) -> None:
    """Decode every part: what the store cannot read raises here, inside the transaction."""
    try:
        _read_parts(store)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # Parts that read their records directly fail with the plain error: name it.
        raise BackupError(f"a record the store cannot read ({type(exc).__name__}: {exc})") from None


def _read_parts(store: Store) -> None:
    store.contacts()
    store.touches()
    store.group_cadences()
    store.group_limits()
    store.folder_states()
    store.seen_keys()
    store.extras.openers(pending=False)
    store.extras.dated()
    store.extras.pending_thanks()
    store.reminders.entries()
    store.outbox.items()
    store.undo.changes()
    store.books.books()
