"""The one composition root: the settings projection, the adapters and the Service, from a Config.

Everything that turns configuration into working objects lives here, so the daemon, the CLI and
the tests that want production behaviour build them the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime

from keepwarm.app.outbox import OwnerMail
from keepwarm.app.settings import Mailbox, Settings
from keepwarm.config import Config, MailAccount
from keepwarm.domain.classify import Identity
from keepwarm.errors import ConfigError
from keepwarm.mail.drafts import ImapDrafts
from keepwarm.mail.imap import ImapMailbox
from keepwarm.mail.smtp import SmtpSender
from keepwarm.ports import DraftsFolder, MailSource
from keepwarm.render.engine import Renderer
from keepwarm.runtime.service import Service
from keepwarm.store import Store


def identity(config: Config) -> Identity:
    """Who the owner is, as the classifier needs it."""
    return Identity(
        owner_emails=frozenset(config.owner_emails),
        daemon_address=config.daemon_address,
        max_recipients=config.max_recipients,
        servid=config.auth_servid,
        trust_from=config.trust_from,
    )


def access_tokens(config: Config) -> Callable[[], str] | None:
    """Fresh OAuth2 access tokens when OAUTH_PROVIDER is set; None for password logins."""
    settings = config.oauth
    if settings is None:
        return None
    from keepwarm.mail import oauth  # authlib and requests: loaded only for an OAuth2 mailbox

    prov = oauth.provider(settings.provider, settings.tenant, settings.authority)
    secret = settings.client_secret.reveal() if settings.client_secret else None
    return oauth.AccessTokens(prov, settings.client_id, secret, oauth.token_path(config.state_dir, prov.name))


def open_mailbox(config: Config, account: MailAccount | None = None) -> ImapMailbox:
    """Log in to the owner's mailbox (the first, or ``account``), for read-only use, after checking
    the settings it needs. OAuth2 serves the first mailbox; a further one logs in with its password."""
    config.require_imap()
    if account is not None and not account.first:
        return ImapMailbox(account.imap)
    return ImapMailbox(config.imap, token=access_tokens(config))


def more_mailboxes(config: Config) -> dict[str, Callable[[], MailSource]]:
    """How to connect to each mailbox after the first, by name (a new login each time)."""
    return {a.name: functools.partial(open_mailbox, config, a) for a in config.more_accounts}


def sender(config: Config) -> SmtpSender:
    """The SMTP sender, allowed to write to the owner's addresses only."""
    config.require_mail()
    assert config.daemon_address is not None
    return SmtpSender(
        config.smtp, config.daemon_address, frozenset(config.owner_emails), token=access_tokens(config)
    )


def owner_mail(config: Config) -> OwnerMail | None:
    """How keepwarm mails the owner, once the daemon address, SECRET and an owner address are set."""
    if config.daemon_address is None or config.secret is None or not config.owner_emails:
        return None
    return OwnerMail(
        owner_address=config.owner_address,
        daemon_address=config.daemon_address,
        secret=config.secret.reveal().encode(),
        plus_addressing=config.plus_addressing,
    )


def _mail_problems(config: Config) -> tuple[str, ...]:
    try:
        config.require_mail()
    except ConfigError as exc:
        return tuple(exc.problems)
    return ()


def settings_for(config: Config) -> Settings:
    """The use cases' view of the configuration."""
    problems = _mail_problems(config)
    return Settings(
        who=identity(config),
        owner_name=config.owner_name,
        owner_address=config.owner_emails[0] if config.owner_emails else "",
        default_cadence_days=config.default_cadence_days,
        folders=config.imap_folders,
        backfill=config.backfill,
        digest=config.reminder_mode == "digest",
        cap=config.max_reminders_per_day,
        confirmations=config.confirmations,
        bcc_confirmations=config.bcc_confirmations,
        max_replies_per_hour=config.max_replies_per_hour,
        overview=config.overview,
        overview_day=config.overview_day,
        reminder_time=config.reminder_time,
        reminder_days=config.reminder_days,
        mail=owner_mail(config),
        mail_problems=problems,
        can_send=not problems,
        mailbox_name=config.account_names[0],
        birthday_notice=config.birthday_notice,
        owed_after=config.owed_after,
        unanswered_counts=config.unanswered_counts,
        save_drafts=config.save_drafts,
        quiet_after=config.quiet_after,
        draft_language=config.draft_language,
        more_mailboxes=tuple(
            Mailbox(a.name, a.folders, a.auth_servid, first=False) for a in config.more_accounts
        ),
    )


def build_service(
    config: Config,
    store: Store,
    clock: Callable[[], datetime] | None = None,
    *,
    mailbox: Callable[[], MailSource] | None = None,
    more: Mapping[str, Callable[[], MailSource]] | None = None,
    drafts: Callable[[], DraftsFolder] | None = None,
) -> Service:
    """The daemon's Service over the real IMAP and SMTP adapters, as production runs it
    (``mailbox``, ``more``: where each poll gets its connections, ``drafts`` where SAVE_DRAFTS
    writes; by default new logins)."""
    return Service(
        settings_for(config),
        store,
        Renderer(config.template_dir),
        mailbox=mailbox or (lambda: open_mailbox(config)),
        sender=lambda: sender(config),
        clock=clock or (lambda: datetime.now(config.timezone)),
        more_mailboxes=more if more is not None else more_mailboxes(config),
        drafts_folder=drafts or (lambda: ImapDrafts(open_mailbox(config))),
    )
