"""The demo's own mail servers on 127.0.0.1: pymap (IMAP, in memory) and aiosmtpd (SMTP).

pymap runs as a child process with its in-memory backend and one user, the demo owner. The SMTP
server accepts mail only for the owner's addresses and files it into the owner's INBOX over IMAP,
so a reminder keepwarm sends, and the reply to it, really travel through both servers.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient

HOST = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class DemoAccount:
    """The demo owner's login."""

    address: str
    password: str


def imap_login(port: int, account: DemoAccount) -> IMAPClient:
    """A plain-text IMAP session to the demo server (loopback only), without Nagle's delay."""
    client = IMAPClient(HOST, port, ssl=False, timeout=10)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.login(account.address, account.password)
    return client


@contextlib.contextmanager
def imap_server(account: DemoAccount) -> Iterator[int]:
    """Run pymap's in-memory IMAP server for one user; yields its port."""
    port = free_port()
    code = "import sys; from pymap.main import main; sys.argv[0] = 'pymap'; main()"
    args = [sys.executable, "-c", code, "--host", HOST, "--port", str(port), "--no-tls", "dict"]
    # The "=" form: a generated password may begin with "-", which argparse would take for an option.
    args += [f"--demo-user={account.address}", f"--demo-password={account.password}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_greeting(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_greeting(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"the demo IMAP server stopped: {error.strip()[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1) as sock:
            if sock.recv(64).startswith(b"* OK"):
                return
        time.sleep(0.1)
    raise RuntimeError("the demo IMAP server did not start within 20 s")


class _Handler:
    """Accepts mail for the owner only and files it into the owner's INBOX over IMAP."""

    def __init__(self, owner_domain: str, deliver: Callable[[bytes], None], account: DemoAccount) -> None:
        self._domain = owner_domain
        self._deliver = deliver
        self._account = account

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        local = self._account.address.split("@")[0]
        if not address.lower().startswith(local) or not address.lower().endswith("@" + self._domain):
            return "550 5.1.1 this demo server only delivers to the demo owner"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        data = envelope.original_content or b""
        delivered = f"Delivered-To: {envelope.rcpt_tos[0]}\r\n".encode() + data
        self._deliver(delivered)
        return "250 OK: filed into INBOX"


def _authenticator(account: DemoAccount) -> Callable[..., AuthResult]:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == account.address
            and auth_data.password.decode() == account.password
        )
        return AuthResult(success=ok)

    return check


@contextlib.contextmanager
def smtp_server(imap_port: int, account: DemoAccount) -> Iterator[int]:
    """Run an SMTP server that files mail for the owner into INBOX; yields its port."""

    def deliver(raw: bytes) -> None:
        client = imap_login(imap_port, account)
        try:
            client.append("INBOX", raw)
        finally:
            client.logout()

    port = free_port()
    controller = Controller(
        _Handler(account.address.split("@")[1], deliver, account),
        hostname=HOST,
        port=port,
        server_hostname="demo.localhost",
        authenticator=_authenticator(account),
        auth_require_tls=False,  # loopback only, and the demo has no certificate
        auth_required=True,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def demo_account() -> DemoAccount:
    """A fresh owner login for this run."""
    return DemoAccount("naomi@demo.example", secrets.token_urlsafe(12))
