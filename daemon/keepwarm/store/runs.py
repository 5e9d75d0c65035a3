"""When things last ran, and the recent errors: what ``keepwarm status`` reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tinydb.table import Document

from keepwarm.domain.records import iso
from keepwarm.store.engine import Part

MAX_RECENT_ERRORS = 20
MAX_OCCASIONS = 500
# The kind of error that only the owner can fix, by running `keepwarm auth` (status says so).
REAUTHORISATION = "reauthorisation"
_RUNS_ID = 2  # the second record of the meta table (the first says which app and schema)


class RunsPart(Part):
    """One record in table ``meta``: run times, their counts, and the last errors."""

    def get(self) -> dict[str, Any]:
        """When things last happened, and the recent errors."""
        doc = self._tables.table("meta").get(doc_id=_RUNS_ID)
        return dict(doc) if doc is not None else {"errors": []}

    def note(self, name: str, at: datetime, **extra: Any) -> None:
        """Record that ``name`` (last_poll, last_reminder_run …) happened at ``at``."""
        with self.transaction():
            runs = self.get()
            runs[name] = iso(at)
            runs.update(extra)
            self._save(runs)

    def learned_servid(self) -> str | None:
        """The authserv-id learned from the owner's first authenticated reply (None: none yet)."""
        value = self.get().get("learned_servid")
        return value if isinstance(value, str) and value else None

    def learn_servid(self, servid: str, at: datetime) -> None:
        """Trust ``servid``'s stamps from now on (AUTH_SERVID was not set)."""
        self.note("servid_learned_at", at, learned_servid=servid)

    def sent_occasions(self) -> set[str]:
        """The keys of the birthday and date reminders already queued (each goes once)."""
        return set(self.get().get("occasions_sent", []))

    def mark_occasions(self, keys: list[str], at: datetime) -> None:
        """Remember these occasions as queued (the last few hundred: a key names its date)."""
        with self.transaction():
            runs = self.get()
            runs["occasions_sent"] = [*runs.get("occasions_sent", []), *keys][-MAX_OCCASIONS:]
            runs["last_occasion_run"] = iso(at)
            self._save(runs)

    def bcc_pending(self) -> list[dict[str, Any]]:
        """The people BCCs added since the last daily summary (BCC_CONFIRMATIONS=daily): each a
        ``contact`` id, the ``change`` that undoes it, the message's ``subject`` and ``at``."""
        return [dict(entry) for entry in self.get().get("bcc_pending", [])]

    def add_bcc_pending(self, entries: list[dict[str, Any]]) -> None:
        """Keep these for the next daily summary (in the poll's transaction)."""
        with self.transaction():
            runs = self.get()
            runs["bcc_pending"] = [*runs.get("bcc_pending", []), *entries]
            self._save(runs)

    def summarised_bccs(self, at: datetime) -> None:
        """The summary of the pending ones is queued (in its transaction): none is pending now."""
        self.note("last_bcc_summary", at, bcc_pending=[])

    def away_until(self) -> date | None:
        """The day reminders start again after ``away until`` (None: not away, or back)."""
        value = self.get().get("away_until")
        return date.fromisoformat(value) if isinstance(value, str) and value else None

    def set_away(self, until: date | None, today: date) -> None:
        """No reminders before ``until``; the first run from then on is one catch-up digest. The
        time away starts ``today``, unless it had already started (a later ``away`` extends it)."""
        with self.transaction():
            runs = self.get()
            runs["away_until"] = until.isoformat() if until else None
            runs["away_catch_up"] = until is not None
            if until is None:
                runs["away_since"] = None
            elif not runs.get("away_since"):
                runs["away_since"] = today.isoformat()
            self._save(runs)

    def away_since(self) -> date | None:
        """The first day of the time away the catch-up digest is for (None: none pending)."""
        value = self.get().get("away_since")
        return date.fromisoformat(value) if isinstance(value, str) and value else None

    def catch_up_due(self) -> bool:
        """Whether the next reminder run is the catch-up digest after time away."""
        return bool(self.get().get("away_catch_up"))

    def caught_up(self) -> None:
        """The catch-up digest is queued."""
        with self.transaction():
            runs = self.get()
            runs["away_catch_up"] = False
            runs["away_since"] = None
            self._save(runs)

    def error(self, at: datetime, message: str, *, kind: str = "") -> None:
        """Keep one of the most recent errors (``kind`` says what it needs, e.g. reauthorisation)."""
        with self.transaction():
            runs = self.get()
            record = {"at": iso(at), "error": message, **({"kind": kind} if kind else {})}
            runs["errors"] = [*runs.get("errors", []), record][-MAX_RECENT_ERRORS:]
            self._save(runs)

    def _save(self, runs: dict[str, Any]) -> None:
        table = self._tables.table("meta")
        if table.contains(doc_id=_RUNS_ID):
            table.update(runs, doc_ids=[_RUNS_ID])
        else:
            table.insert(Document(runs, doc_id=_RUNS_ID))
