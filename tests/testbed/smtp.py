"""An aiosmtpd submission server on 127.0.0.1 that delivers into the test Dovecot.

Two listeners share one handler: STARTTLS on a plain port and implicit TLS on another,
both requiring AUTH (LOGIN/PLAIN) against the test accounts. Accepted mail is handed to
Dovecot over LMTP, so a message sent to an account really lands in its INBOX, and every
accepted envelope is recorded for inspection. ``fail_next`` injects SMTP errors for
fault tests. Only @example.com recipients with a mailbox are accepted: not a relay.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"  # the same loopback address Dovecot listens on
DOMAIN = "example.com"
Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class ReceivedMessage:
    """One envelope the server accepted (and delivered)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None  # who authenticated for it


class _Handler:
    """aiosmtpd handler hooks: recipient policy, injected faults, LMTP hand-off."""

    def __init__(
        self,
        has_mailbox: Callable[[str], bool],
        deliver: Callable[[str, str, bytes], None],
    ) -> None:
        self._has_mailbox = has_mailbox
        self._deliver = deliver
        self._lock = threading.Lock()  # hooks run on the controllers' threads
        self._faults: dict[Stage, collections.deque[str]] = collections.defaultdict(collections.deque)
        self._received: list[ReceivedMessage] = []
        # Set by the test bed when it runs the stand-in OAuth authority: (user, token) -> valid?
        self.check_token: Callable[[str, str], bool] | None = None

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        """XOAUTH2 (RFC-less, as Gmail and Microsoft speak it): user and bearer token in one blob."""
        blob = args[1] if len(args) > 1 else ""
        try:
            text = base64.b64decode(blob).decode()
        except (ValueError, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        ok = self.check_token is not None and self.check_token(user, token)
        return AuthResult(
            success=ok, handled=False, auth_data=LoginPassword(user.encode(), b"") if ok else None
        )

    def add_faults(self, stage: Stage, reply: str, count: int) -> None:
        with self._lock:
            self._faults[stage].extend([reply] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def received(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._received)

    def _take_fault(self, stage: Stage) -> str | None:
        with self._lock:
            queue = self._faults[stage]
            return queue.popleft() if queue else None

    async def handle_MAIL(  # noqa: N802 -- aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (fault := self._take_fault("MAIL")) is not None:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (fault := self._take_fault("RCPT")) is not None:
            return fault
        if not address.lower().endswith(f"@{DOMAIN}"):
            return "550 5.7.1 Relaying denied: this test server only accepts @example.com"
        if not self._has_mailbox(address):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 -- aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if (fault := self._take_fault("DATA")) is not None:
            return fault
        raw = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        loop = asyncio.get_running_loop()
        for rcpt in envelope.rcpt_tos:
            try:
                # smtplib blocks; keep this controller's event loop responsive.
                await loop.run_in_executor(None, self._deliver, mail_from, rcpt, raw)
            except smtplib.SMTPRecipientsRefused as exc:
                # Pass Dovecot's verdict (e.g. 552 over quota) through to the client.
                code, text = next(iter(exc.recipients.values()))
                return _reply(code, text)
            except smtplib.SMTPResponseException as exc:
                return _reply(exc.smtp_code, exc.smtp_error)
            except OSError as exc:
                return f"451 4.3.0 LMTP hand-off to Dovecot failed: {exc}"
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        accepted = ReceivedMessage(
            mail_from=mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=raw,
            login=login.decode() if login is not None else None,
        )
        with self._lock:
            self._received.append(accepted)
        return "250 2.0.0 OK: delivered"


def lmtp_deliver(port: int, mail_from: str, recipient: str, raw: bytes) -> None:
    """Deliver one message to one recipient; raises smtplib errors on refusal.

    One LMTP transaction per recipient, because smtplib reads only a single reply
    after DATA while LMTP sends one per recipient.
    """
    with smtplib.LMTP(HOST, port, timeout=10) as lmtp:
        lmtp.sendmail(mail_from, [recipient], raw)


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


class SmtpServer:
    """The STARTTLS and implicit-TLS listeners, their shared handler and fault switch."""

    def __init__(
        self,
        *,
        starttls_port: int,
        tls_port: int,
        tls_context: ssl.SSLContext,
        check_login: Callable[[str, str], bool],
        has_mailbox: Callable[[str], bool],
        deliver: Callable[[str, str, bytes], None],
    ) -> None:
        self.starttls_port = starttls_port
        self.tls_port = tls_port
        self._check_login = check_login
        self._handler = _Handler(has_mailbox, deliver)
        common: dict[str, Any] = {
            "hostname": HOST,
            # Without it aiosmtpd calls socket.getfqdn(), which can hang without DNS.
            "server_hostname": f"smtp.{DOMAIN}",
            "authenticator": self._authenticate,
            "auth_required": True,
            "ready_timeout": 5.0,
        }
        self._running: list[Controller] = []
        self._idle = [
            Controller(
                self._handler,
                port=starttls_port,
                tls_context=tls_context,
                require_starttls=True,
                **common,
            ),
            # aiosmtpd only counts STARTTLS as "TLS" for auth_require_tls, so implicit
            # TLS must switch that check off or AUTH is refused (aio-libs/aiosmtpd#281).
            Controller(
                self._handler,
                port=tls_port,
                ssl_context=tls_context,
                auth_require_tls=False,
                **common,
            ),
        ]

    def start(self) -> None:
        for controller in self._idle:
            self._running.append(controller)  # before start(): it may fail half-way
            controller.start()
        self._idle = []

    def stop(self) -> None:
        """Stop whatever is running; safe to call twice or after a failed start."""
        while self._running:
            # no_assert: after a failed start() the controller may have no thread.
            with contextlib.suppress(RuntimeError):
                self._running.pop().stop(no_assert=True)

    def accept_tokens(self, check: Callable[[str, str], bool]) -> None:
        """Offer AUTH XOAUTH2, validating (user, token) with ``check``."""
        self._handler.check_token = check

    def fail_next(
        self,
        code: int = 451,
        message: str = "4.3.0 Try again later",
        count: int = 1,
        stage: Stage = "DATA",
    ) -> None:
        """Answer the next ``count`` commands of ``stage`` with ``code message``."""
        self._handler.add_faults(stage, f"{code} {message}", count)

    def clear_faults(self) -> None:
        self._handler.clear_faults()

    @property
    def received(self) -> list[ReceivedMessage]:
        """A snapshot of every accepted envelope, oldest first."""
        return self._handler.received()

    def received_for(self, address: str) -> list[ReceivedMessage]:
        """Accepted envelopes with ``address`` among their recipients (case-insensitive)."""
        wanted = address.lower()
        return [m for m in self.received if wanted in (r.lower() for r in m.rcpt_tos)]

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = self._check_login(
            auth_data.login.decode(errors="replace"), auth_data.password.decode(errors="replace")
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
