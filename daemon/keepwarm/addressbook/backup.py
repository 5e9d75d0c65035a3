"""The JSON export: a complete backup that ``keepwarm contacts import`` restores.

``contacts`` is for people and other programs: every contact as the store writes it, with its
``id`` and its whole ``history``. ``store`` is what a restore reads: every table of the store as
stored (contacts, every touch including people not tracked, groups' cadences and limits, dated
reminders, reminder entries, the outbox, run times, folder positions, undo), so a restored store
is the one that was exported, record for record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from keepwarm.domain.model import Contact, Touch
from keepwarm.domain.records import RecordError, contact_to_doc, doc_to_contact, doc_to_touch, touch_to_doc

FORMAT = "keepwarm backup"
VERSION = 1
Tables = dict[str, dict[str, dict[str, Any]]]


class BackupFileError(ValueError):
    """A file that is not a backup this keepwarm can restore; the message says why in one line."""


def to_json(contacts: Sequence[Contact], touches: Sequence[Touch], tables: Mapping[str, Any]) -> str:
    """The backup: every contact with its full history, and every table of the store."""
    by_address: dict[str, list[Touch]] = {}
    for touch in touches:
        by_address.setdefault(touch.address, []).append(touch)
    items = [
        {
            "id": c.id,
            **contact_to_doc(c),
            "history": [
                touch_to_doc(t) for t in sorted((t for a in c.emails for t in by_address.get(a, [])), key=_at)
            ],
        }
        for c in contacts
    ]
    backup = {"format": FORMAT, "version": VERSION, "contacts": items, "store": tables}
    return json.dumps(backup, indent=2, ensure_ascii=False) + "\n"


def _at(touch: Touch) -> datetime:
    return touch.at


def read_backup(text: str) -> Tables:
    """The store's tables from a backup; raises BackupFileError naming the problem (and the
    record, for a damaged contact or touch)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackupFileError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupFileError("not a keepwarm backup (make one with keepwarm contacts export --format json)")
    if data.get("version") != VERSION:
        raise BackupFileError(
            f"backup version {data.get('version')!r}; this keepwarm reads version {VERSION}"
        )
    tables = data.get("store")
    if not isinstance(tables, dict) or not all(
        isinstance(docs, dict) and all(isinstance(d, dict) for d in docs.values()) for docs in tables.values()
    ):
        raise BackupFileError("its 'store' is not a set of tables of records")
    try:
        for doc_id, doc in tables.get("contacts", {}).items():
            doc_to_contact(_number(doc_id, "contacts"), doc)
        for doc_id, doc in tables.get("touches", {}).items():
            doc_to_touch(_number(doc_id, "touches"), doc)
    except RecordError as exc:
        raise BackupFileError(str(exc)) from None
    return tables


def _number(doc_id: str, table: str) -> int:
    if not doc_id.isdigit():
        raise RecordError(f"record {doc_id!r} of table {table!r} has no number for an id")
    return int(doc_id)
