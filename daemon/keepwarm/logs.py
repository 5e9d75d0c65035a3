"""Logging set-up: journald-friendly output and redaction of every known secret.

Under systemd (``$JOURNAL_STREAM`` set) lines carry a syslog priority prefix such as ``<4>`` and no
timestamp of our own, since the journal adds one. Elsewhere they carry a timestamp and level name.
"""

from __future__ import annotations

import logging
import os
import sys

_SECRETS: set[str] = set()
_MIN_SECRET_LENGTH = 4

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def register_secret(value: str) -> None:
    """Remember a secret so that it is masked wherever it would appear in a log line."""
    if len(value) >= _MIN_SECRET_LENGTH:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


class _RedactingFormatter(logging.Formatter):
    def __init__(self, journal: bool) -> None:
        fmt = "%(name)s: %(message)s" if journal else "%(asctime)s %(levelname)s %(name)s: %(message)s"
        super().__init__(fmt)
        self._journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        if self._journal:
            priority = _PRIORITY.get(record.levelno, 6)
            return "\n".join(f"<{priority}>{line}" for line in text.splitlines())
        return text


def setup(level: int = logging.INFO) -> None:
    """Send keepwarm's logs to stderr, redacted, in the form the environment wants."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(journal=bool(os.environ.get("JOURNAL_STREAM"))))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
