"""The Store: keepwarm's state in one TinyDB JSON file, composed of its parts in one place.

The contacts, touches and the poll's bookkeeping are the Store's own methods (every layer uses
them); the outbox, reminder entries, run times, undo snapshots and the extras are parts reached
by name (``store.outbox.pending()``). Every part works on the same Tables (``store.engine``), so a
transaction spans them all.
"""

from __future__ import annotations

from pathlib import Path

from keepwarm.errors import StoreError
from keepwarm.store.backup import BackupPart
from keepwarm.store.books import BooksPart
from keepwarm.store.calendars import CalendarsPart
from keepwarm.store.contacts import ContactsPart
from keepwarm.store.drafts import DraftsPart
from keepwarm.store.engine import SCHEMA_VERSION, Tables
from keepwarm.store.extras import ExtrasPart
from keepwarm.store.outbox import OutboxPart
from keepwarm.store.poll import PollPart
from keepwarm.store.reminders import ReminderEntries
from keepwarm.store.runs import RunsPart
from keepwarm.store.touches import TouchesPart
from keepwarm.store.undo import UndoPart

FILE_NAME = "keepwarm.json"

__all__ = ["FILE_NAME", "SCHEMA_VERSION", "Store"]


class Store(ContactsPart, TouchesPart, PollPart):
    """Everything keepwarm keeps, persisted crash-safely in ``STATE_DIR/keepwarm.json``."""

    def __init__(self, state_dir: Path, lock_timeout: float = 10.0) -> None:
        try:
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create state directory {state_dir}: {exc.strerror}") from exc
        tables = Tables(state_dir / FILE_NAME, lock_timeout)
        super().__init__(tables)
        self.path = tables.path
        self.outbox = OutboxPart(tables)
        self.reminders = ReminderEntries(tables)
        self.runs = RunsPart(tables)
        self.undo = UndoPart(tables)
        self.extras = ExtrasPart(tables)
        self.backup = BackupPart(tables)
        self.books = BooksPart(tables)
        self.calendars = CalendarsPart(tables)
        self.drafts = DraftsPart(tables)

    def count(self, table: str) -> int:
        """Number of records in a table."""
        return self._tables.count(table)
