"""Full disks for the fault tests: a tiny tmpfs filled to ENOSPC, or RLIMIT_FSIZE (EFBIG) on one process."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

TMPFS_SIZE = "4m"


class FullDisk(Protocol):
    """Where the store lives, and a switch that makes saving there fail, and work again."""

    kind: str
    state_dir: Path

    def attach(self, pid: int) -> None:
        """Apply the current state to a process just started (only RLIMIT_FSIZE is per process)."""

    def fill(self) -> None:
        """From now on, growing the store fails."""

    def free(self) -> None:
        """Space is back."""


class TmpfsDisk:
    """A tmpfs of TMPFS_SIZE mounted for the test; full means a filler file took every page."""

    kind = "tmpfs"

    def __init__(self, mountpoint: Path) -> None:
        self.mountpoint = mountpoint
        self.state_dir = mountpoint / "state"
        self._filler = mountpoint / "filler"

    def attach(self, pid: int) -> None:
        pass

    def fill(self) -> None:
        block = b"\0" * 4096
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, block)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
        finally:
            os.close(fd)

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)


class FsizeDisk:
    """RLIMIT_FSIZE on the keepwarm processes: no file may grow past the store's current size
    (writes past it fail with EFBIG, "File too large"; Python ignores SIGXFSZ)."""

    kind = "rlimit"

    def __init__(self, directory: Path) -> None:
        self.state_dir = directory / "state"
        self._limit: int | None = None
        self._pids: list[int] = []

    def _apply(self, pid: int) -> None:
        soft = resource.RLIM_INFINITY if self._limit is None else self._limit
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, resource.RLIM_INFINITY))

    def attach(self, pid: int) -> None:
        # Set right after the start: the first save comes long after Python's start-up.
        self._pids.append(pid)
        self._apply(pid)

    def fill(self) -> None:
        self._limit = (self.state_dir / "keepwarm.json").stat().st_size
        for pid in self._pids:
            self._apply(pid)

    def free(self) -> None:
        self._limit = None
        for pid in self._pids:
            self._apply(pid)


def can_mount_tmpfs() -> bool:
    """Root with the right to mount (not the case in many containers)."""
    return os.geteuid() == 0 and shutil.which("mount") is not None and shutil.which("umount") is not None


@contextlib.contextmanager
def tmpfs(mountpoint: Path) -> Iterator[TmpfsDisk | None]:
    """A mounted TmpfsDisk, or None where tmpfs cannot be mounted; unmounted afterwards."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    if not can_mount_tmpfs():
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield TmpfsDisk(mountpoint)
    finally:
        if subprocess.run(["umount", str(mountpoint)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, check=False)
