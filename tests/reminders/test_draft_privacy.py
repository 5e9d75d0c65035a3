"""A draft is written to the person: it never carries the owner's private notes, and it names a
thread by its topic ("your email 'Choir'"), never by its reply prefix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from keepwarm.domain.due import CadenceSource, standing
from keepwarm.domain.model import Contact, Direction, Note, Touch
from keepwarm.render import views
from keepwarm.render.engine import Renderer

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def _entry(renderer: Renderer, rotation: int, *, told: list[str] | None = None) -> dict[str, object]:
    alice = Contact(
        "Alice Example",
        ("alice@example.org",),
        NOW - timedelta(days=400),
        cadence_days=30,
        notes=(Note(NOW - timedelta(days=3), "moving to Hamburg in March"),),
    )
    touch = Touch("alice@example.org", NOW - timedelta(days=40), Direction.IN, subject="AW: Re: Choir")
    item = standing(alice, touch, (30, CadenceSource.CONTACT), NOW)
    owner = views.owner_view("Naomi Example", "naomi@example.com")
    context, notes = views.entry_view(renderer, item, number=1, rotation=rotation, now=NOW, owner=owner)
    assert notes == ([] if told is None else notes)
    if told is not None:
        told.extend(notes)
    return context


def test_no_shipped_draft_variant_carries_the_notes_or_a_reply_prefix() -> None:
    renderer = Renderer()
    for rotation in range(3):
        entry = _entry(renderer, rotation)
        draft = entry["draft"]
        assert isinstance(draft, dict)
        assert "Hamburg" not in draft["body"] and "Re:" not in draft["body"] and "AW:" not in draft["body"]
    assert "your email 'Choir'" in _entry(renderer, 0)["draft"]["body"]  # type: ignore[index]
    # The owner still sees them, in the reminder around the draft.
    assert _entry(renderer, 0)["contact"]["private_notes"] == ["moving to Hamburg in March"]  # type: ignore[index]


def test_a_draft_template_that_asks_for_the_notes_gets_nothing_and_the_owner_is_told(tmp_path: Path) -> None:
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "default.txt.j2").write_text("Hi! {{ contact.private_notes[-1] }}\n")
    told: list[str] = []
    entry = _entry(Renderer(tmp_path), 0, told=told)
    draft = entry["draft"]
    assert isinstance(draft, dict) and "Hamburg" not in draft["body"]
    (note,) = told
    assert "default.txt.j2:1: UndefinedError: 'dict object' has no attribute 'private_notes'" in note


def test_the_opening_follows_whose_move_it_is_and_how_long_it_has_been() -> None:
    renderer = Renderer()
    owner = views.owner_view("Naomi Example", "naomi@example.com")
    alice = Contact("Alice Example", ("alice@example.org",), NOW - timedelta(days=400), cadence_days=30)
    cases = [
        (Direction.IN, 2, "Thank you for your email 'Choir'. How are things"),
        (Direction.IN, 40, "Thank you for your email 'Choir', and sorry to be so slow to answer."),
        (Direction.OUT, 5, "Just following up on my email 'Choir', in case it got buried."),
        (Direction.OUT, 40, "It's been a while since my email 'Choir', and I was thinking of you."),
    ]
    for direction, days, opening in cases:
        touch = Touch("alice@example.org", NOW - timedelta(days=days), direction, subject="Re: Choir")
        item = standing(alice, touch, (30, CadenceSource.CONTACT), NOW)
        context, _ = views.entry_view(renderer, item, number=1, rotation=0, now=NOW, owner=owner)
        body = context["draft"]["body"]
        assert opening in body, (direction, days, body)
        assert ("It's been a while" in body) is (opening.startswith("It's been")), body
