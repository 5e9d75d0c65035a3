"""Opening an IMAP connection: TLS verified (system CAs plus IMAP_CA_FILE), STARTTLS or implicit
TLS, a password or an OAuth2 token, and every failure mapped to the one error the user can act on:
a refused login is an AuthError, an untrusted certificate a CertificateError, anything on the wire
a TransientError (retry later). ``mail.imap`` uses the connection; ``mail.smtp`` shares the TLS.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
from collections.abc import Callable

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError

from keepwarm.config import ServerConfig
from keepwarm.errors import AuthError, CertificateError, TransientError, plain

log = logging.getLogger("keepwarm.imap")

# What a broken connection raises: the command may be retried on a new one.
DEAD_CONNECTION = (imaplib.IMAP4.abort, OSError, socket.timeout, ssl.SSLError, EOFError)
# What any IMAP command may raise, a server's NO or BAD included.
WIRE_ERRORS = (OSError, socket.timeout, ssl.SSLError, IMAPClientError, imaplib.IMAP4.abort, EOFError)


def tls_context(ca_file: object | None) -> ssl.SSLContext:
    """A verifying context: the system's CAs, plus a private CA when configured."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def connect(server: ServerConfig, timeout: SocketTimeout, token: Callable[[], str] | None) -> IMAPClient:
    """A logged-in client (``token`` gives an OAuth2 access token; else the password)."""
    assert server.host is not None and server.user is not None
    where = f"{server.host}:{server.port}"
    try:
        client = IMAPClient(
            server.host,
            server.port,
            ssl=server.security == "ssl",
            ssl_context=tls_context(server.ca_file) if server.security == "ssl" else None,
            timeout=timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        raise CertificateError(f"IMAP {where}: certificate not trusted ({exc.verify_message})") from None
    except WIRE_ERRORS as exc:
        raise TransientError(f"IMAP {where}: cannot connect: {plain(exc)}") from None
    try:
        if server.security == "starttls":
            client.starttls(tls_context(server.ca_file))
        elif server.security == "none":
            log.warning("IMAP %s without TLS: allowed only because the host is loopback", where)
        _login(client, server, token)
        # Aware INTERNALDATEs: the default turns them into naive local times, which would
        # shift every arrival time by the machine's own zone.
        client.normalise_times = False
    except LoginError:
        quietly_close(client)
        raise AuthError(f"IMAP {where} refused the login for {server.user}: check the password") from None
    except ssl.SSLCertVerificationError as exc:
        quietly_close(client)
        raise CertificateError(f"IMAP {where}: certificate not trusted ({exc.verify_message})") from None
    except WIRE_ERRORS as exc:
        quietly_close(client)
        raise TransientError(f"IMAP {where}: {plain(exc)}") from None
    return client


def _login(client: IMAPClient, server: ServerConfig, token: Callable[[], str] | None) -> None:
    assert server.user is not None
    if token is not None:
        client.oauth2_login(server.user, token())
    else:
        assert server.password is not None
        client.login(server.user, server.password.resolve().reveal())


def quietly_close(client: IMAPClient) -> None:
    """Log out, or drop a connection that cannot: closing a broken connection must not mask the
    error that broke it."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()
