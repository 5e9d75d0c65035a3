"""The command language the owner writes by email: one Verb object per command, a registry, the
grammar that reads lines through it, and the planner that turns commands into changes. Pure.

Replies to a reminder: ``done [call|video|coffee|…] [note]``, ``snooze 2w``, ``snooze until
2027-01-10``, ``snooze``, ``later``, ``every 3 weeks``, ``cadence monthly``, ``pause``, ``resume``,
``stop``, ``note <text>``, ``group <name>``, ``birthday <date>``, ``undo``, ``help``; in a digest a
command takes the entry's number: ``done 2``, ``snooze 1 3w`` (``contact.py``). ``language de``
(``language.py``) and ``remind …`` (``later.py``) may also name whom, in any mail to keepwarm.

Mail to the daemon address: ``add``, ``log``, ``due``/``status``, ``list``, ``help`` (``book.py``);
``news: …``, ``thanks Lena for …``, ``drop opener 3``, and ``for Priya`` on something to share
(``share.py``).
"""

from keepwarm.domain.commands import book, contact, details, language, later, share
from keepwarm.domain.commands.base import (
    REGISTRY,
    Changes,
    Command,
    CommandError,
    Place,
    Verb,
    help_entries,
)
from keepwarm.domain.commands.contact import CHANNELS, DEFAULT_SNOOZE, LATER, MAX_SNOOZE
from keepwarm.domain.commands.grammar import (
    MAX_LINES,
    NoCommandError,
    Reading,
    best_of,
    command_lines,
    parse_command,
    parse_daemon_line,
    parse_daemon_mail,
    parse_line,
    parse_reply,
    read,
    read_line,
)
from keepwarm.domain.commands.plan import plan_daemon_mail, plan_reply

__all__ = [
    "CHANNELS",
    "DEFAULT_SNOOZE",
    "LATER",
    "MAX_LINES",
    "MAX_SNOOZE",
    "REGISTRY",
    "Changes",
    "Command",
    "CommandError",
    "NoCommandError",
    "Place",
    "Reading",
    "Verb",
    "best_of",
    "book",
    "command_lines",
    "contact",
    "details",
    "help_entries",
    "language",
    "later",
    "parse_command",
    "parse_daemon_line",
    "parse_daemon_mail",
    "parse_line",
    "parse_reply",
    "plan_daemon_mail",
    "plan_reply",
    "read",
    "read_line",
    "share",
]
