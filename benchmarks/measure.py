"""Timing helpers: best of several runs, and child processes' peak memory."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best(work: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds: the least disturbed by a noisy machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB) of that child alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{' '.join(args)} failed: {error[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024
