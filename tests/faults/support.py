"""Helpers for the fault tests: counts from the environment, keepwarm child processes, waiting, snapshots."""

from __future__ import annotations

import contextlib
import functools
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from keepwarm.domain.ingest import TouchKey, touch_key
from keepwarm.store import Store
from keepwarm.store.atomic import TMP_PREFIX
from keepwarm.store.repository import FILE_NAME
from tests.reminders.support import subprocess_environment

SEED = int(os.environ.get("KEEPWARM_FAULT_SEED", "20261126"))
PROFILES = [
    pytest.param(False, id="quick"),
    pytest.param(True, id="long", marks=pytest.mark.slow),
]


def count(name: str, quick: int, long: int, *, slow: bool) -> int:
    """``KEEPWARM_FAULT_<name>`` if set (for every profile), else the profile's default."""
    value = os.environ.get(f"KEEPWARM_FAULT_{name}")
    return int(value) if value else (long if slow else quick)


def seconds(name: str, quick: float, long: float, *, slow: bool) -> float:
    """Like ``count``, for a duration in seconds."""
    value = os.environ.get(f"KEEPWARM_FAULT_{name}")
    return float(value) if value else (long if slow else quick)


def rng_for(test: str) -> random.Random:
    """A seeded generator per test, so one test's draws do not shift another's."""
    return random.Random(f"{SEED}:{test}")


@functools.cache
def warm_up() -> None:
    """Start keepwarm once, so the runs a test times do not include compiling its modules."""
    subprocess.run(
        [sys.executable, "-m", "keepwarm", "--version"], capture_output=True, check=True, timeout=120
    )


# Room above the expected duration, so that a run may also finish before its kill.
MARGIN = 1.15


def kill_delay(rng: random.Random, whole_run: float, idle_run: float, left: float) -> float:
    """A random moment within the expected duration of a run that has ``left`` (0..1) of the work to do:
    what a run with nothing to do takes (start Python, load, log in), plus that share of the rest."""
    work = max(0.0, whole_run - idle_run)
    return rng.uniform(0, (idle_run + work * max(0.0, min(1.0, left))) * MARGIN)


def store_file(state_dir: Path) -> Path:
    """The store's JSON file in ``state_dir``."""
    return state_dir / FILE_NAME


def temp_file_of(state_dir: Path, pid: int) -> Path | None:
    """The temp file a process with ``pid`` is writing before its rename (keepwarm.store.atomic
    names it by its pid and a random suffix), if there is one."""
    return next(state_dir.glob(f"{TMP_PREFIX}{FILE_NAME}.{pid}.*"), None)


def doubled_touch_keys(store: Store) -> dict[TouchKey, int]:
    """Touch keys recorded more than once (a doubled touch); empty when all is well."""
    keys = Counter(touch_key(t) for t in store.touches())
    return {k: n for k, n in keys.items() if n > 1}


class Keepwarm:
    """``python -m keepwarm --env-file F ARGS`` as a child process, its stderr appended to ``log``."""

    def __init__(self, env_file: Path, args: Sequence[str], log: Path) -> None:
        self.log = log
        self._handle: IO[bytes] = log.open("ab")
        self._handle.write(f"\n=== keepwarm {' '.join(args)}\n".encode())
        self._handle.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "keepwarm", "--env-file", str(env_file), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._handle,
            env=subprocess_environment(),
            cwd=env_file.parent,
        )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None if the process still runs after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL this process (by its own pid) and reap it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def signal(self, signum: signal.Signals) -> None:
        """Send a signal to this process (by its own pid) if it still runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def log_text(self) -> str:
        self._handle.flush()
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        self.kill()
        self._handle.close()


@contextlib.contextmanager
def keepwarm_processes() -> Iterator[Callable[[Path, Sequence[str], Path], Keepwarm]]:
    """Start keepwarm processes; any still running at the end are killed (only these, by pid)."""
    started: list[Keepwarm] = []

    def start(env_file: Path, args: Sequence[str], log: Path) -> Keepwarm:
        process = Keepwarm(env_file, args, log)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.close()


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float, process: Keepwarm | None = None
) -> float:
    """Poll ``condition`` until true; fail if ``process`` died or time ran out. Returns the seconds waited."""
    started = time.monotonic()
    while not condition():
        if process is not None and not process.running():
            pytest.fail(
                f"keepwarm exited ({process.proc.returncode}) waiting for {what}:\n{process.log_text()}"
            )
        if time.monotonic() - started > timeout:
            log = process.log_text()[-6000:] if process is not None else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{log}")
        time.sleep(0.05)
    return time.monotonic() - started


def kill_when_writing(process: Keepwarm, state_dir: Path, timeout: float) -> bool:
    """SIGKILL the moment the process's temp file appears (a save in progress).

    False if the process ended, or wrote nothing within ``timeout`` (then it is killed anyway).
    """
    deadline = time.monotonic() + timeout
    while process.running():
        if temp_file_of(state_dir, process.pid) is not None:
            process.kill()
            return True
        if time.monotonic() > deadline:
            process.kill()
            return False
        time.sleep(0.0002)
    return False


@dataclass
class Tally:
    """Counts a fault test prints and asserts."""

    name: str
    values: dict[str, object]

    def show(self) -> None:
        print(f"\n[{self.name}] " + ", ".join(f"{k}: {v}" for k, v in self.values.items()))


def env_file(path: Path, settings: dict[str, str]) -> Path:
    """Write ``KEY=value`` lines (the test bed's values need no quoting)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path
