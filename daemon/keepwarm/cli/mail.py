"""``keepwarm poll``, ``folders``, ``suggest`` and ``run``: thin shells over keepwarm.app.poll.

Libraries that take long to import are imported inside the handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepwarm.cli import output
from keepwarm.cli.context import Context
from keepwarm.errors import UsageError

if TYPE_CHECKING:
    from keepwarm.app.poll import PollReport

log = logging.getLogger("keepwarm")


class _ProgressPrinter:
    """A progress bar on a terminal; otherwise a log line at most every 10 seconds."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._last_log = float("-inf")  # not 0.0: monotonic time starts near 0 at boot

    def __call__(self, folder: str, done: int, total: int) -> None:
        if self._tty:
            filled = int(30 * done / total) if total else 30
            sys.stderr.write(f"\r{folder}: [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif time.monotonic() - self._last_log >= 10 or done >= total:
            self._last_log = time.monotonic()
            log.info("%s: %d of %d new messages read", folder, done, total)


def _poll_once(ctx: Context, progress: Callable[[str, int, int], None] | None) -> PollReport:
    """The daemon's own poll (commands, settling, bookkeeping), then delivery of its answers."""
    from keepwarm.runtime import wiring

    service = wiring.build_service(ctx.config, ctx.store)
    now = ctx.now()
    report = service.poll(now, progress=progress)
    if service.settings.can_send:
        service.deliver(now)
    return report


def _calendars(ctx: Context) -> list[str]:
    """Read every calendar of CALENDARS; one line each (and one per event it could not read)."""
    from keepwarm.runtime import calendars

    lines = []
    for cal in calendars.sync_all(ctx.config, ctx.store, ctx.now()):
        if cal.error:
            lines.append(f"calendar {cal.name}: not read: {cal.error}")
            continue
        lines.append(
            f"calendar {cal.name}: {cal.added} touches added, {cal.removed} removed, "
            f"{cal.upcoming} meetings to come, problems {len(cal.problems)}"
        )
        lines += [f"  problem: {p}" for p in cal.problems]
    return lines


def _poll(args: argparse.Namespace, ctx: Context) -> int:
    calendar_lines = _calendars(ctx) if ctx.config.calendars else []
    if not args.json:
        for line in calendar_lines:
            print(line)
    if calendar_lines and ctx.config.imap.host is None:
        return 0  # calendars only: no mailbox is set up to read
    report = _poll_once(ctx, None if args.quiet else _ProgressPrinter())
    if args.json:
        output.print_json(
            {
                "folders": report.folders,
                "touches": dict(report.touches),
                "skipped": dict(report.skipped),
                "new_contacts": report.new_contacts,
                "cadence_changes": report.cadence_changes,
                "resynced": report.resynced,
                "problems": report.problems,
                "calendars": calendar_lines,
            }
        )
        return 0
    tracked = {a: c for c in ctx.store.contacts() for a in c.emails}
    for line in output.poll_summary(report, tracked, everyone=args.verbose):
        print(line)
    return 0


def _folders(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.runtime import wiring

    synced = ctx.store.folder_states()
    listed = []
    for account in ctx.config.accounts:
        mailbox = wiring.open_mailbox(ctx.config, account)
        try:
            choices = mailbox.folder_choices(account.folders)
        finally:
            mailbox.close()
        for c in choices:
            state = synced.get(account.state_key(c.name))
            listed.append((account.name, c, state[1] if state else None))
    if args.json:
        output.print_json(
            [
                {
                    "account": name,
                    "name": c.name,
                    "role": c.role,
                    "watched": c.watched,
                    "why": c.why,
                    "last_uid": uid,
                }
                for name, c, uid in listed
            ]
        )
        return 0
    several = len(ctx.config.accounts) > 1
    rows = [
        [
            *([name] if several else []),
            "yes" if c.watched else "",
            c.name,
            "-" if uid is None else str(uid),
            c.why,
        ]
        for name, c, uid in listed
    ]
    output.print_table([*(["MAILBOX"] if several else []), "WATCHED", "FOLDER", "LAST UID", "WHY"], rows)
    return 0


def _suggest(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app.contacts import suggestions

    found = suggestions(
        ctx.store, ctx.now(), min_sent=args.min_sent, min_received=args.min_received, limit=args.limit
    )
    if args.json:
        output.print_json(
            [
                {
                    "address": s.address,
                    "name": s.name,
                    "sent": s.sent,
                    "received": s.received,
                    "last_touch": s.last_touch.isoformat(),
                    "score": s.score,
                    "proposed_cadence": proposed,
                }
                for s, proposed in found
            ]
        )
        return 0
    if not found:
        print("no suggestions: nobody untracked you write to and hear from (run keepwarm poll first)")
        return 0
    now = ctx.now()
    rows = [
        [s.name or "-", s.address, str(s.sent), str(s.received), output.day(s.last_touch, now)]
        for s, _ in found
    ]
    output.print_table(["NAME", "ADDRESS", "SENT", "RECEIVED", "LAST"], rows)
    print("\ntrack someone with:  keepwarm contacts add 'Name <address>' --every 6w")
    return 0


def _explain(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app.explain import explain
    from keepwarm.render.engine import Renderer
    from keepwarm.runtime.wiring import settings_for

    if args.message == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(args.message).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.message}: {exc.strerror}") from None
    settings = settings_for(ctx.config)
    found = explain(ctx.store, Renderer(ctx.config.template_dir), settings, raw, ctx.now())
    if args.json:
        output.print_json(found)
        return 0
    verdict = "yes" if found["authenticated"] else "no"
    print(f"from:            {found['from'] or '-'} (the owner, authenticated: {verdict})")
    for reason in found["reasons"]:
        print(f"                 - {reason}")
    print(f"automatic mail:  {'yes: never answered' if found['automatic'] else 'no'}")
    if found["answers_a_keepwarm_message"]:
        about = ", ".join(f"{n} = {label}" for n, label in found["about"].items()) or "nobody in particular"
        print(f"answers:         a message of keepwarm's, about {about}")
    print("new text:")
    for line in found["new_text"].splitlines() or ["(empty)"]:
        print(f"  | {line}")
    print("commands:" if found["commands"] else "commands:        none")
    for command in found["commands"]:
        arguments = "  ".join(f"{k}={v}" for k, v in command.items() if k != "verb")
        print(f"  {command['verb']:<10}{arguments}".rstrip())
    if found["error"]:
        print(f"answer:          {found['error']}")
    for line in found["changes"]:
        print(f"would:           {line}")
    if not found["would_apply"]:
        print("nothing would be applied")
    return 0


def register(sub: Any) -> None:
    """Add the mail commands to the top-level subparsers."""
    poll = sub.add_parser(
        "poll", help="read new mail once and record touches", description="Run one poll now."
    )
    poll.add_argument("--json", action="store_true", help="machine-readable report")
    poll.add_argument("--quiet", action="store_true", help="no progress output")
    poll.add_argument("--verbose", action="store_true", help="every correspondent, not only the top 10")
    poll.set_defaults(handler=_poll)

    folders = sub.add_parser("folders", help="the mailbox's folders, and which are watched")
    folders.add_argument("--json", action="store_true", help="machine-readable output")
    folders.set_defaults(handler=_folders)

    sug = sub.add_parser(
        "suggest", help="people you write with but do not track", description="Suggest contacts."
    )
    sug.add_argument("--min-sent", type=int, default=2, metavar="N", help="at least N mails from you (2)")
    sug.add_argument("--min-received", type=int, default=1, metavar="N", help="at least N to you (1)")
    sug.add_argument("--limit", type=int, default=20, metavar="N", help="show at most N (20)")
    sug.add_argument("--json", action="store_true", help="machine-readable output")
    sug.set_defaults(handler=_suggest)

    exp = sub.add_parser(
        "explain",
        help="what keepwarm reads in one message, and what it would do (applies nothing)",
        description="Read a message as keepwarm would: its new text, commands, authentication, changes.",
    )
    exp.add_argument("message", help="a file holding the whole message (.eml), or - for standard input")
    exp.add_argument("--json", action="store_true", help="machine-readable output")
    exp.set_defaults(handler=_explain)
