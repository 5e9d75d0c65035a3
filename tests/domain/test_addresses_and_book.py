"""Parsing mailboxes, and the address book's rules for naming contacts and owning addresses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keepwarm.domain.addresses import AddressError, normalize_address, parse_mailbox
from keepwarm.domain.book import (
    ContactLookupError,
    DuplicateAddressError,
    check_addresses_free,
    find_contact,
)
from keepwarm.domain.model import Contact

ADDED = datetime(2024, 1, 1, tzinfo=UTC)


def make_contact(contact_id: int, name: str, *emails: str) -> Contact:
    return Contact(name=name, emails=emails, added_at=ADDED, id=contact_id)


# -- addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alice Example <alice@example.org>", ("Alice Example", "alice@example.org")),
        ("alice@example.org", ("", "alice@example.org")),
        ("  alice@example.org  ", ("", "alice@example.org")),
        ("<alice@example.org>", ("", "alice@example.org")),
        ("ALICE@Example.ORG", ("", "alice@example.org")),
        ("Alice Example <ALICE@EXAMPLE.ORG>", ("Alice Example", "alice@example.org")),
        ('"Example, Alice" <alice@example.org>', ("Example, Alice", "alice@example.org")),
        ("  Alice    Example   <alice@example.org>", ("Alice Example", "alice@example.org")),
        ("alice+keepwarm@mail.example.co.uk", ("", "alice+keepwarm@mail.example.co.uk")),
        ("root@localhost", ("", "root@localhost")),
    ],
)
def test_parse_mailbox(text: str, expected: tuple[str, str]) -> None:
    assert parse_mailbox(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "alice@",
        "alice example.org",
        "<alice@example.org",
        "a@b",
        "",
        "   ",
        "@example.org",
        "alice@@example.org",
        "alice@example..org",
        ".alice@example.org",
        "alice.@example.org",
        "alice@-example.org",
        "Alice <alice@example.org> <bob@example.org>",
        "Alice <>",
    ],
)
def test_parse_mailbox_rejects_invalid_input(text: str) -> None:
    with pytest.raises(AddressError):
        parse_mailbox(text)


@pytest.mark.parametrize(
    "text", ["alice@", "alice example.org", "<alice@example.org", "a@b", "alice@example..org"]
)
def test_address_error_quotes_what_was_given(text: str) -> None:
    """AddressError's contract: "the message quotes what was given" (not a fragment of it)."""
    with pytest.raises(AddressError) as info:
        parse_mailbox(text)
    assert repr(text.strip()) in str(info.value)


@pytest.mark.parametrize("text", ["alice@example.org, bob@example.org", "alice@example.org; bob@example.org"])
def test_parse_mailbox_refuses_two_addresses_rather_than_dropping_one(text: str) -> None:
    with pytest.raises(AddressError):
        parse_mailbox(text)


def test_address_error_is_a_value_error() -> None:
    assert issubclass(AddressError, ValueError)


def test_normalize_address_lowercases_and_strips() -> None:
    assert normalize_address("  Bob@Example.ORG ") == "bob@example.org"
    with pytest.raises(AddressError, match="dot"):
        normalize_address("bob@example")
    with pytest.raises(AddressError):
        normalize_address("b" * 250 + "@example.org")


# -- finding a contact ---------------------------------------------------------------------------

ALICE = make_contact(1, "Alice Example", "alice@example.org", "alice@work.example")
BOB = make_contact(2, "Bob Builder", "bob@example.org")
AL = make_contact(3, "Al", "al@example.net")
BOOK = [ALICE, BOB, AL]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("alice@example.org", ALICE),
        ("alice@work.example", ALICE),
        ("ALICE@WORK.EXAMPLE", ALICE),
        ("Alice Example", ALICE),
        ("alice example", ALICE),
        ("  BOB BUILDER ", BOB),
        ("bob", BOB),
        ("builder", BOB),
        ("Ali", ALICE),
        ("al", AL),
        ("AL", AL),
    ],
)
def test_find_contact(term: str, expected: Contact) -> None:
    assert find_contact(BOOK, term) == expected


def test_ambiguous_name_lists_the_candidates() -> None:
    other = make_contact(4, "Alice Other", "alice@other.org")
    book = [make_contact(1, "Alice Example", "alice@example.org"), other, BOB]
    with pytest.raises(ContactLookupError) as info:
        find_contact(book, "alice")
    message = str(info.value)
    assert "2 contacts" in message
    assert "Alice Example <alice@example.org>" in message
    assert "Alice Other <alice@other.org>" in message
    assert "Bob" not in message


def test_an_address_is_exact_even_when_a_name_would_be_ambiguous() -> None:
    other = make_contact(4, "Alice Other", "alice@other.org")
    assert find_contact([ALICE, other], "alice@other.org") == other


@pytest.mark.parametrize("term", ["zed", "zed@example.org", "", "   "])
def test_unknown_contact(term: str) -> None:
    with pytest.raises(ContactLookupError):
        find_contact(BOOK, term)


def test_no_contacts_at_all() -> None:
    with pytest.raises(ContactLookupError, match="no contact matches 'alice'"):
        find_contact([], "alice")


# -- owning addresses ----------------------------------------------------------------------------


def test_address_of_another_contact_is_refused() -> None:
    with pytest.raises(DuplicateAddressError) as info:
        check_addresses_free(BOOK, ["new@example.org", "bob@example.org"])
    assert "bob@example.org" in str(info.value)
    assert "Bob Builder" in str(info.value)


def test_a_contact_may_keep_its_own_addresses() -> None:
    check_addresses_free(BOOK, ["alice@example.org", "alice@new.example"], except_id=ALICE.id)
    with pytest.raises(DuplicateAddressError):
        check_addresses_free(BOOK, ["alice@example.org"], except_id=BOB.id)


def test_the_same_address_twice_in_the_list_is_refused() -> None:
    with pytest.raises(DuplicateAddressError, match="twice"):
        check_addresses_free([], ["carol@example.org", "carol@example.org"])


def test_free_addresses_pass() -> None:
    check_addresses_free(BOOK, ["carol@example.org", "dave@example.org"])
    check_addresses_free([], ["carol@example.org"])
