"""plan_import: new, updated, unchanged and problem records, and what an import never overwrites."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from keepwarm.domain.merge import ImportPlan, Record, plan_import
from keepwarm.domain.model import Birthday, Contact, Note

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADDED = datetime(2025, 1, 1, tzinfo=UTC)


def contact(
    contact_id: int,
    name: str,
    *emails: str,
    group: str | None = None,
    cadence_days: int | None = None,
    birthday: Birthday | None = None,
    notes: tuple[Note, ...] = (),
) -> Contact:
    return Contact(
        name=name,
        emails=emails,
        added_at=ADDED,
        id=contact_id,
        group=group,
        cadence_days=cadence_days,
        birthday=birthday,
        notes=notes,
    )


def record(
    where: str, name: str, *emails: str, birthday: Birthday | None = None, group: str | None = None
) -> Record:
    return Record(where, name, emails, birthday, group)


def after_import(existing: Sequence[Contact], plan: ImportPlan) -> list[Contact]:
    """The contacts as the store would hold them once the plan is applied."""
    updated = {c.id: c for c in plan.updated}
    return [updated.get(c.id, c) for c in existing] + plan.new


def shared_addresses(contacts: Sequence[Contact]) -> list[str]:
    """Addresses that more than one contact claims (the book's invariant says: none)."""
    counts = Counter(address for c in contacts for address in c.emails)
    return sorted(address for address, n in counts.items() if n > 1)


def test_records_for_unknown_people_become_new_contacts() -> None:
    plan = plan_import(
        [],
        [
            record("card 1", "Alice Example", "alice@example.org", birthday=Birthday(5, 17), group="Friends"),
            record("card 2", "Bob Builder", "bob@example.net", "bob@work.example"),
        ],
        NOW,
    )

    assert plan.updated == [] and plan.unchanged == 0 and plan.problems == []
    assert [(c.name, c.emails, c.birthday, c.group) for c in plan.new] == [
        ("Alice Example", ("alice@example.org",), Birthday(5, 17), "Friends"),
        ("Bob Builder", ("bob@example.net", "bob@work.example"), None, None),
    ]
    assert all(c.id == 0 and c.added_at == NOW and c.cadence_days is None for c in plan.new)


def test_a_record_that_adds_nothing_is_unchanged() -> None:
    alice = contact(1, "Alice Example", "alice@example.org", "alice@work.example", birthday=Birthday(5, 17))

    plan = plan_import([alice], [record("line 2", "Alice Example", "alice@work.example")], NOW)

    assert plan.unchanged == 1
    assert plan.new == [] and plan.updated == [] and plan.problems == []


def test_a_matching_record_adds_addresses_and_fills_gaps_but_overwrites_nothing() -> None:
    note = Note(ADDED, "met at the crag")
    alice = contact(1, "Alice", "alice@example.org", group="Climbing", cadence_days=21, notes=(note,))

    plan = plan_import(
        [alice],
        [
            record(
                "card 1",
                "Alice Example",
                "alice@example.org",
                "alice@work.example",
                birthday=Birthday(5, 17, 1990),
                group="Friends",
            )
        ],
        NOW,
        cadence_days=7,
        group="Imported",
    )

    assert plan.new == [] and plan.unchanged == 0 and plan.problems == []
    [updated] = plan.updated
    assert updated.id == 1
    assert updated.emails == ("alice@example.org", "alice@work.example")
    assert updated.birthday == Birthday(5, 17, 1990)
    # What the owner set stays: name, cadence, notes, group, and when she was added.
    assert updated.name == "Alice"
    assert updated.cadence_days == 21
    assert updated.notes == (note,)
    assert updated.group == "Climbing"
    assert updated.added_at == ADDED


def test_a_missing_name_birthday_and_group_are_filled_in_but_an_existing_birthday_is_kept() -> None:
    nameless = contact(1, "", "carol@example.org")
    dated = contact(2, "Dan", "dan@example.org", birthday=Birthday(1, 2, 1980))

    plan = plan_import(
        [nameless, dated],
        [
            record("card 1", "Carol Singer", "carol@example.org", birthday=Birthday(3, 4), group="Family"),
            record("card 2", "Dan", "dan@example.org", birthday=Birthday(9, 9, 1999)),
        ],
        NOW,
    )

    [carol] = plan.updated
    assert (carol.name, carol.birthday, carol.group) == ("Carol Singer", Birthday(3, 4), "Family")
    assert plan.unchanged == 1  # Dan's record only disagrees on a birthday he already has


def test_a_record_without_an_address_is_a_problem_naming_it() -> None:
    plan = plan_import([], [record("line 4", "Dan Nobody"), record("line 5", "")], NOW)

    assert plan.new == [] and plan.updated == [] and plan.unchanged == 0
    assert plan.problems == [
        "line 4: Dan Nobody has no email address: skipped",
        "line 5: a record has no email address: skipped",
    ]


def test_a_record_whose_addresses_belong_to_two_contacts_is_a_problem() -> None:
    alice = contact(1, "Alice", "alice@example.org")
    bob = contact(2, "Bob", "bob@example.net")

    plan = plan_import(
        [alice, bob], [record("card 3", "Alice and Bob", "alice@example.org", "bob@example.net")], NOW
    )

    assert plan.problems == ["card 3: its addresses belong to 2 different contacts"]
    assert plan.new == [] and plan.updated == [] and plan.unchanged == 0


def test_two_records_for_the_same_new_person_merge_into_one_contact() -> None:
    plan = plan_import(
        [],
        [
            record("card 1", "Erin", "erin@example.org"),
            record("card 2", "Erin Example", "erin@work.example", "erin@example.org", group="Work"),
            record("card 3", "", "erin@work.example", birthday=Birthday(12, 24)),
        ],
        NOW,
    )

    assert plan.problems == [] and plan.updated == []
    [erin] = plan.new
    assert erin.name == "Erin"
    assert erin.emails == ("erin@example.org", "erin@work.example")
    assert erin.group == "Work"
    assert erin.birthday == Birthday(12, 24)


def test_cadence_and_default_group_apply_to_new_contacts_only() -> None:
    alice = contact(1, "Alice", "alice@example.org")

    plan = plan_import(
        [alice],
        [
            record("line 2", "Alice", "alice@example.org", "alice@work.example"),
            record("line 3", "Bob", "bob@example.net"),
            record("line 4", "Carol", "carol@example.org", group="Family"),
        ],
        NOW,
        cadence_days=14,
        group="Imported",
    )

    [updated] = plan.updated
    assert (updated.cadence_days, updated.group) == (None, None)
    assert [(c.name, c.cadence_days, c.group) for c in plan.new] == [
        ("Bob", 14, "Imported"),
        ("Carol", 14, "Family"),  # the record's own group wins over the default
    ]


def test_one_contact_matched_by_two_records_is_updated_once_with_both() -> None:
    alice = contact(1, "Alice", "alice@example.org")

    plan = plan_import(
        [alice],
        [
            record("card 1", "Alice", "alice@example.org", "alice@work.example"),
            record("card 2", "Alice", "alice@work.example", "alice@home.example"),
        ],
        NOW,
    )

    [updated] = plan.updated
    assert updated.emails == ("alice@example.org", "alice@work.example", "alice@home.example")
    assert plan.new == [] and plan.problems == []


def test_importing_the_planned_result_again_changes_nothing() -> None:
    records = [
        record("card 1", "Alice", "alice@example.org", group="Friends"),
        record("card 2", "Bob", "bob@example.net", birthday=Birthday(5, 17)),
    ]
    first = plan_import([], records, NOW)
    stored = [c.with_changes(id=n) for n, c in enumerate(first.new, start=1)]

    second = plan_import(stored, records, NOW)

    assert second.new == [] and second.updated == [] and second.problems == []
    assert second.unchanged == 2


def test_a_record_joining_an_existing_contact_and_a_new_one_never_shares_an_address() -> None:
    """Card 1 is someone new; card 2 ties card 1's address to Ann, who is already tracked."""
    ann = contact(1, "Ann", "ann@example.org")
    records = [
        record("card 1", "Xavier", "x@example.org"),
        record("card 2", "Ann", "ann@example.org", "x@example.org"),
    ]

    plan = plan_import([ann], records, NOW)

    assert shared_addresses(after_import([ann], plan)) == []


def test_a_record_joining_two_new_people_never_shares_an_address() -> None:
    """Cards 1 and 2 are new people; card 3 holds both their addresses."""
    records = [
        record("card 1", "Xavier", "x@example.org"),
        record("card 2", "Yolanda", "y@example.org"),
        record("card 3", "X and Y", "x@example.org", "y@example.org"),
    ]

    plan = plan_import([], records, NOW)

    assert shared_addresses(plan.new) == []
