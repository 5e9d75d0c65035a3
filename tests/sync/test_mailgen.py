"""The realistic mailbox generator itself: deterministic, varied, and its truth holds no noise."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.sync import mailgen

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _box() -> mailgen.GeneratedMailbox:
    return mailgen.generate("naomi@example.com", "naomi+keepwarm@example.com", NOW)


def test_the_same_seed_gives_the_same_mailbox() -> None:
    first, second = _box(), _box()
    assert [p.raw for p in first.placements] == [p.raw for p in second.placements]
    assert first.touches == second.touches


def test_the_mailbox_has_every_kind_of_message_the_realistic_test_relies_on() -> None:
    box = _box()
    assert 2000 <= len(box.placements) <= 2010
    kinds = box.kinds
    for odd in mailgen.ODD_DATES:
        assert kinds[f"odd-date:{odd}"] >= 1, odd
    for kind in ("newsletter", "notification", "list-post", "autoreply", "bounce", "self-copy", "self-note"):
        assert kinds[kind] >= 4, kind
    assert kinds["broadcast-out"] == kinds["broadcast-in"] == 2
    assert kinds["no-message-id"] >= 20 and kinds["personal-lmtp"] == 6 and kinds["draft"] == 8
    assert sum(b"In-Reply-To:" in p.raw for p in box.placements) > 500
    assert len(box.people) >= 30 and sum(bool(p.name) for p in box.people.values()) >= 30
    assert len(box.two_way()) >= 15
    assert {"Sent", "INBOX", "Drafts"} == {p.folder for p in box.placements}


def test_the_truth_holds_only_people() -> None:
    box = _box()
    addresses = {t.address for t in box.touches}
    assert addresses <= set(box.people)
    assert not any(a.endswith(("news.example.com", "github.example", "party.example")) for a in addresses)
    assert all(t.at <= box.now for t in box.touches)
    assert set(box.tracked) == {f"old.friend{i}@faraway.example" for i in range(4)}
