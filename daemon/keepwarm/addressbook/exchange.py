"""Address books in and out: vCard 3 and 4 (vobject), CSV as Google Contacts and Outlook export
it, and JSON with the whole history. Parsing problems name the record or line; the rest imports.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import vobject

from keepwarm.domain.addresses import AddressError, normalize_address
from keepwarm.domain.merge import Record
from keepwarm.domain.model import Birthday, Contact, Touch, YearlyDate, parse_birthday
from keepwarm.domain.records import contact_to_doc, touch_to_doc

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


def _emails(values: Iterable[str], problems: list[str], where: str) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        for part in value.replace(":::", ",").replace(";", ",").split(","):
            if part.strip():
                try:
                    found.append(normalize_address(part))
                except AddressError as exc:
                    problems.append(f"{where}: {exc}")
    return tuple(dict.fromkeys(found))


def _birthday(value: str, problems: list[str], where: str) -> Birthday | None:
    if not value.strip():
        return None
    try:
        return parse_birthday(value)
    except ValueError as exc:
        problems.append(f"{where}: birthday ignored: {exc}")
        return None


def _group(value: str) -> str | None:
    """The first real label: Google writes '* myContacts ::: Friends'; Outlook 'Friends;Work'.
    Commas stay: a group may be called "Friends, old"."""
    labels = [p.strip() for p in value.replace(":::", ";").split(";")]
    real = [p for p in labels if p and not p.startswith("*") and p.lower() != "mycontacts"]
    return real[0] if real else None


def read_vcards(text: str) -> tuple[list[Record], list[str]]:
    """Records from vCard 3 or 4 text; a broken card is a problem naming it, the rest still read."""
    records: list[Record] = []
    problems: list[str] = []
    # Property names are case-insensitive: "end:vcard" ends a card as well as "END:VCARD".
    pieces = _END.split(text.replace("\r\n", "\n"))
    chunks = [c for c in pieces if "BEGIN:VCARD" in c.upper()]
    for number, chunk in enumerate(chunks, start=1):
        raw_name = _FN.search(chunk)
        where = f"card {number} ({raw_name.group(1).strip()})" if raw_name else f"card {number}"
        try:
            card = vobject.readOne(chunk.strip() + "\nEND:VCARD\n")
        except Exception as exc:  # vobject raises a variety of parse errors on malformed cards
            problems.append(f"{where}: not a valid vCard ({type(exc).__name__})")
            continue
        records.append(_record(card.contents, where, problems))
    return records, problems


_END = re.compile(r"(?im)^END:VCARD[ \t]*$")
_FN = re.compile(r"(?im)^FN(?:;[^:\n]*)?:(.*)$")


def _record(contents: dict[str, Any], where: str, problems: list[str]) -> Record:
    emails = _emails((str(e.value) for e in contents.get("email", [])), problems, where)
    name = str(contents["fn"][0].value) if "fn" in contents else ""
    if name.strip().lower() in emails:
        name = ""  # an exported contact without a name carries its address as FN
    birthday = None
    if "bday" in contents:
        bday = contents["bday"][0]
        birthday = _birthday(str(bday.value), problems, where)
        omitted = bday.params.get("X-APPLE-OMIT-YEAR", [None])[0]
        if birthday is not None and omitted and str(birthday.year) == str(omitted):
            birthday = Birthday(birthday.month, birthday.day)  # Apple's "no year" placeholder
    group = None
    if "categories" in contents:
        value = contents["categories"][0].value
        labels = value if isinstance(value, list) else [str(value)]
        group = next((str(v).strip() for v in labels if str(v).strip()), None)
    anniversaries = _anniversaries(contents, problems, where)
    return Record(where, " ".join(name.split()), emails, birthday, group, anniversaries)


def _anniversaries(contents: dict[str, Any], problems: list[str], where: str) -> tuple[YearlyDate, ...]:
    """vCard 4's ANNIVERSARY, or the X-ANNIVERSARY older clients write: a yearly date."""
    for key in ("anniversary", "x-anniversary"):
        if key in contents:
            when = _birthday(str(contents[key][0].value), problems, where)
            return (YearlyDate("anniversary", when),) if when is not None else ()
    return ()


def read_csv(text: str) -> tuple[list[Record], list[str]]:
    """Records from a CSV export with a header row (Google Contacts, Outlook, or name/email)."""
    records: list[Record] = []
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        return [], ["the CSV file is empty"]
    for row in reader:
        where = f"line {reader.line_num}"
        cells = {str(k).strip().lower(): (v or "") for k, v in row.items() if k is not None}
        name = next((cells[c] for c in _NAME_COLUMNS if cells.get(c)), "")
        if not name:
            name = " ".join(
                p
                for p in (
                    cells.get("given name") or cells.get("first name", ""),
                    cells.get("family name") or cells.get("last name", ""),
                )
                if p
            )
        emails = _emails((cells.get(c, "") for c in _EMAIL_COLUMNS), problems, where)
        birthday = _birthday(cells.get("birthday", ""), problems, where)
        group = next((_group(cells[c]) for c in _GROUP_COLUMNS if cells.get(c)), None)
        records.append(Record(where, " ".join(name.split()), emails, birthday, group))
    return records, problems


def to_vcards(contacts: Sequence[Contact]) -> str:
    """vCard 3.0 for every contact (name, addresses, birthday, group, notes)."""
    cards = []
    for contact in contacts:
        card = vobject.vCard()
        card.add("fn").value = contact.name or contact.primary_email
        card.add("n").value = vobject.vcard.Name(given=contact.name or contact.primary_email)
        for address in contact.emails:
            card.add("email").value = address
        if contact.birthday:
            card.add("bday").value = str(contact.birthday)
        for when in contact.dates:
            if when.label == "anniversary":
                card.add("x-anniversary").value = str(when.date)
        if contact.group:
            card.add("categories").value = [contact.group]
        if contact.notes:
            card.add("note").value = "\n".join(n.text for n in contact.notes)
        cards.append(card.serialize())
    return "".join(cards)


def to_csv(contacts: Sequence[Contact]) -> str:
    """One row per contact; several addresses in one cell, separated by ' ::: ' as Google does."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "E-mail 1 - Value", "Group Membership", "Birthday", "Cadence Days", "Notes"])
    for c in contacts:
        writer.writerow(
            [
                c.name,
                " ::: ".join(c.emails),
                c.group or "",
                str(c.birthday or ""),
                c.cadence_days or "",
                " | ".join(n.text for n in c.notes),
            ]
        )
    return out.getvalue()


def to_json(contacts: Sequence[Contact], touches: Sequence[Touch]) -> str:
    """Every contact (its record, as the store writes it) with its full history."""
    by_address: dict[str, list[Touch]] = {}
    for touch in touches:
        by_address.setdefault(touch.address, []).append(touch)
    items = [
        {
            **contact_to_doc(c),
            "history": [
                touch_to_doc(t) for t in sorted((t for a in c.emails for t in by_address.get(a, [])), key=_at)
            ],
        }
        for c in contacts
    ]
    return json.dumps({"contacts": items}, indent=2, ensure_ascii=False) + "\n"


def _at(touch: Touch) -> datetime:
    return touch.at
