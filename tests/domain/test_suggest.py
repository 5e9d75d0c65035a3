"""suggest: untracked two-way correspondents, ranked by volume discounted by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.model import Direction, Touch
from keepwarm.domain.suggest import suggest

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
OUT, IN, MANUAL = Direction.OUT, Direction.IN, Direction.MANUAL


def touch(address: str, days_ago: float, direction: Direction, name: str = "") -> Touch:
    return Touch(address=address, at=NOW - timedelta(days=days_ago), direction=direction, name=name)


def exchange(address: str, sent: int, received: int, days_ago: float = 0.0) -> list[Touch]:
    """``sent`` mails to and ``received`` mails from ``address``, all ``days_ago``."""
    return [touch(address, days_ago, OUT) for _ in range(sent)] + [
        touch(address, days_ago, IN) for _ in range(received)
    ]


def addresses(touches: list[Touch], tracked: frozenset[str] = frozenset()) -> list[str]:
    return [s.address for s in suggest(touches, tracked, NOW)]


def test_two_sent_and_one_received_is_enough() -> None:
    (found,) = suggest(exchange("alice@example.org", 2, 1, days_ago=3), frozenset(), NOW)
    assert (found.address, found.sent, found.received) == ("alice@example.org", 2, 1)
    assert found.last_touch == NOW - timedelta(days=3)


@pytest.mark.parametrize(("sent", "received"), [(1, 1), (2, 0), (0, 5), (1, 9)])
def test_below_the_thresholds_is_not_suggested(sent: int, received: int) -> None:
    assert addresses(exchange("alice@example.org", sent, received)) == []


def test_thresholds_are_configurable() -> None:
    touches = exchange("alice@example.org", 1, 0)
    assert [s.address for s in suggest(touches, frozenset(), NOW, min_sent=1, min_received=0)] == [
        "alice@example.org"
    ]
    assert suggest(exchange("bob@example.org", 2, 1), frozenset(), NOW, min_received=2) == []


def test_tracked_addresses_are_excluded() -> None:
    touches = exchange("alice@example.org", 3, 3) + exchange("bob@example.org", 2, 1)
    assert addresses(touches, frozenset({"alice@example.org"})) == ["bob@example.org"]


@pytest.mark.parametrize("address", ["noreply@shop.example", "notifications@github.example"])
def test_noreply_addresses_are_excluded(address: str) -> None:
    assert addresses(exchange(address, 5, 5)) == []


def test_manual_touches_are_ignored() -> None:
    touches = [touch("alice@example.org", 10, OUT), touch("alice@example.org", 10, IN)]
    touches.append(touch("alice@example.org", 0, MANUAL, name="Manual Name"))
    assert addresses(touches) == []
    touches.append(touch("alice@example.org", 20, OUT))
    (found,) = suggest(touches, frozenset(), NOW)
    assert (found.sent, found.received) == (2, 1)
    assert found.last_touch == NOW - timedelta(days=10)
    assert found.name == ""
    assert found.score == pytest.approx(2 * 0.5 ** (10 / 90) + 0.5 ** (20 / 90), abs=1e-3)


def test_score_halves_every_ninety_days() -> None:
    (today,) = suggest(exchange("a@example.org", 2, 1), frozenset(), NOW)
    (older,) = suggest(exchange("a@example.org", 2, 1, days_ago=90), frozenset(), NOW)
    assert today.score == 3.0
    assert older.score == 1.5


def test_recent_mid_volume_beats_old_high_volume() -> None:
    old = exchange("old@example.org", 15, 15, days_ago=365)
    recent = exchange("recent@example.org", 5, 5, days_ago=7)
    ranked = suggest(old + recent, frozenset(), NOW)
    assert [s.address for s in ranked] == ["recent@example.org", "old@example.org"]
    assert ranked[0].sent + ranked[0].received < ranked[1].sent + ranked[1].received


def test_more_volume_wins_at_the_same_age() -> None:
    touches = exchange("few@example.org", 2, 1, days_ago=5) + exchange("many@example.org", 6, 4, days_ago=5)
    assert addresses(touches) == ["many@example.org", "few@example.org"]


def test_ties_are_broken_by_address() -> None:
    touches = exchange("zed@example.org", 2, 1) + exchange("amy@example.org", 2, 1)
    assert addresses(touches) == ["amy@example.org", "zed@example.org"]


def test_future_touches_count_no_more_than_today() -> None:
    (found,) = suggest(exchange("a@example.org", 2, 1, days_ago=-30), frozenset(), NOW)
    assert found.score == 3.0


@pytest.mark.parametrize("reverse", [False, True])
def test_latest_non_empty_name_wins(reverse: bool) -> None:
    touches = [
        touch("alice@example.org", 100, IN, name="A. Example"),
        touch("alice@example.org", 50, OUT, name="Alice Example"),
        touch("alice@example.org", 5, OUT, name=""),
        touch("alice@example.org", 1, IN, name=""),
    ]
    if reverse:
        touches.reverse()
    (found,) = suggest(touches, frozenset(), NOW)
    assert found.name == "Alice Example"
    assert found.last_touch == NOW - timedelta(days=1)


def test_no_touches_no_suggestions() -> None:
    assert suggest([], frozenset(), NOW) == []
