"""A full STATE_DIR: one clear line from the CLI, the previous file intact, a daemon that backs off."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.store import Store
from tests.faults.disk import FsizeDisk, FullDisk, tmpfs
from tests.faults.support import Tally, env_file, keepwarm_processes, store_file, wait_for
from tests.reminders.support import LISBON, env_settings, subprocess_environment
from tests.sync.support import mail
from tests.testbed.fixtures import Account, Testbed

PREFILL = 400  # touches already in the store: ~80 KB, far more than the daemon's log will grow
FAILED = "poll failed:"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
REASON = {"tmpfs": "No space left on device", "rlimit": "File too large"}


@pytest.fixture(params=["tmpfs", "rlimit"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FullDisk]:
    """Both kinds of full disk (tmpfs only where it can be mounted)."""
    if request.param == "rlimit":
        yield FsizeDisk(tmp_path / "disk")
        return
    with tmpfs(tmp_path / "disk") as mounted:
        if mounted is None:
            pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the rlimit case runs")
        yield mounted


@pytest.fixture
def any_disk(tmp_path: Path) -> Iterator[FullDisk]:
    """A real ENOSPC tmpfs where possible, else RLIMIT_FSIZE (KEEPWARM_FAULT_DISK=rlimit forces it)."""
    if os.environ.get("KEEPWARM_FAULT_DISK") == "rlimit":
        yield FsizeDisk(tmp_path / "disk")
        return
    with tmpfs(tmp_path / "disk") as mounted:
        yield mounted if mounted is not None else FsizeDisk(tmp_path / "disk")


def _prefill(state_dir: Path, now: datetime) -> None:
    """A store worth keeping: a contact and PREFILL touches; no reminder due for hours."""
    store = Store(state_dir)
    with store.transaction():
        store.add_contact(Contact("Alice Example", ("alice@example.org",), now - timedelta(days=400)))
        store.add_touches(
            Touch(f"old{i % 40}@example.org", now - timedelta(days=1 + i), Direction.IN, subject=f"old {i}")
            for i in range(PREFILL)
        )
        store.runs.note("last_reminder_run", now)


def _new_mail(testbed: Testbed, account: Account, tag: str, count: int) -> None:
    """``count`` messages from friends, arriving now."""
    for n in range(count):
        when = datetime.now(LISBON) - timedelta(minutes=n)
        raw = mail(f"Friend {n} <friend{n}@example.org>", account.address, f"{tag} {n}", f"{tag}.{n}@x", when)
        testbed.deliver(account.address, raw, mail_from=f"friend{n}@example.org")


def _settings(testbed: Testbed, account: Account, state_dir: Path, now: datetime) -> dict[str, str]:
    return env_settings(
        testbed, account, state_dir, poll_interval="1s", reminder_time=f"{(now + timedelta(hours=12)):%H:%M}"
    )


def _cli(env: Path, disk: FullDisk, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_environment(),
        cwd=env.parent,
    )
    disk.attach(proc.pid)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _messages(stderr: str) -> list[str]:
    """What stderr says besides log lines (and the fault tests' own run headers)."""
    return [
        line
        for line in stderr.splitlines()
        if line and not LOG_LINE.match(line) and not line.startswith("===")
    ]


def _touches(state_dir: Path) -> int:
    return Store(state_dir).count("touches")


def test_the_cli_on_a_full_disk_says_one_line_and_keeps_the_previous_file(
    testbed: Testbed, account: Account, disk: FullDisk, tmp_path: Path
) -> None:
    now = datetime.now(LISBON)
    state_dir = disk.state_dir
    _prefill(state_dir, now)
    env = env_file(tmp_path / "keepwarm.env", _settings(testbed, account, state_dir, now))
    _new_mail(testbed, account, "hello", 5)
    before = store_file(state_dir).read_bytes()

    disk.fill()
    refused = {
        "poll": _cli(env, disk, "poll", "--quiet"),
        "contacts add": _cli(env, disk, "contacts", "add", "Bob Example <bob@example.org>", "--every", "3w"),
    }
    intact = store_file(state_dir).read_bytes() == before
    loaded = Store(state_dir)  # it loads
    counts = (loaded.count("touches"), loaded.count("contacts"))
    leftovers = sorted(p.name for p in state_dir.iterdir() if p.name.startswith(".tmp-"))
    disk.free()
    poll = _cli(env, disk, "poll", "--quiet")
    add = _cli(env, disk, "contacts", "add", "Bob Example <bob@example.org>", "--every", "3w")
    Tally(
        f"full disk, CLI ({disk.kind})",
        {
            **{f"{name} exit": r.returncode for name, r in refused.items()},
            "stderr": _messages(refused["poll"].stderr),
            "previous file intact": intact,
            "after space is back": (poll.returncode, add.returncode),
            "touches": _touches(state_dir),
        },
    ).show()

    expected = (
        f"keepwarm: cannot save {store_file(state_dir)}: {REASON[disk.kind]}; the previous file is intact"
    )
    for name, result in refused.items():
        assert result.returncode == os.EX_IOERR, (name, result.returncode)
        assert "Traceback" not in result.stderr, result.stderr
        assert _messages(result.stderr) == [expected], (name, result.stderr)
    assert intact and leftovers == []
    assert counts == (PREFILL, 1)
    assert poll.returncode == 0, poll.stderr
    assert add.returncode == 0, add.stderr
    assert _touches(state_dir) == PREFILL + 5
    assert Store(state_dir).count("contacts") == 2


def test_the_daemon_on_a_full_disk_backs_off_and_saves_once_space_is_back(
    testbed: Testbed, account: Account, any_disk: FullDisk, tmp_path: Path
) -> None:
    disk = any_disk
    now = datetime.now(LISBON)
    state_dir = disk.state_dir
    _prefill(state_dir, now)
    env = env_file(tmp_path / "keepwarm.env", _settings(testbed, account, state_dir, now))
    _new_mail(testbed, account, "first", 3)
    with keepwarm_processes() as start:
        daemon = start(env, ["run"], tmp_path / "daemon.log")
        disk.attach(daemon.pid)
        wait_for(lambda: _touches(state_dir) == PREFILL + 3, "the first poll", 30, daemon)

        disk.fill()
        before = store_file(state_dir).read_bytes()
        _new_mail(testbed, account, "second", 4)
        wait_for(lambda: FAILED in daemon.log_text(), "a failed save", 30, daemon)
        time.sleep(2)  # two poll intervals: it must be alive, and backing off rather than hammering
        alive = daemon.running()
        attempts = daemon.log_text().count(FAILED)
        intact = store_file(state_dir).read_bytes() == before
        kept = _touches(state_dir)

        disk.free()
        back = wait_for(lambda: _touches(state_dir) == PREFILL + 7, "the save once space is back", 60, daemon)
        daemon.signal(signal.SIGTERM)
        code = daemon.wait(20)
        log = daemon.log_text()
    [failure] = [line.split(FAILED, 1)[1].strip() for line in log.splitlines() if FAILED in line]
    retry = re.search(r"next try in (\d+) s", failure)
    Tally(
        f"full disk, daemon ({disk.kind})",
        {
            "failed polls while full": attempts,
            "announced retry s": retry.group(1) if retry else None,
            "saved s after space came back": round(back, 1),
            "touches": _touches(state_dir),
            "exit": code,
        },
    ).show()
    print(f"  poll failed: {failure}")

    assert alive and attempts == 1
    assert intact and kept == PREFILL + 3
    assert failure.startswith(
        f"cannot save {store_file(state_dir)}: {REASON[disk.kind]}; the previous file is intact"
    )
    assert retry is not None and 15 <= int(retry.group(1)) <= 30
    assert code == 0, log[-3000:]
    assert "Traceback" not in log


def test_the_daemon_started_on_a_full_disk_keeps_running_or_says_why_in_one_line(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """The first start after ``keepwarm init`` and a poll, with STATE_DIR full (no daemon.lock yet)."""
    with tmpfs(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("needs a tmpfs (RLIMIT_FSIZE cannot refuse the few bytes of daemon.lock)")
        now = datetime.now(LISBON)
        _prefill(disk.state_dir, now)
        env = env_file(tmp_path / "keepwarm.env", _settings(testbed, account, disk.state_dir, now))
        _new_mail(testbed, account, "hello", 2)
        disk.fill()
        with keepwarm_processes() as start:
            daemon = start(env, ["run"], tmp_path / "daemon.log")
            code = daemon.wait(5)
            if code is None:  # still running: it must save once space is back, and stop cleanly
                disk.free()
                wait_for(lambda: _touches(disk.state_dir) == PREFILL + 2, "the save", 60, daemon)
                daemon.signal(signal.SIGTERM)
                code = daemon.wait(20)
                assert code == 0
            log = daemon.log_text()
    said = _messages(log)
    Tally("full disk at daemon start", {"exit": code, "said": said[-3:]}).show()

    assert "Traceback" not in log, f"keepwarm run on a full STATE_DIR crashed:\n{log[-2500:]}"
    assert code == 0 or (len(said) == 1 and said[0].startswith("keepwarm: ")), log
