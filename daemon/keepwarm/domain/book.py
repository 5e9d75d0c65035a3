"""Rules over the whole address book: naming a contact, and keeping each address on one contact."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from keepwarm.domain.addresses import AddressError, normalize_address
from keepwarm.domain.model import Contact


class ContactLookupError(LookupError):
    """No contact, or several, answer to the name given; the message lists the candidates."""


class DuplicateAddressError(ValueError):
    """An address already belongs to another contact."""


def find_contact(contacts: Sequence[Contact], term: str) -> Contact:
    """The one contact named by ``term``: any of its addresses, its full name, or a unique part of it.

    Exact matches win over partial ones, so "Al" can still mean "Al" when "Alice" exists too.
    """
    wanted = term.strip()
    if not wanted:
        raise ContactLookupError("no contact named (give a name or an address)")
    folded = wanted.casefold()
    try:
        address = normalize_address(wanted)
    except AddressError:
        address = None
    if address is not None:
        for contact in contacts:
            if address in contact.emails:
                return contact
    for matches in (
        [c for c in contacts if c.name.casefold() == folded],
        [c for c in contacts if folded in c.name.casefold() or any(folded in e for e in c.emails)],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = "; ".join(c.label for c in matches[:10])
            raise ContactLookupError(f"{wanted!r} matches {len(matches)} contacts: {names}")
    raise ContactLookupError(f"no contact matches {wanted!r}")


def check_addresses_free(contacts: Iterable[Contact], emails: Sequence[str], except_id: int = 0) -> None:
    """Refuse an address that another contact already has, or that is listed twice."""
    if len(set(emails)) != len(emails):
        raise DuplicateAddressError("the same address is listed twice")
    for contact in contacts:
        if contact.id == except_id:
            continue
        taken = set(emails) & set(contact.emails)
        if taken:
            raise DuplicateAddressError(f"{min(taken)} already belongs to {contact.label}")
