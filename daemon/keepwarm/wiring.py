"""Build the objects commands need from the configuration: the mailbox, the owner's identity."""

from __future__ import annotations

from keepwarm.config import Config
from keepwarm.domain.classify import Identity
from keepwarm.mail.imap import ImapMailbox


def identity(config: Config) -> Identity:
    """Who the owner is, as the classifier needs it."""
    return Identity(
        owner_emails=frozenset(config.owner_emails),
        daemon_address=config.daemon_address,
        max_recipients=config.max_recipients,
    )


def open_mailbox(config: Config) -> ImapMailbox:
    """Log in to the owner's mailbox (read-only use), after checking the settings it needs."""
    config.require_imap()
    return ImapMailbox(config.imap)
