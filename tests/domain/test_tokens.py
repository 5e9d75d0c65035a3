"""Reminder tokens: round trip, tampering, wrong key, age limits, and finding them in headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.tokens import MAX_AGE, TokenInfo, check_token, find_tokens, make_token

SECRET = b"test-secret-0123456789abcdef"
ISSUED = datetime(2026, 11, 20, 8, 30, 45, 123456, tzinfo=UTC)
ISSUED_MINUTE = ISSUED.replace(second=0, microsecond=0)


@pytest.mark.parametrize("reminder_id", [1, 42, 36**5, 123_456_789])
def test_round_trip(reminder_id: int) -> None:
    token = make_token(SECRET, reminder_id, ISSUED)

    assert re.fullmatch(r"r[0-9a-z]+-[0-9a-z]+-[a-z2-7]{16}", token)
    assert check_token(SECRET, token, ISSUED + timedelta(days=1)) == TokenInfo(reminder_id, ISSUED_MINUTE)


def test_round_trip_with_a_non_utc_issue_time() -> None:
    local = ISSUED.astimezone(ZoneInfo("America/New_York"))

    info = check_token(SECRET, make_token(SECRET, 7, local), ISSUED)

    assert info is not None and info.issued_at == ISSUED_MINUTE


def test_case_and_surrounding_space_do_not_matter() -> None:
    token = make_token(SECRET, 42, ISSUED)

    assert check_token(SECRET, f"  {token.upper()}\n", ISSUED) == TokenInfo(42, ISSUED_MINUTE)


def _flip(char: str) -> str:
    return "b" if char == "a" else "a"


def test_tampered_mac_is_rejected() -> None:
    token = make_token(SECRET, 42, ISSUED)

    assert check_token(SECRET, token[:-1] + _flip(token[-1]), ISSUED) is None


def test_tampered_reminder_id_is_rejected() -> None:
    token = make_token(SECRET, 42, ISSUED)
    other = make_token(SECRET, 43, ISSUED)
    forged = other.rsplit("-", 1)[0] + "-" + token.rsplit("-", 1)[1]  # 43's payload, 42's MAC

    assert check_token(SECRET, forged, ISSUED) is None


def test_tampered_issue_time_is_rejected() -> None:
    token = make_token(SECRET, 42, ISSUED)
    later = make_token(SECRET, 42, ISSUED + timedelta(days=30))
    forged = "-".join([*later.split("-")[:2], token.split("-")[2]])  # a fresher time, the old MAC

    assert check_token(SECRET, forged, ISSUED + timedelta(days=100)) is None


def test_wrong_secret_is_rejected() -> None:
    token = make_token(SECRET, 42, ISSUED)

    assert check_token(b"another-secret-0123456789abc", token, ISSUED) is None


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (timedelta(0), True),
        (timedelta(days=89), True),
        (MAX_AGE, True),
        (MAX_AGE + timedelta(minutes=1), False),
        (timedelta(days=91), False),
        (timedelta(days=400), False),
    ],
)
def test_tokens_expire_after_90_days(age: timedelta, valid: bool) -> None:
    token = make_token(SECRET, 42, ISSUED_MINUTE)

    assert (check_token(SECRET, token, ISSUED_MINUTE + age) is not None) is valid


@pytest.mark.parametrize(
    ("ahead", "valid"),
    [
        (timedelta(minutes=4), True),  # a little clock skew is forgiven
        (timedelta(minutes=6), False),
        (timedelta(hours=1), False),
        (timedelta(days=30), False),
    ],
)
def test_tokens_from_the_future_are_rejected(ahead: timedelta, valid: bool) -> None:
    token = make_token(SECRET, 42, ISSUED_MINUTE + ahead)

    assert (check_token(SECRET, token, ISSUED_MINUTE) is not None) is valid


@pytest.mark.parametrize(
    "text",
    ["", "hello", "r1-2-3", "r1-abc-" + "a" * 15, "r1-abc-" + "1" * 16, "x" + "r1-abc-" + "a" * 16 + "!"],
)
def test_garbage_is_rejected(text: str) -> None:
    assert check_token(SECRET, text, ISSUED) is None


def test_find_token_in_a_subject() -> None:
    token = make_token(SECRET, 42, ISSUED)

    assert find_tokens(f"Re: Check in with Alice Example — 47 days [{token}]") == [token]
    assert find_tokens(f"RE: Check in with Alice [{token.upper()}]") == [token]


def test_find_token_in_a_plus_address_and_a_message_id() -> None:
    token = make_token(SECRET, 42, ISSUED)
    other = make_token(SECRET, 9, ISSUED)

    assert find_tokens(f"keepwarm <naomi+{token}@example.com>") == [token]
    assert find_tokens(f"<kw-{token}@example.com> <kw-{other}@example.com>") == [token, other]


def test_find_tokens_in_text_without_any() -> None:
    assert find_tokens("Re: lunch on Friday? naomi+keepwarm@example.com") == []


def test_found_tokens_check_out() -> None:
    token = make_token(SECRET, 42, ISSUED)

    [found] = find_tokens(f"To: naomi+{token}@example.com")

    assert check_token(SECRET, found, ISSUED) == TokenInfo(42, ISSUED_MINUTE)
