"""Contacts kept in step with a CardDAV address book on a real Radicale server (and a vdir): cards
added, changed and removed upstream, cards without an address, and a wrong password."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepwarm.domain.model import Birthday, Direction, Touch
from keepwarm.store import Store
from tests.cli.test_round_trips import NOW
from tests.clitools import Runner, ok
from tests.testbed.radicale import AddressBook, card


@pytest.fixture
def book(addressbook: AddressBook, monkeypatch: pytest.MonkeyPatch, state: Path) -> AddressBook:
    """keepwarm set up to read ``addressbook`` as KEEPWARM_ADDRESSBOOKS=personal."""
    monkeypatch.setenv("KEEPWARM_ADDRESSBOOKS", "personal")
    monkeypatch.setenv("KEEPWARM_PERSONAL_CARDDAV_URL", addressbook.url)
    monkeypatch.setenv("KEEPWARM_PERSONAL_CARDDAV_USER", addressbook.server.user)
    monkeypatch.setenv("KEEPWARM_PERSONAL_CARDDAV_PASSWORD", addressbook.server.password)
    return addressbook


def test_a_card_added_upstream_becomes_a_contact_with_its_group_and_birthday(
    run: Runner, state: Path, book: AddressBook
) -> None:
    book.put(
        "ann",
        card(
            "ann",
            "Ann Ödegaard",
            "EMAIL:ann@example.org",
            "EMAIL:Ann@Work.Example",
            "CATEGORIES:Climbing,Friends",
            "BDAY:--02-29",
            "ANNIVERSARY:20160612",
            "X-KEEPWARM-CADENCE:3w",
        ),
    )

    result = ok(run("contacts", "sync"))

    assert result.lines[0] == "address book personal: added 1, updated 0, removed upstream 0, problems 0"
    [ann] = Store(state).contacts()
    assert (ann.name, ann.emails, ann.group) == (
        "Ann Ödegaard",
        ("ann@example.org", "ann@work.example"),
        "Climbing",
    )
    assert (ann.birthday, ann.cadence_days) == (Birthday(2, 29), 21)
    assert [(d.label, str(d.date)) for d in ann.dates] == [("anniversary", "2016-06-12")]
    # Nothing changed upstream: the next sync fetches nothing and changes nothing.
    assert ok(run("contacts", "sync")).lines == [
        "address book personal: added 0, updated 0, removed upstream 0, problems 0"
    ]


def test_a_card_changed_upstream_updates_only_what_came_from_it(
    run: Runner, state: Path, book: AddressBook
) -> None:
    book.put("bob", card("bob", "Bob", "EMAIL:bob@example.org", "CATEGORIES:Work", "BDAY:1990-05-17"))
    ok(run("contacts", "sync"))
    ok(
        run(
            "contacts", "edit", "bob@example.org", "--note", "likes trains", "--add-email", "bob@home.example"
        )
    )
    ok(run("contacts", "edit", "bob@example.org", "--pause"))

    book.put("bob", card("bob", "Robert Builder", "EMAIL:robert@example.org", "CATEGORIES:Friends"))
    result = ok(run("contacts", "sync"))

    assert "  ~ Robert Builder <bob@home.example>" in result.lines
    [bob] = Store(state).contacts()
    # The card's fields follow it (its old address and birthday went); keepwarm's own stay.
    assert (bob.name, bob.emails, bob.group, bob.birthday) == (
        "Robert Builder",
        ("bob@home.example", "robert@example.org"),
        "Friends",
        None,
    )
    assert ([n.text for n in bob.notes], bob.paused) == (["likes trains"], True)


def test_a_cards_lang_sets_the_language_of_her_drafts_and_follows_the_card(
    run: Runner, state: Path, book: AddressBook
) -> None:
    book.put("cleo", card("cleo", "Cléo", "EMAIL:cleo@example.org", "LANG:de"))
    book.put("dag", card("dag", "Dag", "EMAIL:dag@example.org"))
    ok(run("contacts", "sync"))
    ok(run("contacts", "edit", "dag@example.org", "--language", "fr"))  # the owner's own choice
    assert {c.name: c.language for c in Store(state).contacts()} == {"Cléo": "de", "Dag": "fr"}

    book.put("cleo", card("cleo", "Cléo", "EMAIL:cleo@example.org", "LANG:fr"))
    book.put("dag", card("dag", "Dag B.", "EMAIL:dag@example.org"))  # changed, still without LANG
    ok(run("contacts", "sync"))

    assert {c.name: c.language for c in Store(state).contacts()} == {"Cléo": "fr", "Dag B.": "fr"}


def test_a_card_removed_upstream_is_reported_and_the_contact_and_history_stay(
    run: Runner, state: Path, book: AddressBook
) -> None:
    book.put("cy", card("cy", "Cy", "EMAIL:cy@example.org"))
    ok(run("contacts", "sync"))
    Store(state).add_touches([Touch("cy@example.org", NOW, Direction.IN, subject="Hello")])

    book.delete("cy")
    result = ok(run("contacts", "sync"))

    gone = "Cy <cy@example.org>: the card left address book personal; contact and history kept"
    assert result.lines == [
        "address book personal: added 0, updated 0, removed upstream 1, problems 0",
        f"  - {gone}",
    ]
    assert [c.name for c in Store(state).contacts()] == ["Cy"]
    assert [t.subject for t in Store(state).touches()] == ["Hello"]
    assert f"  removed upstream: {gone}" in ok(run("status")).lines
    check = run("check").out
    assert "removed upstream (contacts kept): " + gone in check


def test_a_card_without_an_address_is_one_line_and_the_others_sync(
    run: Runner, state: Path, book: AddressBook
) -> None:
    book.put("nomail", card("nomail", "No Mail", "TEL:+4912345"))
    book.put("dee", card("dee", "Dee", "EMAIL:dee@example.org"))

    result = ok(run("contacts", "sync"))

    assert (
        "  problem: address book personal, card nomail.vcf (No Mail): No Mail has no email address: skipped"
        in (result.lines)
    )
    assert [c.name for c in Store(state).contacts()] == ["Dee"]


def test_track_takes_only_the_cards_of_one_group(
    run: Runner, state: Path, book: AddressBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPWARM_PERSONAL_TRACK", "keep in touch")
    book.put("eve", card("eve", "Eve", "EMAIL:eve@example.org", "CATEGORIES:Keep in touch,Family"))
    book.put("fay", card("fay", "Fay", "EMAIL:fay@example.org", "CATEGORIES:Family"))

    ok(run("contacts", "sync"))

    [eve] = Store(state).contacts()
    assert (eve.name, eve.group) == ("Eve", "Family")


def test_a_wrong_password_is_one_line_in_sync_and_in_check(
    run: Runner, state: Path, book: AddressBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPWARM_PERSONAL_CARDDAV_PASSWORD", "wrong")

    result = run("contacts", "sync")

    assert result.code == 75
    host = book.url.split("/")[2]
    refused = f"{host} refused the login (401): check the user and password"
    assert result.lines == [f"address book personal: not read: {refused}"]
    check = [line for line in run("check").out.splitlines() if "address book personal" in line]
    assert len(check) == 1 and "FAIL" in check[0] and refused in check[0]


def test_a_vdir_folder_syncs_like_an_address_book(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "contacts" / "personal"
    folder.mkdir(parents=True)
    (folder / "gil.vcf").write_text(
        card("gil", "Gil", "EMAIL:gil@example.org", "BDAY:--12-24"), encoding="utf-8"
    )
    monkeypatch.setenv("KEEPWARM_ADDRESSBOOKS", "personal")
    monkeypatch.setenv("KEEPWARM_PERSONAL_VDIR", str(folder))

    ok(run("contacts", "sync"))
    (folder / "gil.vcf").unlink()
    result = ok(run("contacts", "sync"))

    [gil] = Store(state).contacts()
    assert (gil.name, gil.birthday) == ("Gil", Birthday(12, 24))
    assert result.lines[0] == "address book personal: added 0, updated 0, removed upstream 1, problems 0"


def test_the_sync_token_brings_only_what_changed(addressbook: AddressBook) -> None:
    from keepwarm.addressbook.carddav import CardDavBook

    addressbook.put("hal", card("hal", "Hal", "EMAIL:hal@example.org"))
    client = CardDavBook(addressbook.url, addressbook.server.user, addressbook.server.password, timeout=10)
    try:
        first = client.changes(None, {})
        [hal] = first.cards
        assert first.token
        assert client.changes(first.token, {hal.href: hal.etag}).cards == []
        addressbook.put("ivy", card("ivy", "Ivy", "EMAIL:ivy@example.org"))
        addressbook.delete("hal")
        later = client.changes(first.token, {hal.href: hal.etag})
    finally:
        client.close()
    assert [c.href.rsplit("/", 1)[-1] for c in later.cards] == ["ivy.vcf"]
    assert later.gone == [hal.href]


def test_the_daemon_syncs_the_address_books_in_a_thread_of_their_own(state: Path, book: AddressBook) -> None:
    from keepwarm import config
    from keepwarm.runtime.loop import Daemon

    book.put("jo", card("jo", "Jo", "EMAIL:jo@example.org", "CATEGORIES:Family"))
    daemon = Daemon(config.load)

    thread = daemon.books_job()

    assert thread is not None and thread.name == "addressbooks"
    thread.join(timeout=20)
    [jo] = Store(state).contacts()
    assert (jo.name, jo.group) == ("Jo", "Family")
    assert "books_job" in repr(daemon._schedule().jobs)


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ({}, "KEEPWARM_PERSONAL_CARDDAV_URL or KEEPWARM_PERSONAL_VDIR: set one of them"),
        (
            {"CARDDAV_URL": "carddav.example.com/dav"},
            "KEEPWARM_PERSONAL_CARDDAV_URL: 'carddav.example.com/dav' is not an http(s) URL",
        ),
        (
            {"CARDDAV_URL": "https://carddav.example.com/", "CARDDAV_USER": "naomi"},
            "KEEPWARM_PERSONAL_CARDDAV_PASSWORD (or _COMMAND or _FILE) is not set",
        ),
    ],
    ids=["neither", "not-a-url", "no-password"],
)
def test_an_address_book_half_set_up_is_one_line_naming_the_key(
    run: Runner, state: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], line: str
) -> None:
    monkeypatch.setenv("KEEPWARM_ADDRESSBOOKS", "personal")
    for key, value in settings.items():
        monkeypatch.setenv(f"KEEPWARM_PERSONAL_{key}", value)

    result = run("contacts", "sync")

    assert result.code == 78
    assert line in result.err
    assert "Traceback" not in result.err
