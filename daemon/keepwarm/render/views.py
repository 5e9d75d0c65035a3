"""What templates see: plain dicts and sentences built from domain objects, and the contexts of
a reminder entry (with its rendered draft) and of the weekly overview.

Documented for template authors in templates/README.md; keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from keepwarm.domain.commands import Place, help_entries
from keepwarm.domain.due import Standing
from keepwarm.domain.durations import ago, format_cadence, parse_cadence
from keepwarm.domain.extras import News, Opener
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.occasions import Occasion
from keepwarm.domain.overview import GroupGlance, Overview
from keepwarm.domain.rhythm import as_cadence_text
from keepwarm.mail import compose
from keepwarm.render import wording
from keepwarm.render.names import draft_candidates, draft_name

if TYPE_CHECKING:  # the CLI imports this module for its wording; Jinja2 loads only to render
    from keepwarm.render.engine import Draft, Renderer

BAR_WIDTH = 20


def first_name(name: str, fallback: str) -> str:
    """The first word of a display name ("Alice" of "Alice Example"), else the address's local part."""
    words = name.replace(",", " ").split()
    if words:
        # "Example, Alice" is written surname first.
        return words[-1] if "," in name else words[0]
    return fallback.split("@", 1)[0].split("+", 1)[0].split(".", 1)[0].capitalize()


def contact_view(contact: Contact, item: Standing | None = None) -> dict[str, Any]:
    """A contact for templates."""
    cadence = item.cadence_days if item is not None else contact.cadence_days
    return {
        "name": contact.name,
        "first_name": first_name(contact.name, contact.primary_email),
        "email": contact.primary_email,
        "emails": list(contact.emails),
        "group": contact.group,
        # Yours, about them: shown to you in the reminder, never given to a draft to them.
        "private_notes": [note.text for note in contact.notes],
        "cadence_days": cadence,
        "cadence": format_cadence(cadence) if cadence else "",
        "birthday": str(contact.birthday) if contact.birthday else None,
    }


def touch_view(touch: Touch | None, now: datetime) -> dict[str, Any] | None:
    """The last touch for templates, with a phrase for drafts ("your email 'Trip photos'")."""
    if touch is None:
        return None
    days = (now.date() - touch.at.astimezone(now.tzinfo).date()).days
    topic = bare_subject(touch.subject)  # "your email 'Choir'", never "'Re: Choir'"
    subject = f" '{topic}'" if topic else ""
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
        "topic": topic,
        "phrase": phrase,
    }


def occasion_view(occasion: Occasion) -> dict[str, Any]:
    """A birthday or yearly date, for the reminder and its draft (templates/README.md)."""
    return {
        "label": occasion.label,
        "birthday": occasion.is_birthday,
        "date": f"{occasion.on:%-d %B}",
        "in_days": occasion.ahead,
        "years": occasion.years,
        "text": occasion.describe(),
    }


def story(item: Standing, now: datetime) -> str:
    """One sentence on where things stand: who wrote last, about what, and how long ago."""
    who = first_name(item.contact.name, item.contact.primary_email)
    touch = item.last_touch
    if touch is None:
        days = (now - item.contact.added_at).days
        return f"You haven't been in touch with {who} since you started keeping track, {ago(days)}."
    when = ago(item.days_since_last_touch)
    topic = bare_subject(touch.subject)  # "your email 'Choir'", never "'Re: Choir'"
    subject = f" '{topic}'" if topic else ""
    if touch.direction is Direction.IN:
        return f"{who} wrote{subject} {when} and you haven't replied."
    if touch.direction is Direction.MANUAL:
        return f"Your last contact with {who} was a {touch.channel.value}, {when}."
    return f"You wrote last{subject}, {when}."


def commands_view(
    place: Place = Place.REPLY, *, footer: bool = True, only: bool = False
) -> list[dict[str, str]]:
    """Commands from the registry: by default the short list at the foot of reminders."""
    entries = help_entries(place, footer=footer, only=only)
    return [{"example": usage, "meaning": meaning} for usage, meaning in entries]


# The one-tap answers beside each person: a label, and the command the reply carries.
ACTIONS = (("Done", "done"), ("Snooze 2 weeks", "snooze 2w"), ("Later", "later"), ("Pause", "pause"))


def actions_view(reply_to: str, subject: str, number: int | None = None) -> list[dict[str, str]]:
    """``mailto:`` links (RFC 6068) that open a reply to this message with one command in it:
    a tap, then Send. In a digest each carries the entry's number (``snooze 2 2w``)."""
    found = []
    for label, command in ACTIONS:
        verb, _, rest = command.partition(" ")
        words = [verb, str(number), rest] if number is not None else [verb, rest]
        body = " ".join(w for w in words if w)
        found.append({"label": label, "command": body, "mailto": compose.mailto(reply_to, subject, body)})
    return found


def help_view() -> dict[str, list[dict[str, str]]]:
    """Every command, for the help an answer carries: those of a reply, and those of mail to the
    daemon address."""
    return {
        "reply": commands_view(Place.REPLY, footer=False, only=True),
        "daemon": commands_view(Place.DAEMON, footer=False),
    }


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


@dataclass(frozen=True)
class Extras:
    """What gives one check-in something to say: finds to share, news, the usual rhythm."""

    openers: tuple[Opener, ...] = ()
    news: News | None = None
    rhythm_days: int | None = None


def draft_view(draft: Draft, address: str, owed: dict[str, Any] | None = None) -> dict[str, Any]:
    """A rendered draft for templates, with the ``mailto:`` link that opens it as a new message
    (in the thread of the mail it answers, when it answers one)."""
    answers = owed.get("message_id") if owed else None
    return {
        "subject": draft.subject,
        "body": draft.body,
        "template": draft.template,
        "in_reply_to": f"<{answers}>" if answers else None,
        "mailto": compose.mailto(
            address, draft.subject, draft.body, in_reply_to=f"<{answers}>" if answers else None
        ),
    }


def draft_text(context: dict[str, Any]) -> compose.DraftText:
    """An entry's draft as the owner's message to the contact (``entry_view``'s context): the
    attached copy to forward, and the one put in the owner's Drafts folder."""
    owner, contact, draft = context["owner"], context["contact"], context["draft"]
    return compose.DraftText(
        owner["name"],
        owner["email"],
        contact["name"],
        contact["email"],
        draft["subject"],
        draft["body"],
        draft["in_reply_to"],
    )


def entry_view(
    renderer: Renderer,
    item: Standing,
    *,
    number: int,
    rotation: int,
    now: datetime,
    owner: dict[str, Any],
    extras: Extras = Extras(),
    owed: bool = False,
    occasion: Occasion | None = None,
    language: str = "en",
) -> tuple[dict[str, Any], list[str]]:
    """One contact's template variables, with the rendered draft (variant ``rotation``, in
    ``language``: only the draft, written to them, is); when a reply is ``owed``, the draft
    answers their last mail (``drafts/reply.txt.j2``) in its thread; for an ``occasion``, it is
    the birthday's or the date's draft."""
    contact = item.contact
    seen = contact_view(contact, item)
    base: dict[str, Any] = {
        "owner": {**owner, "news": extras.news.text if extras.news else None},
        "contact": seen,
        "last_touch": touch_view(item.last_touch, now),
        "days_since": item.days_since_last_touch,
        "story": story(item, now),
        "number": number,
        "openers": openers_view(extras.openers),
        "rhythm": rhythm_view(extras.rhythm_days, item.cadence_days),
    }
    names, answering = None, None
    if owed and item.last_touch is not None:
        answering = owed_view(item)
        base["owed"] = answering
        names = kind_drafts(contact, "reply", language)
    if occasion is not None:
        base["occasion"] = occasion_view(occasion)
        names = kind_drafts(contact, "birthday" if occasion.is_birthday else "date", language)
    # The draft is written to them: it gets everything but the owner's private notes.
    to_them = {**base, "contact": {k: v for k, v in seen.items() if k != "private_notes"}}
    to_them = wording.localized(to_them, item.last_touch, occasion, now, language)
    names = names or draft_candidates(contact.primary_email, contact.group, language)
    draft = renderer.draft(contact.primary_email, contact.group, to_them, rotation, names)
    base["draft"] = draft_view(draft, contact.primary_email, answering)
    return base, [draft.fallback_note] if draft.fallback_note else []


def single_letter_parts(
    renderer: Renderer, context: dict[str, Any], notes: list[str], owner: dict[str, Any], token: str
) -> tuple[str, str]:
    """The text and HTML parts of a reminder about one person, from ``entry_view``'s context."""
    common = {"owner": owner, "commands": commands_view(), "token": token, "fallback_notes": notes}
    text = renderer.render("reminder.txt.j2", {**common, **context})
    html = renderer.render("reminder.html.j2", {**common, **context})
    return text.text, html.text


def kind_drafts(contact: Contact, kind: str, language: str = "en") -> list[str]:
    """The draft templates of one kind (``reply``, ``birthday``, ``date``), most specific first:
    the person's, the group's, then ``drafts/<kind>.txt.j2`` (in ``language``'s folder)."""
    generic = draft_candidates(contact.primary_email, contact.group, language)[:-1]
    own = [n.replace(".txt.j2", f".{kind}.txt.j2") for n in generic]
    return [*own, draft_name(f"{kind}.txt.j2", language)]


def owed_view(item: Standing) -> dict[str, Any]:
    """The mail the owner has not answered: its subject (as written and without Re:/Fwd:), how
    long ago, and its Message-ID for the answer's In-Reply-To."""
    touch = item.last_touch
    assert touch is not None
    subject = touch.subject or ""
    return {
        "subject": subject,
        "topic": bare_subject(subject),
        "days": item.days_since_last_touch,
        "message_id": touch.message_id,
    }


def bare_subject(subject: str) -> str:
    """A subject without its reply and forward prefixes (Re:, Fwd:, AW:, SV:, TR: …)."""
    return _PREFIXES.sub("", subject).strip()


_PREFIXES = re.compile(
    r"^(?:\s*(?:re|fwd?|aw|wg|sv|vs|tr|rif|odp|antw|r)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def _bar(glance: GroupGlance) -> dict[str, Any]:
    """Widths (in percent, and in characters for the text part) of each part of a group's bar."""
    total = max(1, glance.total)
    parts = [
        ("fine", glance.fine),
        ("upcoming", glance.upcoming),
        ("overdue", glance.overdue),
        ("paused", glance.paused),
    ]
    return {
        "name": glance.name,
        "total": glance.total,
        **dict(parts),
        "percent": {name: round(100 * count / total) for name, count in parts},
        "text": "".join(
            ch * round(BAR_WIDTH * count / total) for (_, count), ch in zip(parts, "=+!.", strict=True)
        ),
    }


def overview_view(overview: Overview, now: datetime) -> dict[str, Any]:
    """Template variables of the overview (documented in templates/README.md)."""
    return {
        "week_ending": now.strftime("%-d %B %Y"),
        "touched": [
            {"name": c.name or c.primary_email, "email": c.primary_email, "count": n}
            for c, n in overview.touched
        ],
        "slipping": [
            {
                "name": s.contact.name or s.contact.primary_email,
                "days_since": s.days_since_last_touch,
                "cadence": contact_view(s.contact, s)["cadence"],
                "story": story(s, now),
            }
            for s in overview.slipping
        ],
        "birthdays": [
            {"name": c.name or c.primary_email, "date": d.strftime("%-d %B"), "age": age}
            for c, d, age in overview.birthdays
        ],
        "openers": [
            {"name": c.name or c.primary_email, "title": o.title, "id": o.id} for c, o in overview.openers
        ],
        "groups": [_bar(g) for g in overview.groups],
    }
