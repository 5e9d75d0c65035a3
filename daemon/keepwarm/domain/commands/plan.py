"""What a command message changes: each command planned by its verb, against the state the ones
before it left. Pure. One bad command makes the whole message fail (CommandError)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from keepwarm.domain.commands.base import Changes, Command, CommandError, Planning, planner
from keepwarm.domain.model import Contact


def plan_reply(
    commands: Sequence[Command],
    entries: Mapping[int, int],
    contacts: Mapping[int, Contact],
    now: datetime,
    key: str,
    *,
    change: int | None = None,
) -> Changes:
    """Plan the commands of a reply to one of keepwarm's messages, whose entries map numbers to
    contact ids; ``change`` is the change it reported (a confirmation's), for ``undo``."""
    if any(c.verb == "undo" for c in commands) and len(commands) > 1:
        raise CommandError("write 'undo' on its own, in a reply of its own")
    return _plan(commands, Planning(now, key, tuple(contacts.values()), entries, change=change))


def plan_daemon_mail(
    commands: Sequence[Command], contacts: Sequence[Contact], now: datetime, key: str
) -> Changes:
    """Plan commands sent to the daemon address: add, log, the extras, and the questions."""
    return _plan(commands, Planning(now, key, tuple(contacts)))


def _plan(commands: Sequence[Command], planning: Planning) -> Changes:
    for index, command in enumerate(commands):
        planning.index = index
        planner(command).plan(command, planning)
    return planning.changes
