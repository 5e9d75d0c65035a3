"""How the CLI shows things: aligned tables for people, stable JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepwarm.domain.due import Standing
from keepwarm.domain.durations import ago, format_cadence
from keepwarm.domain.model import Touch
from keepwarm.domain.records import contact_to_doc, iso, touch_to_doc

if TYPE_CHECKING:
    from keepwarm.app.poll import PollReport
    from keepwarm.domain.model import Contact

TOP_CORRESPONDENTS = 10
# What each skip reason means, for people (``--json`` keeps the keys).
_SKIPPED = {
    "already-seen": "already seen",
    "mailing-list": "from mailing lists",
    "bulk": "bulk mail",
    "auto-generated": "automatic",
    "no-reply-sender": "from no-reply senders",
    "too-many-recipients": "to too many people",
    "keepwarm-own": "keepwarm's own",
    "to-daemon": "commands to keepwarm",
    "only-owner-recipients": "only to yourself",
    "not-to-owner": "not addressed to you",
    "forged-owner": "forged in your name",
    "no-from": "without a sender",
    "bad-from": "with several senders",
}


def print_json(value: Any) -> None:
    """Indented JSON on stdout, non-ASCII kept readable."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [str(cell).ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, str(row[-1])]).rstrip())


def standing_json(item: Standing) -> dict[str, Any]:
    """A contact (its record, as the store and the export write it) with its cadence in effect,
    last touch and due date."""
    return {
        "id": item.contact.id,
        **contact_to_doc(item.contact),
        "cadence_days": item.cadence_days,
        "cadence_source": item.cadence_source.value,
        "last_touch": iso(item.last_touch.at) if item.last_touch else None,
        "last_touch_direction": item.last_touch.direction.value if item.last_touch else None,
        "next_due": iso(item.next_due),
        "status": item.status.value,
        "days_since_last_touch": item.days_since_last_touch,
        "days_until_due": item.days_until_due,
    }


def touch_json(touch: Touch) -> dict[str, Any]:
    """One touch, as scripts see it: its record, as the store and the export write it."""
    return touch_to_doc(touch)


def day(value: datetime | None, now: datetime) -> str:
    """A date in the owner's zone, or a dash."""
    return value.astimezone(now.tzinfo).strftime("%Y-%m-%d") if value is not None else "-"


def day_time(value: str | datetime | None, now: datetime) -> str:
    """A date and time in the owner's zone (``2026-12-01 14:05``), or a dash."""
    if value is None:
        return "-"
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")


def when(value: str | None, now: datetime) -> str:
    """``2026-12-01 14:05 (3 minutes ago)`` in the owner's zone, or ``never``."""
    if value is None:
        return "never"
    seconds = (now - datetime.fromisoformat(value)).total_seconds()
    if seconds < 90:
        ago_text = "just now"
    elif seconds < 5400:
        ago_text = f"{round(seconds / 60)} minutes ago"
    elif seconds < 36 * 3600:
        ago_text = f"{round(seconds / 3600)} hours ago"
    else:
        ago_text = f"{round(seconds / 86400)} days ago"
    return f"{day_time(value, now)} ({ago_text})"


def since(item: Standing) -> str:
    """``12d ago``, ``today`` or ``never``."""
    return ago(item.days_since_last_touch, compact=True)


def when_due(item: Standing) -> str:
    """``in 3d``, ``today``, ``5d overdue`` or ``paused``."""
    days = item.days_until_due
    if days is None:
        return "paused"
    if days < 0:
        return f"{-days}d overdue"
    return "today" if days == 0 else f"in {days}d"


def cadence_text(item: Standing) -> str:
    """``every 3 weeks`` with where it came from when not the contact's own."""
    text = format_cadence(item.cadence_days)
    return text if item.cadence_source.value == "contact" else f"{text} ({item.cadence_source.value})"


def print_message(msg: EmailMessage) -> None:
    """A message as its reader sees it: who it goes to, the subject decoded, the text part."""
    print(f"To: {msg['To']}")
    print(f"Subject: {msg['Subject']}")
    print()
    body = msg.get_body(("plain",))
    print(str(body.get_content()).rstrip() if body is not None else "(no text part)")
    print()


def write_html(messages: Sequence[EmailMessage], path: Path) -> None:
    """The HTML parts of the messages, one after the other, into one file a browser can open."""
    parts = [m.get_body(("html",)) for m in messages]
    path.write_text("\n<hr>\n".join(str(p.get_content()) for p in parts if p is not None), encoding="utf-8")


def print_held_back(held: Sequence[tuple[Standing, date]], cap: int) -> None:
    """Who is due but waits for the daily cap, and the day each would come."""
    if not held:
        return
    print(f"held back by the daily cap ({cap} a day; MAX_REMINDERS_PER_DAY):")
    for item, day in held:
        print(f"  {item.contact.label}: {day:%A %-d %B}")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 message``, ``20,000 messages``."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def poll_summary(report: PollReport, tracked: dict[str, Contact], *, everyone: bool = False) -> list[str]:
    """A poll in a few lines: what was read, the top correspondents (``everyone``: all of them),
    what was skipped and why, who a BCC started tracking, and any problem."""
    folders = ", ".join(f"{name} {count:,}" for name, count in report.folders.items())
    people = report.touches.most_common()
    known = sum(1 for address, _ in people if address in tracked)
    lines = [f"read {plural(report.messages, 'new message')}" + (f" ({folders})" if folders else "")]
    if people:
        lines.append(
            f"{plural(sum(report.touches.values()), 'touch', 'touches')} with "
            f"{plural(len(people), 'person', 'people')}, {known:,} of them tracked"
        )
    shown = people if everyone else people[:TOP_CORRESPONDENTS]
    for address, count in shown:
        who = tracked[address].label if address in tracked else f"{address} (not tracked)"
        lines.append(f"  {count:6,d}  {who}")
    if len(people) > len(shown):
        lines.append(f"  and {len(people) - len(shown):,} more (--verbose lists everyone)")
    if report.skipped:
        reasons = ", ".join(
            f"{count:,} {_SKIPPED.get(reason, reason.replace('-', ' '))}"
            for reason, count in report.skipped.most_common()
        )
        lines.append(f"skipped {sum(report.skipped.values()):,}: {reasons}")
    lines += [f"now tracking {label} (BCC)" for label in report.new_contacts]
    lines += [f"note: {problem}" for problem in report.problems]
    return lines
