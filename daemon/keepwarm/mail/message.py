"""Raw header bytes to an InboundMail: tolerant of every kind of broken mail found in the wild.

Uses the ``compat32`` policy and ``email.utils.getaddresses``: they never raise on odd input, unlike
the structured headers of ``policy.default`` (which raise on ``Message-ID: <>``, ``To: <`` and
more), and they are several times faster, which matters when backfilling years of mail.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
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
)
KEEPWARM_HEADER = "X-Keepwarm"
_MSGID = re.compile(r"<([^<>\s]+)>")
_MAX_SUBJECT = 300
_parser = BytesHeaderParser(policy=compat32)


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
    try:
        text = str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        text = value
    return " ".join(_clean(text).split())


class _Headers:
    """Header values by lower-case name, from ``raw_items()``.

    compat32 hands back non-ASCII values as ``Header`` objects whose ``str()`` has already lost
    the bytes; the raw values keep them (as surrogates) so ``_clean`` can still decode them.
    """

    def __init__(self, msg: Message) -> None:
        self._map: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self._map.setdefault(name.lower(), []).append(_clean(value))

    def all(self, name: str) -> list[str]:
        return self._map.get(name.lower(), [])

    def first(self, name: str) -> str | None:
        values = self._map.get(name.lower())
        return values[0] if values else None


def _mailboxes(msg: _Headers, *names: str) -> tuple[Mailbox, ...]:
    """Every valid address in these headers; junk entries are dropped, not fatal."""
    raw = [v for name in names for v in msg.all(name)]
    found: dict[str, Mailbox] = {}
    for display, address in getaddresses(raw):
        try:
            normalized = normalize_address(address)
        except AddressError:
            continue
        found.setdefault(normalized, Mailbox(_decoded(display).strip('"'), normalized))
    return tuple(found.values())


def _senders(msg: _Headers) -> tuple[Mailbox, ...]:
    """From addresses; an unparseable From counts as two so that it is refused, never guessed."""
    pairs = getaddresses(msg.all("From"))
    boxes = _mailboxes(msg, "From")
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
        parsed = parsedate_to_datetime(value)
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
    msg = _Headers(_parser.parsebytes(raw))
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
        subject=_decoded(msg.first("Subject") or "")[:_MAX_SUBJECT],
        list_id=msg.first("List-Id") is not None,
        precedence=(msg.first("Precedence") or "").strip().lower(),
        auto_submitted=(msg.first("Auto-Submitted") or "").split(";")[0].strip().lower(),
        autoreply=msg.first("X-Autoreply") is not None or msg.first("X-Autorespond") is not None,
        return_path_empty=return_path is not None and return_path.strip() in ("<>", ""),
        keepwarm_mark=msg.first(KEEPWARM_HEADER) is not None,
        in_reply_to=_message_id(msg.first("In-Reply-To")),
        references=tuple(_MSGID.findall(" ".join(msg.all("References")))),
    )
