"""``keepwarm init``: settings proposed from the email domain, tried for real, written safely.

Presets cover the big providers; anything else gets ``imap.<domain>`` and ``smtp.<domain>``.
The env file is written with mode 0600 and never over an existing one without ``force``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from keepwarm.errors import UsageError


@dataclass(frozen=True)
class Preset:
    """Server settings a provider documents, and what the user should know about logging in."""

    name: str
    imap: tuple[str, int, str]
    smtp: tuple[str, int, str]
    note: str = ""
    # Who writes the Authentication-Results of the mail the provider receives (AUTH_SERVID).
    servid: str | None = None


_APP_LOGIN_NOTE = "use an app password (your account's security settings), not your normal password"
_OAUTH = "passwords are refused here: run 'keepwarm auth {which}' after init"
_GMAIL = (("imap.gmail.com", 993, "ssl"), ("smtp.gmail.com", 465, "ssl"))
_MICROSOFT_IMAP = ("outlook.office365.com", 993, "ssl")
PRESETS: dict[str, Preset] = {
    "gmail": Preset("Gmail", *_GMAIL, _APP_LOGIN_NOTE, servid="mx.google.com"),
    "google": Preset("Google Workspace", *_GMAIL, _OAUTH.format(which="google"), servid="mx.google.com"),
    # Microsoft's stamp has no authserv-id at all: "microsoft" names that shape.
    "outlook": Preset(
        "Outlook.com",
        _MICROSOFT_IMAP,
        ("smtp-mail.outlook.com", 587, "starttls"),
        _OAUTH.format(which="microsoft"),
        servid="microsoft",
    ),
    "microsoft": Preset(
        "Microsoft 365",
        _MICROSOFT_IMAP,
        ("smtp.office365.com", 587, "starttls"),
        _OAUTH.format(which="microsoft"),
        servid="microsoft",
    ),
    # One header per method: bimi.icloud.com, dmarc.icloud.com, dkim-verifier.icloud.com…
    "icloud": Preset(
        "iCloud Mail",
        ("imap.mail.me.com", 993, "ssl"),
        ("smtp.mail.me.com", 587, "starttls"),
        _APP_LOGIN_NOTE,
        servid=".icloud.com",
    ),
    # Each receiving server stamps under its own name: mx1.messagingengine.com, mx3…
    "fastmail": Preset(
        "Fastmail",
        ("imap.fastmail.com", 993, "ssl"),
        ("smtp.fastmail.com", 465, "ssl"),
        _APP_LOGIN_NOTE,
        servid=".messagingengine.com",
    ),
    "yahoo": Preset(
        "Yahoo Mail",
        ("imap.mail.yahoo.com", 993, "ssl"),
        ("smtp.mail.yahoo.com", 465, "ssl"),
        _APP_LOGIN_NOTE,
        servid=".yahoo.com",
    ),
    # Not known: keepwarm learns it from the owner's first reply.
    "proton": Preset(
        "Proton Mail Bridge",
        ("127.0.0.1", 1143, "starttls"),
        ("127.0.0.1", 1025, "starttls"),
        "run Proton Mail Bridge; use the password it shows and export its certificate for *_CA_FILE",
    ),
}
DOMAINS = {
    "gmail.com": "gmail",
    "googlemail.com": "gmail",
    "outlook.com": "outlook",
    "hotmail.com": "outlook",
    "live.com": "outlook",
    "msn.com": "outlook",
    "icloud.com": "icloud",
    "me.com": "icloud",
    "mac.com": "icloud",
    "fastmail.com": "fastmail",
    "fastmail.fm": "fastmail",
    "yahoo.com": "yahoo",
    "ymail.com": "yahoo",
    "proton.me": "proton",
    "protonmail.com": "proton",
    "pm.me": "proton",
}


def preset_for(address: str, provider: str | None = None) -> Preset:
    """The preset named by ``provider``, else the one the address's domain implies, else generic."""
    if provider:
        if provider not in PRESETS:
            raise UsageError(f"unknown provider {provider!r} (one of {', '.join(sorted(PRESETS))})")
        return PRESETS[provider]
    domain = address.rpartition("@")[2].lower()
    if domain in DOMAINS:
        return PRESETS[DOMAINS[domain]]
    return Preset(domain, (f"imap.{domain}", 993, "ssl"), (f"smtp.{domain}", 465, "ssl"))


def daemon_address_for(address: str) -> str:
    """The plus-address of the owner's first address that keepwarm listens on."""
    local, _, domain = address.rpartition("@")
    return f"{local}+keepwarm@{domain}"


def new_secret() -> str:
    """A fresh random SECRET for signing reminder tokens."""
    return secrets.token_urlsafe(32)


_SAFE = re.compile(r"^[\w@.+:/,=-]*$")


def _quoted(value: str) -> str:
    """A value as python-dotenv reads it back unchanged."""
    if _SAFE.match(value):
        return value
    if "'" not in value and "\\" not in value:
        return f"'{value}'"  # python-dotenv decodes \\ and \' even inside single quotes
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_env(values: Mapping[str, str]) -> str:
    """The env file's text: a header, then one KEEPWARM_ line per value."""
    lines = [
        "# keepwarm settings, written by 'keepwarm init'. Keep this file private (mode 0600).",
        "# Every key is explained in config.example.env; 'keepwarm check' tries them all.",
    ]
    lines += [f"KEEPWARM_{key}={_quoted(value)}" for key, value in values.items() if value != ""]
    return "\n".join(lines) + "\n"


def update_env(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each of ``values`` set: a line that sets the key is rewritten in place, the
    others are added at the end; comments and every other line stay as they were."""
    pending = {f"KEEPWARM_{k}": v for k, v in values.items() if v != ""}
    lines = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip().removeprefix("export ").strip() if "=" in line else ""
        if key in pending and not line.lstrip().startswith("#"):
            lines.append(f"{key}={_quoted(pending.pop(key))}")
        else:
            lines.append(line)
    lines += [f"{key}={_quoted(value)}" for key, value in pending.items()]
    return "\n".join(lines) + "\n"


def write_env(path: Path, text: str, *, force: bool) -> None:
    """Write the env file with mode 0600; refuse to replace one unless ``force``."""
    if (path.exists() or path.is_symlink()) and not force:
        raise UsageError(f"{path} exists; use --force to replace it")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # whatever the umask: the folder holds a password
    # A new file of an unpredictable name, never through a link: a file planted where the temp
    # file would go (or a link put there) cannot receive the password. The rename then replaces
    # the env file itself, even where a link was planted in its place.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
