"""``keepwarm contacts import|export|drop-opener``: address books in and out, and openers.

Libraries that take long to import are imported inside the handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from keepwarm.cli.context import Context
from keepwarm.errors import TransientError, UsageError


def _import(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.addressbook import exchange
    from keepwarm.app import contacts

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    kind = args.format or _kind(args.file)
    if kind == "json":
        return _restore(args, ctx, text)
    read = exchange.read_csv if kind == "csv" else exchange.read_vcards
    records, problems = read(text, ctx.now())
    plan = contacts.import_records(
        ctx.store, records, ctx.now(), every=args.every, group=args.group, dry_run=args.dry_run
    )
    for problem in [*problems, *plan.problems]:
        print(f"  problem: {problem}")
    verb = "would add" if args.dry_run else "added"
    print(
        f"{verb} {len(plan.new)}, {'would update' if args.dry_run else 'updated'} {len(plan.updated)}, "
        f"unchanged {plan.unchanged}, problems {len(problems) + len(plan.problems)}"
    )
    _changes([c.label for c in plan.new], [c.label for c in plan.updated])
    return 0


def _changes(
    added: list[str], updated: list[str], gone: Sequence[str] = (), problems: Sequence[str] = ()
) -> None:
    """One line per contact added (+), updated (~) or whose card went (-), then the problems."""
    for mark, lines in (("+ ", added), ("~ ", updated), ("- ", gone), ("problem: ", problems)):
        for line in lines:
            print(f"  {mark}{line}")


def _kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {".csv": "csv", ".json": "json"}.get(suffix, "vcard")


def _restore(args: argparse.Namespace, ctx: Context, text: str) -> int:
    """A JSON backup goes whole into an empty store, or not at all."""
    from keepwarm.addressbook import exchange
    from keepwarm.app import backup

    if args.every or args.group:
        raise UsageError(f"{args.file}: a backup is restored as it is: --every and --group do not apply")
    try:
        tables = exchange.read_backup(text)
    except exchange.BackupFileError as exc:
        raise UsageError(f"{args.file}: not restored: {exc}") from None
    held = backup.restore(ctx.store, tables, args.file, dry_run=args.dry_run)
    print(f"{'would restore' if args.dry_run else 'restored'} {backup.describe(held)} from {args.file}")
    return 0


def _export(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.addressbook import exchange

    contacts = ctx.store.contacts()
    if args.format == "vcard":
        text = exchange.to_vcards(contacts)
    elif args.format == "csv":
        text = exchange.to_csv(contacts)
    else:
        text = exchange.to_json(contacts, ctx.store.touches(), ctx.store.backup.dump())
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(contacts)} contacts to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _sync(args: argparse.Namespace, ctx: Context) -> int:
    """Read every address book of ADDRESSBOOKS now, as the daemon does on its interval."""
    from keepwarm.runtime import books

    if not ctx.config.addressbooks:
        raise UsageError("no address book is set up: set KEEPWARM_ADDRESSBOOKS (see the README)")
    reports = books.sync_all(ctx.config, ctx.store, ctx.now())
    for report in reports:
        if report.error:
            print(f"address book {report.name}: not read: {report.error}")
            continue
        print(
            f"address book {report.name}: added {len(report.added)}, updated {len(report.updated)}, "
            f"removed upstream {len(report.gone)}, problems {len(report.problems)}"
        )
        _changes(report.added, report.updated, report.gone, report.problems)
    failed = [r.name for r in reports if r.error]
    if failed:
        raise TransientError(f"address book {', '.join(failed)} not read (the reason is above)")
    return 0


def _drop_opener(args: argparse.Namespace, ctx: Context) -> int:
    if not ctx.store.extras.drop_opener(args.number):
        raise UsageError(f"there is no opener {args.number} (see keepwarm contacts show NAME)")
    print(f"dropped opener {args.number}")
    return 0


def register(csub: Any, cadence_arg: Callable[[str], str], positive: Callable[[str], int]) -> None:
    """Add these to the ``contacts`` subcommands."""
    drop = csub.add_parser(
        "drop-opener", help="forget something kept to share", description="Drop an opener by its number."
    )
    drop.add_argument("number", type=positive, help="the opener's number, as contacts show prints it")
    drop.set_defaults(handler=_drop_opener)

    imp = csub.add_parser(
        "import",
        help="import a vCard or CSV address book, or restore a JSON backup",
        description="Import contacts (idempotent, merged into the contacts there are), or restore a "
        "backup made by export --format json into an empty store.",
    )
    imp.add_argument("file", help="a .vcf (vCard 3 or 4), .csv (Google, Outlook, keepwarm) or .json backup")
    imp.add_argument("--format", choices=("vcard", "csv", "json"), help="default: from the file name")
    imp.add_argument("--every", type=cadence_arg, metavar="DURATION", help="cadence for new contacts")
    imp.add_argument("--group", help="group for new contacts without one")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    imp.set_defaults(handler=_import)

    sync = csub.add_parser(
        "sync",
        help="read the address books (ADDRESSBOOKS) now",
        description="Bring the contacts in step with the CardDAV address books and vdir folders of "
        "ADDRESSBOOKS (read-only towards them); the daemon does this every ADDRESSBOOK_INTERVAL.",
    )
    sync.set_defaults(handler=_sync)

    exp = csub.add_parser("export", help="export contacts", description="Export contacts.")
    exp.add_argument(
        "--format", choices=("vcard", "csv", "json"), default="json", help="json is a complete backup"
    )
    exp.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    exp.set_defaults(handler=_export)
