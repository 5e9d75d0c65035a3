"""The small error hierarchy: each class says who must act and which exit code the CLI uses.

Library code raises these; only ``keepwarm.cli`` turns them into exit codes and one-line messages.
Anything else that escapes is a bug and keeps its traceback (shown with ``--debug``).
"""

from __future__ import annotations

import os


def plain(exc: BaseException) -> str:
    """An outside library's error as a person reads it: ``connection refused``, not ``[Errno 111]
    Connection refused`` or ``ConnectionRefusedError``; the class name only when it says more
    than an empty message would."""
    if isinstance(exc, TimeoutError) or type(exc).__name__ in ("timeout", "SocketTimeout"):
        return "timed out"
    import ssl  # here, not at the top: the CLI's start-up would pay 15 ms for a rare message

    if isinstance(exc, ssl.SSLError) and exc.reason:
        # "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)": most often TLS asked
        # of a port that speaks plain text first (ssl where starttls was meant), or the reverse.
        return f"TLS failed ({exc.reason.lower().replace('_', ' ')})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    text = str(exc).strip()
    return text or type(exc).__name__


class KeepwarmError(Exception):
    """Base class: a problem with a readable one-line message for the user."""

    exit_code = 1


class UsageError(KeepwarmError):
    """The user asked for something that cannot be done as asked (bad argument, unknown contact)."""

    exit_code = os.EX_USAGE


class ConfigError(KeepwarmError):
    """The configuration is wrong; the user must edit it. Carries every problem found at once."""

    exit_code = os.EX_CONFIG

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class StoreError(KeepwarmError):
    """The state file is unreadable, corrupt or foreign; the user must look at it. Never auto-fixed."""

    exit_code = os.EX_DATAERR


class StoreWriteError(StoreError):
    """The state file could not be saved (disk full, read-only): the previous file is intact."""

    exit_code = os.EX_IOERR


class StoreBusyError(KeepwarmError):
    """Another process holds the store (a second daemon, or a long write); try again later."""

    exit_code = os.EX_TEMPFAIL


class AuthError(KeepwarmError):
    """A server refused our credentials; the user must act (fix the password, re-authorise).

    Retried only slowly: hammering a server with a bad password gets the account locked.
    """

    exit_code = os.EX_NOPERM


class ReauthorisationNeeded(AuthError):  # noqa: N818 (named for what the owner must do)
    """The OAuth grant is gone (revoked, expired, never made): the owner must run ``keepwarm auth``."""


class TransientError(KeepwarmError):
    """A server or the network failed in a way that may pass; the caller retries later."""

    exit_code = os.EX_TEMPFAIL


class CertificateError(TransientError):
    """The server's TLS certificate is not trusted (a private CA, a host name it was not made
    for); the user must give its CA (``*_CA_FILE``) or the right host. Retried like any network
    failure: a renewed certificate mends it."""
