"""A plain SMTP server on 127.0.0.1 whose reply to DATA can stall, recording what it kept and dropped."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.testbed.dovecot import HOST
from tests.testbed.fixtures import free_ports


class _Handler:
    """Accepts every message; the next ``stall_next`` ones wait before the final reply to DATA."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stalls: collections.deque[float] = collections.deque()
        self.accepted: list[bytes] = []
        # Messages whose client hung up while the server stalled: never acknowledged, so never kept.
        self.abandoned: list[bytes] = []

    async def handle_DATA(  # noqa: N802 -- aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        with self.lock:
            stall = self.stalls.popleft() if self.stalls else 0.0
        try:
            await asyncio.sleep(stall)
        except asyncio.CancelledError:  # aiosmtpd cancels the session when the client disconnects
            with self.lock:
                self.abandoned.append(raw)
            raise
        with self.lock:
            self.accepted.append(raw)
        return "250 2.0.0 OK: kept"


def _accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    return AuthResult(success=isinstance(auth_data, LoginPassword), handled=False)


class StallingSmtp:
    """Start, ``stall_next(seconds)``, send, then read ``accepted`` and ``abandoned``."""

    def __init__(self) -> None:
        [self.port] = free_ports(1)
        self._handler = _Handler()
        self._controller = Controller(
            self._handler,
            hostname=HOST,
            port=self.port,
            server_hostname="stall.example.com",
            authenticator=_accept_any_login,
            auth_require_tls=False,  # loopback without TLS (keepwarm allows SECURITY=none there)
            ready_timeout=5.0,
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop(no_assert=True)

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` messages get their reply to DATA ``seconds`` late."""
        with self._handler.lock:
            self._handler.stalls.extend([seconds] * count)

    @property
    def accepted(self) -> list[bytes]:
        with self._handler.lock:
            return list(self._handler.accepted)

    @property
    def abandoned(self) -> list[bytes]:
        with self._handler.lock:
            return list(self._handler.abandoned)

    def wait_abandoned(self, count: int, timeout: float = 10.0) -> bool:
        """Until ``count`` stalled messages were dropped by their clients (the server notices at once)."""
        deadline = time.monotonic() + timeout
        while len(self.abandoned) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.abandoned) >= count
