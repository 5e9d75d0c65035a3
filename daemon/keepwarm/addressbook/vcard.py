"""vCard 3 and 4 in and out (vobject), lossless for what keepwarm keeps.

Standard properties where vCard has them (FN, EMAIL, BDAY, ANNIVERSARY, CATEGORIES for the group,
NOTE, LANG for the language of her drafts), and keepwarm's own where it has none; other programs
keep X- properties they do not know:

- ``X-KEEPWARM-CADENCE:21d`` (also ``3w``, ``2 months``) and ``X-KEEPWARM-MAX:42d``
- ``X-KEEPWARM-PRIORITY:high`` (or ``normal``, ``low``)
- ``X-KEEPWARM-PAUSED:yes`` and ``X-KEEPWARM-SNOOZED-UNTIL:2027-01-05T09:00:00+00:00``
- ``X-KEEPWARM-NOTE;DATE=2026-03-01T10:00:00+00:00:text``, one per note (NOTE holds them all, for
  other programs; a card without X-KEEPWARM-NOTE imports its NOTE as one note)
- ``X-KEEPWARM-DATE:--06-12 Mia's birthday``, a yearly date other than the anniversary
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import vobject

from keepwarm.addressbook import fields
from keepwarm.domain.merge import Record
from keepwarm.domain.model import Birthday, Contact, Note, YearlyDate

_END = re.compile(r"(?im)^END:VCARD[ \t]*$")
_FN = re.compile(r"(?im)^FN(?:;[^:\n]*)?:(.*)$")
ANNIVERSARY = "anniversary"


def read_vcards(text: str, now: datetime | None = None) -> tuple[list[Record], list[str]]:
    """Records from vCard 3 or 4 text; a broken card is a problem naming it, the rest still read.
    ``now`` dates a plain NOTE (without it, such notes are not read)."""
    records: list[Record] = []
    problems: list[str] = []
    # Property names are case-insensitive: "end:vcard" ends a card as well as "END:VCARD".
    pieces = _END.split(text.replace("\r\n", "\n"))
    chunks = [c for c in pieces if "BEGIN:VCARD" in c.upper()]
    for number, chunk in enumerate(chunks, start=1):
        record = read_card(chunk.strip() + "\nEND:VCARD\n", f"card {number}", problems, now)
        if record is not None:
            records.append(record)
    return records, problems


def read_card(text: str, where: str, problems: list[str], now: datetime | None = None) -> Record | None:
    """One card as a record, or None (and a problem naming it) if it is not a valid vCard."""
    raw_name = _FN.search(text)
    if raw_name and raw_name.group(1).strip():
        where = f"{where} ({raw_name.group(1).strip()})"
    try:
        card = vobject.readOne(text)
    except Exception as exc:  # vobject raises a variety of parse errors on malformed cards
        problems.append(f"{where}: not a valid vCard ({type(exc).__name__})")
        return None
    return _record(card.contents, where, problems, now)


def categories(text: str) -> tuple[str, ...]:
    """Every label of a card's CATEGORIES (a card that does not parse has none)."""
    try:
        card = vobject.readOne(text)
    except Exception:  # the caller has already reported the card as not valid
        return ()
    labels: list[str] = []
    for item in card.contents.get("categories", []):
        value = item.value if isinstance(item.value, list) else [str(item.value)]
        labels += [str(v).strip() for v in value if str(v).strip()]
    return tuple(labels)


def _value(contents: dict[str, Any], key: str) -> str:
    return str(contents[key][0].value) if key in contents else ""


def _record(contents: dict[str, Any], where: str, problems: list[str], now: datetime | None) -> Record:
    emails = fields.emails((str(e.value) for e in contents.get("email", [])), problems, where)
    name = _value(contents, "fn")
    if name.strip().lower() in emails:
        name = ""  # an exported contact without a name carries its address as FN
    return Record(
        where,
        " ".join(name.split()),
        emails,
        birthday=_bday(contents, problems, where),
        group=_category(contents),
        dates=_dates(contents, problems, where),
        cadence_days=fields.cadence(_value(contents, "x-keepwarm-cadence"), problems, where),
        max_days=fields.cadence(_value(contents, "x-keepwarm-max"), problems, where, "maximum"),
        priority=fields.priority(_value(contents, "x-keepwarm-priority"), problems, where),
        notes=_notes(contents, problems, where, now),
        paused=fields.flag(_value(contents, "x-keepwarm-paused")),
        snoozed_until=fields.moment(
            _value(contents, "x-keepwarm-snoozed-until"), problems, where, "snoozed until"
        ),
        language=fields.language(_languages(contents), problems, where),
    )


def _languages(contents: dict[str, Any]) -> list[str]:
    """vCard 4's LANG values, most preferred (lowest PREF) first."""

    def pref(item: Any) -> int:
        value = str(item.params.get("PREF", ["100"])[0])
        return int(value) if value.isdigit() else 100

    return [str(item.value) for item in sorted(contents.get("lang", []), key=pref)]


def _bday(contents: dict[str, Any], problems: list[str], where: str) -> Birthday | None:
    if "bday" not in contents:
        return None
    bday = contents["bday"][0]
    found = fields.birthday(str(bday.value), problems, where)
    omitted = bday.params.get("X-APPLE-OMIT-YEAR", [None])[0]
    if found is not None and omitted and str(found.year) == str(omitted):
        return Birthday(found.month, found.day)  # Apple's "no year" placeholder
    return found


def _category(contents: dict[str, Any]) -> str | None:
    if "categories" not in contents:
        return None
    value = contents["categories"][0].value
    labels = value if isinstance(value, list) else [str(value)]
    return next((str(v).strip() for v in labels if str(v).strip()), None)


def _dates(contents: dict[str, Any], problems: list[str], where: str) -> tuple[YearlyDate, ...]:
    """vCard 4's ANNIVERSARY (or the X-ANNIVERSARY older clients write), and X-KEEPWARM-DATEs."""
    found: list[YearlyDate] = []
    for key in ("anniversary", "x-anniversary"):
        if key in contents:
            when = fields.birthday(str(contents[key][0].value), problems, where, ANNIVERSARY)
            found += [YearlyDate(ANNIVERSARY, when)] if when is not None else []
            break
    for item in contents.get("x-keepwarm-date", []):
        day, _, label = str(item.value).strip().partition(" ")
        when = fields.birthday(day, problems, where, "date")
        if when is not None and label.strip():
            found.append(YearlyDate(label.strip(), when))
        elif when is not None:
            problems.append(f"{where}: X-KEEPWARM-DATE {day!r} has no name (write --06-12 NAME)")
    return tuple(found)


def _notes(
    contents: dict[str, Any], problems: list[str], where: str, now: datetime | None
) -> tuple[Note, ...]:
    own = contents.get("x-keepwarm-note", [])
    if not own:
        text = _value(contents, "note").strip()
        return (Note(now, text),) if text and now is not None else ()
    notes = []
    for item in own:
        at = fields.moment(item.params.get("DATE", [""])[0], problems, where, "note date") or now
        if at is not None and str(item.value).strip():
            notes.append(Note(at, str(item.value)))
    return tuple(notes)


def to_vcards(contacts: Sequence[Contact]) -> str:
    """vCard 3.0 for every contact, with everything keepwarm keeps about them."""
    return "".join(to_card(contact).serialize() for contact in contacts)


def to_card(contact: Contact) -> Any:
    """One contact as a vobject card."""
    card = vobject.vCard()
    card.add("fn").value = contact.name or contact.primary_email
    card.add("n").value = vobject.vcard.Name(given=contact.name or contact.primary_email)
    for address in contact.emails:
        card.add("email").value = address
    if contact.birthday:
        card.add("bday").value = str(contact.birthday)
    for when in contact.dates:
        if when.label == ANNIVERSARY:
            card.add("anniversary").value = str(when.date)
            card.add("x-anniversary").value = str(when.date)
        else:
            card.add("x-keepwarm-date").value = f"{when.date} {when.label}"
    if contact.group:
        card.add("categories").value = [contact.group]
    if contact.language:
        card.add("lang").value = contact.language
    if contact.notes:
        card.add("note").value = "\n".join(n.text for n in contact.notes)
    for note in contact.notes:
        item = card.add("x-keepwarm-note")
        item.value = note.text
        item.params["DATE"] = [note.at.isoformat()]
    _add_state(card, contact)
    return card


def _add_state(card: Any, contact: Contact) -> None:
    pairs = (
        ("x-keepwarm-cadence", fields.days_text(contact.cadence_days)),
        ("x-keepwarm-max", fields.days_text(contact.max_days)),
        ("x-keepwarm-priority", contact.priority.value if contact.priority else ""),
        ("x-keepwarm-paused", "yes" if contact.paused else ""),
        ("x-keepwarm-snoozed-until", contact.snoozed_until.isoformat() if contact.snoozed_until else ""),
    )
    for key, value in pairs:
        if value:
            card.add(key).value = value
