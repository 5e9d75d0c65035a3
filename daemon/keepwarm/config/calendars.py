"""The calendars' settings: ``CALENDARS=work`` names them, and each has its keys under its name:
``KEEPWARM_WORK_CALENDAR_URL`` (a CalDAV calendar, an iCalendar address such as Google's secret
``….ics`` link, or a local ``.ics`` file), ``_CALENDAR_USER`` and one of ``_CALENDAR_PASSWORD`` /
``_CALENDAR_PASSWORD_COMMAND`` / ``_CALENDAR_PASSWORD_FILE`` when the server wants a login.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from keepwarm.config.books import password_of
from keepwarm.config.schema import PREFIX
from keepwarm.config.secrets import PasswordSource

CALENDAR_KEYS = (
    "CALENDAR_URL",
    "CALENDAR_USER",
    "CALENDAR_PASSWORD",
    "CALENDAR_PASSWORD_COMMAND",
    "CALENDAR_PASSWORD_FILE",
)


class _Raw(Protocol):
    @property
    def value(self) -> str: ...


class CalendarKind(StrEnum):
    """How a calendar is read: a CalDAV collection, an iCalendar file over HTTP(S), or a local file."""

    CALDAV = "caldav"
    ICS_URL = "ics-url"
    FILE = "file"


@dataclass(frozen=True)
class CalendarConfig:
    """One calendar: where it is, how it is read, and the login if it needs one."""

    name: str
    kind: CalendarKind
    url: str
    user: str | None
    password: PasswordSource | None

    @property
    def path(self) -> Path:
        """The file of a ``file`` calendar."""
        return Path(self.url.removeprefix("file://")).expanduser()


def calendar_key(calendar: str, key: str) -> str:
    """The variable name of ``key`` for a calendar: KEEPWARM_WORK_CALENDAR_URL."""
    return f"{PREFIX}{calendar.upper()}_{key}"


def kind_of(url: str) -> CalendarKind | None:
    """A path (or file://) is a file; webcal://, or an http(s) address of a ``.ics`` file or an
    export (``?export``), is fetched whole; any other http(s) URL is a CalDAV collection."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        return CalendarKind.FILE
    if parts.scheme in ("webcal", "webcals"):
        return CalendarKind.ICS_URL
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if parts.path.lower().endswith(".ics") or "export" in parts.query.lower():
        return CalendarKind.ICS_URL
    return CalendarKind.CALDAV


def load_calendars(
    names: tuple[str, ...], raws: Mapping[str, _Raw], environ: Mapping[str, str], problems: list[str]
) -> tuple[CalendarConfig, ...]:
    """Every named calendar, or problems naming the key that is missing or wrong."""
    calendars = []
    for name in names:
        value = {
            k: raws[calendar_key(name, k)].value.strip()
            for k in CALENDAR_KEYS
            if raws.get(calendar_key(name, k))
        }
        value = {k: v for k, v in value.items() if v}
        url_key = calendar_key(name, "CALENDAR_URL")
        url = value.get("CALENDAR_URL")
        if not url:
            problems.append(f"{url_key} is not set ({PREFIX}CALENDARS names {name})")
            continue
        kind = kind_of(url)
        if kind is None:
            problems.append(f"{url_key}: {url!r} is neither an http(s) URL nor a file path")
            continue
        forms = ("CALENDAR_PASSWORD", "CALENDAR_PASSWORD_COMMAND", "CALENDAR_PASSWORD_FILE")
        password = password_of(
            {calendar_key(name, k): value[k] for k in forms if k in value}, environ, problems
        )
        user = value.get("CALENDAR_USER")
        if kind is CalendarKind.CALDAV and (password is None) != (user is None):
            missing = "CALENDAR_USER" if user is None else "CALENDAR_PASSWORD (or _COMMAND or _FILE)"
            problems.append(f"{calendar_key(name, missing)} is not set (a CalDAV login needs both)")
            continue
        if kind is CalendarKind.FILE and (user or password):
            problems.append(f"{calendar_key(name, 'CALENDAR_USER')}: a calendar file needs no login")
            continue
        calendars.append(CalendarConfig(name, kind, url, user, password))
    return tuple(calendars)
