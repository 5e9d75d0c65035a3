"""Importing contacts: merge records from an address book into the tracked contacts. Pure.

A record matches the contact that has any of its addresses, so importing the same file twice
changes nothing; new addresses, a missing name, birthday, group, cadence, maximum, priority or
language are filled in, notes the contact lacks (by their text) are added, and nothing the owner
set (a cadence, an existing group, paused or snoozed) is overwritten. A new contact takes all of it,
paused and snoozed too, so keepwarm's own vCard and CSV exports import back without loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from keepwarm.domain.model import Birthday, Contact, Note, Priority, YearlyDate


@dataclass(frozen=True)
class Record:
    """One person from an address book, with where it came from (for messages)."""

    where: str
    name: str
    emails: tuple[str, ...]
    birthday: Birthday | None = None
    group: str | None = None
    dates: tuple[YearlyDate, ...] = ()
    cadence_days: int | None = None
    max_days: int | None = None
    priority: Priority | None = None
    notes: tuple[Note, ...] = ()
    paused: bool = False
    snoozed_until: datetime | None = None
    language: str | None = None


@dataclass
class ImportPlan:
    """What an import would do."""

    new: list[Contact] = field(default_factory=list)
    updated: list[Contact] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _merged(contact: Contact, record: Record) -> Contact:
    emails = tuple(dict.fromkeys((*contact.emails, *record.emails)))
    cadence = contact.cadence_days or record.cadence_days
    # A record's maximum shorter than the contact's own cadence would be refused by an edit: skip it.
    record_max = record.max_days if record.max_days and record.max_days >= (cadence or 0) else None
    return contact.with_changes(
        name=contact.name or record.name,
        emails=emails,
        birthday=contact.birthday or record.birthday,
        group=contact.group or record.group,
        dates=(*contact.dates, *(d for d in record.dates if d.label not in {k.label for k in contact.dates})),
        cadence_days=cadence,
        max_days=contact.max_days or record_max,
        priority=contact.priority or record.priority,
        language=contact.language or record.language,
        notes=(*contact.notes, *(n for n in record.notes if n.text not in {k.text for k in contact.notes})),
    )


def plan_import(
    existing: Sequence[Contact],
    records: Sequence[Record],
    now: datetime,
    *,
    cadence_days: int | None = None,
    group: str | None = None,
) -> ImportPlan:
    """Decide, record by record, what to add or update; records that conflict become problems."""
    plan = ImportPlan()
    current = {c.id: c for c in existing}
    pending: list[Contact] = []
    for record in records:
        if not record.emails:
            plan.problems.append(f"{record.where}: {record.name or 'a record'} has no email address: skipped")
            continue
        owners = {c.id for c in current.values() if set(c.emails) & set(record.emails)}
        planned = [c for c in pending if set(c.emails) & set(record.emails)]
        if len(owners) + len(planned) > 1:
            count = len(owners) + len(planned)
            plan.problems.append(f"{record.where}: its addresses belong to {count} different contacts")
            continue
        if owners:
            before = current[owners.pop()]
            after = _merged(before, record)
            if after == before:
                plan.unchanged += 1
            else:
                current[before.id] = after
                plan.updated = [c for c in plan.updated if c.id != after.id] + [after]
            continue
        if planned:
            pending[pending.index(planned[0])] = _merged(planned[0], record)
            continue
        pending.append(
            Contact(
                name=record.name,
                emails=record.emails,
                added_at=now,
                group=record.group or group,
                cadence_days=record.cadence_days or cadence_days,
                birthday=record.birthday,
                dates=record.dates,
                max_days=record.max_days,
                priority=record.priority,
                notes=record.notes,
                paused=record.paused,
                snoozed_until=record.snoozed_until,
                language=record.language,
            )
        )
    plan.new = pending
    return plan
