"""keepwarm init in a real terminal (a tmux pane, so a pty): a wrong password first, then the
right one, against the test bed; what the pane shows is what a newcomer sees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clitools import SYSTEMD_VARIABLES
from tests.testbed.fixtures import Account, Testbed

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed: no pty to run init in")


class Pane:
    """One tmux pane on a server of its own (its own socket), torn down afterwards."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *argv: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *argv], capture_output=True, text=True, env=self.env, check=True
        )
        return done.stdout

    def screen(self) -> str:
        """The pane's text, wrapped lines joined."""
        return self.tmux("capture-pane", "-p", "-J", "-t", "init")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the pane shows:\n{self.screen()}")

    def type(self, keys: str) -> None:
        self.tmux("send-keys", "-t", "init", "-l", keys)
        self.tmux("send-keys", "-t", "init", "Enter")


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPWARM_", "TMUX"))}
    env = {k: v for k, v in env.items() if k not in SYSTEMD_VARIABLES}
    opened = Pane(f"keepwarm-test-{uuid.uuid4().hex[:8]}", env | {"TERM": "xterm"})
    yield opened
    subprocess.run([TMUX or "tmux", "-L", opened.socket, "kill-server"], capture_output=True, check=False)


def test_init_at_a_terminal_retries_a_wrong_password_and_ends_with_the_next_step(
    testbed: Testbed, account: Account, tmp_path: Path, pane: Pane
) -> None:
    target = tmp_path / "keepwarm.env"
    ca = str(testbed.ca_file)
    argv = [
        sys.executable,
        "-m",
        "keepwarm",
        "init",
        f"--output={target}",
        f"--email={account.address}",
        "--owner-name=Naomi Example",
        f"--daemon-address={account.plus('keepwarm')}",
        f"--imap-host={testbed.host}",
        f"--imap-port={testbed.imaps_port}",
        "--imap-security=ssl",
        f"--imap-user={account.user}",
        f"--imap-ca-file={ca}",
        f"--smtp-user={account.user}",
        f"--smtp-host={testbed.host}",
        f"--smtp-port={testbed.smtp_starttls_port}",
        "--smtp-security=starttls",
        f"--smtp-ca-file={ca}",
        f"--state-dir={tmp_path / 'state'}",
        "--timezone=UTC",
        "--reminder-time=08:30",
        "--save-drafts=no",
    ]
    # The shell keeps the pane open after init ends, so its last lines can still be read.
    command = " ".join(f"'{arg}'" for arg in argv) + "; echo exit=$?; sleep 600"
    pane.tmux("new-session", "-d", "-s", "init", "-x", "220", "-y", "50", "-c", str(tmp_path), command)

    pane.wait_for("IMAP password: ")
    pane.type("not-" + account.password)
    pane.wait_for("IMAP password again (blank to skip): ")
    pane.type(account.password)
    pane.wait_for("authserv-id")
    pane.type("")
    screen = pane.wait_for("exit=")

    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    print("\n".join(lines))  # what the newcomer saw, for the record (-s shows it)
    assert lines == [
        "IMAP password:",
        f"FAIL  IMAP: IMAP {testbed.host}:{testbed.imaps_port} refused the login for {account.user}: "
        "check the password",
        "IMAP password again (blank to skip):",
        *[line for line in lines if line.startswith("PASS  IMAP: logged in as ")][:1],
        *[line for line in lines if line.startswith("PASS  SMTP: logged in to ")][:1],
        "Your provider's authserv-id, to tell your mail from forgeries (blank: learn it from a reply):",
        f"wrote {target} (mode 0600)",
        "keepwarm learns your provider's authentication stamp from your first reply to one of its "
        "messages; until then, adding people and sharing by mail wait for such a reply",
        f"Next: keepwarm --env-file {target} poll  (reads your mail for the first time; takes a few minutes)",
        "exit=0",
    ]
    assert len(lines) == 10, screen  # both PASS lines were there
    assert account.password not in screen
    assert target.stat().st_mode & 0o777 == 0o600
