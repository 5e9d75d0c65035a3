"""Raw header bytes to an InboundMail: tolerant of every kind of broken mail found in the wild.

Header lines are unfolded here, common address shapes read by a regular expression, and anything
unusual handed to ``email.utils.getaddresses``: none of it raises on odd input, unlike the
structured headers of ``policy.default`` (which raise on ``Message-ID: <>``, ``To: <`` and more),
and it is several times faster, which matters when backfilling years of mail.

Only what every decision needs is read at once (addresses, the marks of automatic mail, the
key); the Date, Subject, threading and authentication headers are read when first asked for
(``_Later``). A mailbox's address headers repeat (the owner's address is in every To), so each
short value's reading is remembered (a bounded cache), which also lets every touch with one
person share one address string.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses
from functools import lru_cache

from keepwarm.domain.addresses import AddressError, normalize_address
from keepwarm.domain.inbound import InboundMail, Mailbox
from keepwarm.mail.headers import MAX_HEADER_CHARS, Fields, clean, first, header_date, read_fields

# Fetched with BODY.PEEK, so reading them never marks the owner's mail as read.
HEADER_FIELDS = (
    "FROM",
    "TO",
    "CC",
    "BCC",
    "DATE",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "LIST-ID",
    "PRECEDENCE",
    "AUTO-SUBMITTED",
    "X-AUTOREPLY",
    "X-AUTORESPOND",
    "RETURN-PATH",
    "DELIVERED-TO",
    "X-ORIGINAL-TO",
    "X-KEEPWARM",
    # multipart/... or text/calendar: whether a meeting invitation may be inside (mail.structure).
    "CONTENT-TYPE",
    # The provider's verdict on the sender: mail "from the owner" that fails it is forged.
    "AUTHENTICATION-RESULTS",
)
KEEPWARM_HEADER = "X-Keepwarm"
_MSGID = re.compile(r"<([^<>\s]+)>")
_MAX_SUBJECT = 300
# Only the topmost stamps matter (the provider's is on top); a message with more is only noise.
_MAX_STAMPS = 10
# Address values up to this long are remembered, this many of them: a few MB at most.
_CACHED_VALUE = 512
_CACHE_SIZE = 4096

__all__ = ["HEADER_FIELDS", "KEEPWARM_HEADER", "MAX_HEADER_CHARS", "parse_headers"]


def _decoded(value: str) -> str:
    """Decode RFC 2047 words; undecodable ones stay as written rather than failing the message."""
    text = value
    if "=?" in value:
        # The email package raises many kinds of error on hostile words (CharsetError for a
        # charset named "é", LookupError, UnicodeError…); any of them leaves the text as written.
        with contextlib.suppress(Exception):
            text = clean(str(make_header(decode_header(value))))
    return " ".join(text.split())


# The usual shapes of one mailbox: "Name <addr>", "\"Name\" <addr>", "<addr>" or "addr". Anything
# else (lists, comments, quoted commas, groups) goes to email.utils.getaddresses.
# Matched against the stripped value, and written so that no two parts can take the same blanks:
# the name starts and ends with a non-blank (a pattern with "\s*" on both sides of a name that may
# hold blanks takes cubic time on a long run of them, which anyone can send).
_SIMPLE = re.compile(
    r'^(?:"([^"\\]*)"|([^"<>,;:()\\@\s](?:[^"<>,;:()\\@]*[^"<>,;:()\\@\s])?))?'
    r'\s*<([^<>\s,;:()"@]+@[^<>\s,;:()"@]+)>$'
)
_BARE = re.compile(r'^([^<>\s,;:()"@]+@[^<>\s,;:()"@]+)$')
# Nested comments deeper than this are flattened before getaddresses, which recurses on them.
_MAX_NESTING = 8


def _flat_comments(value: str) -> str:
    """The value with its (nested (comments)) removed, in one pass, when they nest deeply."""
    depth = deepest = 0
    for ch in value:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")" and depth:
            depth -= 1
    if deepest <= _MAX_NESTING:
        return value
    out, depth = [], 0
    for ch in value:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def _parsed(value: str) -> list[tuple[str, str]]:
    """getaddresses, which may still raise on hostile input: then the value gives no address."""
    try:
        return getaddresses([_flat_comments(value)])
    except Exception:  # RecursionError, or whatever the email package does with the next trick
        return [("", "")]


def _pairs(raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of one header value, the fast way for the common shapes."""
    value = raw.strip()
    simple = _SIMPLE.match(value)
    if simple:
        return [(simple.group(1) or simple.group(2) or "", simple.group(3))]
    bare = _BARE.match(value)
    if bare:
        return [("", bare.group(1))]
    return _parsed(value)


def _read_value(value: str) -> tuple[int, tuple[Mailbox, ...]]:
    """How many entries one header value lists, and its valid addresses, each once."""
    pairs = _pairs(value)
    found: dict[str, Mailbox] = {}
    for display, address in pairs:
        try:
            normalized = normalize_address(address)
        except AddressError:
            continue
        if normalized not in found:
            found[normalized] = Mailbox(_decoded(display).strip('"'), normalized)
    return len(pairs), tuple(found.values())


_remembered = lru_cache(maxsize=_CACHE_SIZE)(_read_value)


def _value(value: str) -> tuple[int, tuple[Mailbox, ...]]:
    """``_read_value``, remembered for the short values that make up nearly every mailbox."""
    return _remembered(value) if len(value) <= _CACHED_VALUE else _read_value(value)


def _read(values: list[str]) -> tuple[int, tuple[Mailbox, ...]]:
    """Entries listed and valid addresses (each once, first reading kept) of several values."""
    if len(values) == 1:
        return _value(values[0])
    count, found = 0, dict[str, Mailbox]()
    for value in values:
        listed, boxes = _value(value)
        count += listed
        for box in boxes:
            found.setdefault(box.address, box)
    return count, tuple(found.values())


def _mailboxes(values: list[str] | None) -> tuple[Mailbox, ...]:
    """Every valid address in these header values."""
    return _read(values)[1] if values else ()


def _senders(values: list[str] | None) -> tuple[Mailbox, ...]:
    """From addresses; an unparseable From counts as two so that it is refused, never guessed."""
    if not values:
        return ()
    listed, boxes = _read(values)
    if listed > len(boxes) and boxes:
        return (*boxes, Mailbox("", ""))
    return boxes


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID.search(value)
    if match:
        return match.group(1)
    inner = "".join(value.split()).strip("<>")  # "<>" and bare ids without brackets
    return inner or None


def _header_key(fields: Fields) -> str:
    """A stable identity for mail without a Message-ID: a hash of headers every copy shares."""
    digest = hashlib.sha256()
    for name in ("From", "To", "Cc", "Date", "Subject"):
        for value in fields.get(name.lower(), ()):
            digest.update(f"{name}:{' '.join(value.split())}\n".encode("utf-8", "replace"))
    return "hdr:" + digest.hexdigest()[:32]


class _Unread:
    """Not read yet."""


_UNREAD = _Unread()


class _Later:
    """The details few decisions need (``domain.inbound.Details``), read when first asked for;
    the Date and Subject, which a touch reads more than once, are then kept. Every reading here is
    guarded like the eager ones: none raises on content."""

    __slots__ = ("_date", "_fields", "_subject")

    def __init__(self, fields: Fields) -> None:
        self._fields = fields
        self._date: datetime | _Unread | None = _UNREAD
        self._subject: str | None = None

    @property
    def date(self) -> datetime | None:
        if isinstance(self._date, _Unread):
            self._date = header_date(first(self._fields, "date"))
        return self._date

    @property
    def subject(self) -> str:
        if self._subject is None:
            # Cut before decoding: a megabyte of encoded words must not be decoded to keep 300 characters.
            written = first(self._fields, "subject") or ""
            self._subject = _decoded(written[: _MAX_SUBJECT * 8])[:_MAX_SUBJECT]
        return self._subject

    @property
    def in_reply_to(self) -> str | None:
        return _message_id(first(self._fields, "in-reply-to"))

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(_MSGID.findall(" ".join(self._fields.get("references", ()))))

    @property
    def auth_results(self) -> tuple[str, ...]:
        return tuple(self._fields.get("authentication-results", [])[:_MAX_STAMPS])


def parse_headers(raw: bytes, internal_date: datetime | None = None) -> InboundMail:
    """Parse a header block (as fetched with BODY.PEEK[HEADER.FIELDS ...]). Never raises on content."""
    fields = read_fields(raw)
    get = fields.get
    message_id = _message_id(first(fields, "message-id"))
    if internal_date is not None and internal_date.tzinfo is None:
        internal_date = internal_date.replace(tzinfo=UTC)
    return_path = first(fields, "return-path")
    delivered = get("delivered-to", []) + get("x-original-to", [])
    return InboundMail(
        key=message_id or _header_key(fields),
        message_id=message_id,
        internal_date=internal_date,
        from_=_senders(get("from")),
        to=_mailboxes(get("to")),
        cc=_mailboxes(get("cc")),
        bcc=_mailboxes(get("bcc")),
        delivered_to=tuple(m.address for m in _mailboxes(delivered)),
        list_id="list-id" in fields,
        precedence=(first(fields, "precedence") or "").strip().lower(),
        auto_submitted=(first(fields, "auto-submitted") or "").split(";")[0].strip().lower(),
        autoreply="x-autoreply" in fields or "x-autorespond" in fields,
        return_path_empty=return_path is not None and return_path.strip() in ("<>", ""),
        keepwarm_mark="x-keepwarm" in fields,
        content_type=(first(fields, "content-type") or "").split(";", 1)[0].strip().lower(),
        details=_Later(fields),
    )
