"""The questions of ``keepwarm init``, and each server's login tried right after its own.

An answer comes from its flag, else from the terminal (taken only when the setting accepts it:
the choices offered are the ones accepted), else from its default. After a server's questions its
login is tried; at a terminal a failure is one line, then only the answers likely wrong are asked
again (the password for a refused login; host, port and security when no connection was made;
the CA file and host for an untrusted certificate) until it works or the user skips.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from keepwarm.config import convert
from keepwarm.runtime.trial import Trial

SECURITIES = ("ssl", "starttls")
SKIP = "skip"


# What each server answer is asked as, and what accepts it: key -> (question, check).
_QUESTIONS: dict[str, tuple[str, Callable[[str], object] | None]] = {
    "HOST": ("server", convert.host),
    "PORT": ("port", convert.port),
    "SECURITY": (f"security ({', '.join(SECURITIES)})", None),
    "USER": ("login", convert.text),
    "CA_FILE": ("extra CA file (blank for none)", convert.readable_file),
}


class Asker:
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
        check: Callable[[str], object] | None = None,
    ) -> str:
        given = getattr(self.args, flag, None)
        if given not in (None, ""):
            return str(given)
        if not self.interactive:
            return default
        return self.typed(question, default, secret=secret, choices=choices, check=check)

    @staticmethod
    def typed(
        question: str,
        default: str = "",
        *,
        secret: bool = False,
        choices: tuple[str, ...] = (),
        check: Callable[[str], object] | None = None,
        skippable: bool = False,
    ) -> str:
        """Ask at the terminal until the answer is one the setting accepts (or, if ``skippable``,
        is ``skip``); a blank answer is the default, and a blank default is taken unchecked."""
        shown = f" [{default}]" if default and not secret else ""
        while True:
            answer = getpass.getpass(f"{question}: ") if secret else input(f"{question}{shown}: ")
            answer = answer.strip() or default
            if skippable and answer == SKIP:
                return answer
            if choices and answer not in choices:
                # Only what the settings accept is offered, and only that is taken.
                print(f"  please answer {' or '.join(choices)}")
                continue
            if check is not None and answer:
                try:
                    check(answer)
                except ValueError as exc:
                    print(f"  {exc}")
                    continue
            return answer


def server(ask: Asker, proto: str, preset: tuple[str, int, str], user: str) -> dict[str, str]:
    """The questions of one server, its password last."""
    name = proto.upper()
    defaults = {"HOST": preset[0], "PORT": str(preset[1]), "SECURITY": preset[2], "USER": user, "CA_FILE": ""}
    values = {}
    for key, (question, check) in _QUESTIONS.items():
        choices = SECURITIES if key == "SECURITY" else ()
        flag = f"{proto}_{key.lower()}"
        values[f"{name}_{key}"] = ask(flag, f"{name} {question}", defaults[key], choices=choices, check=check)
    command = getattr(ask.args, f"{proto}_password_command", None)
    if command:
        values[f"{name}_PASSWORD_COMMAND"] = command
    else:
        values[f"{name}_PASSWORD"] = ask(f"{proto}_password", f"{name} password", secret=True)
    return values


def settle(
    ask: Asker, label: str, values: dict[str, str], attempt: Callable[[dict[str, str]], Trial]
) -> Trial:
    """Try the login of ``values``; at a terminal, ask again for what is likely wrong and try
    again, until it works or the user skips. ``values`` holds the answers it ends with."""
    while True:
        trial = attempt(values)
        print(f"{'PASS' if trial.ok else 'FAIL'}  {label}: {trial.detail}")
        if trial.ok or not ask.interactive:
            return trial
        if not _again(label.split(maxsplit=1)[0], values, trial.suspects):
            print(f"  {label} skipped: its settings are written untested")
            return trial


def _again(name: str, values: dict[str, str], suspects: tuple[str, ...]) -> bool:
    """Ask the suspect answers again; False when the user skips (or changes nothing)."""
    if "PASSWORD" in suspects:
        key = f"{name}_PASSWORD_COMMAND" if f"{name}_PASSWORD_COMMAND" in values else f"{name}_PASSWORD"
        what = "password command" if key.endswith("COMMAND") else "password"
        answer = Asker.typed(f"{name} {what} again (blank to skip)", secret=what == "password")
        if answer in ("", SKIP):
            return False
        values[key] = answer
        return True
    asked = [key for key in suspects if key in _QUESTIONS]
    if not asked:
        return False
    print(f"  Enter keeps an answer; {SKIP} goes on without a working {name} login")
    changed = False
    for key in asked:
        question, check = _QUESTIONS[key]
        current = values.get(f"{name}_{key}", "")
        choices = SECURITIES if key == "SECURITY" else ()
        answer = Asker.typed(f"{name} {question}", current, choices=choices, check=check, skippable=True)
        if answer == SKIP:
            return False
        changed = changed or answer != current
        values[f"{name}_{key}"] = answer
    return changed
