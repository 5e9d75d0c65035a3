"""Which folder holds the owner's drafts, and what each of keepwarm's drafts needs next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.drafts import DraftRecord, DraftState, Step, step
from keepwarm.domain.folders import Folder, drafts_folder

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        ([Folder("INBOX", None), Folder("Entwürfe", None), Folder("Mine", "\\Drafts")], "Mine"),
        ([Folder("INBOX", None), Folder("INBOX.Brouillons", None)], "INBOX.Brouillons"),
        ([Folder("Bozze", None)], "Bozze"),
        ([Folder("INBOX", None), Folder("Sent", "\\Sent")], None),
    ],
    ids=["flag-wins", "courier-french", "italian", "none"],
)
def test_the_drafts_folder_is_the_flagged_one_else_a_usual_name(
    folders: list[Folder], expected: str | None
) -> None:
    assert drafts_folder(folders) == expected


def _record(state: DraftState) -> DraftRecord:
    return DraftRecord(1, 7, 3, "<kw-draft-1@example.com>", "", NOW, state)


@pytest.mark.parametrize(
    ("state", "newest", "touched", "sent", "dead", "expected"),
    [
        (DraftState.WANTED, True, None, False, False, Step.WAIT),
        (DraftState.WANTED, True, None, True, False, Step.PLACE),
        (DraftState.WANTED, False, None, True, False, Step.FORGET),
        (DraftState.WANTED, True, None, False, True, Step.FORGET),
        (DraftState.APPENDING, True, None, True, False, Step.PLACE),
        (DraftState.APPENDING, True, 1, True, False, Step.REMOVE),
        (DraftState.PLACED, True, None, True, False, Step.WAIT),
        (DraftState.PLACED, True, -1, True, False, Step.WAIT),
        (DraftState.PLACED, True, 1, True, False, Step.REMOVE),
        (DraftState.PLACED, False, None, True, False, Step.REMOVE),
    ],
)
def test_a_draft_goes_when_a_newer_one_comes_or_a_touch_follows_it(
    state: DraftState, newest: bool, touched: int | None, sent: bool, dead: bool, expected: Step
) -> None:
    touched_at = None if touched is None else NOW + timedelta(hours=touched)
    found = step(_record(state), newest=newest, touched_at=touched_at, reminder_sent=sent, reminder_dead=dead)
    assert found is expected
