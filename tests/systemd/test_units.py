"""The systemd units verify cleanly and score an exposure of 2.0 or less, with the settings the
daemon relies on (notify, watchdog, no restart loop on a bad configuration)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
SYSTEM_UNITS = ("keepwarm.service", "keepwarm@.service")
USER_UNIT = UNITS / "user" / "keepwarm.service"
MAX_EXPOSURE = 2.0


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (Debian package systemd)")
        pytest.skip("systemd-analyze is missing (Debian package systemd)")
    return path


def _stub(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


def _system_root(tmp_path: Path, unit: str, text: str | None = None) -> tuple[Path, str]:
    """A filesystem root holding the unit and a stub keepwarm, so verify can check ExecStart."""
    root = tmp_path / "root"
    _stub(root / "opt/keepwarm/bin/keepwarm")
    _stub(root / "bin/kill")
    name = unit.replace("@.", "@alice.")  # a template is verified through an instance
    target = root / "etc/systemd/system" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text if text is not None else (UNITS / unit).read_text())
    return root, name


def _verify_system(tmp_path: Path, unit: str, text: str | None = None) -> subprocess.CompletedProcess[str]:
    root, name = _system_root(tmp_path, unit, text)
    return subprocess.run(
        [_analyze(), "verify", "--recursive-errors=no", f"--root={root}", name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _verify_user(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    _stub(home / ".local/bin/keepwarm")
    unit = home / ".config/systemd/user/keepwarm.service"
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(text)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    return subprocess.run(
        [_analyze(), "verify", "--user", "--recursive-errors=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("unit", SYSTEM_UNITS)
def test_system_unit_verifies(tmp_path: Path, unit: str) -> None:
    done = _verify_system(tmp_path, unit)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_user_unit_verifies(tmp_path: Path) -> None:
    done = _verify_user(tmp_path, USER_UNIT.read_text())
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_an_invalid_unit_is_caught(tmp_path: Path) -> None:
    broken = (UNITS / "keepwarm.service").read_text().replace("UMask=", "UMaks=")
    done = _verify_system(tmp_path, "keepwarm.service", broken)
    assert done.returncode != 0
    assert "UMaks" in done.stderr
    user = _verify_user(tmp_path, USER_UNIT.read_text().replace("Type=notify", "Type=notifyy"))
    assert user.returncode != 0


@pytest.mark.parametrize("unit", [*SYSTEM_UNITS, "user/keepwarm.service"])
def test_exposure_is_at_most_two(unit: str) -> None:
    done = subprocess.run(
        [_analyze(), "security", "--offline=yes", "--threshold=20", str(UNITS / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert match, done.stdout + done.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE
    assert done.returncode == 0


@pytest.mark.parametrize("unit", [*SYSTEM_UNITS, "user/keepwarm.service"])
def test_unit_has_what_the_daemon_relies_on(unit: str) -> None:
    text = (UNITS / unit).read_text()
    for line in (
        "Type=notify",
        "RestartPreventExitStatus=78",
        "Restart=on-failure",
        "StateDirectory=keepwarm",
        "UMask=0077",
    ):
        assert line in text, f"{unit} lacks {line}"
    assert re.search(r"^WatchdogSec=\S+", text, re.MULTILINE)
    assert re.search(r"^EnvironmentFile=\S+", text, re.MULTILINE)
    if unit != "user/keepwarm.service":
        assert "DynamicUser=yes" in text
