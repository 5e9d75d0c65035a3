"""The validated configuration, as typed immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from keepwarm.config.books import AddressBookConfig
from keepwarm.config.calendars import CalendarConfig
from keepwarm.config.secrets import PasswordSource, Secret
from keepwarm.errors import ConfigError

_DEFAULT_PORTS = {
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
    "smtp": {"ssl": 465, "starttls": 587, "none": 25},
}


@dataclass(frozen=True)
class ServerConfig:
    """How to reach one mail server (IMAP or SMTP)."""

    proto: str
    host: str | None
    port: int
    security: str
    user: str | None
    password: PasswordSource | None
    ca_file: Path | None

    @staticmethod
    def default_port(proto: str, security: str) -> int:
        """The usual port for a protocol and security mode."""
        return _DEFAULT_PORTS[proto][security]


@dataclass(frozen=True)
class OAuthConfig:
    """OAuth2 instead of passwords: which provider, and the owner's own client registration."""

    provider: str
    client_id: str
    client_secret: Secret | None
    tenant: str
    authority: str | None


@dataclass(frozen=True)
class MailAccount:
    """One of the owner's mailboxes: its name, server, folders and authserv-id."""

    name: str
    imap: ServerConfig
    folders: tuple[str, ...]
    auth_servid: str | None
    first: bool

    def state_key(self, folder: str) -> str:
        """The folder's key in the store: the first mailbox's folders under their own names (as
        before there were several), a further one's as ``work:INBOX``."""
        return folder if self.first else f"{self.name}:{folder}"


@dataclass(frozen=True)
class Config:
    """Every setting keepwarm uses. Optional ones are None until a command needs them."""

    owner_name: str | None
    owner_emails: tuple[str, ...]
    daemon_address: str | None
    imap: ServerConfig
    imap_folders: tuple[str, ...]
    backfill: timedelta
    max_recipients: int
    smtp: ServerConfig
    state_dir: Path
    template_dir: Path | None
    timezone: ZoneInfo
    poll_interval: timedelta
    reminder_time: time
    reminder_days: frozenset[int]
    reminder_mode: str
    plus_addressing: bool
    default_cadence_days: int
    max_reminders_per_day: int
    secret: Secret | None
    confirmations: str = "all"
    bcc_confirmations: str = "each"
    max_replies_per_hour: int = 20
    auth_servid: str | None = None
    trust_from: bool = False
    oauth: OAuthConfig | None = None
    overview: str = "off"
    overview_day: int = 6
    birthday_notice: int = 0
    owed_after: int = 7
    unanswered_counts: bool = False
    save_drafts: bool = False
    quiet_after: int = 3
    draft_language: str = "en"
    account_names: tuple[str, ...] = ("main",)
    # The mailboxes after the first (the first is ``imap``, ``imap_folders``, ``auth_servid``).
    more_accounts: tuple[MailAccount, ...] = ()
    # Address books kept elsewhere (ADDRESSBOOKS), read every ADDRESSBOOK_INTERVAL.
    addressbooks: tuple[AddressBookConfig, ...] = ()
    addressbook_interval: timedelta = timedelta(hours=1)
    # Calendars whose meetings count as touches (CALENDARS), read every CALENDAR_INTERVAL.
    calendars: tuple[CalendarConfig, ...] = ()
    calendar_interval: timedelta = timedelta(minutes=15)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def accounts(self) -> tuple[MailAccount, ...]:
        """Every mailbox keepwarm reads, the first (where mail to the daemon arrives) first."""
        first = MailAccount(self.account_names[0], self.imap, self.imap_folders, self.auth_servid, True)
        return (first, *self.more_accounts)

    def require_imap(self) -> None:
        """Refuse, listing every missing key at once, unless reading mail is configured."""
        self._require(
            ("OWNER_EMAILS", self.owner_emails or None),
            ("IMAP_HOST", self.imap.host),
            ("IMAP_USER", self.imap.user),
            ("IMAP_PASSWORD (or _COMMAND or _FILE, or OAUTH_PROVIDER)", self._login(self.imap)),
        )

    def _login(self, server: ServerConfig) -> object:
        """How a server is logged in to: its password source, or the OAuth settings."""
        return self.oauth if self.oauth is not None else server.password

    def _require(self, *pairs: tuple[str, object]) -> None:
        missing = [key for key, value in pairs if value is None]
        if missing:
            raise ConfigError([f"KEEPWARM_{key} is not set" for key in missing])

    @property
    def owner_address(self) -> str:
        """Where keepwarm writes to the owner: the first of OWNER_EMAILS."""
        if not self.owner_emails:
            raise ConfigError(["KEEPWARM_OWNER_EMAILS is not set"])
        return self.owner_emails[0]

    def require_mail(self) -> None:
        """Refuse, listing every missing key at once, unless the mail settings are complete."""
        missing = [
            key
            for key, value in (
                ("OWNER_EMAILS", self.owner_emails or None),
                ("DAEMON_ADDRESS", self.daemon_address),
                ("IMAP_HOST", self.imap.host),
                ("IMAP_USER", self.imap.user),
                ("IMAP_PASSWORD (or _COMMAND or _FILE, or OAUTH_PROVIDER)", self._login(self.imap)),
                ("SMTP_HOST", self.smtp.host),
                ("SMTP_USER", self.smtp.user),
                ("SMTP_PASSWORD (or _COMMAND or _FILE, or OAUTH_PROVIDER)", self._login(self.smtp)),
                ("SECRET", self.secret),
            )
            if value is None
        ]
        if missing:
            raise ConfigError([f"KEEPWARM_{key} is not set (needed to handle mail)" for key in missing])
