"""``keepwarm init``: ask (or take flags), try each login after its questions, write the env file
with mode 0600, and end with the one next step."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keepwarm import config as config_module
from keepwarm.cli.asking import Asker, server, settle
from keepwarm.cli.context import Context
from keepwarm.config import convert, onboarding
from keepwarm.domain.authres import servid_label
from keepwarm.errors import UsageError
from keepwarm.runtime import trial
from keepwarm.runtime.trial import Trial


def _answers(args: argparse.Namespace) -> tuple[dict[str, str], list[Trial]]:
    """Every answer, each server's login tried right after its questions (unless --no-test)."""
    ask = Asker(args)
    emails = ask(
        "email",
        "Your email addresses, comma-separated (the first gets the reminders)",
        check=convert.addresses,
    )
    if not emails:
        raise UsageError("give at least your email address (--email)")
    first = emails.split(",")[0].strip()
    preset = onboarding.preset_for(first, args.provider)
    if preset.note:
        print(f"note: {preset.note}")  # before the password is asked: "use an app password"
    values = {
        "OWNER_NAME": ask("owner_name", "Your name"),
        "OWNER_EMAILS": emails,
        "DAEMON_ADDRESS": ask(
            "daemon_address",
            "keepwarm's address (BCC it, reply to it)",
            onboarding.daemon_address_for(first),
            check=convert.address,
        ),
    }
    # Made now, written last: the SMTP login is tried through the sender, which needs it.
    secret = onboarding.new_secret()

    def env(answers: dict[str, str]) -> str:
        return onboarding.render_env(values | answers | {"SECRET": secret})

    trials = []
    imap = server(ask, "imap", preset.imap, first)
    if not args.no_test:
        trials.append(settle(ask, "IMAP", imap, lambda answers: trial.imap(env(answers))))
    values |= imap
    # The SMTP login is asked too (the IMAP one is its default): most providers use one login for
    # both, and then its password is not asked twice.
    smtp_user = ask("smtp_user", "SMTP login", values["IMAP_USER"])
    args.smtp_user = smtp_user
    if smtp_user == values["IMAP_USER"] and not args.smtp_password and not args.smtp_password_command:
        args.smtp_password = values.get("IMAP_PASSWORD") or args.imap_password
        args.smtp_password_command = values.get("IMAP_PASSWORD_COMMAND")
    smtp = server(ask, "smtp", preset.smtp, smtp_user)
    if not args.no_test:
        trials.append(settle(ask, "SMTP", smtp, lambda answers: trial.smtp(env(answers))))
    values |= smtp
    zone = config_module.loader.system_timezone().key
    values["TIMEZONE"] = ask("timezone", "Time zone", zone, check=convert.timezone)
    values["REMINDER_TIME"] = ask("reminder_time", "Reminders at (HH:MM)", "08:30", check=convert.time_of_day)
    values["SAVE_DRAFTS"] = ask(
        "save_drafts",
        "Also put each reminder's draft in your Drafts folder, ready to send (yes, no)",
        "no",
        choices=("yes", "no"),
    )
    if args.state_dir:
        values["STATE_DIR"] = args.state_dir
    values["AUTH_SERVID"] = ask(
        "auth_servid",
        "Your provider's authserv-id, to tell your mail from forgeries (blank: learn it from a reply)",
        preset.servid or "",
        check=convert.servid,
    )
    values["SECRET"] = secret
    return values, trials


def _account_answers(
    args: argparse.Namespace, target: Path, current: config_module.Config
) -> tuple[dict[str, str], Trial | None]:
    """The keys of one more mailbox (``--add-account NAME``), and the settings that name it; its
    login tried right after its questions (unless --no-test)."""
    name = convert.account_names(args.add_account)[0]
    if name in current.account_names:
        raise UsageError(f"a mailbox named {name} is already set up (KEEPWARM_ACCOUNTS)")
    ask = Asker(args)
    address = ask("email", f"The address of your {name} mailbox", check=convert.address)
    if "@" not in address:
        raise UsageError("give the mailbox's address (--email)")
    preset = onboarding.preset_for(address, args.provider)
    owners = current.owner_emails + (() if address.lower() in current.owner_emails else (address.lower(),))
    values = {"ACCOUNTS": ",".join((*current.account_names, name)), "OWNER_EMAILS": ",".join(owners)}
    original = target.read_text(encoding="utf-8")

    def env(answers: dict[str, str]) -> str:
        return onboarding.update_env(
            original, values | {f"{name.upper()}_{k}": v for k, v in answers.items()}
        )

    imap = server(ask, "imap", preset.imap, address)
    tried = None
    if not args.no_test:
        tried = settle(ask, f"IMAP {name}", imap, lambda answers: trial.imap(env(answers), name))
    values |= {f"{name.upper()}_{key}": value for key, value in imap.items()}
    servid = ask("auth_servid", "Its provider's authserv-id (blank: none)", preset.servid or "")
    values[f"{name.upper()}_AUTH_SERVID"] = servid
    return values, tried


def _add_account(args: argparse.Namespace, target: Path) -> int:
    """Add a mailbox to an existing env file: ask, try its login, rewrite the file in place."""
    if not target.is_file():
        raise UsageError(f"{target} does not exist: run keepwarm init first, then --add-account")
    current = config_module.load(env_file=target, environ={})
    values, tried = _account_answers(args, target, current)
    text = onboarding.update_env(target.read_text(encoding="utf-8"), values)
    name = values["ACCOUNTS"].rsplit(",", 1)[1]
    failed = tried is not None and not tried.ok
    if failed and not args.force and not Asker(args).interactive:
        print(f"nothing written (fix the answers, or use --force to write {target} anyway)")
        return 1
    onboarding.write_env(target, text, force=True)
    print(f"added the {name} mailbox to {target}; the daemon reads it after a restart or SIGHUP")
    return 0


def _next_step(target: Path, trials: list[Trial], tested: bool) -> str:
    """The one thing to do after init: the first poll, or trying what init could not."""
    here = target.resolve() == Path(".env").resolve()
    command = "keepwarm" if here else f"keepwarm --env-file {target}"
    if not tested:
        return f"Next: {command} check  (tries the logins, which init did not)"
    if any(not t.ok for t in trials):
        return f"Next: {command} check  (tries the logins again, once you have fixed them in {target})"
    return f"Next: {command} poll  (reads your mail for the first time; takes a few minutes)"


def _init(args: argparse.Namespace, ctx: Context) -> int:
    target = Path(args.output) if args.output else (ctx.env_file or Path(".env"))
    if args.add_account:
        return _add_account(args, target)
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; use --force to replace it")
    values, trials = _answers(args)
    text = onboarding.render_env(values)
    problems = trial.problems(text)
    for problem in problems:
        print(f"FAIL  configuration: {problem}")
    failed = [t for t in trials if not t.ok]
    # At a terminal a failed login was the user's to skip; unattended, it stops the writing.
    if (problems or (failed and not Asker(args).interactive)) and not args.force:
        print(f"nothing written (fix the settings, or use --force to write {target} anyway)")
        return 1
    onboarding.write_env(target, text, force=True)
    untested = " (untested: a login did not work)" if failed else ""
    print(f"wrote {target} (mode 0600){untested}")
    if values.get("AUTH_SERVID"):
        label = servid_label(values["AUTH_SERVID"])
        print(f"mail from you must pass the check stamped by {label} (KEEPWARM_AUTH_SERVID)")
    else:
        print(
            "keepwarm learns your provider's authentication stamp from your first reply to one of its "
            "messages; until then, adding people and sharing by mail wait for such a reply"
        )
    print(_next_step(target, trials, tested=not args.no_test))
    return 0


def register(sub: Any) -> None:
    """Add ``init`` to the top-level subparsers."""
    init = sub.add_parser(
        "init", help="set keepwarm up: addresses, servers, logins", description="Write an env file."
    )
    init.add_argument(
        "--output", metavar="PATH", help="the env file to write (default: --env-file or ./.env)"
    )
    init.add_argument(
        "--add-account",
        metavar="NAME",
        help="add one more mailbox (e.g. work) to the existing env file, keeping the rest",
    )
    init.add_argument("--non-interactive", action="store_true", help="ask nothing: flags and defaults only")
    init.add_argument("--force", action="store_true", help="write even if a check fails or the file exists")
    init.add_argument("--no-test", action="store_true", help="do not try the logins")
    init.add_argument("--provider", choices=sorted(onboarding.PRESETS), help="server presets to propose")
    init.add_argument("--owner-name", metavar="NAME")
    init.add_argument("--email", metavar="ADDRESSES", help="your addresses, comma-separated")
    init.add_argument("--daemon-address", metavar="ADDRESS")
    for proto in ("imap", "smtp"):
        init.add_argument(f"--{proto}-host", metavar="HOST")
        init.add_argument(f"--{proto}-port", metavar="PORT")
        init.add_argument(f"--{proto}-security", choices=("ssl", "starttls", "none"))
        init.add_argument(f"--{proto}-user", metavar="LOGIN")
        init.add_argument(f"--{proto}-password", metavar="PASSWORD", help="prefer --*-password-command")
        init.add_argument(f"--{proto}-password-command", metavar="COMMAND")
        init.add_argument(f"--{proto}-ca-file", metavar="PEM")
    init.add_argument("--timezone", metavar="ZONE")
    init.add_argument("--reminder-time", metavar="HH:MM")
    init.add_argument("--state-dir", metavar="DIR")
    init.add_argument(
        "--save-drafts",
        choices=("yes", "no"),
        help="put each reminder's draft in your Drafts folder too (default: no)",
    )
    init.add_argument(
        "--auth-servid",
        metavar="ID",
        help="who stamps Authentication-Results on your mail (default: known for the big providers)",
    )
    init.set_defaults(handler=_init)
