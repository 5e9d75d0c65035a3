"""Realistic mailboxes for benchmarks: a few hundred correspondents, mail in both directions,
newsletters and notifications, in INBOX and Sent."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.testbed.fixtures import Account, Testbed


def _message(rng: random.Random, owner: str, people: list[str], n: int, now: datetime) -> tuple[str, bytes]:
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
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return folder, headers.encode() + b"Hello, this is the body of a realistic message.\r\n" * 20


def fill(testbed: Testbed, account: Account, count: int, seed: int = 2026) -> None:
    """Put ``count`` messages into the account's INBOX and Sent with MULTIAPPEND (RFC 3502): the
    server indexes them as it would mail that arrived, far faster than one APPEND each."""
    rng = random.Random(seed)
    people = [f"Person {i} <person{i}@corr{i % 37}.example>" for i in range(300)]
    now = datetime.now(UTC)
    batches: dict[str, list[bytes]] = {"INBOX": [], "Sent": []}
    with testbed.imap_client(account) as client:
        for n in range(count):
            folder, raw = _message(rng, account.address, people, n, now)
            batches[folder].append(raw)
            if len(batches[folder]) == 500:
                client.multiappend(folder, batches[folder])
                batches[folder] = []
        for folder, rest in batches.items():
            if rest:
                client.multiappend(folder, rest)
