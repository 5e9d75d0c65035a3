"""The real daemon as a process: start and SIGTERM, one daemon per store, SIGHUP reload, catch-up."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from keepwarm.store import Store
from tests.reminders.support import (
    LISBON,
    add_contact,
    env_settings,
    parse,
    subprocess_environment,
    write_env_file,
)
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

EX_TEMPFAIL = 75
WAIT = 10.0


class DaemonProcess:
    """``python -m keepwarm --env-file F run``, its log in a file."""

    def __init__(self, env_file: Path, log: Path, extra_env: dict[str, str] | None = None) -> None:
        self.log = log
        self._log_handle: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "keepwarm", "--env-file", str(env_file), "run"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log_handle,
            env={**subprocess_environment(), **(extra_env or {})},
            cwd=env_file.parent,
        )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Poll ``condition`` (the daemon runs in real time) until true; fail if the daemon died."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"daemon exited ({self.proc.returncode}) waiting for {what}:\n{self.log_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n{self.log_text()}")
            time.sleep(0.05)

    def wait_logged(self, text: str) -> None:
        self.wait_for(lambda: text in self.log_text(), f"log line {text!r}")

    def stop(self) -> tuple[int, float]:
        """SIGTERM; the exit status and how long the daemon took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=WAIT)
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log_handle.close()


Launcher = Callable[[Path, str], DaemonProcess]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """Start daemons; any still running at the end of the test are killed (only these, by pid)."""
    started: list[DaemonProcess] = []

    def start(env_file: Path, name: str = "daemon") -> DaemonProcess:
        daemon = DaemonProcess(env_file, tmp_path / f"{name}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.close()


def _last_poll(state_dir: Path) -> str | None:
    value = Store(state_dir).runs.get().get("last_poll")
    return str(value) if value else None


def _wait_started(daemon: DaemonProcess, state_dir: Path) -> None:
    """Until the daemon logged its start and finished its first poll."""
    daemon.wait_logged("keepwarm running")
    daemon.wait_for(lambda: _last_poll(state_dir) is not None, "the first poll")


def _wait_polls(daemon: DaemonProcess, state_dir: Path, count: int) -> None:
    """Until ``count`` more polls have finished (each poll records a new last_poll)."""
    seen = {_last_poll(state_dir)}

    def enough() -> bool:
        seen.add(_last_poll(state_dir))
        return len(seen) > count

    daemon.wait_for(enough, f"{count} more polls")


def _env(testbed: Testbed, account: Account, tmp_path: Path, **overrides: str) -> tuple[Path, Path]:
    state_dir = tmp_path / "state"
    env = write_env_file(tmp_path / "keepwarm.env", env_settings(testbed, account, state_dir, **overrides))
    return env, state_dir


def test_starts_polls_and_exits_0_on_sigterm(
    testbed: Testbed, account: Account, tmp_path: Path, launch: Launcher
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="1min")
    daemon = launch(env, "daemon")

    _wait_started(daemon, state_dir)
    code, took = daemon.stop()

    assert code == 0, daemon.log_text()
    assert took < WAIT
    log = daemon.log_text()
    assert "SIGTERM: finishing the current step, then stopping" in log
    assert log.rstrip().endswith("keepwarm.loop: stopped")
    assert "Traceback" not in log


def test_a_second_daemon_on_the_same_state_dir_is_refused(
    testbed: Testbed, account: Account, tmp_path: Path, launch: Launcher
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="1min")
    first = launch(env, "first")
    _wait_started(first, state_dir)

    second = subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env), "run"],
        capture_output=True,
        text=True,
        env=subprocess_environment(),
        cwd=tmp_path,
        timeout=30,
        check=False,
    )

    assert second.returncode == EX_TEMPFAIL, second.stderr
    assert (
        f"keepwarm: another keepwarm daemon (pid {first.proc.pid}) is already running on {state_dir}"
        in second.stderr
    )
    assert first.proc.poll() is None
    assert first.stop()[0] == 0


def test_sighup_with_a_broken_env_file_keeps_the_running_configuration(
    testbed: Testbed, account: Account, tmp_path: Path, launch: Launcher
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="1s")
    daemon = launch(env, "daemon")
    _wait_started(daemon, state_dir)

    write_env_file(env, env_settings(testbed, account, state_dir, poll_interval="banana"))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_logged("reload refused")

    refused = [line for line in daemon.log_text().splitlines() if "reload refused" in line]
    assert len(refused) == 1 and "KEEPWARM_POLL_INTERVAL" in refused[0]
    # Still alive and still working on the old configuration (polling every second).
    _wait_polls(daemon, state_dir, 1)
    assert "configuration and templates reloaded" not in daemon.log_text()

    # A good file is taken on the next SIGHUP.
    write_env_file(env, env_settings(testbed, account, state_dir, poll_interval="2min"))
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_logged("configuration and templates reloaded")
    assert daemon.stop()[0] == 0


def _earlier_today() -> str:
    now = datetime.now(LISBON)
    return "00:00" if now.hour == 0 else f"{now.hour - 1:02d}:{now.minute:02d}"


def test_a_missed_reminder_run_is_caught_up_once_at_start_up(
    testbed: Testbed, account: Account, tmp_path: Path, launch: Launcher, smtp_server: SmtpServer
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="1s", reminder_time=_earlier_today())
    now = datetime.now(LISBON)
    store = Store(state_dir)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)  # whole days, whatever the hour
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=noon)
    store.runs.note("last_reminder_run", now - timedelta(days=2))

    daemon = launch(env, "first")
    daemon.wait_for(lambda: len(smtp_server.received_for(account.address)) > 0, "the caught-up reminder")
    _wait_polls(daemon, state_dir, 1)  # a poll also delivers anything still pending
    assert daemon.stop()[0] == 0

    log = daemon.log_text()
    assert log.count("reminder run: 1 message(s) queued, 1 sent") == 1
    [run] = [line for line in log.splitlines() if "reminder run:" in line]

    # Started again, the daemon has nothing to catch up (its start-up reminder check comes before
    # the first scheduled poll).
    again = launch(env, "second")
    _wait_started(again, state_dir)
    _wait_polls(again, state_dir, 1)
    assert again.stop()[0] == 0

    assert "reminder run:" not in again.log_text(), run
    received = smtp_server.received_for(account.address)
    assert len(received) == 1
    assert parse(received[0].data)["Subject"] == "Check in with Alice Example — 40 days"
