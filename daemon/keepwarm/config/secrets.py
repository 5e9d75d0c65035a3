"""Secrets that never print: a wrapper whose repr and str are redacted, and password sources.

A password may be given directly, by a command (a password manager), or by a file (systemd's
``LoadCredential=`` puts one in ``$CREDENTIALS_DIRECTORY``). Commands and files are read only when a
connection needs the password, so ``keepwarm contacts list`` never wakes a password manager.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from keepwarm import logs
from keepwarm.errors import ConfigError


class Secret:
    """A string that shows as ``'***'`` in reprs, f-strings and logs; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        logs.register_secret(value)

    def reveal(self) -> str:
        """The real value, for the one place that must send it (a login, an HMAC)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def command_environment() -> dict[str, str]:
    """The environment a password command runs in: ours, without a single KEEPWARM_ setting (it
    needs none of them, and the others may hold another password or SECRET)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}


@dataclass(frozen=True)
class PasswordSource:
    """Where a server password comes from: ``value``, ``command`` or ``file``; ``key`` names the setting."""

    kind: str
    key: str
    value: Secret | None = None
    command: str | None = None
    path: Path | None = None

    def resolve(self, timeout: float = 30.0) -> Secret:
        """Fetch the password now. Failures are ConfigErrors naming the key, never showing output."""
        if self.value is not None:
            return self.value
        if self.path is not None:
            return self._from_file(self.path)
        assert self.command is not None
        return self._from_command(self.command, timeout)

    def _from_file(self, path: Path) -> Secret:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([f"{self.key}: cannot read {path}: {exc.strerror}"]) from None
        value = text.rstrip("\r\n")
        if not value:
            raise ConfigError([f"{self.key}: {path} is empty"])
        return Secret(value)

    def _from_command(self, command: str, timeout: float) -> Secret:
        try:
            done = subprocess.run(
                shlex.split(command),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=command_environment(),
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise ConfigError([f"{self.key}: cannot run the command: {type(exc).__name__}"]) from None
        if done.returncode != 0:
            # Its stderr might echo the password or a vault path: report the status only.
            raise ConfigError([f"{self.key}: the command exited with status {done.returncode}"])
        value = done.stdout.split("\n", 1)[0].rstrip("\r")
        if not value:
            raise ConfigError([f"{self.key}: the command printed nothing"])
        return Secret(value)
