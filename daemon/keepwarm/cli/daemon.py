"""``keepwarm run``, ``remind``, ``status`` and ``templates``: thin shells over the runtime.

Libraries that take long to import are imported inside the handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from keepwarm import config as config_module
from keepwarm.cli import output
from keepwarm.cli.context import Context
from keepwarm.errors import UsageError


def _run(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.runtime.loop import Daemon

    ctx.config.require_mail()
    daemon = Daemon(lambda: config_module.load(ctx.env_file))
    return daemon.run()


def _remind(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import reminders
    from keepwarm.runtime import wiring

    now = ctx.now()
    if args.action == "add":
        return _remind_add(args, ctx)
    if not (args.now or args.dry_run):
        raise UsageError("say --now, --dry-run, or add NAME DATE TEXT")
    service = wiring.build_service(ctx.config, ctx.store)
    if args.dry_run:
        messages = reminders.run(ctx.store, service.renderer, service.settings, now, dry_run=True)
        held = reminders.held_back(ctx.store, service.settings, now)
        if not messages:
            print("no reminder would be sent now" if held else "nobody is due: no reminder would be sent")
        for msg in messages:
            output.print_message(msg)
        if args.html is not None and messages:
            output.write_html(messages, args.html)
            print(f"the HTML part{'s' if len(messages) > 1 else ''} written to {args.html}")
        output.print_held_back(held, service.settings.cap)
        return 0
    count, report = service.remind(now)
    print(
        f"queued {count} reminder message{'' if count == 1 else 's'}; sent {len(report.sent)}, "
        f"retrying {len(report.retrying)}, failed {len(report.failed)}"
    )
    output.print_held_back(reminders.held_back(ctx.store, service.settings, now), service.settings.cap)
    return 0


def _remind_add(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import dated

    if len(args.words) < 2:
        raise UsageError(
            "remind add NAME DATE [TEXT]: e.g. remind add Alice 2027-03-11 ask how the move went"
        )
    added = dated.add(
        ctx.store,
        args.words[0],
        args.words[1],
        " ".join(args.words[2:]),
        ctx.now(),
        unless_answered=args.unless_answered,
    )
    print(f"you will be reminded on {added.on:%A %-d %B %Y}" + (f": {added.text}" if added.text else ""))
    return 0


def _status(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app.status import describe_sender_check, report
    from keepwarm.runtime.wiring import settings_for

    data = report(ctx.store, settings_for(ctx.config), ctx.now())
    if args.json:
        output.print_json(data)
        return 0
    now = ctx.now()
    print(f"last poll:          {output.when(data['last_poll'], now)}")
    print(f"last reminder run:  {output.when(data['last_reminder_run'], now)}")
    print(f"contacts:           {data['contacts']}")
    print(f"touches:            {data['touches']}")
    skipped = data["skipped"]
    print(
        f"skipped messages:   {sum(skipped.values())}"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(skipped.items()))})" if skipped else "")
    )
    print(f"outbox pending:     {data['outbox_pending']}")
    print(f"sender check:       {describe_sender_check(data['sender_check'])}")
    if len(data["mailboxes"]) > 1:
        for box in data["mailboxes"]:
            read = ", ".join(sorted(box["folders"])) or "not read yet"
            problem = f"; last error: {box['last_error']}" if box["last_error"] else ""
            print(f"mailbox {box['name'] + ':':11}{read}{problem}")
    _print_sources(data, now)
    if data["answers_held"]:
        at = output.day_time(data["answers_released_at"], now)
        count = data["answers_held"]
        print(f"answers held:       {count} (MAX_REPLIES_PER_HOUR reached; they go out together at {at})")
    if data["reauthorisation_needed"]:
        print("ATTENTION:          re-authorisation needed: run 'keepwarm auth google' (or microsoft)")
    for item in data["outbox_failed"]:
        print(f"failed to send:     {item['subject']}: {item['error']}")
    current = [e for e in data["recent_errors"] if not e["cleared"]]
    for error in current:
        print(f"error:              {output.day_time(error['at'], now)}: {error['error']}")
    if len(current) < len(data["recent_errors"]):
        over = len(data["recent_errors"]) - len(current)
        print(f"earlier errors:     {over}, each followed by a success (status --json lists them)")
    return 0


def _print_sources(data: dict[str, Any], now: datetime) -> None:
    """The address books' and calendars' lines of ``keepwarm status``."""
    for book in data["addressbooks"]:
        line = f"synced {output.when(book['synced_at'], now)}" + (
            f"; error: {book['error']}" if book["error"] else ""
        )
        print(f"{'address book ' + book['name'] + ':':20}{line}")
        for gone in book["gone"]:
            print(f"{'  removed upstream:':20}{gone}")
    for cal in data["calendars"]:
        line = f"synced {output.when(cal['synced_at'], now)}" + (
            f"; error: {cal['error']}" if cal["error"] else ""
        )
        print(f"{'calendar ' + cal['name'] + ':':20}{line}")
        for problem in cal["problems"]:
            print(f"{'  problem:':20}{problem}")
    for line in data["seeing"]:
        print(f"{'meeting ahead:':20}{line} (reminder held)")


def _templates_check(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.render import samples
    from keepwarm.render.engine import Renderer

    renderer = Renderer(ctx.config.template_dir)
    now = ctx.now()
    problems = samples.check_templates(renderer, now, ctx.config.owner_name)
    for name in renderer.template_names():
        status = "FAIL" if any(p.startswith(renderer.source_path(name)) for p in problems) else "ok"
        print(f"{status:4}  {renderer.source_path(name)}")
    for problem in problems:
        print(f"error: {problem}")
    return 1 if problems else 0


def _templates_render(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import reminders
    from keepwarm.render.engine import Renderer
    from keepwarm.runtime import wiring

    renderer = Renderer(ctx.config.template_dir)
    msg = reminders.preview_for(ctx.store, renderer, wiring.settings_for(ctx.config), args.contact, ctx.now())
    if args.raw:
        print(msg.as_string())
        return 0
    output.print_message(msg)
    if args.html is not None:
        output.write_html([msg], args.html)
        print(f"the HTML part written to {args.html}")
    return 0


def _overview(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import overview
    from keepwarm.runtime import wiring

    if not (args.preview or args.send):
        raise UsageError("say --preview (print it, change nothing) or --send (send it now)")
    service = wiring.build_service(ctx.config, ctx.store)
    now = ctx.now()
    if args.preview:
        msg = overview.preview(ctx.store, service.renderer, service.settings, now)
        output.print_message(msg)
        if args.html is not None:
            output.write_html([msg], args.html)
            print(f"the HTML part written to {args.html}")
        return 0
    report = service.overview(now)
    print(
        f"the overview is sent to {service.settings.owner_address}"
        if report.sent
        else "the overview is queued"
    )
    return 0


def _demo(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.demo import script  # its servers' libraries load only for the demo

    return script.run(print, keep=args.keep)


def _check(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.runtime import check

    results = check.run_checks(ctx.env_file)
    for item in results:
        print(f"{'PASS' if item.ok else 'FAIL'}  {item.name}: {item.detail}")
    return 0 if all(item.ok for item in results) else 1


def _away(args: argparse.Namespace, ctx: Context) -> int:
    from keepwarm.app import away

    if args.off:
        away.come_back(ctx.store, ctx.now())
    elif args.until:
        back = away.go_away(ctx.store, " ".join(args.until), ctx.now())
        print(
            f"no reminders until {back:%A %-d %B %Y}; then one catch-up digest (keepwarm away --off ends it)"
        )
        return 0
    until = away.away_until(ctx.store, ctx.now())
    print(f"away until {until:%A %-d %B %Y}" if until else "not away: reminders are on")
    return 0


def register(sub: Any) -> None:
    """Add the runtime commands to the top-level subparsers."""
    run = sub.add_parser("run", help="run the daemon: poll, remind, answer", description="Run until stopped.")
    run.set_defaults(handler=_run)

    remind = sub.add_parser(
        "remind", help="run the reminder job now", description="Send today's reminders now."
    )
    remind.add_argument(
        "action", nargs="?", choices=("add",), help="add: a dated reminder (remind add NAME DATE TEXT)"
    )
    remind.add_argument("words", nargs="*", metavar="NAME DATE TEXT", help="with add: who, when, and what")
    mode = remind.add_mutually_exclusive_group()
    mode.add_argument("--now", action="store_true", help="queue and send the reminders now")
    mode.add_argument("--dry-run", action="store_true", help="print what would be sent; change nothing")
    remind.add_argument(
        "--unless-answered", action="store_true", help="with add: drop it if they write to you before then"
    )
    remind.add_argument(
        "--html", type=Path, metavar="FILE", help="with --dry-run: write the HTML parts to FILE"
    )
    remind.set_defaults(handler=_remind)

    away = sub.add_parser(
        "away",
        help="hold reminders back while you are away (one catch-up digest after)",
        description="No reminders until DATE; commands by mail still work. Without DATE: say whether away.",
    )
    away.add_argument("until", nargs="*", metavar="DATE", help="2027-01-05, 5 January, monday…")
    away.add_argument("--off", action="store_true", help="back now: reminders on again")
    away.set_defaults(handler=_away)

    over = sub.add_parser(
        "overview",
        help="preview or send the weekly overview now",
        description="The weekly overview (OVERVIEW=weekly sends it on OVERVIEW_DAY), now.",
    )
    how = over.add_mutually_exclusive_group()
    how.add_argument("--preview", action="store_true", help="print it as read; change nothing")
    how.add_argument("--send", action="store_true", help="send it to you now")
    over.add_argument("--html", type=Path, metavar="FILE", help="with --preview: write the HTML part to FILE")
    over.set_defaults(handler=_overview)

    demo = sub.add_parser(
        "demo",
        help="see the whole loop on private loopback mail servers (no set-up)",
        description="Run keepwarm against an embedded IMAP and SMTP server on 127.0.0.1.",
    )
    demo.add_argument("--keep", action="store_true", help="leave the servers running to explore them")
    demo.set_defaults(handler=_demo)

    check = sub.add_parser(
        "check", help="try the configuration, logins, folders and templates", description="Check the set-up."
    )
    check.set_defaults(handler=_check)

    status = sub.add_parser("status", help="last poll, last reminders, counts, outbox, errors")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_status)

    templates = sub.add_parser("templates", help="check or preview the templates")
    tsub = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = tsub.add_parser("check", help="render every template against sample data")
    check.set_defaults(handler=_templates_check)
    render = tsub.add_parser("render", help="print what a contact's reminder would say")
    render.add_argument("contact", help="a name or any of the contact's addresses")
    render.add_argument("--html", type=Path, metavar="FILE", help="also write the HTML part to FILE")
    render.add_argument("--raw", action="store_true", help="the whole message as sent (MIME), not the text")
    render.set_defaults(handler=_templates_render)
