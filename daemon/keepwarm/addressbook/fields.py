"""The fields every address-book format shares, read leniently: addresses, dates, cadences, notes
and keepwarm's own state. A value that does not read is a problem naming the record; the rest of
the record still imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from keepwarm.domain.addresses import AddressError, normalize_address
from keepwarm.domain.durations import DurationError, parse_cadence
from keepwarm.domain.languages import LanguageError, parse_language
from keepwarm.domain.model import Birthday, Priority, parse_birthday

_YES = frozenset({"yes", "true", "1", "on"})


def emails(values: Iterable[str], problems: list[str], where: str) -> tuple[str, ...]:
    """Every address in the values (split on ``,``, ``;`` and Google's ``:::``), deduplicated."""
    found: list[str] = []
    for value in values:
        for part in value.replace(":::", ",").replace(";", ",").split(","):
            if part.strip():
                try:
                    found.append(normalize_address(part))
                except AddressError as exc:
                    problems.append(f"{where}: {exc}")
    return tuple(dict.fromkeys(found))


def birthday(value: str, problems: list[str], where: str, what: str = "birthday") -> Birthday | None:
    """A date with or without its year (``1990-05-17``, ``--02-29``), or None."""
    if not value.strip():
        return None
    try:
        return parse_birthday(value)
    except ValueError as exc:
        problems.append(f"{where}: {what} ignored: {exc}")
        return None


def group(value: str) -> str | None:
    """The first real label: Google writes '* myContacts ::: Friends'; Outlook 'Friends;Work'.
    Commas stay: a group may be called "Friends, old"."""
    labels = [p.strip() for p in value.replace(":::", ";").split(";")]
    real = [p for p in labels if p and not p.startswith("*") and p.lower() != "mycontacts"]
    return real[0] if real else None


def cadence(value: str, problems: list[str], where: str, what: str = "cadence") -> int | None:
    """Days from ``21d``, ``3w``, ``2 months`` or a bare number of days."""
    text = value.strip()
    if not text:
        return None
    try:
        return parse_cadence(f"{text}d" if text.isdigit() else text)
    except DurationError as exc:
        problems.append(f"{where}: {what} ignored: {exc}")
        return None


def priority(value: str, problems: list[str], where: str) -> Priority | None:
    """``high``, ``normal`` or ``low``."""
    text = value.strip().lower()
    if not text:
        return None
    try:
        return Priority(text)
    except ValueError:
        problems.append(f"{where}: priority {value.strip()!r} ignored (write high, normal or low)")
        return None


def language(values: Iterable[str], problems: list[str], where: str) -> str | None:
    """The first of the values (most preferred first) that names a language keepwarm has drafts
    in (``de``, ``de-AT``, ``German``); a problem when there are values and none does."""
    first: LanguageError | None = None
    for value in (v for v in values if v.strip()):
        try:
            return parse_language(value)
        except LanguageError as exc:
            first = first or exc
    if first is not None:
        problems.append(f"{where}: language ignored: {first}")
    return None


def flag(value: str) -> bool:
    """``yes``/``true``/``1`` (any case) is set; anything else is not."""
    return value.strip().lower() in _YES


def moment(value: str, problems: list[str], where: str, what: str) -> datetime | None:
    """An ISO 8601 time with its UTC offset, or None (a time without an offset is a problem)."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {what} {text!r} ignored (write 2027-01-05T09:00:00+00:00)")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: {what} {text!r} ignored: it has no UTC offset")
        return None
    return parsed


def days_text(days: int | None) -> str:
    """A cadence or maximum as the exports write it (``21d``), or empty."""
    return f"{days}d" if days else ""
