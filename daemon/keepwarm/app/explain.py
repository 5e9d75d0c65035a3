"""``keepwarm explain``: what keepwarm reads in one message and what it would do, applying
nothing. The tool an owner uses when a reply was misread, and the one the tests use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keepwarm.app.commands import UNPROVEN, CommandHandler
from keepwarm.app.settings import Settings
from keepwarm.domain.commands import Command
from keepwarm.domain.inbound import COMMAND_BYTES
from keepwarm.mail.message import parse_headers
from keepwarm.render.engine import Renderer
from keepwarm.store import Store


def command_json(command: Command, now: datetime) -> dict[str, Any]:
    """A command as ``keepwarm explain --json`` shows it: its verb and the arguments it has."""
    found: dict[str, Any] = {"verb": command.verb}
    if command.entry is not None:
        found["entry"] = command.entry
    if command.channel is not None and command.channel.value != "other":
        found["channel"] = command.channel.value
    if command.text:
        found["text"] = command.text
    if command.cadence_days is not None:
        found["cadence_days"] = command.cadence_days
    if command.snooze is not None:
        days = command.snooze.total_seconds() / 86400
        found["snooze_days"] = int(days) if days == int(days) else round(days, 4)
    if command.until is not None:
        found["until"] = command.until.isoformat()
    if command.on is not None:
        key = "until" if command.verb == "snooze" else "when"
        found[key] = command.on.resolve(now.date(), ahead=command.verb == "snooze").isoformat()
    for name in ("address", "name", "group", "title", "link"):
        value = getattr(command, name)
        if value:
            found[name] = value
    if command.birthday is not None:
        found["birthday"] = str(command.birthday)
    return found


def explain(
    store: Store, renderer: Renderer, settings: Settings, raw: bytes, now: datetime
) -> dict[str, Any]:
    """What keepwarm reads in one message and what it would do, applying nothing: the new text,
    the commands found, whether it is automatic mail, the authentication verdict with its reasons,
    and the changes (``keepwarm explain``)."""
    mail = parse_headers(raw[:COMMAND_BYTES])
    handler = CommandHandler(store, renderer, settings)
    verdict = handler.verdict(mail, raw, now)
    found: dict[str, Any] = {
        "from": mail.from_[0].address if mail.from_ else None,
        "subject": mail.subject,
        "automatic": mail.automatic,
        "authenticated": verdict.accepted,
        "reasons": list(verdict.reasons),
    }
    reading = handler.read(mail, raw, verdict, now)
    labels = {c.id: c.label for c in store.contacts()}
    changes = list(reading.changes.lines) if reading.changes is not None else []
    if reading.changes is not None and reading.changes.undo_change is not None:
        changes.append("undo the change that message reported")
    for contact_id in reading.changes.undo if reading.changes is not None else ():
        changes.append(f"undo the last change to {labels.get(contact_id, contact_id)}")
    found.update(
        answers_a_keepwarm_message=reading.context.reply,
        about={
            str(n): labels.get(c, f"contact {c} (removed)") for n, c in sorted(reading.context.about.items())
        },
        new_text=reading.text,
        commands=[command_json(c, now) for c in reading.commands],
        prose=reading.prose,
        error=reading.error,
        no_command=reading.no_command,
        changes=changes,
        would_apply=verdict.accepted and not mail.automatic and reading.changes is not None,
    )
    if handler.unproven(verdict, reading):
        found.update(error=UNPROVEN, needs_proof=True, would_apply=False)
    return found
