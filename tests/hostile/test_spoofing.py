"""Spoofing in process: forged senders, From tricks, forged stamps, stale tokens, header-smuggling names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from keepwarm.domain.tokens import make_token
from tests.hostile.support import (
    EVE,
    NOW,
    OTHER_SECRET,
    OWNER,
    REMINDED,
    SECRET,
    SERVID,
    STRANGER,
    Keepwarm,
    Tally,
    attack,
    message,
    reply,
    seed,
    to_daemon,
)

Build = Callable[[Keepwarm], bytes]

# From values that name the owner but are not (only) the owner, or name the stranger as the owner.
FROM_TRICKS = [
    f"{STRANGER})<{OWNER}>",
    f"{STRANGER}) <{OWNER}>",
    f"{STRANGER};{OWNER}",
    f"<{STRANGER}>{OWNER}",
    f"{STRANGER} <{OWNER}>",
    f"Eve <{STRANGER}> <{OWNER}>",
    f"{STRANGER}<{OWNER}",
    f"{STRANGER} <{OWNER}",
    f"{OWNER}, {STRANGER}",
    f"{STRANGER}, {OWNER}",
    f"Naomi <{OWNER}>, Mallory <{STRANGER}>",
    f"Group: {STRANGER}, {OWNER};",
    f"{OWNER}>{STRANGER}",
    f'"{OWNER}" <{STRANGER}>',
    f"=?utf-8?q?{OWNER}?= <{STRANGER}>",
    f"{OWNER} <{STRANGER}>",
    f"<@example.com:{STRANGER}>",
    f"{OWNER}@evil.example",
    f"{OWNER}.evil.example",
]

OUR_FAIL = ("Authentication-Results", f"{SERVID}; dkim=none; dmarc=fail header.from=example.com")
# What our server stamps on a forged From (first), followed by what the forger wrote himself.
FORGED_STAMPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("no stamp at all", []),
    ("our stamp says fail", [OUR_FAIL]),
    (
        "foreign DKIM signature",
        [
            (
                "Authentication-Results",
                f"{SERVID}; dkim=pass header.d=evil.example; dmarc=fail header.from=example.com",
            )
        ],
    ),
    (
        "foreign DKIM, owner's i=",
        [("Authentication-Results", f"{SERVID}; dkim=pass header.i=@example.com header.d=evil.example")],
    ),
    (
        "look-alike DKIM domain",
        [("Authentication-Results", f"{SERVID}; dkim=pass header.d=example.com.evil.example")],
    ),
    (
        "SPF pass only",
        [("Authentication-Results", f"{SERVID}; spf=pass smtp.mailfrom=example.com; dkim=none")],
    ),
    (
        "pass only in a comment",
        [("Authentication-Results", f"{SERVID}; dmarc=fail (dmarc=pass) header.from=example.com")],
    ),
    (
        "DMARC pass for another domain",
        [("Authentication-Results", f"{SERVID}; dmarc=pass header.from=evil.example")],
    ),
    (
        "foreign server's pass above ours",
        [("Authentication-Results", "relay.evil.example; dmarc=pass header.from=example.com"), OUR_FAIL],
    ),
    (
        "foreign server's pass only",
        [("Authentication-Results", "relay.evil.example; dmarc=pass header.from=example.com")],
    ),
    (
        "look-alike authserv-id",
        [("Authentication-Results", f"{SERVID}.evil.example; dmarc=pass header.from=example.com")],
    ),
    (
        "authserv-id in a comment",
        [("Authentication-Results", f"(x {SERVID}) relay; dmarc=pass header.from=example.com")],
    ),
    (
        "forged pass of ours below our fail",
        [OUR_FAIL, ("Authentication-Results", f"{SERVID}; dmarc=pass header.from=example.com")],
    ),
]


def _replayed(days: int) -> Build:
    return lambda kw: reply(kw, "stop", token=make_token(SECRET, 1, REMINDED - timedelta(days=days)))


def _reply_from(sender: str) -> Build:
    return lambda kw: reply(kw, "stop", sender=sender)


def _daemon_from(sender: str) -> Build:
    return lambda kw: to_daemon(kw, "list", sender=sender)


def _reply_stamped(stamps: list[tuple[str, str]]) -> Build:
    return lambda kw: reply(kw, "stop", top=stamps)


def _daemon_stamped(stamps: list[tuple[str, str]]) -> Build:
    return lambda kw: to_daemon(kw, f"add Mallory <{STRANGER}>", top=stamps)


def _spoofs() -> list[tuple[str, str | None, Build]]:
    """(label, AUTH_SERVID, message builder) for every attack."""
    cases: list[tuple[str, str | None, Build]] = [
        ("stranger replies with the genuine token", None, lambda kw: reply(kw, "stop", sender=STRANGER)),
        ("stranger named Naomi", None, lambda kw: reply(kw, "stop", sender=f"Naomi Owner <{STRANGER}>")),
        (
            "stranger adds a contact",
            None,
            lambda kw: to_daemon(kw, f"add Mallory <{STRANGER}>", sender=STRANGER),
        ),
        ("stranger asks for the list", None, lambda kw: to_daemon(kw, "", sender=STRANGER, subject="list")),
        ("stranger sets news", None, lambda kw: to_daemon(kw, "news: I moved", sender=STRANGER)),
        (
            "two From headers, owner first",
            None,
            lambda kw: message(("From", OWNER), ("From", STRANGER), ("To", kw.daemon), ("Subject", "list")),
        ),
        (
            "two From headers, stranger first",
            None,
            lambda kw: message(("From", STRANGER), ("From", OWNER), ("To", kw.daemon), ("Subject", "list")),
        ),
        ("token 91 days old", None, _replayed(91)),
        ("token 400 days old", None, _replayed(400)),
        (
            "token from another keepwarm's secret",
            None,
            lambda kw: reply(kw, "stop", token=make_token(OTHER_SECRET, 1, REMINDED)),
        ),
        (
            "token with an altered reminder id",
            None,
            lambda kw: reply(kw, "stop", token="r2" + kw.reminder_token()[2:]),
        ),
        (
            "other keepwarm's token in the subject only",
            None,
            lambda kw: message(
                ("From", OWNER),
                ("To", kw.daemon),
                ("Subject", f"Re: Check in [{make_token(OTHER_SECRET, 1, REMINDED)}]"),
                ("References", f"<kw-{make_token(OTHER_SECRET, 1, REMINDED)}@example.com>"),
                body="stop\n",
            ),
        ),
    ]
    for trick in FROM_TRICKS:
        cases.append((f"From: {trick}", None, _reply_from(trick)))
        cases.append((f"From: {trick} (daemon)", None, _daemon_from(trick)))
    for label, stamps in FORGED_STAMPS:
        cases.append((f"AUTH_SERVID, {label}", SERVID, _reply_stamped(stamps)))
        cases.append((f"AUTH_SERVID, {label} (daemon)", SERVID, _daemon_stamped(stamps)))
    return cases


def test_spoofed_commands_run_nothing_and_answer_nobody(tmp_path: Path) -> None:
    tally = Tally("in-process spoofing")
    for index, (label, servid, build) in enumerate(_spoofs()):
        keepwarm = seed(tmp_path / str(index), servid=servid)
        attack(tally, keepwarm, label, build(keepwarm))
    # A replay of the genuine token once it is 91 days old.
    keepwarm = seed(tmp_path / "late", servid=None)
    attack(
        tally,
        keepwarm,
        "genuine token replayed 91 days on",
        reply(keepwarm, "stop"),
        REMINDED + timedelta(days=91),
    )
    tally.assert_clean()
    assert tally.attempts >= 70
    assert set(tally.outcomes) <= {"rejected", "not-a-command", "ignored-automatic"}


@pytest.mark.parametrize(
    ("label", "servid", "build"),
    [
        pytest.param("reply", None, lambda kw: reply(kw, "snooze 2w"), id="reply"),
        # With nothing to check the From header, adding people takes a reply: its token proves it.
        pytest.param("add", None, lambda kw: reply(kw, "add Bob <bob@example.org>"), id="add-in-a-reply"),
        pytest.param(
            "aligned pass",
            SERVID,
            lambda kw: reply(
                kw,
                "snooze 2w",
                top=[("Authentication-Results", f"{SERVID}; dkim=pass header.d=example.com; dmarc=pass")],
            ),
            id="servid-pass",
        ),
        pytest.param(
            "foreign stamp above our pass",
            SERVID,
            lambda kw: reply(
                kw,
                "snooze 2w",
                top=[
                    ("Authentication-Results", "relay.evil.example; dmarc=fail"),
                    ("Authentication-Results", f"{SERVID}; dmarc=pass header.from=example.com"),
                ],
            ),
            id="servid-foreign-above-pass",
        ),
    ],
)
def test_the_owner_still_gets_through(tmp_path: Path, label: str, servid: str | None, build: Build) -> None:
    """The control: the same harness lets the owner's genuine commands run."""
    keepwarm = seed(tmp_path, servid=servid)
    report = keepwarm.receive(build(keepwarm), NOW)
    keepwarm.deliver(NOW)
    assert report.commands == {"applied": 1}, label
    assert [s.recipients for s in keepwarm.sender.sent] == [(OWNER,), (OWNER,)]


# Display names built to smuggle a header into keepwarm's mail once they name a contact.
HOSTILE_NAMES = [
    "Eve\r\nBcc: eve@evil.example",
    "Eve\r\n Bcc: eve@evil.example",
    "Eve\r\n\tX-Injected: 1",
    "Eve X-Injected: 1",
    "Eve\x00Bcc: eve@evil.example",
    "Eve\u2028Bcc: eve@evil.example",
    "Eve\x85Bcc: eve@evil.example",
    "=?utf-8?q?Eve=0D=0ABcc:_eve@evil.example?=",
    "=?utf-8?b?RXZlDQpCY2M6IGV2ZUBldmlsLmV4YW1wbGU=?=",
    "=?utf-8?q?Eve=0D=0A=0D=0Afake_body?=",
    # Encoded twice: decoded once on the way in, it is a literal encoded word in the contact's name.
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FEve=3D0D=3D0ABcc=3A=5Feve=40evil=2Eexample=3F=3D?=",
]


def _flows(name: str) -> list[tuple[str, Build]]:
    """The ways a display name becomes a contact: a BCC to keepwarm, or an add command."""
    bcc = message(
        ("From", OWNER),
        ("To", f'"{name}" <{EVE}>'),
        ("Bcc", "naomi+keepwarm@example.com"),
        ("Subject", "Lunch?"),
        ("Message-ID", "<bcc-1@example.com>"),
        ("Date", "Fri, 20 Nov 2026 09:00:00 +0000"),
    )
    return [
        ("bcc", lambda kw: bcc),
        ("add (body)", lambda kw: to_daemon(kw, f"add {name} <{EVE}>")),
        ("add (subject)", lambda kw: to_daemon(kw, "", subject=f"add {name} <{EVE}>")),
    ]


def test_hostile_display_names_stay_out_of_headers(tmp_path: Path) -> None:
    """Each name becomes a contact, is confirmed, thanked and reminded of: everything goes to the
    owner alone with keepwarm's own headers only (one keepwarm per name: a refused message blocks
    delivery)."""
    tally = Tally("hostile display names")
    for index, name in enumerate(HOSTILE_NAMES):
        for path, build in _flows(name):
            label = f"{path} {name!r}"
            keepwarm = seed(tmp_path / f"{index}-{path}")
            tally.attempts += 1
            try:
                tally.outcomes.update(keepwarm.receive(build(keepwarm), NOW).commands or {"touch": 1})
                thanks = to_daemon(keepwarm, f"thanks {EVE} for the book", msgid="thanks-1@example.com")
                tally.outcomes.update(keepwarm.receive(thanks, NOW).commands)
                keepwarm.remind(NOW + timedelta(days=45))
                keepwarm.deliver(NOW + timedelta(days=45))
            except Exception as exc:  # counted: see the summary
                tally.crashes.append(f"{label}: {type(exc).__name__}: {exc}")
            for item in keepwarm.kept():
                tally.check_outgoing(f"{label} (outbox {item.kind})", item.raw)
            for sent in keepwarm.sender.sent:
                tally.check_outgoing(f"{label} (wire)", sent.wire)
                if sent.recipients != (OWNER,):
                    tally.foreign_mail.append(f"{label}: sent to {sent.recipients}")
    tally.assert_clean()
