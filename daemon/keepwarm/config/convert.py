"""Converters for setting values: each takes the raw text and returns a value or raises ValueError.

The message of the ValueError is shown to the user after the key name, so it says what was wrong
and what would be right. Converters for secrets never quote the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from keepwarm.domain.addresses import normalize_address
from keepwarm.domain.durations import parse_cadence, parse_duration
from keepwarm.domain.languages import LanguageError, missing, parse_language
from keepwarm.domain.timing import parse_weekdays

SECURITY_MODES = ("ssl", "starttls", "none")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:.]+\]?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def language(raw: str) -> str:
    """A language keepwarm has drafts in: ``de``, ``en``, ``fr`` (or ``de-AT``, ``German``)."""
    try:
        return parse_language(raw)
    except LanguageError:
        raise ValueError(missing(raw.strip())) from None


def text(raw: str) -> str:
    """Any non-empty text."""
    if not raw.strip():
        raise ValueError("is empty")
    return raw.strip()


def address(raw: str) -> str:
    """One email address."""
    return normalize_address(raw)


def addresses(raw: str) -> tuple[str, ...]:
    """A comma-separated list of email addresses, at least one."""
    items = [item for item in (part.strip() for part in raw.split(",")) if item]
    if not items:
        raise ValueError("needs at least one address")
    return tuple(dict.fromkeys(normalize_address(item) for item in items))


def host(raw: str) -> str:
    """A host name or IP address."""
    value = raw.strip()
    if not _HOST.match(value):
        raise ValueError(f"{value!r} is not a host name")
    return value


def port(raw: str) -> int:
    """A TCP port number."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a port number (1-65535)")
    return value


def security(raw: str) -> str:
    """``ssl`` (implicit TLS), ``starttls`` or ``none``."""
    value = raw.strip().lower()
    if value in ("tls", "implicit"):
        value = "ssl"
    if value not in SECURITY_MODES:
        raise ValueError(f"{raw.strip()!r} is not one of ssl, starttls, none")
    return value


def folders(raw: str) -> tuple[str, ...]:
    """``auto`` or a comma-separated list of IMAP folder names."""
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    if not items:
        raise ValueError("is empty (use auto, or a comma-separated list of folders)")
    if len(items) > 1 and any(item.lower() == "auto" for item in items):
        raise ValueError("'auto' cannot be combined with folder names")
    return ("auto",) if items[0].lower() == "auto" else items


def account_names(raw: str) -> tuple[str, ...]:
    """Mailbox names: lower-case letters, digits and ``_``, each once (``personal,work``)."""
    names = tuple(item.strip().lower() for item in raw.split(",") if item.strip())
    if not names:
        raise ValueError("is empty (name each mailbox, e.g. personal,work)")
    for name in names:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", name):
            raise ValueError(f"{name!r} is not a mailbox name: use letters, digits and _ (up to 20)")
    if len(set(names)) < len(names):
        raise ValueError("names a mailbox twice")
    return names


def servid(raw: str) -> str:
    """An authserv-id: a host name, ``.suffix`` (any name ending so), or ``microsoft``."""
    value = raw.strip().lower()
    name = value[1:] if value.startswith(".") else value
    if value != "microsoft" and ("." not in name or not _HOST.match(name)):
        raise ValueError(
            f"{raw.strip()!r} is not an authserv-id: write a host name (mx.google.com), "
            ".suffix for any name ending so (.icloud.com), or microsoft"
        )
    return value


def readable_file(raw: str) -> Path:
    """A path to a file that exists and can be read."""
    path = Path(raw.strip()).expanduser()
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    return path


def directory(raw: str) -> Path:
    """A directory path (created later if missing)."""
    value = raw.strip()
    if not value:
        raise ValueError("is empty")
    return Path(value).expanduser()


def existing_directory(raw: str) -> Path:
    """A directory that exists."""
    path = directory(raw)
    if not path.is_dir():
        raise ValueError(f"{path} is not a directory")
    return path


def duration(raw: str) -> timedelta:
    """A duration such as 5min, 2h, 3d, 2w, 3mo."""
    return parse_duration(raw)


def cadence(raw: str) -> int:
    """A cadence in days (``3m`` means three months here)."""
    return parse_cadence(raw)


def time_of_day(raw: str) -> time:
    """``HH:MM`` on a 24-hour clock."""
    match = _TIME.match(raw.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{raw.strip()!r} is not a time of day (write HH:MM, e.g. 08:30)")
    return time(int(match.group(1)), int(match.group(2)))


def timezone(raw: str) -> ZoneInfo:
    """An IANA time-zone name such as Europe/Lisbon."""
    value = raw.strip()
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (use a name such as Europe/Lisbon)") from None


def days(raw: str) -> int:
    """A number of days, 0 or more (``3`` or ``3d``; ``0`` turns the thing off)."""
    text = raw.strip().lower().removesuffix("d").strip()
    if not text.isdigit():
        raise ValueError(f"{raw.strip()!r} is not a number of days (write 3, or 0 for none)")
    return int(text)


def positive_int(raw: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{value} must be at least 1")
    return value


# Published secrets (the example file's, and its like): anyone could sign commands with them.
_PUBLISHED = ("change-me", "changeme", "example", "secret-here", "your-secret")
_MAKE_ONE = "keepwarm init makes one; or python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def secret(raw: str) -> str:
    """A random string of at least 16 characters, not a published or guessable one (never quoted
    back: the message says only what is wrong with it)."""
    value = raw.strip()
    if len(value) < 16:
        raise ValueError(f"is too short: use at least 16 random characters ({_MAKE_ONE})")
    if any(word in value.lower() for word in _PUBLISHED):
        raise ValueError(f"is the example's (or like it): anyone could sign commands with it ({_MAKE_ONE})")
    if len(set(value)) < 8:
        raise ValueError(f"is too easy to guess: use random characters ({_MAKE_ONE})")
    return value


def password(raw: str) -> str:
    """A password (never quoted back)."""
    if not raw:
        raise ValueError("is empty")
    return raw


def weekdays(raw: str) -> frozenset[int]:
    """``mon,thu``, ``mon-fri`` or ``daily``: the weekdays (Monday 0) reminders may go out."""
    if raw.strip().lower() in ("daily", "all", "every day"):
        return frozenset(range(7))
    return parse_weekdays(raw)


def weekday(raw: str) -> int:
    """One weekday name (mon … sun), as its number (Monday 0)."""
    days = parse_weekdays(raw)
    if len(days) != 1:
        raise ValueError(f"{raw.strip()!r}: give one day, e.g. sun")
    return next(iter(days))


def choice(*options: str) -> Callable[[str], str]:
    """A converter accepting exactly one of ``options`` (case-insensitive)."""

    def convert(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"{raw.strip()!r} is not one of {', '.join(options)}")
        return value

    return convert


def boolean(raw: str) -> bool:
    """yes/no, true/false, on/off, 1/0."""
    value = raw.strip().lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise ValueError(f"{raw.strip()!r} is not yes or no")
