"""Where a message keeps a meeting invitation: its text/calendar parts, found in BODYSTRUCTURE.

An invitation (Google Calendar, Outlook, Apple, Thunderbird) is a message with a text/calendar
part, usually beside the HTML inside multipart/alternative or multipart/mixed. keepwarm reads only
that part, never the rest of the body: the server's BODYSTRUCTURE says where it is (its section
number), how it is encoded, and how large it is. A calendar inside a forwarded message
(message/rfc822) is someone else's invitation and is not looked into.
"""

from __future__ import annotations

import base64
import binascii
import quopri
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# Larger calendar parts are not an invitation anyone wrote by hand: not read.
MAX_PART_BYTES = 256 * 1024
# Top-level types that can hold an invitation (the header fetch already has Content-Type).
CANDIDATES = ("multipart/mixed", "multipart/alternative", "multipart/related", "text/calendar")


@dataclass(frozen=True)
class CalendarPart:
    """One text/calendar part: its section for BODY.PEEK[...], its transfer encoding, its size."""

    section: str
    encoding: str
    size: int


def may_hold_invitation(content_type: str) -> bool:
    """Whether a message of this top-level Content-Type could carry an invitation."""
    return content_type.split(";", 1)[0].strip().lower() in CANDIDATES


def sequence_set(uids: Iterable[int]) -> str:
    """An IMAP sequence set (RFC 3501): ``1:3,7,9:10`` for 1, 2, 3, 7, 9, 10."""
    ranges: list[list[int]] = []
    for uid in sorted(set(uids)):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(f"{a}:{b}" if a != b else str(a) for a, b in ranges)


def calendar_parts(structure: Any) -> list[CalendarPart]:
    """The text/calendar parts of an imapclient BODYSTRUCTURE, small enough to read."""
    return [p for p in _walk(structure, "") if 0 < p.size <= MAX_PART_BYTES]


def _walk(node: Any, section: str) -> Iterator[CalendarPart]:
    if getattr(node, "is_multipart", False):
        children = node[0] if isinstance(node[0], list) else []
        for number, child in enumerate(children, 1):
            yield from _walk(child, f"{section}.{number}" if section else str(number))
        return
    if not isinstance(node, tuple) or len(node) < 7:
        return
    kind, subtype = _text(node[0]).lower(), _text(node[1]).lower()
    if (kind, subtype) == ("text", "calendar"):
        size = node[6] if isinstance(node[6], int) else 0
        # A message that is a text/calendar and nothing else: its one part is section 1.
        yield CalendarPart(section or "1", _text(node[5]).lower(), size)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace")
    return value if isinstance(value, str) else ""


def decoded(part: CalendarPart, data: bytes) -> bytes | None:
    """The part's bytes without their transfer encoding; None when they do not decode."""
    try:
        if part.encoding == "base64":
            return base64.b64decode(data, validate=False)
        if part.encoding == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return None
    return data
