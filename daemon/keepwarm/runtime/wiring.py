"""Build the objects commands need from the configuration: the mailbox, the owner's identity."""

from __future__ import annotations

from collections.abc import Callable

from keepwarm.config import Config
from keepwarm.domain.classify import Identity
from keepwarm.mail import oauth
from keepwarm.mail.imap import ImapMailbox
from keepwarm.mail.smtp import SmtpSender


def identity(config: Config) -> Identity:
    """Who the owner is, as the classifier needs it."""
    return Identity(
        owner_emails=frozenset(config.owner_emails),
        daemon_address=config.daemon_address,
        max_recipients=config.max_recipients,
    )


def access_tokens(config: Config) -> Callable[[], str] | None:
    """Fresh OAuth2 access tokens when OAUTH_PROVIDER is set; None for password logins."""
    settings = config.oauth
    if settings is None:
        return None
    prov = oauth.provider(settings.provider, settings.tenant, settings.authority)
    secret = settings.client_secret.reveal() if settings.client_secret else None
    return oauth.AccessTokens(prov, settings.client_id, secret, oauth.token_path(config.state_dir, prov.name))


def open_mailbox(config: Config) -> ImapMailbox:
    """Log in to the owner's mailbox (read-only use), after checking the settings it needs."""
    config.require_imap()
    return ImapMailbox(config.imap, token=access_tokens(config))


def sender(config: Config) -> SmtpSender:
    """The SMTP sender, allowed to write to the owner's addresses only."""
    config.require_mail()
    assert config.daemon_address is not None
    return SmtpSender(
        config.smtp, config.daemon_address, frozenset(config.owner_emails), token=access_tokens(config)
    )
