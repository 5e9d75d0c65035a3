"""Use cases over the store that the CLI (and, later, mail commands) call: add, edit, remove, list.

Domain rules decide; this module fetches what they need from the store, applies their answer in one
transaction, and turns domain errors into UsageErrors with one readable line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.addresses import AddressError, normalize_address, parse_mailbox
from keepwarm.domain.book import (
    ContactLookupError,
    DuplicateAddressError,
    check_addresses_free,
    find_contact,
)
from keepwarm.domain.due import (
    SAME_AS_LAST,
    UPCOMING_DAYS,
    DueStatus,
    Limits,
    Standing,
    effective_cadence,
    last_touch_of,
    limits_of,
    standing,
    standings,
)
from keepwarm.domain.durations import DurationError, parse_cadence
from keepwarm.domain.events import Meeting, next_meeting, seeing
from keepwarm.domain.languages import effective_language, parse_language
from keepwarm.domain.merge import ImportPlan, Record, plan_import
from keepwarm.domain.model import Contact, Note, Priority, Touch, YearlyDate, parse_birthday
from keepwarm.domain.occasions import next_on, yearly_dates
from keepwarm.domain.reminders import owes_reply
from keepwarm.domain.rhythm import as_cadence_text, typical_gap_days
from keepwarm.domain.suggest import Suggestion, suggest
from keepwarm.errors import UsageError
from keepwarm.store import Store


@contextmanager
def _user_errors() -> Iterator[None]:
    """Domain errors are the user's to fix: give them one line, no traceback."""
    try:
        yield
    except (AddressError, DurationError, ContactLookupError, DuplicateAddressError) as exc:
        raise UsageError(str(exc)) from None


def _cadence(every: str | None) -> int | None:
    return None if every is None else parse_cadence(every)


def _group(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UsageError("a group name cannot be empty")
    return cleaned


def add_contact(
    store: Store,
    mailbox: str,
    now: datetime,
    *,
    every: str | None = None,
    group: str | None = None,
    note: str | None = None,
) -> Contact:
    """Track a new person from ``"Name <addr>"`` or a bare address."""
    with _user_errors():
        name, address = parse_mailbox(mailbox)
        contact = Contact(
            name=name,
            emails=(address,),
            added_at=now,
            group=_group(group),
            cadence_days=_cadence(every),
            notes=(Note(now, note.strip()),) if note and note.strip() else (),
        )
        with store.transaction():
            check_addresses_free(store.contacts(), contact.emails)
            return store.add_contact(contact)


def resolve(store: Store, term: str) -> Contact:
    """The one contact a name or address refers to."""
    with _user_errors():
        return find_contact(store.contacts(), term)


@dataclass(frozen=True)
class Edit:
    """Changes asked for by ``contacts edit``; None means leave as is."""

    name: str | None = None
    add_emails: tuple[str, ...] = ()
    remove_emails: tuple[str, ...] = ()
    every: str | None = None
    clear_cadence: bool = False
    group: str | None = None
    clear_group: bool = False
    note: str | None = None
    paused: bool | None = None
    birthday: str | None = None
    dates: tuple[str, ...] = ()  # "anniversary=06-12"; "anniversary=" removes it
    max_every: str | None = None  # "6w"; "" clears it
    priority: str | None = None
    language: str | None = None  # "de"; "default" (or "") clears it: the group's, else DRAFT_LANGUAGE


def _apply_edit(contact: Contact, edit: Edit, now: datetime) -> Contact:
    emails = [e for e in contact.emails if e not in {normalize_address(r) for r in edit.remove_emails}]
    emails += [normalize_address(a) for a in edit.add_emails]
    if not emails:
        raise UsageError(f"{contact.label} would have no address left")
    changes: dict[str, object] = {"emails": tuple(dict.fromkeys(emails))}
    if edit.name is not None:
        changes["name"] = " ".join(edit.name.split())
    if edit.every is not None or edit.clear_cadence:
        changes["cadence_days"] = _cadence(edit.every)
    if edit.group is not None or edit.clear_group:
        changes["group"] = _group(edit.group)
    if edit.note and edit.note.strip():
        changes["notes"] = (*contact.notes, Note(now, edit.note.strip()))
    if edit.paused is not None:
        changes["paused"] = edit.paused
    try:
        changes.update(_read_values(contact, edit))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    changed = contact.with_changes(**changes)
    if changed.max_days is not None and changed.max_days < (changed.cadence_days or 0):
        raise UsageError(f"the maximum ({changed.max_days} days) is shorter than the cadence")
    return changed


def _read_values(contact: Contact, edit: Edit) -> dict[str, object]:
    """The edit's values that are read from text (ValueError when one does not read)."""
    changes: dict[str, object] = {}
    if edit.birthday is not None:
        changes["birthday"] = parse_birthday(edit.birthday) if edit.birthday else None
    if edit.dates:
        changes["dates"] = _dates(contact.dates, edit.dates)
    if edit.max_every is not None:
        changes["max_days"] = _cadence(edit.max_every) if edit.max_every else None
    if edit.priority is not None:
        changes["priority"] = Priority(edit.priority)
    if edit.language is not None:
        changes["language"] = _language(edit.language)
    return changes


def _dates(current: tuple[YearlyDate, ...], given: tuple[str, ...]) -> tuple[YearlyDate, ...]:
    """``current`` with each ``name=date`` set (an empty date removes that name)."""
    dates = {d.label.casefold(): d for d in current}
    for item in given:
        label, sep, when = item.partition("=")
        if not sep or not label.strip():
            raise ValueError(f"--date {item!r}: write NAME=DATE, e.g. anniversary=06-12")
        if when.strip():
            dates[label.strip().casefold()] = YearlyDate(label.strip(), parse_birthday(when))
        else:
            dates.pop(label.strip().casefold(), None)
    return tuple(dates.values())


def edit_contact(store: Store, term: str, edit: Edit, now: datetime) -> Contact:
    """Change a contact; all of the edit applies or none of it."""
    with _user_errors(), store.transaction():
        contact = find_contact(store.contacts(), term)
        changed = _apply_edit(contact, edit, now)
        check_addresses_free(store.contacts(), changed.emails, except_id=contact.id)
        store.update_contact(changed)
        return changed


def remove_contact(store: Store, term: str) -> Contact:
    """Stop tracking someone; their touches stay in case they are added again."""
    with _user_errors(), store.transaction():
        contact = find_contact(store.contacts(), term)
        store.remove_contact(contact.id)
        return contact


def history(store: Store, term: str) -> tuple[Contact, list[Touch]]:
    """A contact and every touch with any of their addresses, oldest first."""
    contact = resolve(store, term)
    return contact, store.touches_for(contact.emails)


def due_list(
    store: Store,
    default_cadence_days: int,
    now: datetime,
    upcoming_days: int = UPCOMING_DAYS,
    *,
    unanswered_counts: bool,
) -> list[Standing]:
    """Every contact's standing at ``now``, soonest due first. Unless ``unanswered_counts``, the
    cadence counts from the last touch that was not mail from them (UNANSWERED_COUNTS)."""
    return standings(
        store.contacts(),
        last_by_address=store.last_touch_by_address(),
        group_cadences=store.group_cadences(),
        default_days=default_cadence_days,
        now=now,
        upcoming_days=upcoming_days,
        group_limits=store.group_limits(),
        counted_by_address=None if unanswered_counts else store.last_touch_by_address(own=True),
    )


def standing_of(
    store: Store, contact: Contact, default_cadence_days: int, now: datetime, *, unanswered_counts: bool
) -> Standing:
    """One contact's standing at ``now`` (``unanswered_counts``: see ``due_list``)."""
    cadence = effective_cadence(contact, store.group_cadences(), default_cadence_days)
    limits = limits_of(contact, store.group_limits())
    last = last_touch_of(contact, store.last_touch_by_address())
    counted = (
        SAME_AS_LAST if unanswered_counts else last_touch_of(contact, store.last_touch_by_address(own=True))
    )
    return standing(contact, last, cadence, now, limits=limits, counted=counted)


def last_touches(store: Store) -> dict[int, Touch]:
    """Each contact's latest touch, over all of their addresses (contacts never touched are absent)."""
    latest = store.last_touch_by_address()
    found = {c.id: last_touch_of(c, latest) for c in store.contacts()}
    return {contact_id: touch for contact_id, touch in found.items() if touch is not None}


def set_group_limits(store: Store, name: str, max_every: str | None, priority: str | None) -> Limits:
    """Give a group a maximum and a priority (None keeps each as it is, "" clears the maximum)."""
    group = _group(name)
    assert group is not None
    current = store.group_limits().get(group, Limits())
    with _user_errors():
        max_days = current.max_days if max_every is None else (_cadence(max_every) if max_every else None)
    cadence = store.group_cadences().get(group)
    if max_days is not None and cadence is not None and max_days < cadence:
        raise UsageError(
            f"the maximum ({max_days} days) is shorter than the group's cadence ({cadence} days)"
        )
    limits = Limits(max_days, Priority(priority) if priority else current.priority)
    store.set_group_limits(group, limits.max_days, limits.priority)
    return limits


def _language(text: str) -> str | None:
    """A language code, or None for ``default`` (or nothing): the group's, else DRAFT_LANGUAGE."""
    return None if text.strip().casefold() in ("", "default") else parse_language(text)


def language_of(store: Store, contact: Contact, default: str) -> str:
    """The language of the drafts to a contact: her own, else her group's, else ``default``."""
    return effective_language(contact, store.group_languages(), default)


def set_group_language(store: Store, name: str, language: str) -> str | None:
    """Write a group's drafts in ``language`` (``default``: DRAFT_LANGUAGE's again)."""
    group = _group(name)
    assert group is not None
    try:
        code = _language(language)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    store.set_group_language(group, code)
    return code


def set_group_cadence(store: Store, name: str, every: str | None) -> int | None:
    """Give a group its own cadence (or with None, clear it)."""
    with _user_errors():
        days = _cadence(every)
    group = _group(name)
    assert group is not None
    store.set_group_cadence(group, days)
    return days


def import_records(
    store: Store,
    records: list[Record],
    now: datetime,
    *,
    every: str | None = None,
    group: str | None = None,
    dry_run: bool = False,
) -> ImportPlan:
    """Merge address-book records into the contacts (all in one transaction, or only planned)."""
    with _user_errors():
        cadence = _cadence(every)
    with store.transaction():
        plan = plan_import(store.contacts(), records, now, cadence_days=cadence, group=_group(group))
        if not dry_run:
            for contact in plan.updated:
                store.update_contact(contact)
            for contact in plan.new:
                store.add_contact(contact)
    return plan


def suggestions(
    store: Store, now: datetime, *, min_sent: int = 2, min_received: int = 1, limit: int = 20
) -> list[tuple[Suggestion, str | None]]:
    """People the owner writes with both ways but does not track, best first, each with the
    cadence their past conversations suggest (``5w``), when there is enough history."""
    tracked = {a for c in store.contacts() for a in c.emails}
    touches = store.touches()
    found = suggest(touches, tracked, now, min_sent=min_sent, min_received=min_received)[:limit]
    times: dict[str, list[datetime]] = {s.address: [] for s in found}
    for touch in touches:
        if touch.address in times:
            times[touch.address].append(touch.at)
    result = []
    for item in found:
        days = typical_gap_days(times[item.address])
        result.append((item, as_cadence_text(days) if days else None))
    return result


def reasons(
    store: Store, items: list[Standing], now: datetime, within: int, owed_after: int
) -> dict[int, list[str]]:
    """Why each contact is in the due list: ``cadence``, ``past maximum``, ``owed reply``,
    ``birthday in 3 days``, ``anniversary today``, ``dated reminder on 2027-03-11``, ``upcoming``."""
    today = now.date()
    dated: dict[int, list[str]] = {}
    for later in store.extras.dated():
        if (later.on - today).days <= within:
            dated.setdefault(later.contact_id, []).append(f"dated reminder on {later.on.isoformat()}")
    found = {}
    meetings = meetings_ahead(store, items, now)
    for item in items:
        why = []
        if item.contact.id in meetings:
            why.append(seeing(item.contact, meetings[item.contact.id], now) + " (reminder held)")
        if owes_reply(item, owed_after):
            why.append("owed reply")
        if item.past_max:
            why.append("past maximum")
        if item.status in (DueStatus.DUE, DueStatus.OVERDUE):
            why.append("cadence")
        elif item.status is DueStatus.UPCOMING:
            why.append("upcoming")
        for label, when in yearly_dates(item.contact):
            ahead = (next_on(when, today)[0] - today).days
            if ahead <= within:
                why.append(f"{label} " + ("today" if ahead == 0 else f"in {ahead} days"))
        found[item.contact.id] = why + dated.get(item.contact.id, [])
    return found


def meetings_ahead(store: Store, items: Iterable[Standing], now: datetime) -> dict[int, Meeting]:
    """Each contact's next meeting in a calendar, when it comes within her cadence: it holds her
    reminder until after it (``events.next_meeting``)."""
    upcoming = store.calendars.upcoming()
    if not upcoming:
        return {}
    found = {}
    for item in items:
        meeting = next_meeting(item.contact, upcoming, now, item.cadence_days)
        if meeting is not None:
            found[item.contact.id] = meeting
    return found
