"""Reminder tokens: short HMACs that let a reply prove it answers a reminder keepwarm sent.

A token travels in the Reply-To plus tag, in the Message-ID and (as a fallback) in the subject,
so a reply can be authenticated without trusting its From alone. Lower-case letters, digits and
dashes only: some providers lower-case the local part of an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_AGE = timedelta(days=90)
_TOKEN = re.compile(r"^r(?P<id>[0-9a-z]{1,12})-(?P<ts>[0-9a-z]{1,10})-(?P<mac>[a-z2-7]{16})$")
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TokenInfo:
    """What a valid token says: which reminder record, issued when."""

    reminder_id: int
    issued_at: datetime


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


def _mac(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:16]


def make_token(secret: bytes, reminder_id: int, issued_at: datetime) -> str:
    """``r<id>-<minutes since 2020, base 36>-<80-bit MAC>``."""
    minutes = int((issued_at - _EPOCH).total_seconds() // 60)
    payload = f"r{_b36(reminder_id)}-{_b36(minutes)}"
    return f"{payload}-{_mac(secret, payload)}"


def check_token(secret: bytes, token: str, now: datetime, max_age: timedelta = MAX_AGE) -> TokenInfo | None:
    """The token's reminder and issue time if it is ours, intact and fresh; None otherwise."""
    match = _TOKEN.match(token.strip().lower())
    if not match:
        return None
    payload = f"r{match.group('id')}-{match.group('ts')}"
    if not hmac.compare_digest(_mac(secret, payload), match.group("mac")):
        return None
    issued = _EPOCH + timedelta(minutes=int(match.group("ts"), 36))
    if not (issued - timedelta(minutes=5) <= now <= issued + max_age):
        return None
    return TokenInfo(int(match.group("id"), 36), issued)


def find_tokens(text: str) -> list[str]:
    """Every token-shaped string in a header or subject (validate each with check_token)."""
    return re.findall(r"r[0-9a-z]{1,12}-[0-9a-z]{1,10}-[a-z2-7]{16}", text.lower())
