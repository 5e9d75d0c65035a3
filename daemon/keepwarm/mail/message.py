"""Raw header bytes to an InboundMail: tolerant of every kind of broken mail found in the wild.

Header lines are unfolded here, common address shapes read by a regular expression, and anything
unusual handed to ``email.utils.getaddresses``: none of it raises on odd input, unlike the
structured headers of ``policy.default`` (which raise on ``Message-ID: <>``, ``To: <`` and more),
and it is several times faster, which matters when backfilling years of mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

from keepwarm.domain.addresses import AddressError, normalize_address
from keepwarm.domain.inbound import InboundMail, Mailbox

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
    # The provider's verdict on the sender: mail "from the owner" that fails it is forged.
    "AUTHENTICATION-RESULTS",
)
KEEPWARM_HEADER = "X-Keepwarm"
_MSGID = re.compile(r"<([^<>\s]+)>")
_MAX_SUBJECT = 300
# Only the topmost stamps matter (the provider's is on top); a message with more is only noise.
_MAX_STAMPS = 10


def _clean(value: object) -> str:
    """Text safe to store. Raw 8-bit header bytes (kept as surrogates by the parser) are read as
    UTF-8, else as Windows-1252 (what old clients wrote), so names stay readable, never crash."""
    data = str(value).encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _decoded(value: str) -> str:
    """Decode RFC 2047 words; undecodable ones stay as written rather than failing the message."""
    text = value
    if "=?" in value:
        # The email package raises many kinds of error on hostile words (CharsetError for a
        # charset named "é", LookupError, UnicodeError…); any of them leaves the text as written.
        with contextlib.suppress(Exception):
            text = _clean(str(make_header(decode_header(value))))
    return " ".join(text.split())


_LINE_BREAK = re.compile(r"\r?\n")


class _Headers:
    """Header values by lower-case name, from a raw header block.

    Unfolded here rather than by the email package's feed parser: a header block is only
    ``Name: value`` lines and their continuations, and a backfill parses tens of thousands. Raw
    8-bit bytes are kept (as surrogates, like the email package does) so ``_clean`` can decode them.
    """

    def __init__(self, raw: bytes) -> None:
        self._map: dict[str, list[str]] = {}
        # (name, parts, length): a value is kept as its parts and joined once, at most
        # MAX_HEADER_CHARS long, so that a header folded a million times costs one pass.
        fields: list[tuple[str, list[str], list[int]]] = []
        for line in _LINE_BREAK.split(raw.decode("ascii", "surrogateescape")):
            if not line:
                break  # the blank line that ends the header block
            if line[0] in " \t":
                if fields and fields[-1][2][0] < MAX_HEADER_CHARS:
                    fields[-1][1].append(line)  # a folded continuation: unfold, keeping the blank
                    fields[-1][2][0] += len(line)
                continue
            name, colon, value = line.partition(":")
            if colon and name.strip():
                value = value.lstrip(" \t")
                fields.append((name.strip().lower(), [value], [len(value)]))
        for name, parts, _ in fields:
            self._map.setdefault(name, []).append(_clean("".join(parts)[:MAX_HEADER_CHARS]))

    def all(self, name: str) -> list[str]:
        return self._map.get(name.lower(), [])

    def first(self, name: str) -> str | None:
        values = self._map.get(name.lower())
        return values[0] if values else None


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
# Longer than any honest header: read no further (the poll reads headers of everyone's mail).
MAX_HEADER_CHARS = 128 * 1024
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


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs, the fast way for the common shapes."""
    pairs: list[tuple[str, str]] = []
    for raw in values:
        value = raw.strip()
        simple = _SIMPLE.match(value)
        if simple:
            pairs.append((simple.group(1) or simple.group(2) or "", simple.group(3)))
            continue
        bare = _BARE.match(value)
        if bare:
            pairs.append(("", bare.group(1)))
            continue
        pairs.extend(_parsed(value))
    return pairs


def _boxes(pairs: list[tuple[str, str]]) -> tuple[Mailbox, ...]:
    """Every valid address among the pairs, once; junk entries are dropped, not fatal."""
    found: dict[str, Mailbox] = {}
    for display, address in pairs:
        try:
            normalized = normalize_address(address)
        except AddressError:
            continue
        if normalized not in found:
            found[normalized] = Mailbox(_decoded(display).strip('"'), normalized)
    return tuple(found.values())


def _mailboxes(msg: _Headers, *names: str) -> tuple[Mailbox, ...]:
    """Every valid address in these headers."""
    values = [v for name in names for v in msg.all(name)]
    return _boxes(_pairs(values)) if values else ()


def _senders(msg: _Headers) -> tuple[Mailbox, ...]:
    """From addresses; an unparseable From counts as two so that it is refused, never guessed."""
    pairs = _pairs(msg.all("From"))
    boxes = _boxes(pairs)
    if len(pairs) > len(boxes) and boxes:
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


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "zone unknown" (RFC 5322): UTC is the honest reading.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _header_key(msg: _Headers) -> str:
    """A stable identity for mail without a Message-ID: a hash of headers every copy shares."""
    digest = hashlib.sha256()
    for name in ("From", "To", "Cc", "Date", "Subject"):
        for value in msg.all(name):
            digest.update(f"{name}:{' '.join(value.split())}\n".encode("utf-8", "replace"))
    return "hdr:" + digest.hexdigest()[:32]


def parse_headers(raw: bytes, internal_date: datetime | None = None) -> InboundMail:
    """Parse a header block (as fetched with BODY.PEEK[HEADER.FIELDS ...]). Never raises on content."""
    msg = _Headers(raw)
    message_id = _message_id(msg.first("Message-ID"))
    if internal_date is not None and internal_date.tzinfo is None:
        internal_date = internal_date.replace(tzinfo=UTC)
    return_path = msg.first("Return-Path")
    return InboundMail(
        key=message_id or _header_key(msg),
        message_id=message_id,
        date=_date(msg.first("Date")),
        internal_date=internal_date,
        from_=_senders(msg),
        to=_mailboxes(msg, "To"),
        cc=_mailboxes(msg, "Cc"),
        bcc=_mailboxes(msg, "Bcc"),
        delivered_to=tuple(m.address for m in _mailboxes(msg, "Delivered-To", "X-Original-To")),
        # Cut before decoding: a megabyte of encoded words must not be decoded to keep 300 characters.
        subject=_decoded((msg.first("Subject") or "")[: _MAX_SUBJECT * 8])[:_MAX_SUBJECT],
        list_id=msg.first("List-Id") is not None,
        precedence=(msg.first("Precedence") or "").strip().lower(),
        auto_submitted=(msg.first("Auto-Submitted") or "").split(";")[0].strip().lower(),
        autoreply=msg.first("X-Autoreply") is not None or msg.first("X-Autorespond") is not None,
        return_path_empty=return_path is not None and return_path.strip() in ("<>", ""),
        keepwarm_mark=msg.first(KEEPWARM_HEADER) is not None,
        in_reply_to=_message_id(msg.first("In-Reply-To")),
        references=tuple(_MSGID.findall(" ".join(msg.all("References")))),
        auth_results=tuple(msg.all("Authentication-Results")[:_MAX_STAMPS]),
    )
