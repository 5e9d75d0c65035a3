"""A private, throwaway Dovecot (IMAPS, IMAP+STARTTLS, LMTP) on 127.0.0.1 for tests.

Everything Dovecot touches (config, sockets, logs, state, maildirs, passwd-file) lives
in one temporary directory, so several runs can coexist with each other and with a
system Dovecot. Accounts are passwd-files (one per user) that Dovecot reads on demand,
which lets every test get a fresh mailbox without restarting the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

HOST = "127.0.0.1"
DOMAIN = "example.com"
START_TIMEOUT = 10.0
_PREFIX_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,40}")


class TestbedUnavailableError(RuntimeError):
    """The mail system cannot run here (no dovecot binary, permissions, ...)."""

    __test__ = False  # not a pytest test class, despite the name


def _owner_names() -> tuple[int, int, str, str]:
    """uid, gid, user and group name that owns the mail (never root)."""
    if os.geteuid() == 0:
        # Dovecot refuses mail access as uid 0; nobody/nogroup exist everywhere.
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid, entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name
    uid, gid = os.geteuid(), os.getegid()
    return uid, gid, pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn so Dovecot goes down with a killed pytest instead of lingering."""
    if sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child only calls it
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def _find_binary() -> str:
    # /usr/sbin is often missing from an ordinary user's PATH.
    candidates = [os.environ.get("DOVECOT_BINARY", ""), shutil.which("dovecot") or ""]
    for candidate in [*candidates, "/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise TestbedUnavailableError("dovecot binary not found (install dovecot-imapd and -lmtpd)")


class Dovecot:
    """One Dovecot master process and the passwd-files of its test accounts."""

    def __init__(
        self,
        workdir: Path,
        cert_file: Path,
        key_file: Path,
        *,
        imaps_port: int,
        imap_port: int,
        lmtp_port: int,
        introspection_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self._cert_file = cert_file
        self._key_file = key_file
        self.imaps_port = imaps_port
        self.imap_port = imap_port
        self.lmtp_port = lmtp_port
        self._introspection_url = introspection_url
        self.log_file = workdir / "dovecot.log"
        self._passwd_dir = workdir / "passwd.d"
        self._accounts: dict[str, str] = {}
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        try:
            self._prepare_files()
        except (OSError, KeyError) as exc:  # KeyError: no "nobody" user to own the mail
            raise TestbedUnavailableError(f"cannot launch dovecot: {exc!r}") from exc
        self._launch()

    @property
    def running(self) -> bool:
        """Whether the master process is up (it may still be starting)."""
        return self._process is not None and self._process.poll() is None

    def resume(self) -> None:
        """Start again after ``stop()``: same config, ports, accounts and mail.

        Call it from the thread that will outlive the server (normally the main thread): the
        child is tied to its parent thread by PR_SET_PDEATHSIG.
        """
        if self.running:
            return
        self._launch()

    def _launch(self) -> None:
        binary = _find_binary()
        try:
            console = (self.workdir / "dovecot.console").open("ab")
            with console:
                self._process = subprocess.Popen(
                    [binary, "-F", "-c", str(self.workdir / "dovecot.conf")],
                    stdin=subprocess.DEVNULL,
                    stdout=console,
                    stderr=console,
                    # Only calls prctl() (async-signal-safe), so it is safe even after a resume(),
                    # when the SMTP threads exist.
                    preexec_fn=_die_with_parent(),  # noqa: PLW1509
                )
        except (OSError, KeyError) as exc:  # KeyError: no "nobody" user to own the mail
            raise TestbedUnavailableError(f"cannot launch dovecot: {exc!r}") from exc
        self._wait_until_listening()

    def _prepare_files(self) -> None:
        uid, gid, _, _ = _owner_names()
        mail_dir = self.workdir / "mail"
        mail_dir.mkdir()
        # Login/auth processes and the mail uid must traverse the work dir,
        # which mkdtemp created 0700.
        self.workdir.chmod(0o755)
        if os.geteuid() == 0:
            os.chown(mail_dir, uid, gid)
        self._passwd_dir.mkdir()
        (self.workdir / "dovecot.conf").write_text(self._config())

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        children = _children_of(process.pid)
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        # The master exits but leaves behind the processes serving connected clients (imap,
        # imap-login, and the log/config/anvil/stats they use): a stopped server must drop its
        # clients, as a crashed one would, so end them too (only this instance's, by pid).
        _end_processes([pid for pid in children if self._is_ours(pid)])

    def _is_ours(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return f"keepwarm-testbed-{self.workdir.name}/".encode() in cmdline

    def _wait_until_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        # Wait for each service's greeting, not just an open port: a port that a
        # stranger grabbed after we picked it would also accept connections.
        pending = {self.imap_port: (False, b"* OK"), self.imaps_port: (True, b"* OK")}
        pending[self.lmtp_port] = (False, b"220 ")
        while pending:
            if self._process.poll() is not None:
                self._fail(f"dovecot exited with status {self._process.returncode}")
            for port, (tls, banner) in list(pending.items()):
                with contextlib.suppress(OSError):
                    if _greeting(port, tls).startswith(banner):
                        del pending[port]
            if pending and time.monotonic() > deadline:
                self.stop()
                self._fail(f"dovecot not ready on {sorted(pending)} after {START_TIMEOUT}s")
            if pending:
                time.sleep(0.02)

    def _fail(self, reason: str) -> NoReturn:
        raise TestbedUnavailableError(f"{reason}\n{self.diagnostics()}")

    def diagnostics(self) -> str:
        """Dovecot's console output and log, for readable failures."""
        parts = []
        for path in (self.workdir / "dovecot.console", self.log_file):
            with contextlib.suppress(OSError):
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    # -- accounts ----------------------------------------------------------------

    def add_user(self, prefix: str = "user") -> tuple[str, str]:
        """Create a uniquely named user; returns (user, password), valid at once."""
        if not _PREFIX_RE.fullmatch(prefix):
            raise ValueError(f"account prefix must match {_PREFIX_RE.pattern}: {prefix!r}")
        with self._lock:
            user = f"{prefix}-{secrets.token_hex(4)}"
            while user in self._accounts:
                user = f"{prefix}-{secrets.token_hex(4)}"
            password = secrets.token_urlsafe(12)
            self._write_passwd(user, password)
            self._accounts[user] = password
        return user, password

    def has_user(self, address: str) -> bool:
        """Whether an address (plus-tags and case ignored, like Dovecot) has a mailbox."""
        with self._lock:
            return _canonical_user(address) in self._accounts

    def kick(self, user: str) -> None:
        """Drop every connection of ``user`` from the server's side (``doveadm kick``)."""
        subprocess.run(
            ["doveadm", "-c", str(self.workdir / "dovecot.conf"), "kick", user],
            check=True,
            capture_output=True,
            timeout=10,
        )

    def logins(self, user: str) -> int:
        """How many IMAP logins ``user`` has made (Dovecot logs each one)."""
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return text.count(f"Login: user=<{user}>,")

    def check_password(self, login: str, password: str) -> bool:
        with self._lock:
            expected = self._accounts.get(_canonical_user(login))
        return expected is not None and secrets.compare_digest(expected, password)

    def _write_passwd(self, user: str, password: str) -> None:
        # One passwd-file per user: the auth process re-stats a known file at most once
        # per second, so a user appended to a shared file could be missed by a login in
        # the same second. A path it has never seen is always read fresh.
        path = self._passwd_dir / user
        scratch = path.with_name(f".{user}.new")  # write-then-rename: never parse half a file
        scratch.write_text(f"{user}:{{PLAIN}}{password}\n")
        scratch.chmod(0o644)  # read by the auth process, which runs unprivileged
        scratch.replace(path)

    # -- config ------------------------------------------------------------------

    def _oauth_passdb(self) -> str:
        """XOAUTH2 logins, checked by asking the stand-in authority to introspect the token."""
        if self._introspection_url is None:
            return ""
        conf = self.workdir / "dovecot-oauth2.conf.ext"
        conf.write_text(
            f"introspection_mode = post\nintrospection_url = {self._introspection_url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        return f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {conf}\n}}"

    def _config(self) -> str:
        uid, gid, user, group = _owner_names()
        if os.geteuid() == 0:
            # Keep Debian's dovenull/dovecot service users; only the mail uid changes.
            service_users, chroot = "", ""
        else:
            # An ordinary user cannot switch uids or chroot, so every service runs as us.
            service_users = (
                f"default_login_user = {user}\n"
                f"default_internal_user = {user}\n"
                f"default_internal_group = {group}\n"
            )
            chroot = "chroot ="
        # SPECIAL-USE folders, so clients can find Sent etc. without guessing names.
        special_use = "".join(
            f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
            for name in ("Sent", "Drafts", "Trash", "Archive")
        ).rstrip()
        w = self.workdir
        return f"""\
# Generated by tests/testbed/dovecot.py for one test session; safe to delete.
base_dir = {w}/run
state_dir = {w}/state
instance_name = keepwarm-testbed-{w.name}
log_path = {self.log_file}
listen = {HOST}
protocols = imap lmtp
hostname = mail.{DOMAIN}
postmaster_address = postmaster@{DOMAIN}
{service_users}
ssl = yes
ssl_cert = <{self._cert_file}
ssl_key = <{self._key_file}

auth_mechanisms = plain login{" xoauth2 oauthbearer" if self._introspection_url else ""}
# Strip the domain so "owner@example.com" and "owner" are the same user.
auth_username_format = %Ln
# A fresh account must work immediately, and wrong passwords should fail fast.
auth_cache_size = 0
auth_failure_delay = 0
recipient_delimiter = +
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self._passwd_dir}/%n
}}
{self._oauth_passdb()}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={w}/mail/%n
}}
first_valid_uid = {uid}
first_valid_gid = {gid}

mail_location = maildir:~/Maildir
mail_fsync = never
# Only Dovecot writes these maildirs (LMTP, APPEND): it need not rescan them at every STATUS.
maildir_very_dirty_syncs = yes
mail_max_userip_connections = 50
namespace inbox {{
  inbox = yes
  separator = /
{special_use}
}}

service imap-login {{
  {chroot}
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
# Without this socket the auth process disables its per-IP penalty, which would
# otherwise slow every login after a wrong-password test by seconds.
service anvil {{
  {chroot}
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
}}
"""


def _greeting(port: int, tls: bool) -> bytes:
    """The first bytes a server on 127.0.0.1:port sends (after a TLS handshake if asked)."""
    with socket.create_connection((HOST, port), timeout=1) as sock:
        if not tls:
            return sock.recv(64)
        # A liveness probe only; the tests themselves verify the certificate.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(sock) as tls_sock:
            return tls_sock.recv(64)


def _children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (Linux /proc; elsewhere none are found)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _end_processes(pids: list[int], grace: float = 3.0) -> None:
    """SIGTERM, then after ``grace`` seconds SIGKILL, each of these pids."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        pids = [pid for pid in pids if _alive(pid)]
        if not pids:
            return


def _canonical_user(login: str) -> str:
    """Mirror Dovecot's ``%Ln`` plus recipient_delimiter: "Owner+x@example.com" -> "owner"."""
    return login.lower().partition("@")[0].partition("+")[0]
