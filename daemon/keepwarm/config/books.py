"""The address books' settings: ``ADDRESSBOOKS=personal`` names them, and each has its keys under
its name: ``KEEPWARM_PERSONAL_CARDDAV_URL``, ``_CARDDAV_USER``, one of ``_CARDDAV_PASSWORD`` /
``_CARDDAV_PASSWORD_COMMAND`` / ``_CARDDAV_PASSWORD_FILE`` — or ``KEEPWARM_PERSONAL_VDIR`` for a
folder of .vcf files — and ``_TRACK`` (``all``, or the one group of cards to track).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from keepwarm.config.schema import PREFIX
from keepwarm.config.secrets import PasswordSource, Secret

BOOK_KEYS = (
    "CARDDAV_URL",
    "CARDDAV_USER",
    "CARDDAV_PASSWORD",
    "CARDDAV_PASSWORD_COMMAND",
    "CARDDAV_PASSWORD_FILE",
    "VDIR",
    "TRACK",
)


class _Raw(Protocol):
    @property
    def value(self) -> str: ...


@dataclass(frozen=True)
class AddressBookConfig:
    """One address book: CardDAV (``url``, ``user``, ``password``) or a vdir folder."""

    name: str
    url: str | None
    user: str | None
    password: PasswordSource | None
    vdir: Path | None
    track: str


def book_key(book: str, key: str) -> str:
    """The variable name of ``key`` for an address book: KEEPWARM_PERSONAL_CARDDAV_URL."""
    return f"{PREFIX}{book.upper()}_{key}"


def load_books(
    names: tuple[str, ...], raws: Mapping[str, _Raw], environ: Mapping[str, str], problems: list[str]
) -> tuple[AddressBookConfig, ...]:
    """Every named address book, or problems naming the key that is missing or wrong."""
    books = []
    for name in names:
        value = {k: raws[book_key(name, k)].value.strip() for k in BOOK_KEYS if raws.get(book_key(name, k))}
        value = {k: v for k, v in value.items() if v}
        url, vdir = value.get("CARDDAV_URL"), value.get("VDIR")
        if bool(url) == bool(vdir):
            problems.append(f"{book_key(name, 'CARDDAV_URL')} or {book_key(name, 'VDIR')}: set one of them")
            continue
        if url and not url.startswith(("https://", "http://")):
            problems.append(f"{book_key(name, 'CARDDAV_URL')}: {url!r} is not an http(s) URL")
            continue
        password = _password(name, value, environ, problems) if url else None
        if url and password is None:
            problems.append(f"{book_key(name, 'CARDDAV_PASSWORD')} (or _COMMAND or _FILE) is not set")
        if url and not value.get("CARDDAV_USER"):
            problems.append(
                f"{book_key(name, 'CARDDAV_USER')} is not set ({PREFIX}ADDRESSBOOKS names {name})"
            )
        folder = Path(vdir).expanduser() if vdir else None
        books.append(
            AddressBookConfig(
                name, url, value.get("CARDDAV_USER"), password, folder, value.get("TRACK", "all")
            )
        )
    return tuple(books)


def _password(
    name: str, value: Mapping[str, Any], environ: Mapping[str, str], problems: list[str]
) -> PasswordSource | None:
    forms = ("CARDDAV_PASSWORD", "CARDDAV_PASSWORD_COMMAND", "CARDDAV_PASSWORD_FILE")
    return password_of({book_key(name, k): value[k] for k in forms if k in value}, environ, problems)


def password_of(
    given: Mapping[str, str], environ: Mapping[str, str], problems: list[str]
) -> PasswordSource | None:
    """The password from at most one of its three forms, ``given`` as variable name to value:
    ``…_PASSWORD``, ``…_PASSWORD_COMMAND`` or ``…_PASSWORD_FILE`` (a relative file is looked up in
    systemd's $CREDENTIALS_DIRECTORY). Two forms at once is a problem naming both keys."""
    if len(given) > 1:
        problems.append(" and ".join(given) + ": set only one of them")
        return None
    if not given:
        return None
    [(key, text)] = given.items()
    if key.endswith("_PASSWORD"):
        return PasswordSource("value", key, value=Secret(text))
    if key.endswith("_PASSWORD_COMMAND"):
        return PasswordSource("command", key, command=text)
    path = Path(text).expanduser()
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    return PasswordSource(
        "file", key, path=Path(credentials, path) if credentials and not path.is_absolute() else path
    )
