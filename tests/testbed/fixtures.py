"""pytest fixtures for the loopback mail test bed, and the ``Testbed`` facade they return.

Load from tests/conftest.py with ``pytest_plugins = ["tests.testbed.fixtures"]``.

* ``testbed`` (session): Dovecot + SMTP, started once per run. Skips the tests that
  need it when Dovecot cannot start, but fails them when ``CI`` is set, so a broken CI
  image cannot pass silently.
* ``account`` / ``account_factory`` (function): fresh, uniquely named mailboxes, so
  tests are isolated without restarting anything.
* ``smtp_server`` (function): the SMTP server, with injected faults cleared afterwards.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
import ssl
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import pytest
import trustme
from imapclient import IMAPClient

from tests.testbed.dovecot import DOMAIN, HOST, Dovecot, TestbedUnavailableError
from tests.testbed.oauth import AuthorityServer
from tests.testbed.smtp import SmtpServer, lmtp_deliver

__all__ = [
    "Account",
    "AccountFactory",
    "Testbed",
    "TlsFiles",
    "account",
    "account_factory",
    "smtp_server",
    "testbed",
]

_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")


@dataclass(frozen=True)
class Account:
    """A mailbox user: log in with ``user`` (or ``address``) and ``password``."""

    user: str
    address: str
    password: str

    def plus(self, tag: str) -> str:
        """The sub-address ``user+tag@example.com``, delivered to the same INBOX."""
        return f"{self.user}+{tag}@{DOMAIN}"


@dataclass(frozen=True)
class TlsFiles:
    """A trustme CA and a server certificate for 127.0.0.1/localhost, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> TlsFiles:
        ca = trustme.CA()
        leaf = ca.issue_cert(HOST, "localhost")
        files = cls(directory / "ca.pem", directory / "server-cert.pem", directory / "server-key.pem")
        ca.cert_pem.write_to_path(str(files.ca_file))
        files.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(files.key_file))
        return files

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that were free a moment ago (held together so they differ).

    Picked up front because aiosmtpd's Controller cannot use port 0: start() connects
    to its own port to check it is up.
    """
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def make_workdir() -> Path:
    """A private temp dir whose parents the unprivileged mail uid can traverse."""
    base = Path(tempfile.gettempdir())
    if os.geteuid() == 0 and any(p.stat().st_mode & 0o001 == 0 for p in [base, *base.parents]):
        base = Path("/tmp")  # TMPDIR sits below a 0700 dir (e.g. /root/tmp); nobody can't enter
    # Short names keep base_dir socket paths far below the 108-byte unix limit.
    return Path(tempfile.mkdtemp(prefix="kwtb-", dir=base))


class AccountFactory(Protocol):
    """What ``account_factory`` returns: ``factory("friend") -> Account``."""

    def __call__(self, prefix: str = "user") -> Account: ...


class Testbed:
    """Handles to the running mail system plus helpers to set up and inspect mailboxes."""

    __test__ = False  # not a pytest test class, despite the name
    host = HOST

    def __init__(self) -> None:
        self.workdir = make_workdir()
        self.tls = TlsFiles.create(self.workdir)
        self.oauth = AuthorityServer(self.tls.server_context())
        imaps, imap, lmtp, smtp_starttls, smtp_tls = free_ports(5)
        self.dovecot = Dovecot(
            self.workdir,
            self.tls.cert_file,
            self.tls.key_file,
            imaps_port=imaps,
            imap_port=imap,
            lmtp_port=lmtp,
            introspection_url=self.oauth.introspection_url,
        )
        self.smtp = SmtpServer(
            starttls_port=smtp_starttls,
            tls_port=smtp_tls,
            tls_context=self.tls.server_context(),
            check_login=self.dovecot.check_password,
            has_mailbox=self.dovecot.has_user,
            deliver=lambda mail_from, rcpt, raw: lmtp_deliver(lmtp, mail_from, rcpt, raw),
        )

    @classmethod
    def start(cls) -> Testbed:
        """Start Dovecot, then SMTP; raises TestbedUnavailableError with Dovecot's log."""
        bed = cls()
        try:
            bed.oauth.start()
            bed.smtp.accept_tokens(bed._token_is_valid)
            bed.dovecot.start()
            try:
                bed.smtp.start()
            except (OSError, RuntimeError) as exc:  # bind failure, controller timeout
                raise TestbedUnavailableError(f"SMTP server did not start: {exc!r}") from exc
        except BaseException:
            bed.stop()
            raise
        return bed

    def _token_is_valid(self, user: str, token: str) -> bool:
        owner = self.oauth.authority.user_of(token)
        return owner is not None and owner == user.split("@", 1)[0]

    def stop(self) -> None:
        self.smtp.stop()
        self.dovecot.stop()
        self.oauth.stop()
        # KEEPWARM_TESTBED_KEEP=1 leaves config, logs and maildirs for post-mortems.
        if not os.environ.get("KEEPWARM_TESTBED_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- addresses ---------------------------------------------------------------

    @property
    def imaps_port(self) -> int:
        return self.dovecot.imaps_port

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.lmtp_port

    @property
    def smtp_starttls_port(self) -> int:
        return self.smtp.starttls_port

    @property
    def smtp_tls_port(self) -> int:
        return self.smtp.tls_port

    @property
    def ca_file(self) -> Path:
        """PEM of the CA that signed both servers' certificates."""
        return self.tls.ca_file

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the test CA (and nothing else)."""
        return self.tls.client_context()

    # -- mailboxes ---------------------------------------------------------------

    def new_account(self, prefix: str = "user") -> Account:
        """A fresh mailbox named ``<prefix>-<random hex>``, usable immediately."""
        user, password = self.dovecot.add_user(prefix)
        return Account(user=user, address=f"{user}@{DOMAIN}", password=password)

    def imap_client(self, account: Account, tls: Literal["ssl", "starttls"] = "ssl") -> IMAPClient:
        """A logged-in client with verified TLS; close it with ``logout()`` or ``with``."""
        if tls == "ssl":
            client = IMAPClient(
                self.host, self.imaps_port, ssl=True, ssl_context=self.ssl_context(), timeout=10
            )
        else:
            client = IMAPClient(self.host, self.imap_port, ssl=False, timeout=10)
        try:
            if tls == "starttls":
                client.starttls(self.ssl_context())
            client.login(account.user, account.password)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def append(
        self,
        account: Account,
        folder: str,
        raw: bytes,
        flags: Iterable[bytes | str] = (),
        msg_time: dt.datetime | None = None,
    ) -> int | None:
        """APPEND a message; returns its UID (from APPENDUID) when the server says it."""
        with self.imap_client(account) as client:
            response: bytes = client.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        match = _APPENDUID.search(response)
        return int(match.group(1)) if match else None

    def messages(self, account: Account, folder: str = "INBOX") -> dict[int, bytes]:
        """UID -> raw message, read with BODY.PEEK so no \\Seen flag is set."""
        with self.imap_client(account) as client:
            client.select_folder(folder, readonly=True)
            fetched = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
        return {uid: data[b"BODY[]"] for uid, data in fetched.items()}

    def deliver(self, recipient: str, raw: bytes, mail_from: str = "someone@example.org") -> None:
        """Drop a message into a mailbox over LMTP, as if it had arrived from outside."""
        lmtp_deliver(self.lmtp_port, mail_from, recipient, raw)


def pytest_configure(config: pytest.Config) -> None:
    # Expected and harmless here: implicit-TLS AUTH needs auth_require_tls=False
    # (aio-libs/aiosmtpd#281), and aiosmtpd warns about that on every connection.
    config.addinivalue_line("filterwarnings", "ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    """The running mail system, shared by the whole session."""
    try:
        bed = Testbed.start()
    except TestbedUnavailableError as exc:
        reason = f"mail test bed unavailable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        # Dovecot's log only when failing; a skip summary line should stay one line.
        pytest.skip(f"{reason.splitlines()[0]} (run with CI=1 to fail and see Dovecot's log)")
    try:
        yield bed
    finally:
        bed.stop()


@pytest.fixture
def account_factory(testbed: Testbed) -> AccountFactory:
    """Call with a prefix (e.g. ``"friend"``) for as many fresh accounts as a test needs."""
    return testbed.new_account


@pytest.fixture
def account(testbed: Testbed) -> Account:
    """A fresh, empty mailbox for this test (user ``owner-<hex>``)."""
    return testbed.new_account("owner")


@pytest.fixture
def smtp_server(testbed: Testbed) -> Iterator[SmtpServer]:
    """The shared SMTP server; faults a test queued but did not use are dropped after it."""
    yield testbed.smtp
    testbed.smtp.clear_faults()
