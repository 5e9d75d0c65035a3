"""``keepwarm check``: every part of the set-up tried for real, one pass/fail line each.

Configuration, the state file, how mail from the owner is told from a forgery (the sender
check), the IMAP login and the watched folders (with their sizes), the SMTP login, and the
templates rendered against sample data. Nothing is changed or sent.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from keepwarm import config as config_module
from keepwarm.app import status
from keepwarm.config import MailAccount
from keepwarm.config.loader import ENV_FILE_VARIABLE, settings_file
from keepwarm.config.schema import PREFIX
from keepwarm.errors import KeepwarmError
from keepwarm.render import samples
from keepwarm.render.engine import Renderer
from keepwarm.runtime import books, calendars, wiring
from keepwarm.store import Store
from keepwarm.store.repository import FILE_NAME


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


def _attempt(name: str, work: Callable[[], str]) -> Check:
    try:
        return Check(name, True, work())
    except KeepwarmError as exc:
        return Check(name, False, str(exc).replace("\n", "; "))
    except OSError as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}")


def imap_login(config: config_module.Config, account: MailAccount) -> str:
    """Log in to one mailbox and count its watched folders: what was found, or an error saying
    what failed (AuthError, CertificateError, TransientError)."""
    mailbox = wiring.open_mailbox(config, account)
    try:
        folders = mailbox.watched_folders(account.folders)
        counts = ", ".join(f"{f} ({mailbox.message_count(f)} messages)" for f in folders)
    finally:
        mailbox.close()
    return f"logged in as {account.imap.user}; watching {counts}"


def smtp_login(config: config_module.Config) -> str:
    """Log in to the SMTP server and quit, sending nothing."""
    wiring.sender(config).check_login()
    return f"logged in to {config.smtp.host}:{config.smtp.port} as {config.smtp.user}"


def run_checks(env_file: Path | None) -> list[Check]:
    """Try everything; later checks are skipped when the configuration itself is broken."""
    read = settings_file(env_file, os.environ)
    if read is None and not any(name.startswith(PREFIX) for name in os.environ):
        where = env_file or os.environ.get(ENV_FILE_VARIABLE) or Path(".env").resolve()
        return [Check("configuration", False, f"no settings file ({where} not found): run 'keepwarm init'")]
    try:
        config = config_module.load(env_file)
    except KeepwarmError as exc:
        return [Check("configuration", False, str(exc).replace("\n", "; "))]
    source = f"read {read}" if read is not None else "from the environment only (no settings file)"
    checks = [
        Check("configuration", True, f"{source}: " + ("; ".join(config.warnings) or "all settings valid"))
    ]

    def mail_settings() -> str:
        config.require_mail()
        return "complete"

    checks.append(_attempt("mail settings", mail_settings))

    def store() -> str:
        opened = Store(config.state_dir)
        return f"{opened.path} ({opened.count('contacts')} contacts, {opened.count('touches')} touches)"

    checks.append(_attempt("state file", store))

    def sender() -> str:
        exists = (config.state_dir / FILE_NAME).exists()
        store_ = Store(config.state_dir) if exists else None
        return status.describe_sender_check(status.sender_check(store_, wiring.settings_for(config)))

    checks.append(_attempt("sender check", sender))

    several = len(config.accounts) > 1
    for account in config.accounts:
        # One line per mailbox, named when there are several: "IMAP work".
        name = f"IMAP {account.name}" if several else "IMAP"
        checks.append(_attempt(name, functools.partial(imap_login, config, account)))

    checks.append(_attempt("SMTP", functools.partial(smtp_login, config)))

    def templates() -> str:
        renderer = Renderer(config.template_dir)
        problems = samples.check_templates(renderer, datetime.now(config.timezone), config.owner_name)
        if problems:
            raise KeepwarmError("; ".join(problems))
        return f"{len(renderer.template_names())} templates render"

    checks.append(_attempt("templates", templates))
    # Address books (ADDRESSBOOKS): each reached for real, with the cards removed upstream.
    known = Store(config.state_dir) if (config.state_dir / FILE_NAME).exists() else None
    checks += [_attempt(name, work) for name, work in books.checks(config, known)]
    # Calendars (CALENDARS): each reached for real, with the events its last sync could not read.
    checks += [_attempt(name, work) for name, work in calendars.checks(config, known)]
    return checks
