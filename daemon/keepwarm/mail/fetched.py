"""The answer to keepwarm's header fetch, read without imapclient's general response parser.

Every poll asks each new message for the same items (UID, INTERNALDATE and
BODY[HEADER.FIELDS (...)]), and servers answer in a handful of shapes. imaplib hands the untagged
FETCH responses over as a list: a response with a literal is a tuple (its text up to the literal's
``{size}``, the literal's bytes) followed by the rest of its line, one without a literal is one
bytes line. imapclient's parser walks every byte of that list in pure Python, the literals
included, and took most of a backfill's time; this reader matches each item with a regular
expression and takes the literal as it is.

It reads only what it recognises, and then gives exactly what imapclient would make of the same
list (tests compare the two on generated answers and on the test bed's). Anything else (another
item, a response without UID, whitespace of another kind, an unusual INTERNALDATE) makes it return
None, and the caller hands the same list to imapclient's parser: the fast way is never the only
way. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

# What imaplib returns for FETCH: the record list; [None] when no FETCH response came at all.
Record = bytes | tuple[bytes, bytes] | None
# Per UID: the header block (b"" when NIL or absent, as keepwarm has always read it) and the
# INTERNALDATE (None when NIL or absent).
Headers = tuple[bytes, datetime | None]

_START = re.compile(rb"[0-9]+ \(")
# One item and its value. The body's key is kept as written (a response that names two different
# ones is left to imapclient, which keeps both). A literal value must end its record's text:
# imaplib splits the records there. FLAGS and MODSEQ are read past: a server may add them.
_ITEM = re.compile(
    rb"UID (?P<uid>[0-9]+)"
    rb'|INTERNALDATE (?:"(?P<date>[^"\\]*)"|(?P<nodate>NIL))'
    rb"|(?P<body>BODY\[HEADER\.FIELDS \([^()\[\]{}\"\\%\r\n]*\)\]) "
    rb'(?:(?P<nil>NIL)|"(?P<quoted>[^"\\\r\n]*)"|\{(?P<size>[0-9]+)\}\Z)'
    rb"|FLAGS \([^()\[\]{}\"%\r\n]*\)"
    rb"|MODSEQ \([0-9]+\)"
)
# INTERNALDATE as RFC 3501 writes it: " 2-Dec-2026 14:03:05 +0100" (the day may be padded).
_DATE = re.compile(
    rb" ?([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"
)
_MONTHS = {m: n for n, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


class _ShapeError(Exception):
    """A shape this reader does not know: the caller's general parser reads the answer instead."""


@lru_cache(maxsize=64)
def _zone(seconds: int) -> timezone:
    return timezone(timedelta(seconds=seconds))


def internal_date(value: bytes) -> datetime:
    """An INTERNALDATE of the usual shape, as imapclient reads it with ``normalise_times`` off.
    Raises _ShapeError for anything imapclient might read differently (for instance "-0000", which
    it reads as no zone, or a two-digit year, which it moves into this century or the last)."""
    match = _DATE.fullmatch(value)
    if match is None:
        raise _ShapeError
    day, month_name, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
    month = _MONTHS.get(month_name.lower())
    offset = int(zone_h) * 3600 + int(zone_m) * 60
    if month is None or int(year) < 100 or (offset == 0 and sign == b"-"):
        raise _ShapeError
    try:
        zone = _zone(-offset if sign == b"-" else offset)
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError:  # a day 31 of February, an hour 25, a zone a day wide: imapclient's to judge
        raise _ShapeError from None


def _record(record: object) -> tuple[bytes, bytes | None]:
    """A record's text and its literal, if it has one."""
    if isinstance(record, bytes):
        return record, None
    if isinstance(record, tuple) and len(record) == 2:
        text, literal = record
        if isinstance(text, bytes) and isinstance(literal, bytes):
            return text, literal
    raise _ShapeError


class _Response:
    """The items of one response, as imapclient keeps them: a repeated item's last value."""

    __slots__ = ("body", "date", "uid")

    def __init__(self) -> None:
        self.uid: int | None = None
        self.body: tuple[bytes, bytes | None] | None = None  # (key, value): None for NIL
        self.date: tuple[datetime | None] | None = None  # (value,): None for NIL

    def take(self, item: re.Match[bytes], literal: bytes | None) -> bool:
        """Keep one matched item; True when its value was the record's literal."""
        if item["uid"] is not None:
            self.uid = int(item["uid"])
        elif item["date"] is not None:
            self.date = (internal_date(item["date"]),)
        elif item["nodate"] is not None:
            self.date = (None,)
        elif item["body"] is not None:
            if self.body is not None and self.body[0] != item["body"]:
                raise _ShapeError  # two different bodies: imapclient keeps both
            if item["size"] is None:
                self.body = (item["body"], item["quoted"])
                return False
            if literal is None or len(literal) != int(item["size"]):
                raise _ShapeError
            self.body = (item["body"], literal)
            return True
        return False


class _Reader:
    """The records, read one response at a time, each merged into what is known of its UID as
    imapclient merges them: a later response's items replace the earlier ones'."""

    def __init__(self, records: Sequence[object]) -> None:
        self._records = records
        self._next = 0
        self.headers: dict[int, bytes | None] = {}
        self.dates: dict[int, datetime | None] = {}
        self.keys: dict[int, bytes] = {}
        self.uids: dict[int, None] = {}  # every UID answered, in order

    def _take(self) -> tuple[bytes, bytes | None]:
        if self._next >= len(self._records):
            raise _ShapeError  # the answer ends inside a response
        self._next += 1
        return _record(self._records[self._next - 1])

    def read(self) -> None:
        while self._next < len(self._records):
            self._merge(self._response())

    def _response(self) -> _Response:
        """One response: "seq (item value item value ...)", over as many records as it has literals."""
        text, literal = self._take()
        start = _START.match(text)
        if start is None:
            raise _ShapeError
        pos, response = start.end(), _Response()
        while True:
            item = _ITEM.match(text, pos)
            if item is None:
                raise _ShapeError
            pos = item.end()
            if response.take(item, literal):
                text, literal = self._take()  # the response goes on after the literal
                pos = 0
            after = text[pos : pos + 1]
            if after == b")" and pos + 1 == len(text) and literal is None:
                return response
            if after != b" ":
                raise _ShapeError
            pos += 1

    def _merge(self, response: _Response) -> None:
        uid, body, date = response.uid, response.body, response.date
        if uid is None:
            raise _ShapeError  # imapclient would key it by sequence number
        self.uids[uid] = None
        if body is not None:
            if self.keys.setdefault(uid, body[0]) != body[0]:
                raise _ShapeError
            self.headers[uid] = body[1]
        if date is not None:
            self.dates[uid] = date[0]


def read_fetch(records: Sequence[Record]) -> dict[int, Headers] | None:
    """Each answered UID's header block and INTERNALDATE; None for an answer of another shape."""
    if len(records) == 1 and records[0] is None:
        return {}  # imaplib's way of saying that no FETCH response came
    reader = _Reader(records)
    try:
        reader.read()
    except _ShapeError:
        return None
    return {uid: (reader.headers.get(uid) or b"", reader.dates.get(uid)) for uid in reader.uids}


def from_imapclient(parsed: Mapping[int, Mapping[bytes, Any]]) -> dict[int, Headers]:
    """imapclient's parse of the same answer, in the same shape: the first BODY[HEADER.FIELDS ...]
    item (b"" when NIL or absent) and the INTERNALDATE."""
    found = {}
    for uid, data in parsed.items():
        headers = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
        found[uid] = (headers or b"", data.get(b"INTERNALDATE"))
    return found
