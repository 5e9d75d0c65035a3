"""Load the configuration from the environment and an env file, reporting every problem at once.

Precedence: the process environment, then the env file (``--env-file``, else ``$KEEPWARM_ENV_FILE``,
else ``./.env``), then the defaults. Each problem names the key and where its value came from.
"""

from __future__ import annotations

import difflib
import io
import ipaddress
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dotenv.parser import parse_stream

from keepwarm.config.books import BOOK_KEYS, book_key, load_books
from keepwarm.config.calendars import CALENDAR_KEYS, calendar_key, load_calendars
from keepwarm.config.model import Config, MailAccount, OAuthConfig, ServerConfig
from keepwarm.config.schema import ACCOUNT_KEYS, BY_KEY, PREFIX, SETTINGS, account_key
from keepwarm.config.secrets import PasswordSource, Secret
from keepwarm.errors import ConfigError

ENV_FILE_VARIABLE = "KEEPWARM_ENV_FILE"


@dataclass(frozen=True)
class Raw:
    """A raw value and a phrase saying where it came from."""

    value: str
    origin: str


def _read_env_file(path: Path, problems: list[str]) -> dict[str, Raw]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"cannot read env file {path}: {getattr(exc, 'strerror', None) or exc}")
        return {}
    found: dict[str, Raw] = {}
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            problems.append(f"{path}:{line}: cannot parse this line (write KEY=value)")
        elif binding.key is not None and binding.value is not None:
            found[binding.key] = Raw(binding.value, f"from {path}:{line}")
    return found


def _env_file_path(explicit: Path | None, environ: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The env file to read, and whether it must exist (it must when named explicitly)."""
    if explicit is not None:
        return explicit, True
    if environ.get(ENV_FILE_VARIABLE):
        return Path(environ[ENV_FILE_VARIABLE]), True
    return Path(".env"), False


def settings_file(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The settings file ``load`` reads (an absolute path), or None when there is none."""
    path, _ = _env_file_path(explicit, environ)
    return path.resolve() if path is not None and path.is_file() else None


def gather(explicit: Path | None, environ: Mapping[str, str]) -> tuple[dict[str, Raw], list[str]]:
    """Every KEEPWARM_ value with its origin, plus the problems found reading them."""
    problems: list[str] = []
    raws: dict[str, Raw] = {}
    path, required = _env_file_path(explicit, environ)
    if path is not None and (required or path.is_file()):
        if not path.is_file():
            problems.append(f"env file {path} does not exist")
        else:
            raws.update(_read_env_file(path, problems))
    for name, value in environ.items():
        if name.startswith(PREFIX):
            raws[name] = Raw(value, "from the environment")
    return raws, problems


def _unknown_key_warnings(
    raws: Mapping[str, Raw], more: Sequence[str], books: Sequence[str] = (), calendars: Sequence[str] = ()
) -> list[str]:
    known = {setting.env_name for setting in SETTINGS} | {ENV_FILE_VARIABLE}
    known |= {account_key(name, key) for name in more for key in ACCOUNT_KEYS}
    known |= {book_key(name, key) for name in books for key in BOOK_KEYS}
    known |= {calendar_key(name, key) for name in calendars for key in CALENDAR_KEYS}
    warnings = []
    for name, raw in raws.items():
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            warnings.append(f"unknown setting {name} ({raw.origin}){hint}")
    return warnings


def _convert_all(raws: Mapping[str, Raw], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = raws.get(setting.env_name)
        if raw is None or raw.value == "":
            if setting.default is not None:
                values[setting.key] = setting.convert(setting.default)
            continue
        try:
            values[setting.key] = setting.convert(raw.value)
        except ValueError as exc:
            problems.append(f"{setting.env_name}: {exc} ({raw.origin})")
    return values


def _password(
    proto: str, values: Mapping[str, Any], environ: Mapping[str, str], problems: list[str], account: str = ""
) -> PasswordSource | None:
    name = proto.upper()
    label = f"{PREFIX}{account.upper()}_" if account else PREFIX
    given = [k for k in ("PASSWORD", "PASSWORD_COMMAND", "PASSWORD_FILE") if f"{name}_{k}" in values]
    if len(given) > 1:
        keys = " and ".join(label + f"{name}_{k}" for k in given)
        problems.append(f"{keys}: set only one of them")
        return None
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if not given:
        # systemd LoadCredential= without any setting: use the conventional credential name.
        credential = f"{account}-{proto}-password" if account else f"{proto}-password"
        default = Path(credentials, credential) if credentials else None
        if default is not None and default.is_file():
            return PasswordSource("file", f"{label}{name}_PASSWORD_FILE", path=default)
        return None
    key = f"{label}{name}_{given[0]}"
    if given[0] == "PASSWORD":
        return PasswordSource("value", key, value=Secret(values[f"{name}_PASSWORD"]))
    if given[0] == "PASSWORD_COMMAND":
        return PasswordSource("command", key, command=values[f"{name}_PASSWORD_COMMAND"])
    path = Path(values[f"{name}_PASSWORD_FILE"]).expanduser()
    if not path.is_absolute() and credentials:
        path = Path(credentials, path)
    if not path.is_file():
        # The value may be a password put under the wrong key: say where it looked, never what.
        problems.append(
            f"{key}: the file it names does not exist in {path.parent} (the value is not shown: "
            "it may be a password under the wrong key)"
        )
    return PasswordSource("file", key, path=path)


def _server(
    proto: str, values: Mapping[str, Any], environ: Mapping[str, str], problems: list[str], account: str = ""
) -> ServerConfig:
    name = proto.upper()
    label = f"{PREFIX}{account.upper()}_" if account else PREFIX
    security = values.get(f"{name}_SECURITY", "ssl")
    host = values.get(f"{name}_HOST")
    if security == "none" and host is not None and not _is_loopback(host):
        problems.append(
            f"{label}{name}_SECURITY: none sends your password in clear text; it is allowed only "
            f"to a loopback host, not {host} (use ssl or starttls)"
        )
    return ServerConfig(
        proto=proto,
        host=host,
        port=values.get(f"{name}_PORT") or ServerConfig.default_port(proto, security),
        security=security,
        user=values.get(f"{name}_USER"),
        password=_password(proto, values, environ, problems, account),
        ca_file=values.get(f"{name}_CA_FILE"),
    )


def _more_accounts(
    names: Sequence[str], raws: Mapping[str, Raw], environ: Mapping[str, str], problems: list[str]
) -> tuple[MailAccount, ...]:
    """The mailboxes after the first, each from its own keys (KEEPWARM_WORK_IMAP_HOST …)."""
    found = []
    for account in names:
        values: dict[str, Any] = {}
        for key in ACCOUNT_KEYS:
            setting, raw = BY_KEY[key], raws.get(account_key(account, key))
            if raw is None or raw.value == "":
                if setting.default is not None:
                    values[key] = setting.convert(setting.default)
                continue
            try:
                values[key] = setting.convert(raw.value)
            except ValueError as exc:
                problems.append(f"{account_key(account, key)}: {exc} ({raw.origin})")
        for key in ("IMAP_HOST", "IMAP_USER"):
            if key not in values and not any(account_key(account, key) in p for p in problems):
                problems.append(f"{account_key(account, key)} is not set (KEEPWARM_ACCOUNTS names {account})")
        imap = _server("imap", values, environ, problems, account)
        if imap.password is None:
            problems.append(f"{account_key(account, 'IMAP_PASSWORD')} (or _COMMAND or _FILE) is not set")
        found.append(MailAccount(account, imap, values["IMAP_FOLDERS"], values.get("AUTH_SERVID"), False))
    return tuple(found)


def _open_folder_warnings(state_dir: Path) -> list[str]:
    """A state folder anyone may write to: anyone on the machine could replace keepwarm's files."""
    try:
        mode = state_dir.stat().st_mode
    except OSError:
        return []  # created later, mode 0700
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        return [f"KEEPWARM_STATE_DIR: {state_dir} is writable by everyone: run chmod 700 {state_dir}"]
    return []


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """$STATE_DIRECTORY (systemd's StateDirectory=), else the XDG state directory."""
    if environ.get("STATE_DIRECTORY"):
        return Path(environ["STATE_DIRECTORY"].split(":")[0])
    base = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME", "~"), ".local", "state"))
    return Path(base).expanduser() / "keepwarm"


def system_timezone() -> ZoneInfo:
    """The machine's zone from /etc/localtime, else UTC."""
    try:
        target = Path("/etc/localtime").resolve(strict=True)
        return ZoneInfo(target.as_posix().split("/zoneinfo/", 1)[1])
    except (OSError, IndexError, ValueError, KeyError):
        return ZoneInfo("UTC")


def load(env_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read, validate and return the configuration; raise ConfigError listing every problem."""
    env = os.environ if environ is None else environ
    raws, problems = gather(env_file, env)
    values = _convert_all(raws, problems)
    imap = _server("imap", values, env, problems)
    smtp = _server("smtp", values, env, problems)
    names = values.get("ACCOUNTS", ("main",))
    more = _more_accounts(names[1:], raws, env, problems)
    books = load_books(values.get("ADDRESSBOOKS", ()), raws, env, problems)
    calendars = load_calendars(values.get("CALENDARS", ()), raws, env, problems)
    if problems:
        raise ConfigError(problems)
    secret = values.get("SECRET")
    oauth = None
    if values.get("OAUTH_PROVIDER"):
        if not values.get("OAUTH_CLIENT_ID"):
            raise ConfigError([f"{PREFIX}OAUTH_CLIENT_ID is needed with {PREFIX}OAUTH_PROVIDER"])
        client_secret = values.get("OAUTH_CLIENT_SECRET")
        oauth = OAuthConfig(
            provider=values["OAUTH_PROVIDER"],
            client_id=values["OAUTH_CLIENT_ID"],
            client_secret=Secret(client_secret) if client_secret else None,
            tenant=values["OAUTH_TENANT"],
            authority=values.get("OAUTH_AUTHORITY"),
        )
    warnings = _unknown_key_warnings(
        raws, names[1:], values.get("ADDRESSBOOKS", ()), values.get("CALENDARS", ())
    )
    owners = set(values.get("OWNER_EMAILS", ()))
    for account in more:
        user = (account.imap.user or "").lower()
        if "@" in user and user not in owners:
            warnings.append(
                f"{account_key(account.name, 'IMAP_USER')}: {user} is not in KEEPWARM_OWNER_EMAILS, so mail "
                "you send from it would count as mail from someone else: add it there"
            )
    state_dir = values.get("STATE_DIR") or default_state_dir(env)
    warnings += _open_folder_warnings(state_dir)
    return Config(
        owner_name=values.get("OWNER_NAME"),
        owner_emails=values.get("OWNER_EMAILS", ()),
        daemon_address=values.get("DAEMON_ADDRESS"),
        imap=imap,
        imap_folders=values["IMAP_FOLDERS"],
        backfill=values["BACKFILL"],
        max_recipients=values["MAX_RECIPIENTS"],
        smtp=smtp,
        state_dir=state_dir,
        template_dir=values.get("TEMPLATE_DIR"),
        timezone=values.get("TIMEZONE") or system_timezone(),
        poll_interval=values["POLL_INTERVAL"],
        reminder_time=values["REMINDER_TIME"],
        reminder_days=values["REMINDER_DAYS"],
        reminder_mode=values["REMINDER_MODE"],
        plus_addressing=values["PLUS_ADDRESSING"],
        default_cadence_days=values["DEFAULT_CADENCE"],
        max_reminders_per_day=values["MAX_REMINDERS_PER_DAY"],
        secret=Secret(secret) if secret else None,
        confirmations=values["CONFIRMATIONS"],
        bcc_confirmations=values["BCC_CONFIRMATIONS"],
        max_replies_per_hour=values["MAX_REPLIES_PER_HOUR"],
        auth_servid=values.get("AUTH_SERVID"),
        trust_from=values["TRUST_FROM"],
        oauth=oauth,
        overview=values["OVERVIEW"],
        overview_day=values["OVERVIEW_DAY"],
        birthday_notice=values["BIRTHDAY_NOTICE"],
        owed_after=values["OWED_AFTER"],
        unanswered_counts=values["UNANSWERED_COUNTS"],
        save_drafts=values["SAVE_DRAFTS"],
        quiet_after=values["QUIET_AFTER"],
        draft_language=values["DRAFT_LANGUAGE"],
        account_names=names,
        more_accounts=more,
        addressbooks=books,
        addressbook_interval=values["ADDRESSBOOK_INTERVAL"],
        calendars=calendars,
        calendar_interval=values["CALENDAR_INTERVAL"],
        warnings=tuple(warnings),
    )


__all__ = ["BY_KEY", "load"]
