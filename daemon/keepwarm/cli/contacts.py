"""``keepwarm contacts …``, ``history``, ``due`` and ``groups``: thin shells over keepwarm.app.contacts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from keepwarm.cli import book, output
from keepwarm.cli.context import Context
from keepwarm.domain.due import UPCOMING_DAYS, DueStatus
from keepwarm.domain.durations import format_cadence, format_days, parse_cadence
from keepwarm.domain.languages import NAMES
from keepwarm.domain.model import Contact
from keepwarm.domain.rhythm import as_cadence_text, typical_gap_days

if TYPE_CHECKING:
    pass


def _add(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    contact = contacts.add_contact(
        ctx.store, args.contact, ctx.now(), every=args.every, group=args.group, note=args.note
    )
    item = contacts.standing_of(
        ctx.store,
        contact,
        ctx.config.default_cadence_days,
        ctx.now(),
        unanswered_counts=ctx.config.unanswered_counts,
    )
    print(
        f"added {contact.label}, {output.cadence_text(item)}, next due {output.day(item.next_due, ctx.now())}"
    )
    return 0


def _list(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    now = ctx.now()
    items = contacts.due_list(
        ctx.store, ctx.config.default_cadence_days, now, unanswered_counts=ctx.config.unanswered_counts
    )
    items = sorted(items, key=lambda s: s.contact.name.casefold() or s.contact.primary_email)
    if args.group:
        items = [s for s in items if (s.contact.group or "").casefold() == args.group.casefold()]
    if args.json:
        output.print_json([output.standing_json(s) for s in items])
        return 0
    rows = [
        [
            s.contact.name or "-",
            ", ".join(s.contact.emails),
            s.contact.group or "-",
            output.cadence_text(s),
            output.since(s),
            output.when_due(s),
        ]
        for s in items
    ]
    if not rows:
        print("no contacts yet: add one with  keepwarm contacts add 'Name <address>'")
        return 0
    output.print_table(["NAME", "EMAILS", "GROUP", "CADENCE", "LAST TOUCH", "DUE"], rows)
    return 0


def _show(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    now = ctx.now()
    contact = contacts.resolve(ctx.store, args.contact)
    item = contacts.standing_of(
        ctx.store,
        contact,
        ctx.config.default_cadence_days,
        now,
        unanswered_counts=ctx.config.unanswered_counts,
    )
    openers = ctx.store.extras.openers(contact.id)
    rhythm = typical_gap_days(t.at for t in ctx.store.touches_for(contact.emails))
    language = contacts.language_of(ctx.store, contact, ctx.config.draft_language)
    if args.json:
        output.print_json(
            {
                **output.standing_json(item),
                "draft_language": language,
                "rhythm_days": rhythm,
                "openers": [{"id": o.id, "title": o.title, "link": o.link} for o in openers],
            }
        )
        return 0
    fields = [
        ("name", contact.name or "-"),
        ("emails", ", ".join(contact.emails)),
        ("group", contact.group or "-"),
        ("cadence", output.cadence_text(item)),
        (
            "last touch",
            f"{output.day(item.last_touch.at if item.last_touch else None, now)} ({output.since(item)})",
        ),
        ("next due", f"{output.day(item.next_due, now)} ({output.when_due(item)})"),
        ("paused", "yes" if contact.paused else "no"),
        ("snoozed until", output.day(contact.snoozed_until, now)),
        ("birthday", contact.birthday.spoken() if contact.birthday else "-"),
        ("drafts in", f"{NAMES[language]} ({_language_source(ctx, contact)})"),
        *((d.label, d.date.spoken()) for d in contact.dates),
        (
            "rhythm",
            f"you usually talk every {rhythm} days (every {as_cadence_text(rhythm)})" if rhythm else "-",
        ),
    ]
    for key, value in fields:
        print(f"{key + ':':15}{value}")
    for note in contact.notes:
        print(f"{'note:':15}{output.day(note.at, now)}  {note.text}")
    for opener in openers:
        print(f"{'opener ' + str(opener.id) + ':':15}{opener.title} {opener.link}".rstrip())
    return 0


def _language_source(ctx: Context, contact: Contact) -> str:
    """Whose choice a contact's draft language is: ``own``, ``group``, or ``DRAFT_LANGUAGE``."""
    if contact.language is not None:
        return "own"
    return "group" if contact.group in ctx.store.group_languages() else "DRAFT_LANGUAGE"


def _edit(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    edit = contacts.Edit(
        name=args.name,
        add_emails=tuple(args.add_email or ()),
        remove_emails=tuple(args.remove_email or ()),
        every=args.every,
        clear_cadence=args.default_cadence,
        group=args.group,
        clear_group=args.no_group,
        note=args.note,
        paused=True if args.pause else (False if args.resume else None),
        birthday=args.birthday,
        dates=tuple(args.date),
        max_every=args.max,
        priority=args.priority,
        language=args.language,
    )
    contact = contacts.edit_contact(ctx.store, args.contact, edit, ctx.now())
    print(f"updated {contact.label}")
    return 0


def _remove(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    contact = contacts.remove_contact(ctx.store, args.contact)
    print(f"removed {contact.label} (their history is kept; adding them again brings it back)")
    return 0


def _history(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    now = ctx.now()
    contact, touches = contacts.history(ctx.store, args.contact)
    if args.limit:
        touches = touches[-args.limit :]
    if args.json:
        output.print_json([output.touch_json(t) for t in touches])
        return 0
    if not touches:
        print(f"no touches with {contact.label} yet")
        return 0
    rows = [
        [output.day(t.at, now), t.direction.value, t.channel.value, t.address, t.subject or "-"]
        for t in touches
    ]
    output.print_table(["DATE", "DIR", "CHANNEL", "ADDRESS", "SUBJECT"], rows)
    return 0


def _due(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    now = ctx.now()
    within = parse_cadence(args.within) if args.within else UPCOMING_DAYS
    items = contacts.due_list(
        ctx.store,
        ctx.config.default_cadence_days,
        now,
        within,
        unanswered_counts=ctx.config.unanswered_counts,
    )
    if not args.all:
        shown = (DueStatus.OVERDUE, DueStatus.DUE, DueStatus.UPCOMING)
        items = [s for s in items if s.status in shown]
    why = contacts.reasons(ctx.store, items, now, within, ctx.config.owed_after)
    if args.json:
        output.print_json([{**output.standing_json(s), "why": why[s.contact.id]} for s in items])
        return 0
    if not items:
        print(f"nobody is due in the next {within} days")
        return 0
    rows = [
        [
            output.when_due(s),
            s.contact.label,
            output.since(s),
            output.cadence_text(s),
            ", ".join(why[s.contact.id]),
        ]
        for s in items
    ]
    output.print_table(["DUE", "CONTACT", "LAST TOUCH", "CADENCE", "WHY"], rows)
    return 0


def _groups(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import contacts  # loaded when a command runs, not at --help

    if args.name is not None:
        if args.language is not None:
            code = contacts.set_group_language(ctx.store, args.name, args.language)
            said = f"drafts in {NAMES[code]}" if code else "drafts in the DRAFT_LANGUAGE"
            print(f"group {args.name}: {said} (a member's own language still wins)")
        asked = (args.max, args.priority, args.language)
        if args.every is not None or args.clear or asked == (None, None, None):
            days = contacts.set_group_cadence(ctx.store, args.name, None if args.clear else args.every)
            print(f"group {args.name}: " + (format_cadence(days) if days else "uses the default cadence"))
        if args.max is not None or args.priority is not None:
            limits = contacts.set_group_limits(ctx.store, args.name, args.max, args.priority)
            longest = f"at most {format_days(limits.max_days)}" if limits.max_days else "no maximum"
            print(f"group {args.name}: {longest}, {(limits.priority or 'normal')} priority")
        return 0
    cadences = ctx.store.group_cadences()
    counts: dict[str, int] = {}
    for contact in ctx.store.contacts():
        if contact.group:
            counts[contact.group] = counts.get(contact.group, 0) + 1
    names = sorted(set(cadences) | set(counts), key=str.casefold)
    if not names:
        print("no groups yet: give a contact one with  keepwarm contacts edit NAME --group friends")
        return 0
    rows = [
        [n, str(counts.get(n, 0)), format_cadence(cadences[n]) if n in cadences else "default"] for n in names
    ]
    output.print_table(["GROUP", "CONTACTS", "CADENCE"], rows)
    return 0


def _cadence_arg(text: str) -> str:
    """Validate a cadence while parsing arguments, so the usage message explains the mistake."""
    try:
        parse_cadence(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def register(sub: Any) -> None:
    """Add these commands to the top-level subparsers."""
    _register_contacts(sub)
    _register_reports(sub)


def _register_contacts(sub: Any) -> None:
    contacts = sub.add_parser("contacts", help="add, list, show, edit and remove contacts")
    csub = contacts.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = csub.add_parser("add", help="start tracking someone", description="Track a new contact.")
    add.add_argument("contact", help='"Name <address>" or a bare address')
    add.add_argument("--every", type=_cadence_arg, metavar="DURATION", help="cadence, e.g. 3w, monthly")
    add.add_argument("--group", help="group name (groups can have their own cadence)")
    add.add_argument("--note", help="a first note")
    add.set_defaults(handler=_add)

    lst = csub.add_parser("list", help="list contacts", description="List every contact.")
    lst.add_argument("--group", help="only this group")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(handler=_list)

    show = csub.add_parser("show", help="show one contact", description="Show one contact.")
    show.add_argument("contact", help="a name or any of the contact's addresses")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=_show)

    edit = csub.add_parser("edit", help="change a contact", description="Change a contact.")
    edit.add_argument("contact", help="a name or any of the contact's addresses")
    edit.add_argument("--name", help="new display name")
    edit.add_argument("--add-email", action="append", metavar="ADDRESS", help="another address")
    edit.add_argument("--remove-email", action="append", metavar="ADDRESS", help="drop an address")
    cadence = edit.add_mutually_exclusive_group()
    cadence.add_argument("--every", type=_cadence_arg, metavar="DURATION", help="own cadence")
    cadence.add_argument("--default-cadence", action="store_true", help="use the group's or default")
    group = edit.add_mutually_exclusive_group()
    group.add_argument("--group", help="move to this group")
    group.add_argument("--no-group", action="store_true", help="leave the group")
    edit.add_argument("--note", help="add a note")
    pause = edit.add_mutually_exclusive_group()
    pause.add_argument("--pause", action="store_true", help="no reminders until resumed")
    pause.add_argument("--resume", action="store_true", help="reminders again")
    edit.add_argument("--birthday", metavar="DATE", help="1990-05-17 or 05-17; empty to clear")
    edit.add_argument(
        "--max", metavar="DURATION", help="overdue only after this (every 4w, max 6w); empty clears"
    )
    edit.add_argument(
        "--priority", choices=("high", "normal", "low"), help="who is reminded first on a busy day"
    )
    edit.add_argument(
        "--language",
        metavar="CODE",
        help="the language of drafts to them: de, en or fr (default: the group's, else DRAFT_LANGUAGE)",
    )
    edit.add_argument(
        "--date",
        metavar="NAME=DATE",
        action="append",
        default=[],
        help="a yearly date, reminded like a birthday: anniversary=06-12 (NAME= removes it); repeatable",
    )
    edit.set_defaults(handler=_edit)

    rm = csub.add_parser("remove", help="stop tracking someone", description="Remove a contact.")
    rm.add_argument("contact", help="a name or any of the contact's addresses")
    rm.set_defaults(handler=_remove)
    book.register(csub, _cadence_arg, _positive)


def _register_reports(sub: Any) -> None:
    hist = sub.add_parser("history", help="touches with one contact", description="List touches.")
    hist.add_argument("contact", help="a name or any of the contact's addresses")
    hist.add_argument("--limit", type=_positive, metavar="N", help="only the last N touches")
    hist.add_argument("--json", action="store_true", help="machine-readable output")
    hist.set_defaults(handler=_history)

    due = sub.add_parser(
        "due", help="who is overdue, due, or coming up", description="Overdue, due and upcoming."
    )
    due.add_argument("--within", type=_cadence_arg, metavar="DURATION", help="upcoming window (default 30d)")
    due.add_argument("--all", action="store_true", help="every contact, paused ones too")
    due.add_argument("--json", action="store_true", help="machine-readable output")
    due.set_defaults(handler=_due)

    groups = sub.add_parser("groups", help="list groups or set a group's cadence")
    groups.add_argument("name", nargs="?", help="the group to change")
    gc = groups.add_mutually_exclusive_group()
    gc.add_argument("--every", type=_cadence_arg, metavar="DURATION", help="the group's cadence")
    gc.add_argument("--clear", action="store_true", help="the group uses the default cadence")
    groups.add_argument(
        "--max", metavar="DURATION", help="overdue only after this (every 4w, max 6w); empty clears"
    )
    groups.add_argument(
        "--priority", choices=("high", "normal", "low"), help="who is reminded first on a busy day"
    )
    groups.add_argument(
        "--language",
        metavar="CODE",
        help="the language of drafts to its members: de, en or fr (default: DRAFT_LANGUAGE)",
    )
    groups.set_defaults(handler=_groups)
