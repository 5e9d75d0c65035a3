"""Sample data to render every template against: ``keepwarm templates check`` and ``keepwarm check``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from keepwarm.domain.due import CadenceSource, DueStatus, Standing
from keepwarm.domain.extras import News, Opener
from keepwarm.domain.languages import DEFAULT_LANGUAGE, LANGUAGES
from keepwarm.domain.model import Birthday, Contact, Direction, Note, Touch
from keepwarm.domain.occasions import Occasion
from keepwarm.domain.overview import GroupGlance, Overview
from keepwarm.render import views, wording
from keepwarm.render.engine import Renderer

# Shown in --dry-run output instead of a real token; it authenticates nothing.
DRY_RUN_TOKEN = "r0-dryrun-aaaaaaaaaaaaaaaa"  # noqa: S105
SAMPLE_REPLY_TO = "naomi+keepwarm+r0-dryrun@example.com"


def sample_standing(now: datetime) -> Standing:
    """A made-up contact to render templates against (``keepwarm templates check``)."""
    contact = Contact(
        name="Alice Example",
        emails=("alice@example.org",),
        added_at=now - timedelta(days=400),
        id=1,
        group="friends",
        cadence_days=30,
        notes=(Note(now - timedelta(days=60), "started a pottery class"),),
    )
    touch = Touch("alice@example.org", now - timedelta(days=47), Direction.IN, subject="Trip photos")
    return Standing(
        contact, 30, CadenceSource.CONTACT, touch, now - timedelta(days=17), DueStatus.OVERDUE, 47, -17
    )


def _sample_overview(now: datetime) -> Overview:
    alice = sample_standing(now)
    return Overview(
        touched=[(alice.contact, 2)],
        slipping=[alice],
        birthdays=[(alice.contact, now.date() + timedelta(days=3), 36)],
        openers=[
            (alice.contact, Opener(1, "A great piece on night trains", "https://example.org/t", now, id=1))
        ],
        groups=[GroupGlance("friends", 3, 1, 1, 0)],
    )


def check_templates(renderer: Renderer, now: datetime, owner_name: str | None) -> list[str]:
    """Render every template against sample data; one ``file:line: problem`` per failure."""
    problems = []
    for name, context in sample_contexts(renderer, now, owner_name):
        problems += renderer.check([name], context)
    return problems


def sample_contexts(
    renderer: Renderer, now: datetime, owner_name: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """Each template's name with sample data of the shape keepwarm renders it with."""
    owner = views.owner_view(owner_name or "Naomi Example", "naomi@example.com")
    sample = views.Extras(
        (Opener(1, "A great piece on night trains", "https://example.org/trains", now, id=1),),
        News("we moved to Lisbon in October", now, now + timedelta(weeks=6)),
        35,
    )
    entries = {
        language: views.entry_view(
            renderer,
            sample_standing(now),
            number=1,
            rotation=0,
            now=now,
            owner=owner,
            extras=sample,
            language=language,
        )[0]
        for language in LANGUAGES
    }
    entry = entries[DEFAULT_LANGUAGE]
    common = {"owner": owner, "commands": views.commands_view(), "token": DRY_RUN_TOKEN, "fallback_notes": []}
    answer = {
        "owner": owner,
        "lines": ["snoozed Alice Example until 2027-01-10"],
        "notice": None,
        "error": None,
        "no_command": False,
        "help": True,
        "commands": views.commands_view(),
        "all_commands": views.help_view(),
        "daemon_address": "naomi+keepwarm@example.com",
        "due": ["47 days ago  Alice Example <alice@example.org>  (overdue)"],
        "contacts": ["Alice Example <alice@example.org>  [friends]"],
        "news": "Your news, until 2027-01-10: we moved to Lisbon",
    }
    contexts = {
        "reminder": {
            **common,
            **entry,
            "actions": views.actions_view(SAMPLE_REPLY_TO, "Re: Check in with Alice"),
        },
        "digest": {
            **common,
            "entries": [
                {**entry, "actions": views.actions_view(SAMPLE_REPLY_TO, "Re: Check in with Alice", 1)}
            ],
            "missed": ["Sam's birthday was on Saturday 3 January (turned 36)."],
        },
        "confirmation": answer,
        "overview": {**views.overview_view(_sample_overview(now), now), "owner": owner},
        "rejection": {
            "sender": "mallory@example.net",
            "reason": "not the owner",
            "subject": "done",
            "at": "now",
        },
    }
    found = []
    for name in renderer.template_names():
        kind = name.split(".", 1)[0]
        language = language_of(name)
        draft_context = {
            **entries[language],
            "thanks": {"what": "The Overstory"},
            "occasion": _sample_occasion(now, language),
            "owed": {
                "subject": "Re: Trip photos",
                "topic": "Trip photos",
                "days": 9,
                "message_id": "m1@example.org",
            },
        }
        context = draft_context if name.startswith("drafts/") else contexts.get(kind, contexts["reminder"])
        found.append((name, context))
    return found


def language_of(name: str) -> str:
    """The language a template's name says it is in: ``drafts/de/…`` is German, the rest English."""
    parts = name.split("/")
    named = len(parts) == 3 and parts[0] == "drafts" and parts[1] in LANGUAGES
    return parts[1] if named else DEFAULT_LANGUAGE


def _sample_occasion(now: datetime, language: str = DEFAULT_LANGUAGE) -> dict[str, object]:
    """A birthday three days away, for the birthday and date drafts."""
    contact = sample_standing(now).contact.with_changes(birthday=Birthday(1, 1, 1990))
    on = (now + timedelta(days=3)).date()
    occasion = Occasion(contact, "birthday", on, 3, on.year - 1990)
    context = wording.localized({"occasion": views.occasion_view(occasion)}, None, occasion, now, language)
    return dict(context["occasion"])
