"""Email addresses: parse ``Name <addr>`` or a bare address, validate, and normalise to lower case."""

from __future__ import annotations

import re

# Deliberately simple: a local part without spaces or brackets, a domain of dot-separated labels.
# Catches typos ("alice@", "alice example.org") without rejecting real, unusual addresses.
_LOCAL = r"[^\s@<>()\[\],;:\"\\]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})*$")
_MAX_LENGTH = 254


class AddressError(ValueError):
    """Not a usable email address; the message quotes what was given."""


def normalize_address(text: str) -> str:
    """Validate one bare address and return it in lower case."""
    address = text.strip().lower()
    if not address or len(address) > _MAX_LENGTH or not _ADDRESS.match(address):
        raise AddressError(f"{text.strip()!r} is not a valid email address")
    local, _, domain = address.rpartition("@")
    if "." not in domain and domain != "localhost":
        raise AddressError(f"{text.strip()!r} is not a valid email address (domain has no dot)")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise AddressError(f"{text.strip()!r} is not a valid email address (misplaced dot)")
    return address


_NAMED = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]*)>$")


def parse_mailbox(text: str) -> tuple[str, str]:
    """Read ``"Alice Example <alice@example.org>"`` or ``alice@example.org`` into (name, address).

    Exactly one address: a list such as ``a@x, b@y`` is refused rather than cut to its first entry.
    """
    raw = text.strip()
    match = _NAMED.match(raw)
    if match:
        name, address = match.group("name").strip().strip('"').strip(), match.group("addr")
    elif "<" in raw or ">" in raw:
        raise AddressError(f"{raw!r} is not 'Name <address>' or an address")
    else:
        name, address = "", raw
    try:
        return " ".join(name.split()), normalize_address(address)
    except AddressError:
        raise AddressError(f"{raw!r} is not 'Name <address>' or a valid email address") from None
