"""The logins ``keepwarm init`` tries right after their questions, one server at a time.

A trial reads the answers given so far as the env file would hold them, logs in to one server
(verified TLS, with the CA file if one was given) and says in one line what failed, and which
answers are the likely culprits: the password when the login was refused, the CA file and host
when the certificate is not trusted, the host, port and security when no connection was made.
Nothing is written and nothing is sent.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from keepwarm import config as config_module
from keepwarm.errors import AuthError, CertificateError, ConfigError, KeepwarmError, plain

PASSWORD = ("PASSWORD",)
CERTIFICATE = ("CA_FILE", "HOST")
CONNECTION = ("HOST", "PORT", "SECURITY")


@dataclass(frozen=True)
class Trial:
    """What one login attempt found: ``detail`` is one line either way; ``suspects`` are the
    answers (``PASSWORD``, ``HOST``…, without the ``IMAP_`` part) worth asking again."""

    ok: bool
    detail: str
    suspects: tuple[str, ...] = ()


def imap(text: str, account: str | None = None) -> Trial:
    """Log in to the first mailbox, or to the one named ``account``, of the env file ``text``."""

    def work(config: config_module.Config) -> str:
        from keepwarm.runtime import check  # with the calendars' and books' clients: not at --help

        chosen = next(a for a in config.accounts if (a.first if account is None else a.name == account))
        return check.imap_login(config, chosen)

    return _attempt(text, "IMAP", work)


def smtp(text: str) -> Trial:
    """Log in to the SMTP server of the env file ``text`` and quit."""
    from keepwarm.runtime import check  # see imap

    return _attempt(text, "SMTP", check.smtp_login)


def problems(text: str) -> list[str]:
    """What the env file ``text`` would be refused for; empty when it loads."""
    with _candidate(text) as candidate:
        try:
            config_module.load(candidate, environ={})
        except ConfigError as exc:
            return [_unplaced(problem, candidate) for problem in exc.problems]
    return []


@contextlib.contextmanager
def _candidate(text: str) -> Iterator[Path]:
    """``text`` as a file of its own, in a private folder removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp, "candidate.env")
        candidate.write_text(text, encoding="utf-8")
        yield candidate


def _unplaced(problem: str, candidate: Path) -> str:
    """A problem without "(from /tmp/…/candidate.env:3)": that file is gone by the time it is read."""
    return re.sub(rf" \(from {re.escape(str(candidate))}:\d+\)", "", problem)


def _attempt(text: str, proto: str, work: Callable[[config_module.Config], str]) -> Trial:
    with _candidate(text) as candidate:
        try:
            return Trial(True, work(config_module.load(candidate, environ={})))
        except AuthError as exc:
            return Trial(False, _line(exc), PASSWORD)
        except CertificateError as exc:
            return Trial(False, _line(exc), CERTIFICATE)
        except ConfigError as exc:
            line = "; ".join(_unplaced(problem, candidate) for problem in exc.problems)
            # The answers it names, of this server only: "KEEPWARM_IMAP_PORT: 'x' is not a port".
            keys = re.findall(rf"KEEPWARM_(?:[A-Z0-9]+_)?{proto}_([A-Z_]+)", line)
            return Trial(False, line, tuple(dict.fromkeys(keys)))
        except KeepwarmError as exc:
            return Trial(False, _line(exc), CONNECTION)
        except OSError as exc:  # a password command that cannot run, a CA file that cannot be read
            return Trial(False, plain(exc), CONNECTION)


def _line(exc: KeepwarmError) -> str:
    return str(exc).replace("\n", "; ")
