"""The one table of settings: key, converter, default, help and example.

``config.example.env`` documents exactly these keys (a test keeps the two in step), and the loader
validates exactly these. Keys are written here without the ``KEEPWARM_`` prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keepwarm.config import convert

PREFIX = "KEEPWARM_"


@dataclass(frozen=True)
class Setting:
    """One configuration key."""

    key: str
    convert: Callable[[str], Any]
    help: str
    example: str
    default: str | None = None
    secret: bool = False

    @property
    def env_name(self) -> str:
        """The variable name as written in the environment, with the prefix."""
        return PREFIX + self.key


def _server(proto: str, default_port_note: str, example_host: str) -> list[Setting]:
    name = proto.upper()
    return [
        Setting(f"{name}_HOST", convert.host, f"{name} server host name.", example_host),
        Setting(
            f"{name}_PORT",
            convert.port,
            f"{name} port; default {default_port_note}.",
            default_port_note.split(maxsplit=1)[0],
        ),
        Setting(
            f"{name}_SECURITY",
            convert.security,
            "ssl (implicit TLS), starttls, or none (allowed only to a loopback host).",
            "ssl",
            default="ssl",
        ),
        Setting(f"{name}_USER", convert.text, f"{name} login name.", "naomi@example.com"),
        Setting(
            f"{name}_PASSWORD",
            convert.password,
            "Password or app password. Prefer the _COMMAND or _FILE forms below.",
            "app-password-here",
            secret=True,
        ),
        Setting(
            f"{name}_PASSWORD_COMMAND",
            convert.text,
            "A command that prints the password on its first line (e.g. a password manager).",
            f"pass show mail/{proto}",
        ),
        Setting(
            f"{name}_PASSWORD_FILE",
            convert.text,
            "A file holding the password; a relative name is looked up in $CREDENTIALS_DIRECTORY.",
            f"{proto}-password",
        ),
        Setting(
            f"{name}_CA_FILE",
            convert.readable_file,
            "Extra CA certificate (PEM) to trust, for a server with a private CA.",
            "/etc/keepwarm/ca.pem",
        ),
    ]


SETTINGS: tuple[Setting, ...] = (
    Setting("OWNER_NAME", convert.text, "Your name, as drafts sign it.", "Naomi Example"),
    Setting(
        "OWNER_EMAILS",
        convert.addresses,
        "Every address you write from, comma-separated: mail from these is yours.",
        "naomi@example.com, naomi@work.example",
    ),
    Setting(
        "DAEMON_ADDRESS",
        convert.address,
        "Where keepwarm gets BCCs and commands: a plus-address of yours or a mailbox of its own.",
        "naomi+keepwarm@example.com",
    ),
    *_server("imap", "993 for ssl, 143 otherwise", "imap.example.com"),
    Setting(
        "ACCOUNTS",
        convert.account_names,
        "Names for your mailboxes, when keepwarm reads more than one (e.g. personal,work): the first "
        "is the IMAP_ keys above; each further one has the same keys under its name "
        "(KEEPWARM_WORK_IMAP_HOST, _IMAP_USER, _IMAP_PASSWORD…, _IMAP_FOLDERS, _AUTH_SERVID).",
        "personal,work",
        default="main",
    ),
    Setting(
        "IMAP_FOLDERS",
        convert.folders,
        "auto (INBOX, Sent, Archive and All Mail; never Junk, Trash or Drafts) or a comma-separated list.",
        "auto",
        default="auto",
    ),
    Setting(
        "BACKFILL",
        convert.duration,
        "How far back the first poll reads your mail.",
        "2y",
        default="2y",
    ),
    Setting(
        "MAX_RECIPIENTS",
        convert.positive_int,
        "Mail with more recipients than this is a broadcast, not a touch.",
        "20",
        default="20",
    ),
    *_server("smtp", "465 for ssl, 587 for starttls, 25 for none", "smtp.example.com"),
    Setting(
        "STATE_DIR",
        convert.directory,
        "Where the store lives; default $STATE_DIRECTORY, else $XDG_STATE_HOME/keepwarm.",
        "/var/lib/keepwarm",
    ),
    Setting(
        "TEMPLATE_DIR",
        convert.existing_directory,
        "Your own templates; each file here overrides the shipped one of the same name.",
        "/etc/keepwarm/templates",
    ),
    Setting(
        "TIMEZONE",
        convert.timezone,
        "Your time zone (IANA name); default the system's.",
        "Europe/Lisbon",
    ),
    Setting(
        "POLL_INTERVAL",
        convert.duration,
        "How often to look for new mail.",
        "5min",
        default="5min",
    ),
    Setting(
        "REMINDER_TIME",
        convert.time_of_day,
        "When the daily reminders go out, in TIMEZONE (HH:MM).",
        "08:30",
        default="08:30",
    ),
    Setting(
        "REMINDER_DAYS",
        convert.weekdays,
        "The weekdays reminders go out: daily, or e.g. mon,thu or mon-fri.",
        "mon,thu",
        default="daily",
    ),
    Setting(
        "REMINDER_MODE",
        convert.choice("each", "digest"),
        "each: one email per contact; digest: one daily email with numbered entries.",
        "each",
        default="each",
    ),
    Setting(
        "OVERVIEW",
        convert.choice("off", "weekly"),
        "weekly: one email a week with who you were in touch with, who is slipping, birthdays.",
        "weekly",
        default="off",
    ),
    Setting(
        "OVERVIEW_DAY",
        convert.weekday,
        "The day the weekly overview goes out (with the reminders at REMINDER_TIME).",
        "sun",
        default="sun",
    ),
    Setting(
        "PLUS_ADDRESSING",
        convert.boolean,
        "yes if your provider delivers name+tag@domain to name@domain (most do): replies carry a tag.",
        "yes",
        default="yes",
    ),
    Setting(
        "DEFAULT_CADENCE",
        convert.cadence,
        "How often to be in touch when neither the contact nor its group says (3w, monthly, 3m).",
        "monthly",
        default="monthly",
    ),
    Setting(
        "DRAFT_LANGUAGE",
        convert.language,
        "The language of check-in drafts for anyone whose own or group's language does not say "
        "(language de in a reply): en, de or fr. Reminders to you stay in English.",
        "en",
        default="en",
    ),
    Setting(
        "MAX_REMINDERS_PER_DAY",
        convert.positive_int,
        "At most this many reminders a day; the rest wait for the next day.",
        "3",
        default="3",
    ),
    Setting(
        "OWED_AFTER",
        convert.days,
        "When someone you track wrote to you and you have not answered in this many days, the next "
        "reminder run says so, with a draft that answers their mail; 0 turns it off.",
        "7",
        default="7",
    ),
    Setting(
        "SAVE_DRAFTS",
        convert.boolean,
        "yes: each reminder also puts its draft in your Drafts folder (to her, in her thread), "
        "replaces it with the next one and removes it once you are in touch; keepwarm touches only "
        "the drafts it wrote.",
        "no",
        default="no",
    ),
    Setting(
        "UNANSWERED_COUNTS",
        convert.boolean,
        "no: mail from someone counts for their cadence only once you have answered it (a reply, "
        "or a touch you log); yes: any mail from them resets it, answered or not.",
        "no",
        default="no",
    ),
    Setting(
        "QUIET_AFTER",
        convert.days,
        "After this many messages from you without an answer, a reminder says so, suggests another "
        "way, and waits twice as long each time after; 0 turns it off.",
        "3",
        default="3",
    ),
    Setting(
        "BIRTHDAY_NOTICE",
        convert.days,
        "Besides the reminder on the day, one this many days before a birthday or other yearly "
        "date (for a card or a gift); 0 for the day only.",
        "3",
        default="0",
    ),
    Setting(
        "CONFIRMATIONS",
        convert.choice("all", "errors"),
        "all: confirm every command by email; errors: answer only when a command failed.",
        "all",
        default="all",
    ),
    Setting(
        "BCC_CONFIRMATIONS",
        convert.choice("each", "daily", "off"),
        "each: a short answer in the thread of every BCC that starts tracking someone; daily: one "
        "summary a day, with the reminders, of everyone BCCs added (each with its own undo); off: "
        "none (the log names them).",
        "each",
        default="each",
    ),
    Setting(
        "MAX_REPLIES_PER_HOUR",
        convert.positive_int,
        "At most this many answers to commands an hour (a guard against mail loops).",
        "20",
        default="20",
    ),
    Setting(
        "AUTH_SERVID",
        convert.servid,
        "Your provider's authserv-id in Authentication-Results (mx.google.com; .icloud.com for any "
        "name ending so; microsoft for Microsoft 365 and Outlook.com, whose stamp has none): mail "
        "from you must then pass DMARC or an aligned DKIM check. 'keepwarm init' sets it for the "
        "providers it knows; unset, keepwarm learns it from your first reply to one of its messages.",
        ".messagingengine.com",
    ),
    Setting(
        "TRUST_FROM",
        convert.boolean,
        "yes to trust the From header of mail to the daemon address when no authserv-id is known "
        "(set or learned); no: adding people (by command or BCC), 'for', 'news:' and 'thanks' then "
        "need a reply to a keepwarm message, which proves it is you. Anyone can write your address "
        "in a From header.",
        "no",
        default="no",
    ),
    Setting(
        "OAUTH_PROVIDER",
        convert.choice("google", "microsoft"),
        "Log in to IMAP and SMTP with OAuth2 instead of a password (then run 'keepwarm auth ...').",
        "microsoft",
    ),
    Setting(
        "OAUTH_CLIENT_ID",
        convert.text,
        "Your own OAuth client id (Google Cloud project, or Microsoft Entra app registration).",
        "00000000-0000-0000-0000-000000000000",
    ),
    Setting(
        "OAUTH_CLIENT_SECRET",
        convert.password,
        "The client secret, if your client has one (Google desktop clients do).",
        "client-secret-here",
        secret=True,
    ),
    Setting(
        "OAUTH_TENANT",
        convert.text,
        "Microsoft tenant: common, organizations, or your tenant id.",
        "common",
        default="common",
    ),
    Setting(
        "OAUTH_AUTHORITY",
        convert.text,
        "Replaces the provider's endpoint base URL (national clouds); leave unset normally.",
        "https://login.microsoftonline.us",
    ),
    # -- address books kept elsewhere (CardDAV, vdir); their own keys are in config/books.py --
    Setting(
        "ADDRESSBOOKS",
        convert.account_names,
        "Names for address books to take contacts from (e.g. personal); each has its keys under its "
        "name: KEEPWARM_PERSONAL_CARDDAV_URL, _CARDDAV_USER, _CARDDAV_PASSWORD… or _VDIR, and _TRACK.",
        "personal",
    ),
    Setting(
        "ADDRESSBOOK_INTERVAL",
        convert.duration,
        "How often the daemon reads the address books.",
        "1h",
        default="1h",
    ),
    # -- calendars whose meetings count as touches; their own keys are in config/calendars.py --
    Setting(
        "CALENDARS",
        convert.account_names,
        "Names for calendars whose meetings count as touches (e.g. work); each has its keys under "
        "its name: KEEPWARM_WORK_CALENDAR_URL, _CALENDAR_USER, _CALENDAR_PASSWORD….",
        "work",
    ),
    Setting(
        "CALENDAR_INTERVAL",
        convert.duration,
        "How often the daemon reads the calendars.",
        "15min",
        default="15min",
    ),
    Setting(
        "SECRET",
        convert.secret,
        "Random key that signs reminder tokens (keepwarm init makes one); 16+ characters.",
        "change-me-to-32-random-characters",
        secret=True,
    ),
)

BY_KEY = {setting.key: setting for setting in SETTINGS}

# The keys each further mailbox of KEEPWARM_ACCOUNTS has, under its name: the second mailbox of
# ACCOUNTS=personal,work reads KEEPWARM_WORK_IMAP_HOST, KEEPWARM_WORK_IMAP_USER …
ACCOUNT_KEYS = (
    "IMAP_HOST",
    "IMAP_PORT",
    "IMAP_SECURITY",
    "IMAP_USER",
    "IMAP_PASSWORD",
    "IMAP_PASSWORD_COMMAND",
    "IMAP_PASSWORD_FILE",
    "IMAP_CA_FILE",
    "IMAP_FOLDERS",
    "AUTH_SERVID",
)


def account_key(account: str, key: str) -> str:
    """The variable name of ``key`` for a further mailbox: KEEPWARM_WORK_IMAP_HOST."""
    return f"{PREFIX}{account.upper()}_{key}"
