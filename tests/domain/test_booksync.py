"""The address-book sync's rules, without a server: what a changed card may change, links,
conflicts, and cards gone."""

from __future__ import annotations

from datetime import UTC, datetime

from keepwarm.domain.booksync import CardFields, CardRead, Link, apply_card, plan_sync, tracked
from keepwarm.domain.merge import Record
from keepwarm.domain.model import Birthday, Contact, Note

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def read(href: str, name: str, *emails: str, categories: tuple[str, ...] = (), **more: object) -> CardRead:
    return CardRead(href, "etag-" + href, Record(f"card {href}", name, emails, **more), categories)  # type: ignore[arg-type]


def test_a_changed_card_changes_only_its_own_fields_and_leaves_the_owners() -> None:
    contact = Contact(
        "Bob",
        ("bob@example.org", "bob@home.example"),
        NOW,
        id=1,
        group="Chess club",  # set by the owner in keepwarm, not by the card
        birthday=Birthday(5, 17, 1990),
        notes=(Note(NOW, "likes trains"),),
        paused=True,
    )
    old = CardFields("Bob", ("bob@example.org",), "Work", Birthday(5, 17, 1990))
    new = CardFields("Robert", ("robert@example.org",), None, None, Birthday(6, 12), 21, "de")

    after = apply_card(contact, old, new)

    assert after.emails == ("bob@home.example", "robert@example.org")
    assert (after.name, after.group, after.birthday, after.cadence_days) == ("Robert", "Chess club", None, 21)
    assert [(d.label, d.date) for d in after.dates] == [("anniversary", Birthday(6, 12))]
    assert (after.notes, after.paused, after.language) == (contact.notes, True, "de")


def test_a_new_card_links_to_the_contact_that_has_its_address() -> None:
    ann = Contact("", ("ann@example.org",), NOW, id=4, cadence_days=14)

    plan = plan_sync(
        "personal",
        "all",
        contacts=[ann],
        links={},
        changed=[read("a.vcf", "Ann", "ann@example.org")],
        gone=[],
        now=NOW,
    )

    assert plan.new == []
    assert [(c.id, c.name, c.cadence_days) for c in plan.updated] == [(4, "Ann", 14)]
    assert plan.links["a.vcf"].contact_id == 4


def test_two_cards_with_one_address_and_a_card_in_another_group() -> None:
    cards = [
        read("a.vcf", "Ann", "ann@example.org", categories=("Keep in touch",)),
        read("b.vcf", "Ann again", "ann@example.org", categories=("keep in touch",)),
        read("c.vcf", "Cy", "cy@example.org", categories=("Work",)),
    ]

    plan = plan_sync("personal", "Keep in touch", contacts=[], links={}, changed=cards, gone=[], now=NOW)

    assert [c.name for _, c, _ in plan.new] == ["Ann"]
    assert plan.problems == [
        "address book personal, card b.vcf: another card has one of its addresses: skipped"
    ]
    assert tracked(("KEEP IN TOUCH",), "keep in touch") and not tracked(("Work",), "keep in touch")


def test_a_card_gone_or_out_of_the_group_is_reported_and_nothing_is_removed() -> None:
    cy = Contact("Cy", ("cy@example.org",), NOW, id=2)
    dee = Contact("Dee", ("dee@example.org",), NOW, id=3)
    links = {
        "c.vcf": Link(2, "1", CardFields("Cy", cy.emails)),
        "d.vcf": Link(3, "1", CardFields("Dee", dee.emails)),
    }
    moved = read("d.vcf", "Dee", "dee@example.org", categories=("Work",))

    plan = plan_sync(
        "personal", "friends", contacts=[cy, dee], links=links, changed=[moved], gone=["c.vcf"], now=NOW
    )

    assert plan.links == {}
    assert plan.updated == [] and plan.new == []
    assert plan.removed == [
        "Cy <cy@example.org>: the card left address book personal; contact and history kept",
        "Dee <dee@example.org>: the card left address book personal; contact and history kept",
    ]
