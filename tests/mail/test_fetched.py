"""The header fetch's own reader: on every answer it recognises it gives exactly what imapclient's
parser makes of the same records, and every answer of another shape it leaves to imapclient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.response_parser import parse_fetch_response

from keepwarm.mail.fetched import Headers, Record, from_imapclient, read_fetch
from tests.hostile.support import hostile_settings

KEY = b"BODY[HEADER.FIELDS (FROM TO DATE SUBJECT)]"
BLOCK = b"From: Alice <alice@example.org>\r\nSubject: Re: (UID 7) ) {12}\r\n\r\n"
DATE = b'INTERNALDATE "02-Dec-2026 14:03:05 +0100"'
AT = datetime(2026, 12, 2, 14, 3, 5, tzinfo=timezone(timedelta(hours=1)))


@dataclass(frozen=True)
class Lit:
    """A literal inside a response."""

    data: bytes


def records(*responses: list[bytes | Lit]) -> list[Record]:
    """What imaplib makes of these untagged FETCH responses (each without its "* " and "FETCH "):
    the text up to each literal's {size}, with the literal, then the rest of the line alone."""
    found: list[Record] = []
    for parts in responses:
        text = b""
        for part in parts:
            if isinstance(part, Lit):
                found.append((text + b"{%d}" % len(part.data), part.data))
                text = b""
            else:
                text += part
        found.append(text)
    return found


def imapclient_reads(data: list[Record]) -> dict[int, Headers]:
    return from_imapclient(parse_fetch_response(data, normalise_times=False, uid_is_key=True))


def assert_same(fast: dict[int, Headers] | None, data: list[Record]) -> None:
    """Equal to imapclient's reading, to the zone of each time (aware datetimes compare as
    instants, and a touch keeps the zone it was given)."""
    assert fast is not None
    slow = imapclient_reads(data)
    assert fast == slow
    assert list(fast) == list(slow)
    for uid, (_, when) in fast.items():
        other = slow[uid][1]
        assert (when is None) == (other is None)
        if when is not None and other is not None:
            assert when.utcoffset() == other.utcoffset()


def test_dovecots_usual_answer_is_read_as_imapclient_reads_it() -> None:
    data = records(
        [b"1 (UID 17 ", DATE, b" ", KEY, b" ", Lit(BLOCK), b")"],
        [b"2 (UID 18 ", DATE, b" ", KEY, b" ", Lit(b"\r\n"), b")"],
    )
    fast = read_fetch(data)
    assert fast == {17: (BLOCK, AT), 18: (b"\r\n", AT)}
    assert_same(fast, data)


@pytest.mark.parametrize(
    "parts",
    [
        [b"3 (", KEY, b" ", Lit(BLOCK), b" UID 5 ", DATE, b")"],  # the body first, the rest after it
        [b"3 (", DATE, b" UID 5 ", KEY, b" ", Lit(BLOCK), b")"],
        [b"3 (UID 5 FLAGS (\\Seen \\Recent $Forwarded) ", KEY, b" ", Lit(BLOCK), b" ", DATE, b")"],
        [b"3 (MODSEQ (12345) UID 5 ", DATE, b" ", KEY, b" ", Lit(BLOCK), b" FLAGS ())"],
        [b"3 (UID 5 ", DATE, b" ", KEY, b" NIL)"],  # a server that has no header block to give
        [b"3 (UID 5 ", DATE, b" ", KEY, b' "")'],
        [b"3 (UID 5 ", DATE, b" ", KEY, b' "From: a@example.org")'],
        [b"3 (UID 5 ", KEY, b" ", Lit(BLOCK), b")"],  # no INTERNALDATE
        [b"3 (UID 5 INTERNALDATE NIL ", KEY, b" ", Lit(BLOCK), b")"],
        [b"3 (UID 5 ", DATE, b")"],  # no body at all
        [b'3 (UID 5 INTERNALDATE " 2-Dec-2026 23:59:59 -0930" ', KEY, b" ", Lit(BLOCK), b")"],
        [b'3 (UID 5 INTERNALDATE "2-dec-2026 00:00:00 +0000" ', KEY, b" ", Lit(BLOCK), b")"],
        [b"3 (UID 5 ", KEY, b" ", Lit("Subject: caf\xe9 (8-bit) UID 9)\r\n\r\n".encode("latin-1")), b")"],
        [b"3 (UID 5 ", KEY, b" ", Lit(b""), b")"],
    ],
)
def test_each_shape_a_server_may_answer_in_is_read_as_imapclient_reads_it(parts: list[bytes | Lit]) -> None:
    data = records(parts)
    assert_same(read_fetch(data), data)


def test_unsolicited_responses_merge_into_their_uid_as_imapclient_merges_them() -> None:
    data = records(
        [b"7 (UID 30 FLAGS (\\Seen))"],  # before its own response
        [b"7 (UID 30 ", DATE, b" ", KEY, b" ", Lit(BLOCK), b")"],
        [b"9 (UID 99 FLAGS (\\Deleted))"],  # a message not asked for: answered, without a body
        [b"8 (UID 31 ", DATE, b" ", KEY, b" ", Lit(BLOCK), b")"],
        [b"8 (UID 31 INTERNALDATE NIL)"],  # a later item replaces the earlier one
        [b"8 (UID 31 ", KEY, b" NIL)"],
    )
    fast = read_fetch(data)
    assert fast == {30: (BLOCK, AT), 99: (b"", None), 31: (b"", None)}
    assert_same(fast, data)


def test_no_fetch_response_at_all_is_nothing_answered() -> None:
    assert read_fetch([None]) == {} == imapclient_reads([None])
    assert read_fetch([]) == {}


@pytest.mark.parametrize(
    "data",
    [
        records([b"7 (FLAGS (\\Seen))"]),  # no UID: imapclient keys it by sequence number
        records([b"3 (UID 5 RFC822.SIZE 120 ", KEY, b" ", Lit(BLOCK), b")"]),  # an item not read here
        records([b"3 (UID 5 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))"]),
        records([b"3 (uid 5 ", KEY, b" ", Lit(BLOCK), b")"]),
        records([b"3 (UID 5  ", KEY, b" ", Lit(BLOCK), b")"]),  # two blanks
        records([b"3 (UID 5 ", KEY, b" ", Lit(BLOCK), b") "]),
        records([b"3 (UID 5 ", KEY, b" ", Lit(BLOCK), b" UID 6"]),  # no closing parenthesis
        records([b"3 (UID 5 ", KEY, b" ", Lit(BLOCK)])[:-1],  # the answer ends at the literal
        records([b"3 (UID 5 ", KEY, b" ", Lit(BLOCK), b")"], [b"3 (UID 5 BODY[HEADER.FIELDS (TO)] NIL)"]),
        records([b"3 (UID 5 ", KEY, b" NIL BODY[HEADER.FIELDS (TO)] ", Lit(BLOCK), b")"]),
        records([b"3 (UID 5 ", KEY, b' "a\\"b")']),  # an escape in a quoted string
        records([b'3 (UID 5 INTERNALDATE "02-Dec-2026 14:03:05 -0000")']),  # imapclient: no zone
        records([b'3 (UID 5 INTERNALDATE "02-Dec-0050 14:03:05 +0000")']),  # imapclient: 2050
        records([b'3 (UID 5 INTERNALDATE "31-Feb-2026 14:03:05 +0000")']),
        records([b'3 (UID 5 INTERNALDATE "02-Dec-2026 25:03:05 +0000")']),
        records([b'3 (UID 5 INTERNALDATE "02-Dek-2026 14:03:05 +0000")']),
        records([b'3 (UID 5 INTERNALDATE "02-Dec-2026 14:03:05 +2400")']),
        records([b'3 (UID 5 INTERNALDATE "Tue, 02 Dec 2026 14:03:05 +0000")']),
        [(b"3 (UID 5 " + KEY + b" {3}", b"ab"), b")"],  # a literal shorter than announced
        [(b"3 (UID 5 " + KEY + b" {2}", b"ab"), (b" FLAGS () {1}", b"x"), b")"],
        [b"3 (UID 5 ", None],
        [b"3 (UID 5)", (b"a", b"b", b"c")],  # not a record imaplib makes
        [b"3 (UID 5)", "3 (UID 6)"],
    ],
)
def test_an_answer_of_any_other_shape_is_left_to_imapclient(data: list[Record]) -> None:
    assert read_fetch(data) is None


# -- generated answers -------------------------------------------------------------------------

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@st.composite
def _internal_dates(draw: st.DrawFn) -> bytes:
    """Mostly dates as servers write them, sometimes broken in one of the ways imapclient reads
    in its own way (which the reader must then leave to it)."""
    when = draw(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31)))
    minutes = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
    day = draw(st.sampled_from(["%02d", "%2d", "%d"])) % when.day
    month = draw(st.sampled_from([_MONTHS[when.month - 1], _MONTHS[when.month - 1].upper(), "Foo"]))
    sign = "-" if minutes < 0 or (draw(st.booleans()) and minutes == 0) else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    text = f"{day}-{month}-{when.year:04d} {when:%H:%M:%S} {zone}"
    broken = draw(st.sampled_from(["", "", "", "", "", "25:00:00", "0050", "+9999", "-0000", "32-"]))
    if broken == "32-":
        text = "32-" + text.split("-", 1)[1]
    elif broken == "0050":
        text = text.replace(f"{when.year:04d}", "0050")
    elif broken:
        text = text.replace(f"{when:%H:%M:%S}" if ":" in broken else zone, broken)
    return f'INTERNALDATE "{text}"'.encode()


_BODIES = st.one_of(
    st.binary(max_size=300).map(Lit),
    st.sampled_from([b"NIL", b'""', b'"From: a@example.org"']),
    st.lists(st.sampled_from([b"From: a", b"UID 3)", b"(", b")", b"{5}", b"\r\n", b"\xe9", b" "])).map(
        lambda parts: Lit(b"".join(parts))
    ),
)


@st.composite
def _response(draw: st.DrawFn) -> list[bytes | Lit]:
    items: list[list[bytes | Lit]] = []
    if draw(st.integers(0, 9)):  # now and then a response without UID
        items.append([b"UID %d" % draw(st.integers(1, 6))])
    if draw(st.booleans()):
        items.append([draw(st.one_of(_internal_dates(), st.just(b"INTERNALDATE NIL")))])
    if draw(st.integers(0, 4)):
        items.append([KEY + b" ", draw(_BODIES)])
    if draw(st.booleans()):
        items.append([draw(st.sampled_from([b"FLAGS ()", b"FLAGS (\\Seen \\Answered)", b"MODSEQ (9)"]))])
    if not draw(st.integers(0, 19)):
        items.append([b"RFC822.SIZE 1234"])
    items = draw(st.permutations(items))
    parts: list[bytes | Lit] = [b"%d (" % draw(st.integers(1, 9))]
    for n, item in enumerate(items):
        parts += ([b" "] if n else []) + item
    return [*parts, b")"]


@hostile_settings()
@given(responses=st.lists(_response(), max_size=6))
def test_generated_answers_read_as_imapclient_reads_them_or_are_left_to_it(
    responses: list[list[bytes | Lit]],
) -> None:
    data: list[Record] = records(*responses) if responses else [None]
    fast = read_fetch(data)
    if fast is not None:
        assert_same(fast, data)


@hostile_settings()
@given(
    uid=st.integers(1, 2**32 - 1),
    body=st.binary(max_size=2000),
    when=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
)
def test_the_usual_answer_is_always_read_here_not_left_to_imapclient(
    uid: int, body: bytes, when: datetime
) -> None:
    stamp = f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year} {when:%H:%M:%S} +0000"
    data = records(
        [b"1 (UID %d " % uid, f'INTERNALDATE "{stamp}"'.encode(), b" ", KEY, b" ", Lit(body), b")"]
    )
    assert_same(read_fetch(data), data)
