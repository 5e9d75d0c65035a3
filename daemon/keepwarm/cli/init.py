"""``keepwarm init``: ask (or take flags), try the logins, write the env file with mode 0600."""

from __future__ import annotations

import argparse
import getpass
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keepwarm import config as config_module
from keepwarm.cli.context import Context
from keepwarm.config import convert, onboarding
from keepwarm.domain.authres import servid_label
from keepwarm.errors import UsageError

if TYPE_CHECKING:
    from keepwarm.runtime.check import Check


class _Asker:
    """Takes each answer from its flag, else asks (unless --non-interactive), else the default."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.interactive = not args.non_interactive and sys.stdin.isatty()

    def __call__(
        self,
        flag: str,
        question: str,
        default: str = "",
        *,
        secret: bool = False,
        choices: tuple[str, ...] = (),
    ) -> str:
        given = getattr(self.args, flag, None)
        if given not in (None, ""):
            return str(given)
        if not self.interactive:
            return default
        shown = f" [{default}]" if default and not secret else ""
        while True:
            answer = getpass.getpass(f"{question}: ") if secret else input(f"{question}{shown}: ")
            answer = answer.strip() or default
            if not choices or answer in choices:
                return answer
            # Only what the settings accept is offered, and only that is taken.
            print(f"  please answer {' or '.join(choices)}")


def _server(ask: _Asker, proto: str, preset: tuple[str, int, str], user: str) -> dict[str, str]:
    name = proto.upper()
    values = {
        f"{name}_HOST": ask(f"{proto}_host", f"{name} server", preset[0]),
        f"{name}_PORT": ask(f"{proto}_port", f"{name} port", str(preset[1])),
        f"{name}_SECURITY": ask(
            f"{proto}_security", f"{name} security (ssl, starttls)", preset[2], choices=("ssl", "starttls")
        ),
        f"{name}_USER": ask(f"{proto}_user", f"{name} login", user),
        f"{name}_CA_FILE": ask(f"{proto}_ca_file", f"{name} extra CA file (blank for none)", ""),
    }
    command = getattr(ask.args, f"{proto}_password_command", None)
    if command:
        values[f"{name}_PASSWORD_COMMAND"] = command
    else:
        values[f"{name}_PASSWORD"] = ask(f"{proto}_password", f"{name} password", secret=True)
    return values


def _answers(args: argparse.Namespace) -> tuple[dict[str, str], str]:
    ask = _Asker(args)
    emails = ask("email", "Your email addresses, comma-separated (the first gets the reminders)")
    if not emails:
        raise UsageError("give at least your email address (--email)")
    first = emails.split(",")[0].strip()
    preset = onboarding.preset_for(first, args.provider)
    values = {
        "OWNER_NAME": ask("owner_name", "Your name"),
        "OWNER_EMAILS": emails,
        "DAEMON_ADDRESS": ask(
            "daemon_address", "keepwarm's address (BCC it, reply to it)", onboarding.daemon_address_for(first)
        ),
    }
    values |= _server(ask, "imap", preset.imap, first)
    # The SMTP login is asked too (the IMAP one is its default): most providers use one login for
    # both, and then its password is not asked twice.
    smtp_user = ask("smtp_user", "SMTP login", values["IMAP_USER"])
    args.smtp_user = smtp_user
    if smtp_user == values["IMAP_USER"] and not args.smtp_password and not args.smtp_password_command:
        args.smtp_password = values.get("IMAP_PASSWORD") or args.imap_password
        args.smtp_password_command = args.imap_password_command
    values |= _server(ask, "smtp", preset.smtp, smtp_user)
    values["TIMEZONE"] = ask("timezone", "Time zone", config_module.loader.system_timezone().key)
    values["REMINDER_TIME"] = ask("reminder_time", "Reminders at (HH:MM)", "08:30")
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
    )
    values["SECRET"] = onboarding.new_secret()
    return values, preset.note


def _try(text: str) -> list[Check]:
    from keepwarm.runtime import check

    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp, "candidate.env")
        candidate.write_text(text)
        return check.run_checks(candidate)


def _account_answers(args: argparse.Namespace, current: config_module.Config) -> dict[str, str]:
    """The keys of one more mailbox (``--add-account NAME``), and the settings that name it."""
    name = convert.account_names(args.add_account)[0]
    if name in current.account_names:
        raise UsageError(f"a mailbox named {name} is already set up (KEEPWARM_ACCOUNTS)")
    ask = _Asker(args)
    address = ask("email", f"The address of your {name} mailbox")
    if "@" not in address:
        raise UsageError("give the mailbox's address (--email)")
    preset = onboarding.preset_for(address, args.provider)
    imap = _server(ask, "imap", preset.imap, address)
    values = {f"{name.upper()}_{key}": value for key, value in imap.items()}
    servid = ask("auth_servid", "Its provider's authserv-id (blank: none)", preset.servid or "")
    values[f"{name.upper()}_AUTH_SERVID"] = servid
    values["ACCOUNTS"] = ",".join((*current.account_names, name))
    owners = current.owner_emails + (() if address.lower() in current.owner_emails else (address.lower(),))
    values["OWNER_EMAILS"] = ",".join(owners)
    return values


def _add_account(args: argparse.Namespace, target: Path) -> int:
    """Add a mailbox to an existing env file: ask, try its login, rewrite the file in place."""
    if not target.is_file():
        raise UsageError(f"{target} does not exist: run keepwarm init first, then --add-account")
    current = config_module.load(env_file=target, environ={})
    values = _account_answers(args, current)
    text = onboarding.update_env(target.read_text(encoding="utf-8"), values)
    name = values["ACCOUNTS"].rsplit(",", 1)[1]
    failed = False
    if not args.no_test:
        for check in _try(text):
            if check.name == f"IMAP {name}":
                print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
                failed = not check.ok
    if failed and not args.force:
        print(f"nothing written (fix the answers, or use --force to write {target} anyway)")
        return 1
    onboarding.write_env(target, text, force=True)
    print(f"added the {name} mailbox to {target}; the daemon reads it after a restart or SIGHUP")
    return 0


def _init(args: argparse.Namespace, ctx: Context) -> int:
    target = Path(args.output) if args.output else (ctx.env_file or Path(".env"))
    if args.add_account:
        return _add_account(args, target)
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; use --force to replace it")
    values, note = _answers(args)
    if note:
        print(f"note: {note}")
    text = onboarding.render_env(values)
    failed = []
    if not args.no_test:
        for check in _try(text):
            print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
            if not check.ok and check.name != "state file":
                failed.append(check.name)
    if failed and not args.force:
        confirm = (
            _Asker(args).interactive
            and input("Some checks failed. Write the file anyway? [y/N] ").lower() == "y"
        )
        if not confirm:
            print(f"nothing written (fix the settings, or use --force to write {target} anyway)")
            return 1
    onboarding.write_env(target, text, force=True)
    print(f"wrote {target} (mode 0600); next: keepwarm --env-file {target} check")
    if values.get("AUTH_SERVID"):
        label = servid_label(values["AUTH_SERVID"])
        print(f"mail from you must pass the check stamped by {label} (KEEPWARM_AUTH_SERVID)")
    else:
        print(
            "keepwarm learns your provider's authentication stamp from your first reply to one of its "
            "messages; until then, adding people and sharing by mail wait for such a reply"
        )
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
