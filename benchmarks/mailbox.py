"""Realistic mailboxes for benchmarks: a few hundred correspondents, mail in both directions,
newsletters and notifications, in INBOX and Sent. Plain text by default; a ``modern`` mailbox
writes most mail as today's clients do (multipart/alternative, text and HTML), and a meeting
invitation in every hundred, so the backfill pays for looking into message structure."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, getaddresses

from tests.testbed.fixtures import Account, Testbed
from tests.testbed.invites import ics

TEXT = b"Hello, this is the body of a realistic message.\r\n" * 20
# Of a modern mailbox: this share of mail is multipart/alternative, and this share an invitation.
MULTIPART, INVITATIONS = 0.8, 0.01


def _body(rng: random.Random, modern: bool, n: int, when: datetime, frm: str, to: str) -> bytes:
    """Content-Type and body: plain text, or (modern) mostly text and HTML, sometimes an invitation."""
    plain = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + TEXT
    pick = rng.random() if modern else 1.0
    if pick >= MULTIPART:
        return plain
    html = b"<html><body><p>" + TEXT.replace(b"\r\n", b"<br>") + b"</p></body></html>\r\n"
    calendar = b""
    if pick < INVITATIONS:
        event = ics(f"bench-{n}@example.net", when, frm, [(to, "ACCEPTED")]).encode()
        calendar = b"--alt\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + event
    return (
        b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        + b"--alt\r\n"
        + plain
        + b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html
        + calendar
        + b"--alt--\r\n"
    )


def _message(
    rng: random.Random, owner: str, people: list[str], n: int, now: datetime, modern: bool
) -> tuple[str, bytes]:
    when = now - timedelta(minutes=rng.randrange(600 * 24 * 60))
    peer = people[rng.randrange(len(people))]
    kind = rng.random()
    extra = ""
    if kind < 0.1:
        frm, to, folder = "The Weekly <news@weekly.example>", owner, "INBOX"
        extra = "List-Id: <weekly.example>\r\nPrecedence: bulk\r\n"
    elif kind < 0.15:
        frm, to, folder = "Shop <noreply@shop.example>", owner, "INBOX"
    elif kind < 0.6:
        frm, to, folder = peer, owner, "INBOX"
    else:
        frm, to, folder = owner, peer, "Sent"
    cc = f"Cc: {people[rng.randrange(len(people))]}\r\n" if rng.random() < 0.2 else ""
    headers = (
        "Return-Path: <bounce@example.net>\r\n"
        f"Received: from mx.example.net by mail.example.com; {format_datetime(when)}\r\n"
        f"From: {frm}\r\nTo: {to}\r\n{cc}Subject: Message number {n} about things\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: <bench-{n}@example.net>\r\n{extra}"
        "MIME-Version: 1.0\r\n"
    )
    addresses = [a for _, a in getaddresses([frm, to])]
    return folder, headers.encode() + _body(rng, modern, n, when, *addresses)


def fill(testbed: Testbed, account: Account, count: int, seed: int = 2026, *, modern: bool = False) -> None:
    """Put ``count`` messages into the account's INBOX and Sent with MULTIAPPEND (RFC 3502): the
    server indexes them as it would mail that arrived, far faster than one APPEND each."""
    rng = random.Random(seed)
    people = [f"Person {i} <person{i}@corr{i % 37}.example>" for i in range(300)]
    now = datetime.now(UTC)
    batches: dict[str, list[bytes]] = {"INBOX": [], "Sent": []}
    with testbed.imap_client(account) as client:
        for n in range(count):
            folder, raw = _message(rng, account.address, people, n, now, modern)
            batches[folder].append(raw)
            if len(batches[folder]) == 500:
                client.multiappend(folder, batches[folder])
                batches[folder] = []
        for folder, rest in batches.items():
            if rest:
                client.multiappend(folder, rest)
