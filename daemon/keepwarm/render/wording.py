"""The words a draft in German or French needs that ``views`` writes in English: dates (``23.
November``, ``23 novembre``), how long ago, the last touch as a phrase, and the vCard's
anniversary by its name. From small tables of the standard library's kind: no locale is switched,
so a reminder in English and a draft in German come from the same process at once.

Only the draft is in the contact's language: the reminder around it is the owner's, in English.
Documented with the variables in templates/README.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from keepwarm.domain.model import Channel, Direction, Touch
from keepwarm.domain.occasions import Occasion

NBSP = "\u00a0"  # French puts one inside its guillemets and before ? ! : ;
MONTHS = {
    "de": (
        *("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"),
        *("September", "Oktober", "November", "Dezember"),
    ),
    "fr": (
        *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
        *("septembre", "octobre", "novembre", "décembre"),
    ),
}
# The last touch, as a draft names it. German: in the dative, as after "seit" ("seit unserem
# letzten Telefonat"); French needs no case ("notre dernier appel remonte à…").
_MANUAL = {
    "de": {
        Channel.CALL: "unserem letzten Telefonat",
        Channel.VIDEO: "unserem letzten Videoanruf",
        Channel.MEETING: "unserem letzten Treffen",
        Channel.MESSAGE: "unserer letzten Nachricht",
        Channel.EMAIL: "unserer letzten Mail",
        Channel.OTHER: "unserem letzten Austausch",
    },
    "fr": {
        Channel.CALL: "notre dernier appel",
        Channel.VIDEO: "notre dernier appel vidéo",
        Channel.MEETING: "notre dernière rencontre",
        Channel.MESSAGE: "notre dernier échange",
        Channel.EMAIL: "notre dernier échange",
        Channel.OTHER: "notre dernier échange",
    },
}
_MAIL = {"de": ("deiner Mail", "meiner Mail"), "fr": ("ton message", "mon message")}
# vCard's ANNIVERSARY is the day of a marriage "or equivalent": named so in a draft.
_LABELS = {"anniversary": {"de": "Hochzeitstag", "fr": "anniversaire de mariage"}}


def quoted(text: str, language: str) -> str:
    """``„Fotos“``, ``« Photos »``, ``'Photos'``."""
    if language == "de":
        return f"\u201e{text}\u201c"
    if language == "fr":
        return f"\u00ab{NBSP}{text}{NBSP}\u00bb"
    return f"'{text}'"


def spoken_date(day: date, language: str, *, year: bool = False) -> str:
    """``23. November``, ``1er décembre`` (with ``year``: ``23. November 2026``)."""
    if language == "de":
        text = f"{day.day}. {MONTHS['de'][day.month - 1]}"
    elif language == "fr":
        text = f"{'1er' if day.day == 1 else day.day} {MONTHS['fr'][day.month - 1]}"
    else:
        text = f"{day.day} {day:%B}"
    return f"{text} {day.year}" if year else text


def ago(days: int, language: str) -> str:
    """``heute``, ``gestern``, ``vor 3 Tagen``; ``aujourd'hui``, ``hier``, ``il y a 3 jours``."""
    words = {
        "de": ("heute", "gestern", "vor {} Tagen"),
        "fr": ("aujourd\u2019hui", "hier", "il y a {} jours"),
    }[language]
    return words[0] if days <= 0 else words[1] if days == 1 else words[2].format(days)


def phrase(touch: Touch, topic: str, language: str) -> str:
    """The last touch named in a draft: ``deiner Mail „Fotos“``, ``mon message « Déjeuner ? »``,
    ``unserem letzten Telefonat``."""
    if touch.direction is Direction.MANUAL:
        return _MANUAL[language][touch.channel]
    theirs, mine = _MAIL[language]
    said = theirs if touch.direction is Direction.IN else mine
    return f"{said} {quoted(topic, language)}" if topic else said


def label(name: str, language: str) -> str:
    """A yearly date's name as a draft in ``language`` says it (the owner's own names as written)."""
    return _LABELS.get(name, {}).get(language, name)


def localized(
    context: dict[str, Any], touch: Touch | None, occasion: Occasion | None, now: datetime, language: str
) -> dict[str, Any]:
    """A draft's variables with the words of ``language`` in place of the English ones."""
    if language not in MONTHS:
        return context
    found = dict(context)
    seen = context.get("last_touch")
    if touch is not None and seen is not None:
        found["last_touch"] = {
            **seen,
            "date": spoken_date(touch.at.astimezone(now.tzinfo).date(), language, year=True),
            "ago": ago(seen["days_ago"], language),
            "phrase": phrase(touch, seen["topic"], language),
        }
    if occasion is not None and "occasion" in context:
        found["occasion"] = {
            **context["occasion"],
            "label": label(occasion.label, language),
            "date": spoken_date(occasion.on, language),
        }
    return found
