"""The command line: parse arguments, call library code, and turn errors into exit codes (only here).

User errors print one line on stderr; a bug prints its traceback, because that is what a bug
report needs. ``--debug`` adds debug logging and tracebacks for user errors too.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from keepwarm import __version__, logs
from keepwarm.cli import auth, contacts, daemon, init, mail
from keepwarm.cli.context import Context
from keepwarm.errors import ConfigError, KeepwarmError

log = logging.getLogger("keepwarm")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; every command has --help."""
    parser = argparse.ArgumentParser(
        prog="keepwarm",
        description="Keep in touch with the people who matter, from your own mailbox.",
    )
    parser.add_argument("--env-file", type=Path, metavar="PATH", help="settings file (default ./.env)")
    parser.add_argument("--debug", action="store_true", help="debug logging and full tracebacks")
    parser.add_argument("--version", action="version", version=f"keepwarm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    contacts.register(sub)
    mail.register(sub)
    daemon.register(sub)
    init.register(sub)
    auth.register(sub)
    return parser


def _report(exc: KeepwarmError) -> None:
    if isinstance(exc, ConfigError):
        for problem in exc.problems:
            print(f"keepwarm: configuration: {logs.redact(problem)}", file=sys.stderr)
    else:
        print(f"keepwarm: {logs.redact(str(exc))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    logs.setup(logging.DEBUG if args.debug else logging.INFO)
    ctx = Context(args.env_file)
    try:
        result: int = args.handler(args, ctx)
    except KeepwarmError as exc:
        if args.debug:
            log.exception("%s", type(exc).__name__)
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `keepwarm due | head` closed the pipe: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return result
