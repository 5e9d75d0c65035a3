"""The demo's mailbox: a small circle of friends and colleagues, plus the mail that must not count
(a newsletter, an out-of-office reply, shop notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, make_msgid

OWNER_NAME = "Naomi Example"


@dataclass(frozen=True)
class Sample:
    """One message for the demo mailbox and the folder it goes in."""

    folder: str
    raw: bytes


def _message(frm: str, to: str, subject: str, when: datetime, extra: str = "") -> bytes:
    headers = (
        f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(when)}\r\n"
        f"Message-ID: {make_msgid(domain='demo.example')}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return headers.encode() + b"Hello!\r\n"


# (name, address, [(days ago, direction, subject)])
CIRCLE = [
    (
        "Alice Martin",
        "alice@friends.example",
        [
            (95, "in", "Trip photos"),
            (90, "out", "Re: Trip photos"),
            (51, "out", "Hike?"),
            (50, "in", "Re: Hike?"),
        ],
    ),
    (
        "Ben Okafor",
        "ben@colleagues.example",
        [(30, "out", "Budget review"), (29, "in", "Re: Budget review"), (5, "out", "Slides")],
    ),
    (
        "Chloé Dubois",
        "chloe@uni.example",
        [
            (160, "out", "Long time!"),
            (150, "in", "Re: Long time!"),
            (121, "out", "Lyon"),
            (120, "in", "Photos from Lyon"),
        ],
    ),
    (
        "Dev Patel",
        "dev@startup.example",
        [(100, "in", "Coffee?"), (99, "out", "Re: Coffee?"), (80, "out", "That article")],
    ),
    (
        "Emma Larsen",
        "emma@family.example",
        [
            (12, "in", "Sunday lunch"),
            (11, "out", "Re: Sunday lunch"),
            (4, "out", "Recipe"),
            (3, "in", "Re: Recipe"),
        ],
    ),
]


def mailbox(owner: str, now: datetime) -> list[Sample]:
    """Everything the demo owner's mailbox holds, oldest first."""
    me = f"{OWNER_NAME} <{owner}>"
    samples: list[tuple[datetime, Sample]] = []
    for name, address, exchanges in CIRCLE:
        them = f"{name} <{address}>"
        for days, direction, subject in exchanges:
            when = now - timedelta(days=days, hours=3)
            if direction == "in":
                samples.append((when, Sample("INBOX", _message(them, me, subject, when))))
            else:
                samples.append((when, Sample("Sent", _message(me, them, subject, when))))
    for days in (70, 40, 10):
        when = now - timedelta(days=days)
        news = _message(
            "The Weekly <news@weekly.example>", me, "This week's reads", when, "List-Id: <weekly.example>\r\n"
        )
        shop = _message("Shop <noreply@shop.example>", me, "Your order has shipped", when)
        samples += [(when, Sample("INBOX", news)), (when, Sample("INBOX", shop))]
    away = now - timedelta(days=28)
    auto = _message(
        "Ben Okafor <ben@colleagues.example>", me, "Out of office", away, "Auto-Submitted: auto-replied\r\n"
    )
    samples.append((away, Sample("INBOX", auto)))
    return [sample for _, sample in sorted(samples, key=lambda pair: pair[0])]
