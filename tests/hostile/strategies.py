"""Hypothesis strategies for hostile mail: header values, addresses, MIME trees, command texts."""

from __future__ import annotations

import base64
import binascii
import quopri
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import strategies as st

from keepwarm.domain.tokens import make_token
from tests.hostile.support import (
    ALICE,
    DAEMON,
    EVE,
    OTHER_SECRET,
    OWNER,
    REMINDED,
    SECRET,
    SERVID,
    STRANGER,
    reply_address,
)

# The seeded store's reminder is outbox row 1, queued at REMINDED: its genuine token.
VALID_TOKEN = make_token(SECRET, 1, REMINDED)
STALE_TOKEN = make_token(SECRET, 1, REMINDED - timedelta(days=91))
FOREIGN_TOKEN = make_token(OTHER_SECRET, 1, REMINDED)

# Charsets mail declares: common ones, and names that are no text codec or no name at all.
COMMON_CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "shift_jis",
    "iso-2022-jp",
    "big5",
    "utf-16",
    "utf-7",
    "cp037",
]
HOSTILE_CHARSETS = [
    "unknown-8bit",
    "x-unknown",
    "undefined",
    "idna",
    "punycode",
    "base64",
    "rot13",
    "utf-8\x00",
    "",
    '"utf-8',
    "utf-8'en'",
    "\u00e9",
]
CHARSETS = COMMON_CHARSETS + HOSTILE_CHARSETS
INJECTIONS = [
    "X-Injected: 1",
    "\r\nX-Injected: 1",
    "\nX-Injected: 1",
    "\rX-Injected: 1",
    "\r\nBcc: eve@evil.example",
    "\r\n\r\nbody text",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
]
# Encoded words that decode to header-breaking text, and one encoded twice (decodes to another one).
ENCODED_INJECTIONS = [
    "=?utf-8?q?Eve=0D=0AX-Injected:_1?=",
    "=?utf-8?q?Eve=0D=0ABcc:_eve@evil.example?=",
    "=?utf-8?b?RXZlDQpYLUluamVjdGVkOiAx?=",
    "=?iso-8859-1?q?a=0Ab?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FEve=3D0D=3D0AX-Injected=3A=5F1=3F=3D?=",
    "=?\u00e9?q?Eve?=",
    "=?\x80?B??=",
]
TRICKY = [
    *INJECTIONS,
    *ENCODED_INJECTIONS,
    "\r\n ",
    "\r\n\t",
    "\n ",
    '"',
    "<",
    ">",
    "(",
    ")",
    "\\",
    ",",
    ";",
    ":",
    "@",
    "<>",
    "=?",
    "?=",
    "=?utf-8?q?",
    "=?x-bogus?q?abc?=",
    "=?utf-8?b?####?=",
    "=?utf-8?z?abc?=",
    " ",
    "\t",
    "\u00e9",
    "\u202e",
    "\U0001f600",
]
ADDRESSES = [
    OWNER,
    OWNER.upper(),
    "naomi+news@example.com",
    DAEMON,
    "naomi+keepwarm+3w@example.com",
    "naomi+keepwarm+nonsense@example.com",
    reply_address(VALID_TOKEN),
    reply_address(STALE_TOKEN),
    reply_address(FOREIGN_TOKEN),
    STRANGER,
    EVE,
    ALICE,
    "noreply@example.org",
    "a@b",
    "@",
    "",
    "<>",
    f"{OWNER}.evil.example",
    f'"{OWNER}"@evil.example',
]

_text = st.text(st.characters(codec="utf-8"), max_size=24)
_encodings = st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16"])


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    """An RFC 2047 word: valid or broken, any charset, sometimes a word encoded twice."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(ENCODED_INJECTIONS))
    charset = draw(st.sampled_from(CHARSETS))
    text = draw(st.one_of(_text, st.sampled_from(TRICKY)))
    if draw(st.booleans()):
        text = draw(encoded_word())  # the decoded text is itself an encoded word
    data = text.encode("utf-8", "replace")
    kind = draw(st.sampled_from("bBqQx"))
    if kind in "bB":
        payload = base64.b64encode(data).decode()
        if draw(st.booleans()):
            payload = payload[: draw(st.integers(0, len(payload)))]  # broken padding
    elif kind in "qQ":
        payload = "".join(
            chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data
        )
    else:
        payload = text
    return f"=?{charset}?{kind}?{payload}?="


def _fragment() -> st.SearchStrategy[bytes]:
    text = st.one_of(_text, st.sampled_from(TRICKY + ADDRESSES), encoded_word())
    return st.one_of(
        st.tuples(text, _encodings).map(lambda p: p[0].encode(p[1], "replace")),
        st.binary(max_size=12),
    )


def header_value() -> st.SearchStrategy[bytes]:
    """Any header value: text in any encoding, raw 8-bit bytes, folding, CR/LF, encoded words."""
    return st.lists(_fragment(), max_size=8).map(b"".join)


@st.composite
def mailbox(draw: st.DrawFn) -> str:
    """One address, plain, named, quoted, commented, routed or broken."""
    address = draw(st.sampled_from(ADDRESSES))
    name = draw(st.one_of(st.just(""), _text, st.sampled_from(TRICKY), encoded_word()))
    form = draw(st.integers(0, 7))
    if form == 0:
        return address
    if form == 1:
        return f"{name} <{address}>"
    if form == 2:
        return f'"{name}" <{address}>'
    if form == 3:
        return f"{address} ({name})"
    if form == 4:
        return f"<@evil.example:{address}>"
    if form == 5:
        return f"{draw(st.sampled_from(ADDRESSES))}){name}<{address}>"  # the getaddresses trick
    if form == 6:
        return f"{name}: {address};"  # group syntax
    return f"{name}{draw(st.sampled_from(TRICKY))}<{address}>"


@st.composite
def address_list(draw: st.DrawFn) -> bytes:
    """An address header value: mailboxes joined by commas (or junk), sometimes with noise."""
    boxes = draw(st.lists(mailbox(), min_size=1, max_size=4))
    separator = draw(st.sampled_from([", ", ",", " ", ";", "\r\n ", ",\r\n\t", ""]))
    value = separator.join(boxes).encode("utf-8", "replace")
    if draw(st.integers(0, 3)) == 0:
        value += draw(header_value())
    return value


def message_id() -> st.SearchStrategy[bytes]:
    """A Message-ID/References/In-Reply-To value: keepwarm's own, a stranger's, or garbage."""
    ids = st.one_of(
        st.sampled_from(
            [
                f"kw-{VALID_TOKEN}@example.com",
                f"kw-{STALE_TOKEN}@example.com",
                f"kw-{FOREIGN_TOKEN}@example.com",
                "abc.123@mail.example.org",
                "=?utf-8?q?x=0D=0AX-Injected:_1?=@evil.example",
                "",
            ]
        ),
        _text,
    )
    return st.one_of(
        st.lists(ids, max_size=3).map(lambda xs: " ".join(f"<{x}>" for x in xs).encode("utf-8", "replace")),
        header_value(),
    )


def auth_results() -> st.SearchStrategy[bytes]:
    """An Authentication-Results value: our server's or another's, passing or not, or garbage."""
    servid = st.sampled_from([SERVID, SERVID.upper(), "relay.evil.example", f"{SERVID}.evil.example", ""])
    method = st.sampled_from(["dmarc", "dkim", "spf", "arc", "DKIM", "x"])
    result = st.sampled_from(["pass", "fail", "none", "neutral", "PASS", ""])
    prop = st.sampled_from(
        [
            "header.d=example.com",
            "header.d=evil.example",
            "header.d=com",
            "header.from=example.com",
            "header.from=evil.example",
            "header.i=@example.com",
            "(dmarc=pass header.from=example.com)",
            "",
        ]
    )
    stamp = st.tuples(
        servid, st.lists(st.tuples(method, result, prop), max_size=3), st.sampled_from(["", " 1", " (x)"])
    ).map(lambda t: f"{t[0]}{t[2]}; " + "; ".join(f"{m}={r} {p}" for m, r, p in t[1]))
    return st.one_of(stamp.map(lambda s: s.encode()), header_value())


@st.composite
def date_value(draw: st.DrawFn) -> bytes:
    """A Date value: valid in any zone and year, or broken."""
    if draw(st.booleans()):
        when = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
        zone = draw(st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]))
        return format_datetime(when.replace(tzinfo=zone)).encode()
    return draw(
        st.one_of(
            st.sampled_from(
                [
                    b"Mon, 32 Foo 99999 25:61:61 +9999",
                    b"Fri, 20 Nov 2026 08:30:00 -0000",
                    b"Tue, 1 Jan 0000 00:00:00 +0000",
                    b"Sun, 31 Dec 9999 23:59:59 -2359",
                    b"1 Jan 1970",
                    b"",
                ]
            ),
            header_value(),
        )
    )


HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Authentication-Results",
    "Delivered-To",
    "X-Original-To",
    "Return-Path",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "X-Keepwarm",
    "Reply-To",
    "X-Autoreply",
]


def value_for(name: str) -> st.SearchStrategy[bytes]:
    """A hostile value suited to the header ``name``."""
    lower = name.lower()
    if lower in ("from", "to", "cc", "bcc", "delivered-to", "x-original-to", "reply-to"):
        return st.one_of(address_list(), header_value())
    if lower in ("message-id", "in-reply-to", "references"):
        return message_id()
    if lower == "authentication-results":
        return auth_results()
    if lower == "date":
        return date_value()
    return header_value()


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A header block: the fields keepwarm reads (some repeated, some missing), in any order."""
    names = draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=14))
    if draw(st.integers(0, 5)) == 0:
        names.append(draw(st.text(max_size=12)))  # a name that is no header name at all
    return [(n.encode("utf-8", "replace"), draw(value_for(n))) for n in names]


# -- bodies ----------------------------------------------------------------------------------------

COMMANDS = [
    "done",
    "done call Met at the museum",
    "did coffee",
    "talked",
    "snooze",
    "snooze 2w",
    "snooze until 2027-01-10",
    "snooze 2 until 2027-01-10",
    "snooze 1 3w",
    "later",
    "every 3 weeks",
    "cadence monthly",
    "pause",
    "resume",
    "stop",
    "undo",
    "help",
    "note likes jazz",
    "group friends",
    "birthday 1990-05-17",
    "birthday --05-17",
    "add Eve <eve@evil.example>",
    "add Eve Example <eve@evil.example> every 3w group friends",
    "log call with alice@example.org a note",
    "log with alice@example.org",
    "due",
    "status",
    "list",
    "news: we moved to Lisbon",
    "news: moved for 3 months",
    "news",
    "news clear",
    "thanks Alice for the book",
    "drop opener 1",
    "for Alice",
    "for Priya",
    "https://example.org/article",
    "--",
    "thanks",
    "Sent from my iPhone",
    "> quoted",
    "On Fri, Nov 20, 2026 at 8:30 AM keepwarm <naomi+keepwarm@example.com> wrote:",
]
# Words that make a parser's int(), float() or date handling stumble.
HOSTILE_WORDS = [
    "\u00b2",
    "\u0661\u0662",
    "\U0001d7d9",
    "\u216b",
    "9" * 309 + "d",
    "9" * 400,
    "1e400",
    "0",
    "-1",
    "999",
    "0.5d",
    "nan",
    "inf",
    "until",
    "every",
    "opener",
    "with",
    "2027-02-30",
    "\x00",
    "\u2028",
    "\x85",
    "\x0b",
    "\ufeff",
    "=?utf-8?q?Eve=0D=0ABcc:_eve@evil.example?= <eve@evil.example>",
    "<",
    ">",
    '"',
    "@",
]


@st.composite
def command_line(draw: st.DrawFn) -> str:
    """A line the owner might write, or a near miss built to break the parsers."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(st.sampled_from(COMMANDS))
    if choice == 1:
        return f"{draw(st.sampled_from(COMMANDS))} {draw(st.sampled_from(HOSTILE_WORDS))}"
    if choice == 2:
        verb = draw(st.sampled_from(COMMANDS)).split(" ")[0]
        words = draw(st.lists(st.sampled_from(HOSTILE_WORDS + COMMANDS), min_size=1, max_size=3))
        return " ".join([verb, *words])
    if choice == 3:
        return draw(_text)
    return draw(st.sampled_from(HOSTILE_WORDS))


@st.composite
def command_text(draw: st.DrawFn) -> str:
    """A body of command lines, blank lines, quotes and sign-offs."""
    lines = draw(st.lists(st.one_of(command_line(), st.just("")), max_size=8))
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


HTML_NOISE = [
    "<![foo[ x ]]>",
    "<![if !supportLists]>",
    "<!--[if mso]>x<![endif]-->",
    "<script>alert(1)</script>",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<table><tr><td>",
    "<a href='https://example.org/x'>link</a>",
    "<img src=x>",
    "</",
    "<!",
    "<?xml version='1.0'?>",
    "<![CDATA[x]]>",
    "<blockquote>quoted</blockquote>",
    "<div class=gmail_quote>On Fri wrote:</div>",
]


@st.composite
def html_text(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.one_of(command_line(), st.sampled_from(HTML_NOISE)), max_size=6))
    if draw(st.integers(0, 3)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(HTML_NOISE[:4])))
    tag = draw(st.sampled_from(["p", "div", "span", "br", "pre"]))
    return "<html><body>" + "".join(f"<{tag}>{line}</{tag}>" for line in lines) + "</body></html>"


def _encode_text(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset, "replace")
    except (LookupError, ValueError, TypeError, UnicodeError):
        return text.encode("utf-8", "replace")


@st.composite
def leaf(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    """A leaf part: its header lines and its (transfer-encoded, perhaps damaged) body."""
    ctype = draw(
        st.sampled_from(
            [
                *["text/plain"] * 4,
                *["text/html"] * 3,
                "text/enriched",
                "application/octet-stream",
                "message/rfc822",
                "image/png",
                "text/x-unknown",
                "text",
                "/",
                "multipart/alternative",
            ]
        )
    )
    charset = draw(st.sampled_from(HOSTILE_CHARSETS if draw(st.integers(0, 2)) == 0 else COMMON_CHARSETS))
    text = draw(html_text()) if ctype == "text/html" else draw(command_text())
    data = _encode_text(text, charset) if draw(st.integers(0, 5)) else draw(st.binary(max_size=64))
    cte = draw(
        st.sampled_from(
            [None, "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", "BASE64 "]
        )
    )
    if cte is not None and cte.strip().lower() == "base64":
        data = base64.encodebytes(data)
    elif cte == "quoted-printable":
        data = quopri.encodestring(data)
    elif cte == "x-uuencode":
        data = b"begin 644 x\n" + binascii.b2a_uu(data[:45]) + b"`\nend\n"
    if draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut:]
    param = draw(
        st.sampled_from(
            [f'; charset="{charset}"', f"; charset={charset}", f"; charset*=utf-8''{charset}", "", "; ;="]
        )
    )
    lines = [f"Content-Type: {ctype}{param}".encode("utf-8", "replace")]
    if cte is not None:
        lines.append(f"Content-Transfer-Encoding: {cte}".encode())
    if draw(st.integers(0, 6)) == 0:
        lines.append(b"Content-Disposition: attachment; filename=" + draw(header_value()))
    return lines, data


def _multipart(
    children: st.SearchStrategy[tuple[list[bytes], bytes]],
) -> st.SearchStrategy[tuple[list[bytes], bytes]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "digest", "signed", "x-bogus"]))
        boundary = draw(st.sampled_from(["b1", "b2", "==x==", "", " ", "--", "a" * 80]))
        parts = draw(st.lists(children, max_size=4))
        body = b"preamble\r\n"
        for part_headers, part_body in parts:
            body += b"--" + boundary.encode() + b"\r\n" + b"\r\n".join(part_headers) + b"\r\n\r\n"
            body += part_body + b"\r\n"
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\nepilogue\r\n"
        param = draw(st.sampled_from([f'; boundary="{boundary}"', f"; boundary={boundary}", ""]))
        return [f"Content-Type: multipart/{subtype}{param}".encode()], body

    return build()


def mime_body() -> st.SearchStrategy[tuple[list[bytes], bytes]]:
    """A MIME tree: leaves of any type, charset and encoding, nested multiparts up to a few deep."""
    return st.recursive(leaf(), _multipart, max_leaves=6)


@st.composite
def raw_message(draw: st.DrawFn) -> bytes:
    """A whole hostile message: generated headers, a MIME body, CRLF or LF line ends."""
    fields = draw(headers())
    mime_headers, body = draw(mime_body())
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    lines = [name + b": " + value for name, value in fields]
    # MIME headers first, half the time: a hostile header that ends the block early then leaves
    # the structure intact for the body readers to chew on.
    mime = [b"MIME-Version: 1.0", *mime_headers] if draw(st.booleans()) else mime_headers
    lines = [*mime, *lines] if draw(st.booleans()) else [*lines, *mime]
    return eol.join(lines) + eol + eol + body


# -- messages to the daemon ------------------------------------------------------------------------


@st.composite
def command_message(draw: st.DrawFn) -> bytes:
    """A message meant as a command: mostly the owner's shape (so commands run), with hostile
    parts anywhere: sender, recipients, subject, threading, Authentication-Results, body."""
    sender = draw(
        st.one_of(
            st.sampled_from([OWNER, f"Naomi Owner <{OWNER}>", STRANGER, f"Naomi Owner <{STRANGER}>"]).map(
                str.encode
            ),
            address_list(),
        )
    )
    to = draw(
        st.one_of(
            st.sampled_from(
                [DAEMON, reply_address(VALID_TOKEN), reply_address(STALE_TOKEN), reply_address(FOREIGN_TOKEN)]
            ).map(str.encode),
            address_list(),
        )
    )
    subject = draw(
        st.one_of(
            st.sampled_from(COMMANDS).map(str.encode),
            st.just(f"Re: Check in with Alice Example [{VALID_TOKEN}]".encode()),
            header_value(),
        )
    )
    fields: list[tuple[bytes, bytes]] = [(b"From", sender), (b"To", to), (b"Subject", subject)]
    if draw(st.booleans()):
        fields.append((b"References", draw(message_id())))
    if draw(st.booleans()):
        fields.append((b"In-Reply-To", draw(message_id())))
    if draw(st.booleans()):
        fields.append((b"Message-ID", draw(message_id())))
    if draw(st.booleans()):
        fields.append((b"Date", draw(date_value())))
    fields += [(b"Authentication-Results", draw(auth_results())) for _ in range(draw(st.integers(0, 2)))]
    fields += draw(headers()) if draw(st.integers(0, 3)) == 0 else []
    fields = draw(st.permutations(fields))
    mime_headers, body = draw(
        st.one_of(
            command_text().map(lambda t: ([b'Content-Type: text/plain; charset="utf-8"'], t.encode())),
            mime_body(),
        )
    )
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    lines = [name + b": " + value for name, value in fields]
    mime = [b"MIME-Version: 1.0", *mime_headers]
    lines = [*mime, *lines] if draw(st.booleans()) else [*lines, *mime]
    return eol.join(lines) + eol + eol + body


@st.composite
def hostile_leaf(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    """One text part at its most hostile: a charset that is no text codec, or HTML markup that
    trips html.parser."""
    if draw(st.booleans()):
        charset = draw(st.sampled_from(HOSTILE_CHARSETS))
        text = draw(command_text()).encode("utf-8", "replace")
        return [f"Content-Type: text/plain; charset={charset}".encode("utf-8", "replace")], text
    lines = [draw(command_line()), draw(st.sampled_from(HTML_NOISE)), draw(command_line())]
    return [b"Content-Type: text/html"], "<br>".join(lines).encode("utf-8", "replace")


@st.composite
def body_message(draw: st.DrawFn) -> bytes:
    """Plain, well-formed headers over a hostile MIME body: every example reaches the body readers."""
    mime_headers, body = draw(st.one_of(hostile_leaf(), mime_body()))
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    lines = [f"From: {OWNER}".encode(), f"To: {DAEMON}".encode(), b"Subject: x", b"MIME-Version: 1.0"]
    return eol.join([*lines, *mime_headers]) + eol + eol + body
