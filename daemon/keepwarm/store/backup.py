"""Whole-store backup and restore: every table as stored, out and back in.

A restore goes only into an empty store (nothing but its meta record), replaces the tables in one
transaction, and reads every part back before the transaction ends: a damaged record raises and
nothing of the backup is kept.
"""

from __future__ import annotations

import copy
from typing import Any

from keepwarm.store.engine import META_ID, SCHEMA_VERSION, Part

Tables = dict[str, dict[str, dict[str, Any]]]


class BackupError(ValueError):
    """A backup that cannot be restored; the message names what is wrong with it."""


class BackupPart(Part):
    """``store.backup``: the tables out (``dump``) and back in (``restore``)."""

    def dump(self) -> Tables:
        """A deep copy of every table, by name, records by id."""
        return {name: copy.deepcopy(self._tables.raw(name)) for name in self.names()}

    def names(self) -> list[str]:
        """The tables the store holds, meta first."""
        self._tables.refresh()
        return sorted(self._tables.raw_data(), key=lambda n: (n != "meta", n))

    def held(self) -> dict[str, int]:
        """How many records each table other than meta holds (empty tables left out)."""
        return {n: self._tables.count(n) for n in self.names() if n != "meta" and self._tables.count(n)}

    def restore(self, tables: Tables) -> None:
        """Put ``tables`` in place of an empty store's (call inside a transaction, then read every
        part back inside it too, so a damaged record undoes the restore)."""
        meta = tables.get("meta", {}).get(META_ID)
        if not isinstance(meta, dict) or meta.get("app") != "keepwarm":
            raise BackupError("its store has no keepwarm meta record")
        schema = meta.get("schema")
        if not isinstance(schema, int) or not 1 <= schema <= SCHEMA_VERSION:
            raise BackupError(
                f"its store has schema {schema!r}; this keepwarm reads schemas 1 to {SCHEMA_VERSION}"
            )
        for name, docs in tables.items():
            bad = [i for i in docs if not i.isdigit() or not isinstance(docs[i], dict)]
            if bad:
                raise BackupError(f"table {name!r}: record {bad[0]!r} is not a record with a number")
        self._tables.replace_all(copy.deepcopy(tables))
