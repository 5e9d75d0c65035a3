"""The header block's first reading: the one-decode path for ordinary blocks reads exactly what the
value-by-value path reads, the common Date shape exactly what email.utils reads, and what a
backfill shares between messages (one address string per person) is shared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepwarm.mail import headers
from keepwarm.mail.message import parse_headers
from tests.hostile.strategies import date_value
from tests.hostile.strategies import headers as header_fields
from tests.hostile.support import hostile_settings


def _block(fields: list[tuple[bytes, bytes]], eol: bytes) -> bytes:
    return b"".join(name + b": " + value + eol for name, value in fields) + eol


def _readable(fields: headers.Fields) -> headers.Fields:
    """The fields any reader can ask for: names of ASCII (the two readings keep others apart
    under keys of their own, which no header keepwarm reads has)."""
    return {k: v for k, v in fields.items() if k.isascii() and not k.startswith("\x00")}


def _same_in_one_decode(raw: bytes) -> None:
    assert _readable(headers.read_fields(raw)) == _readable(headers._capped(raw))


@hostile_settings()
@given(fields=header_fields(), eol=st.sampled_from([b"\r\n", b"\n"]))
def test_an_ordinary_block_reads_the_same_in_one_decode(
    fields: list[tuple[bytes, bytes]], eol: bytes
) -> None:
    _same_in_one_decode(_block(fields, eol))  # (a block not of UTF-8 is read value by value anyway)


@pytest.mark.parametrize(
    "raw",
    [
        b"X-\xe2\x84\xaaeepwarm: 1\r\nFrom: a@example.org\r\n\r\n",  # a Kelvin sign is no K
        b"From\xc2\xa0: a@example.org\r\nTo: b@example.org\r\n\r\n",  # nor a no-break space a blank
        b"junk line\r\n continued\r\nFrom: a@example.org\r\n more\r\n\r\n",
        b" lead\r\nTo: b@example.org\r\n\tfolded\r\n\r\nFrom: after@example.org\r\n",
        b"From: a@example.org\rTo: b@example.org\r\n\n\r\n",
        b"\x1cFrom\x1f: a@example.org\r\n\r\n",
    ],
)
def test_odd_blocks_read_the_same_in_one_decode(raw: bytes) -> None:
    _same_in_one_decode(raw)
    assert not parse_headers(raw).keepwarm_mark


def test_a_block_over_the_cap_is_cut_value_by_value() -> None:
    long = b"x" * headers.MAX_HEADER_CHARS + "é".encode() * 20
    raw = b"Subject: " + long + b"\r\nFrom: a@example.org\r\n\r\n"
    fields = headers.read_fields(raw)
    assert len(fields["subject"][0]) == headers.MAX_HEADER_CHARS
    assert fields["from"] == ["a@example.org"]


def _expected(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@hostile_settings()
@given(value=date_value())
def test_the_date_reads_as_email_utils_reads_it(value: bytes) -> None:
    text = value.decode("utf-8", "replace")
    got, expected = headers.header_date(text), _expected(text)
    assert got == expected
    assert (got and got.utcoffset()) == (expected and expected.utcoffset())


@hostile_settings()
@given(
    when=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    minutes=st.integers(-24 * 60 + 1, 24 * 60 - 1),
    shape=st.sampled_from(["{}", "{} (CET)", "{}\t(UTC)  ", "{}   trailing words"]),
)
def test_the_common_date_shape_reads_as_email_utils_reads_it(
    when: datetime, minutes: int, shape: str
) -> None:
    written = format_datetime(when.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes))))
    for value in (shape.format(written), shape.format(written.split(", ", 1)[1]), written.replace(", ", ",")):
        got = headers.header_date(value)
        assert got == _expected(value)
        assert got is not None and got.utcoffset() == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 20 Nov 2026 08:30:00 -0000",  # zone unknown: UTC
        "Tue, 1 Jan 0050 00:00:00 +0000",  # a year written 0050 reads as 2050
        "Tue, 1 Jan 0099 00:00:00 +0000",
        "Sat, 31 Feb 2026 08:30:00 +0000",  # no such day
        "Sat, 1 Feb 2026 24:00:00 +0000",
        "Sat, 1 Feb 2026 08:30:00 +2400",  # no such zone
        "Sat, 1 Feb 2026 08:30:00 +0560",  # read as email.utils reads it: six hours
        "Sat, 1 Xyz 2026 08:30:00 +0000",
        "Sat, 1 FEB 2026 08:30:00 +0000",
    ],
)
def test_edge_dates_read_as_email_utils_reads_them(value: str) -> None:
    assert headers.header_date(value) == _expected(value)


def test_touches_with_one_person_share_one_address_string() -> None:
    block = b"From: Alice <Alice@Example.org>\r\nTo: naomi@example.com\r\n"
    first, second = parse_headers(block + b"\r\n"), parse_headers(block + b"Subject: later\r\n\r\n")
    assert first.from_[0].address == "alice@example.org"
    assert first.from_[0].address is second.from_[0].address
