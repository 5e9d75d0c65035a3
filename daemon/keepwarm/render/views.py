"""What templates see: plain dicts and sentences built from domain objects (pure presentation).

Documented for template authors in templates/README.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from keepwarm.domain.due import Standing
from keepwarm.domain.durations import format_cadence, parse_cadence
from keepwarm.domain.extras import Opener
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.rhythm import as_cadence_text

COMMANDS = (
    ("done", "you were in touch; add call, video, coffee... and a note if you like"),
    ("snooze 2w", "remind me again in two weeks (or: snooze until 2027-01-10)"),
    ("every 3 weeks", "change how often you want to be in touch"),
    ("pause", "no reminders for this person until you say resume"),
    ("note <text>", "remember something for next time"),
    ("stop", "stop tracking this person (history kept)"),
    ("help", "all commands"),
)


def first_name(name: str, fallback: str) -> str:
    """The first word of a display name ("Alice" of "Alice Example"), else the address's local part."""
    words = name.replace(",", " ").split()
    if words:
        # "Example, Alice" is written surname first.
        return words[-1] if "," in name else words[0]
    return fallback.split("@", 1)[0].split("+", 1)[0].split(".", 1)[0].capitalize()


def ago(days: int | None) -> str:
    """``today``, ``yesterday``, ``47 days ago``."""
    if days is None:
        return "never"
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def contact_view(contact: Contact, item: Standing | None = None) -> dict[str, Any]:
    """A contact for templates."""
    cadence = item.cadence_days if item is not None else contact.cadence_days
    return {
        "name": contact.name,
        "first_name": first_name(contact.name, contact.primary_email),
        "email": contact.primary_email,
        "emails": list(contact.emails),
        "group": contact.group,
        "notes": [note.text for note in contact.notes],
        "cadence_days": cadence,
        "cadence": format_cadence(cadence) if cadence else "",
        "birthday": str(contact.birthday) if contact.birthday else None,
    }


def touch_view(touch: Touch | None, now: datetime) -> dict[str, Any] | None:
    """The last touch for templates, with a phrase for drafts ("your email 'Trip photos'")."""
    if touch is None:
        return None
    days = (now.date() - touch.at.astimezone(now.tzinfo).date()).days
    subject = f" '{touch.subject}'" if touch.subject else ""
    # Worded for a draft addressed to the contact: "since your email", "since my email".
    if touch.direction is Direction.MANUAL:
        phrase = f"our last {touch.channel.value}"
    elif touch.direction is Direction.IN:
        phrase = f"your email{subject}"
    else:
        phrase = f"my email{subject}"
    return {
        "at": touch.at.isoformat(),
        "date": touch.at.astimezone(now.tzinfo).strftime("%-d %B %Y"),
        "days_ago": days,
        "ago": ago(days),
        "direction": touch.direction.value,
        "channel": touch.channel.value,
        "subject": touch.subject,
        "phrase": phrase,
    }


def story(item: Standing, now: datetime) -> str:
    """One sentence on where things stand: who wrote last, about what, and how long ago."""
    who = first_name(item.contact.name, item.contact.primary_email)
    touch = item.last_touch
    if touch is None:
        days = (now - item.contact.added_at).days
        return f"You haven't been in touch with {who} since you started keeping track, {ago(days)}."
    when = ago(item.days_since_last_touch)
    subject = f" '{touch.subject}'" if touch.subject else ""
    if touch.direction is Direction.IN:
        return f"{who} wrote{subject} {when} and you haven't replied."
    if touch.direction is Direction.MANUAL:
        return f"Your last contact with {who} was a {touch.channel.value}, {when}."
    return f"You wrote last{subject}, {when}."


def commands_view() -> list[dict[str, str]]:
    """The reply commands, for the footer of reminders."""
    return [{"example": example, "meaning": meaning} for example, meaning in COMMANDS]


def owner_view(name: str | None, address: str, news: str | None = None) -> dict[str, Any]:
    """The owner for templates; ``news`` only while it is current and new to this contact."""
    return {"name": name or "", "first_name": first_name(name or "", address), "email": address, "news": news}


def openers_view(openers: Sequence[Opener]) -> list[dict[str, Any]]:
    """Things to share, oldest first, for the top of a draft."""
    return [{"id": o.id, "title": o.title, "link": o.link} for o in openers]


def rhythm_view(typical_days: int | None, cadence_days: int) -> dict[str, Any] | None:
    """The rhythm the relationship already has, when it is known and differs from the cadence."""
    if typical_days is None:
        return None
    text = as_cadence_text(typical_days)
    return {
        "days": typical_days,
        "cadence": format_cadence(parse_cadence(text)),
        "reply": f"every {text}",
        "differs": abs(typical_days - cadence_days) > max(3, cadence_days // 5),
    }
