"""A raw header block as values by name, and its Date read: the first steps of every message read.

Unfolded here rather than by the email package's feed parser: a header block is only ``Name:
value`` lines and their continuations, and a backfill reads tens of thousands. Raw 8-bit bytes
are read as UTF-8, else as Windows-1252 (what old clients wrote), value by value, so names stay
readable and nothing raises. A block of valid UTF-8 no longer than one value's cap (nearly every
block) is read in one decode; any other block value by value, each capped before it is decoded.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# Longer than any honest header: read no further (the poll reads headers of everyone's mail).
MAX_HEADER_CHARS = 128 * 1024
_LINE_BREAK = re.compile(r"\r?\n")
# What str.strip() removes from a name of ASCII characters (as the capped reading strips them).
_ASCII_BLANKS = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def clean(value: str) -> str:
    """Text safe to store. Raw 8-bit header bytes (kept as surrogates) are read as UTF-8, else as
    Windows-1252, so names stay readable, never crash."""
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


# Header values by lower-case name, in the order written.
Fields = dict[str, list[str]]


def read_fields(raw: bytes) -> Fields:
    """Every field of a raw header block, unfolded, each value decoded (see the module's text)."""
    if len(raw) <= MAX_HEADER_CHARS:
        with contextlib.suppress(UnicodeDecodeError):
            return _short(raw.decode("utf-8"))
    return _capped(raw)


def first(fields: Fields, name: str) -> str | None:
    """The first value of the field ``name`` (lower case), or None."""
    values = fields.get(name)
    return values[0] if values else None


def _short(text: str) -> Fields:
    """The values of a block that is valid UTF-8 and shorter than one value's cap: each value is
    the text as written (what ``clean`` would make of its bytes), and none needs cutting."""
    found: Fields = {}
    values: list[str] | None = None  # the values of the field being read, its own the last
    parts: list[str] | None = None  # its parts, once it has a continuation
    folded: list[tuple[list[str], int, list[str]]] = []
    for line in _LINE_BREAK.split(text):
        if not line:
            break  # the blank line that ends the header block
        if line[0] in " \t":
            if values is not None:
                if parts is None:  # a folded continuation: unfold, keeping the blank
                    parts = [values[-1]]
                    folded.append((values, len(values) - 1, parts))
                parts.append(line)
            continue
        name, colon, value = line.partition(":")
        key = name.strip(_ASCII_BLANKS) if colon else ""
        if key:
            # A name above ASCII is kept as written: none that keepwarm reads has one, and
            # lower-casing could turn one into a name it does read (K, the Kelvin sign, into k).
            key = key.lower() if key.isascii() else "\x00" + key
            values, parts = found.setdefault(key, []), None
            values.append(value.lstrip(" \t"))
    for where, index, pieces in folded:  # joined once: a value folded many times costs one pass
        where[index] = "".join(pieces)
    return found


def _capped(raw: bytes) -> Fields:
    """The values of any block: each kept as its parts and joined once, at most MAX_HEADER_CHARS
    long, so that a header folded a million times costs one pass; then decoded value by value."""
    fields: list[tuple[str, list[str], list[int]]] = []
    for line in _LINE_BREAK.split(raw.decode("ascii", "surrogateescape")):
        if not line:
            break
        if line[0] in " \t":
            if fields and fields[-1][2][0] < MAX_HEADER_CHARS:
                fields[-1][1].append(line)
                fields[-1][2][0] += len(line)
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip():
            value = value.lstrip(" \t")
            fields.append((name.strip().lower(), [value], [len(value)]))
    found: Fields = {}
    for name, parts, _ in fields:
        found.setdefault(name, []).append(clean("".join(parts)[:MAX_HEADER_CHARS]))
    return found


# The Date nearly every client writes ("Tue, 1 Dec 2026 14:03:05 +0100", maybe with a comment
# after it), read directly; any other shape goes to email.utils, which reads this one the same.
_COMMON_DATE = re.compile(
    r"(?:[A-Za-z]{3}, ?)?([0-9]{1,2}) ([A-Za-z]{3}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{4})(?:[ \t].*)?",
    re.DOTALL,
)
_MONTHS = {m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun"), 1)} | {
    m: n for n, m in enumerate(("jul", "aug", "sep", "oct", "nov", "dec"), 7)
}


@lru_cache(maxsize=256)
def _zone(seconds: int) -> timezone:
    return timezone(timedelta(seconds=seconds))


def _common(value: str) -> datetime | None:
    """``parsedate_to_datetime`` of the common shape, or None if the value has another shape."""
    match = _COMMON_DATE.fullmatch(value)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, zone = match.groups()
    yy = int(year)
    if yy < 100:  # as email.utils reads a year written 0050
        yy += 1900 if yy > 68 else 2000
    offset = int(zone)
    if offset == 0 and sign == "-":
        return datetime(yy, month, int(day), int(hour), int(minute), int(second))  # -0000: no zone
    seconds = (offset // 100) * 3600 + (offset % 100) * 60
    zone_info = _zone(-seconds if sign == "-" else seconds)
    return datetime(yy, month, int(day), int(hour), int(minute), int(second), tzinfo=zone_info)


def header_date(value: str | None) -> datetime | None:
    """The Date header as an aware datetime; None if missing or unreadable. "-0000" means "zone
    unknown" (RFC 5322): UTC is the honest reading."""
    if not value:
        return None
    try:
        parsed = _common(value[:200]) or parsedate_to_datetime(value[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
