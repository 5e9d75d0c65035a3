"""CSV in and out: Google Contacts' and Outlook's exports in, and keepwarm's own columns both ways.

keepwarm writes Google's column names where they exist, then its own: ``Cadence Days``, ``Max
Days``, ``Priority``, ``Paused`` (yes or empty), ``Snoozed Until`` (ISO 8601), ``Dates`` (JSON:
``[{"label": "anniversary", "date": "--06-12"}]``), ``Keepwarm Notes`` (JSON: ``[{"at": ...,
"text": ...}]``, so a note keeps its date, newlines and commas; ``Notes`` repeats them for people)
and ``Language`` (of her drafts: ``de``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from keepwarm.addressbook import fields
from keepwarm.domain.merge import Record
from keepwarm.domain.model import Contact, Note, YearlyDate

# Column names as Google Contacts and Outlook write them (lower-cased for matching).
_EMAIL_COLUMNS = (
    "e-mail 1 - value",
    "e-mail 2 - value",
    "e-mail 3 - value",
    "e-mail address",
    "e-mail 2 address",
    "e-mail 3 address",
    "email",
    "emails",
    "email address",
)
_NAME_COLUMNS = ("name", "full name", "display name")
_GROUP_COLUMNS = ("group membership", "categories", "group", "labels")
# Google's names where it has one (Google Contacts reads them), then keepwarm's own.
HEADER = ["Name", "E-mail 1 - Value", "Group Membership", "Birthday", "Cadence Days", "Notes"]
HEADER += ["Max Days", "Priority", "Paused", "Snoozed Until", "Dates", "Keepwarm Notes", "Language"]


def read_csv(text: str, now: datetime | None = None) -> tuple[list[Record], list[str]]:
    """Records from a CSV export with a header row (Google Contacts, Outlook, keepwarm, or
    name/email). ``now`` dates a plain ``Notes`` cell (without it, such notes are not read)."""
    records: list[Record] = []
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        return [], ["the CSV file is empty"]
    for row in reader:
        where = f"line {reader.line_num}"
        cells = {str(k).strip().lower(): (v or "") for k, v in row.items() if k is not None}
        records.append(_record(cells, where, problems, now))
    return records, problems


def _name(cells: dict[str, str]) -> str:
    name = next((cells[c] for c in _NAME_COLUMNS if cells.get(c)), "")
    if not name:
        given = cells.get("given name") or cells.get("first name", "")
        family = cells.get("family name") or cells.get("last name", "")
        name = " ".join(p for p in (given, family) if p)
    return " ".join(name.split())


def _record(cells: dict[str, str], where: str, problems: list[str], now: datetime | None) -> Record:
    return Record(
        where,
        _name(cells),
        fields.emails((cells.get(c, "") for c in _EMAIL_COLUMNS), problems, where),
        birthday=fields.birthday(cells.get("birthday", ""), problems, where),
        group=next((fields.group(cells[c]) for c in _GROUP_COLUMNS if cells.get(c)), None),
        dates=_dates(cells.get("dates", ""), problems, where),
        cadence_days=fields.cadence(cells.get("cadence days") or cells.get("cadence", ""), problems, where),
        max_days=fields.cadence(cells.get("max days", ""), problems, where, "maximum"),
        priority=fields.priority(cells.get("priority", ""), problems, where),
        notes=_notes(cells, problems, where, now),
        paused=fields.flag(cells.get("paused", "")),
        snoozed_until=fields.moment(cells.get("snoozed until", ""), problems, where, "snoozed until"),
        language=fields.language([cells.get("language", "")], problems, where),
    )


def _json_list(text: str, problems: list[str], where: str, column: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        problems.append(f"{where}: {column} ignored: not a JSON list of objects")
        return []
    return items


def _dates(text: str, problems: list[str], where: str) -> tuple[YearlyDate, ...]:
    found = []
    for item in _json_list(text, problems, where, "Dates"):
        label = str(item.get("label") or "").strip()
        when = fields.birthday(str(item.get("date") or ""), problems, where, f"date {label!r}")
        if when is not None and label:
            found.append(YearlyDate(label, when))
    return tuple(found)


def _notes(cells: dict[str, str], problems: list[str], where: str, now: datetime | None) -> tuple[Note, ...]:
    if not cells.get("keepwarm notes", "").strip():
        text = cells.get("notes", "").strip()
        return (Note(now, text),) if text and now is not None else ()
    notes = []
    for item in _json_list(cells["keepwarm notes"], problems, where, "Keepwarm Notes"):
        at = fields.moment(str(item.get("at") or ""), problems, where, "note date") or now
        if at is not None and str(item.get("text") or "").strip():
            notes.append(Note(at, str(item["text"])))
    return tuple(notes)


def to_csv(contacts: Sequence[Contact]) -> str:
    """One row per contact; several addresses in one cell, separated by ' ::: ' as Google does."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for c in contacts:
        dates = [{"label": d.label, "date": str(d.date)} for d in c.dates]
        notes = [{"at": n.at.isoformat(), "text": n.text} for n in c.notes]
        writer.writerow(
            [
                c.name,
                " ::: ".join(c.emails),
                c.group or "",
                str(c.birthday or ""),
                c.cadence_days or "",
                " | ".join(n.text for n in c.notes),
                c.max_days or "",
                c.priority.value if c.priority else "",
                "yes" if c.paused else "",
                c.snoozed_until.isoformat() if c.snoozed_until else "",
                json.dumps(dates, ensure_ascii=False) if dates else "",
                json.dumps(notes, ensure_ascii=False) if notes else "",
                c.language or "",
            ]
        )
    return out.getvalue()
