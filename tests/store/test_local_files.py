"""keepwarm's own files on disk: no symbolic link is followed, temp files have names nobody can
guess, the state folder's openness is warned about, and no secret reaches a message or a child's
environment."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from keepwarm import config
from keepwarm.config.onboarding import write_env
from keepwarm.config.secrets import PasswordSource
from keepwarm.domain.model import Contact
from keepwarm.errors import ConfigError, StoreError
from keepwarm.runtime.loop import daemon_lock
from keepwarm.store import Store
from keepwarm.store.repository import FILE_NAME
from tests.store.test_store import NOW


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("keep me")
    return victim


def test_a_link_planted_as_the_store_lock_is_refused(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / f"{FILE_NAME}.lock").symlink_to(victim)

    with pytest.raises(StoreError, match="is a symbolic link: keepwarm will not follow it"):
        Store(state).add_contact(Contact("A", ("a@example.org",), NOW))
    assert victim.read_text() == "keep me"


def test_a_link_planted_as_the_daemon_lock_is_refused(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    (tmp_path / "daemon.lock").symlink_to(victim)

    with pytest.raises(StoreError, match="symbolic link"), daemon_lock(tmp_path):
        pass
    assert victim.read_text() == "keep me"


def test_a_link_planted_where_the_old_temp_file_went_is_never_written_through(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    (tmp_path / f".tmp-{FILE_NAME}.{os.getpid()}").symlink_to(victim)

    Store(tmp_path).add_contact(Contact("A", ("a@example.org",), NOW))

    assert victim.read_text() == "keep me"
    assert [c.name for c in Store(tmp_path).contacts()] == ["A"]


def test_the_env_file_replaces_a_planted_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    target = tmp_path / "keepwarm.env"
    target.symlink_to(victim)
    (tmp_path / ".keepwarm.env.tmp").symlink_to(victim)  # where the temp file used to go

    write_env(target, "KEEPWARM_SECRET=x\n", force=True)

    assert victim.read_text() == "keep me"
    assert not target.is_symlink() and target.read_text() == "KEEPWARM_SECRET=x\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_folder_made_for_the_env_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_env(tmp_path / "new" / "keepwarm.env", "KEEPWARM_SECRET=x\n", force=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_a_state_folder_anyone_can_write_to_is_warned_about(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o777)

    loaded = config.load(env_file=None, environ={"KEEPWARM_STATE_DIR": str(state)})

    assert any("is writable by everyone: run chmod 700" in w for w in loaded.warnings)


def test_a_password_under_the_wrong_key_is_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        config.load(
            env_file=None, environ={"HOME": str(tmp_path), "KEEPWARM_IMAP_PASSWORD_FILE": "hunter2-secret"}
        )
    assert "hunter2" not in str(refused.value)
    assert "KEEPWARM_IMAP_PASSWORD_FILE: the file it names does not exist in" in str(refused.value)


def test_a_password_command_sees_no_keepwarm_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPWARM_SMTP_PASSWORD", "smtp-secret")
    monkeypatch.setenv("KEEPWARM_SECRET", "signing-secret")
    script = "import os; print(sorted(k for k in os.environ if k.startswith('KEEPWARM_')) or 'none')"
    command = f'{sys.executable} -c "{script}"'

    printed = PasswordSource("command", "KEEPWARM_IMAP_PASSWORD_COMMAND", command=command).resolve()

    assert printed.reveal() == "none"
