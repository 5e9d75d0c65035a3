"""The SMTP adapter: sends keepwarm's messages with aiosmtplib, to the owner and nobody else.

One connection per batch; verified TLS (implicit or STARTTLS); a refused login is an AuthError.
``guard`` is the single check in the sending path that refuses any recipient not the owner's.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import getaddresses

import aiosmtplib

from keepwarm.config import ServerConfig
from keepwarm.errors import AuthError, CertificateError, ConfigError, KeepwarmError, TransientError, plain
from keepwarm.mail.connect import tls_context
from keepwarm.ports import SendResult

log = logging.getLogger("keepwarm.smtp")

# Set explicitly: the default (socket.getfqdn()) can stall for seconds without working DNS.
LOCAL_HOSTNAME = "keepwarm.localhost"


def failure(where: str, exc: BaseException) -> TransientError:
    """What went wrong on the wire, as a person reads it: an untrusted certificate (aiosmtplib
    wraps it in its connect error), a connection that could not be made, or the server's words."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CertificateError(f"{where}: certificate not trusted ({cause.verify_message})")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        # asyncio words a refusal "Connect call failed ('127.0.0.1', 587)": said as IMAP says it.
        refused = isinstance(exc.__cause__, ConnectionRefusedError)
        return TransientError(
            f"{where}: cannot connect: " + ("connection refused" if refused else plain(exc.__cause__ or exc))
        )
    return TransientError(f"{where}: {plain(exc)}")


class RecipientRefusedError(KeepwarmError):
    """keepwarm tried to mail someone other than the owner: a bug, refused before any byte is sent."""


def guard(msg: EmailMessage, allowed: frozenset[str]) -> list[str]:
    """The recipients of ``msg`` if every one is the owner's; otherwise RecipientRefusedError."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in (msg.get_all(name) or [])]
    recipients = [address.lower() for _, address in getaddresses(fields)]
    strangers = [r for r in recipients if r not in allowed]
    if strangers or not recipients:
        raise RecipientRefusedError(f"refusing to send to {strangers or 'nobody'}: only the owner gets mail")
    return recipients


def screen(
    batch: Sequence[tuple[int, EmailMessage]], allowed: frozenset[str]
) -> tuple[list[tuple[int, EmailMessage, list[str]]], list[SendResult]]:
    """Split a batch into (id, message, recipients) to send and results for the ones ``guard``
    refuses: a refused message fails alone (for good), and never holds back the rest."""
    envelopes, refused = [], []
    for item_id, msg in batch:
        try:
            envelopes.append((item_id, msg, guard(msg, allowed)))
        except RecipientRefusedError as exc:
            log.error("message %s not sent: %s", item_id, exc)
            refused.append(SendResult(item_id, False, True, str(exc)))
    return envelopes, refused


class SmtpSender:
    """Sends batches of messages over one SMTP connection."""

    def __init__(
        self,
        server: ServerConfig,
        sender: str,
        allowed: frozenset[str],
        timeout: float = 15,
        token: Callable[[], str] | None = None,
    ) -> None:
        if server.host is None:
            raise ConfigError(["KEEPWARM_SMTP_HOST is not set (needed to send reminders)"])
        self._server = server
        self._sender = sender
        self._allowed = allowed
        self._timeout = timeout
        self._token = token
        self._on_result: Callable[[SendResult], None] = lambda _: None

    def send(
        self,
        batch: Sequence[tuple[int, EmailMessage]],
        on_result: Callable[[SendResult], None] = lambda _: None,
    ) -> list[SendResult]:
        """Send each message; ``on_result`` hears about each one as soon as the server answers."""
        self._on_result = on_result
        envelopes, refused = screen(batch, self._allowed)
        for result in refused:
            on_result(result)
        return refused + (asyncio.run(self._send_all(envelopes)) if envelopes else [])

    def check_login(self) -> None:
        """Connect, log in and quit: raises AuthError or TransientError saying what failed."""
        asyncio.run(self._check())

    async def _check(self) -> None:
        client = self._client()
        where = f"SMTP {self._server.host}:{self._server.port}"
        try:
            await client.connect()
            await self._login(client)
            await client.quit()
        except aiosmtplib.SMTPAuthenticationError:
            raise AuthError(f"{where} refused the login for {self._server.user}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise failure(where, exc) from None

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        user = self._server.user
        if user and self._token is not None:
            await client.auth_xoauth2(user, self._token())
        elif user and self._server.password:
            await client.login(user, self._server.password.resolve().reveal())

    def _client(self) -> aiosmtplib.SMTP:
        server = self._server
        context = tls_context(server.ca_file) if server.security != "none" else None
        return aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.security == "ssl",
            # False, not None: None would upgrade opportunistically, and silently not when it cannot.
            start_tls=server.security == "starttls",
            tls_context=context,
            timeout=self._timeout,
            local_hostname=LOCAL_HOSTNAME,
        )

    async def _send_all(self, envelopes: list[tuple[int, EmailMessage, list[str]]]) -> list[SendResult]:
        client = self._client()
        where = f"SMTP {self._server.host}:{self._server.port}"
        try:
            await client.connect()
            await self._login(client)
        except aiosmtplib.SMTPAuthenticationError:
            raise AuthError(
                f"{where} refused the login for {self._server.user}: check the password"
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = str(failure(where, exc))
            failed = [SendResult(i, False, False, error) for i, _, _ in envelopes]
            for result in failed:
                self._on_result(result)
            return failed
        results = []
        try:
            for index, (item_id, msg, recipients) in enumerate(envelopes):
                try:
                    await client.send_message(msg, sender=self._sender, recipients=recipients)
                    results.append(SendResult(item_id, True))
                    self._on_result(results[-1])
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    # Refused at RCPT (a policy 550, greylisting's 451): this message only; the
                    # connection is still good for the rest of the batch.
                    refusal = exc.recipients[0]
                    permanent = 500 <= refusal.code < 600
                    results.append(
                        SendResult(item_id, False, permanent, f"{where}: {refusal.code} {refusal.message}")
                    )
                    self._on_result(results[-1])
                except aiosmtplib.SMTPResponseException as exc:
                    permanent = 500 <= exc.code < 600
                    results.append(
                        SendResult(item_id, False, permanent, f"{where}: {exc.code} {exc.message}")
                    )
                    self._on_result(results[-1])
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    error = str(failure(where, exc))
                    for i, _, _ in envelopes[index:]:
                        results.append(SendResult(i, False, False, error))
                        self._on_result(results[-1])
                    break
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
        return results
