"""The reminder commands, in-process: templates check and render, remind --dry-run and --now."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.render.engine import shipped_dir
from keepwarm.render.samples import DRY_RUN_TOKEN
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.reminders.support import (
    LISBON,
    Outgoing,
    clean_environment,
    env_settings,
    parse,
    text_of,
    write_env_file,
)
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

SHIPPED = ("digest.html.j2", "digest.txt.j2", "drafts/default.txt.j2", "drafts/work.txt.j2")


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment (no KEEPWARM_ variables, cwd in tmp_path) and the store's directory."""
    clean_environment(monkeypatch, tmp_path)
    return tmp_path / "state"


def _env(testbed: Testbed, account: Account, state_dir: Path, **overrides: str) -> str:
    settings = env_settings(testbed, account, state_dir, **overrides)
    return str(write_env_file(state_dir.parent / "keepwarm.env", settings))


def _seed_due(state_dir: Path, *people: tuple[str, int]) -> Store:
    """Contacts the owner last wrote to so many days ago (at noon, so the day count is exact)."""
    store = Store(state_dir)
    noon = datetime.now(LISBON).replace(hour=12, minute=0, second=0, microsecond=0)
    for name, days in people:
        address = f"{name.split()[0].lower()}@example.org"
        store.add_contact(Contact(name, (address,), noon - timedelta(days=400), cadence_days=30))
        store.add_touches([Touch(address, noon - timedelta(days=days), Direction.OUT, subject="Hi")])
    return store


def test_templates_check_passes_the_shipped_templates(
    testbed: Testbed, account: Account, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(testbed, account, state_dir)

    result = run_cli(capsys, "--env-file", env, "templates", "check")

    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines and all(line.startswith("ok    ") for line in lines)
    for name in SHIPPED:
        assert f"ok    {shipped_dir() / name}" in lines


@pytest.mark.parametrize(
    ("name", "source", "line", "problem"),
    [
        ("reminder.txt.j2", "Hello\n\n{{ nope.nope }}\n", 3, "UndefinedError: 'nope' is undefined"),
        ("reminder.txt.j2", "Hello\n{% if %}\n", 2, "Expected an expression"),
        ("drafts/default.txt.j2", "Hi\n{{ contact.nope.nope }}\n", 2, "UndefinedError"),
    ],
    ids=["undefined", "syntax", "draft-undefined"],
)
def test_templates_check_names_file_and_line_of_a_broken_template(
    testbed: Testbed,
    account: Account,
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    source: str,
    line: int,
    problem: str,
) -> None:
    template_dir = state_dir.parent / "templates"
    (template_dir / "drafts").mkdir(parents=True)
    broken = template_dir / name
    broken.write_text(source)
    env = _env(testbed, account, state_dir, template_dir=str(template_dir))

    result = run_cli(capsys, "--env-file", env, "templates", "check")

    assert result.code != 0
    lines = result.out.splitlines()
    assert f"FAIL  {broken}" in lines
    errors = [row for row in lines if row.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {broken}:{line}: ")
    assert problem in errors[0]
    # The templates the user did not touch still come from the shipped set, and pass.
    assert f"ok    {shipped_dir() / 'digest.txt.j2'}" in lines


def test_templates_render_prints_the_contacts_reminder(
    testbed: Testbed,
    account: Account,
    state_dir: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = _env(testbed, account, state_dir)
    store = _seed_due(state_dir, ("Alice Example", 47))
    before = store.path.read_bytes()
    outgoing = Outgoing(smtp_server)

    result = run_cli(capsys, "--env-file", env, "templates", "render", "alice@example.org", "--raw")

    assert result.code == 0, result.err
    msg = parse(result.out)
    assert msg["Subject"] == "Check in with Alice Example — 47 days"
    assert msg["To"] == account.address
    assert msg["X-Keepwarm"] == f"reminder; token={DRY_RUN_TOKEN}"
    text = text_of(msg)
    assert text.startswith("Draft for Alice Example <alice@example.org> - subject: Catching up")
    assert "Hi Alice," in text
    assert store.path.read_bytes() == before
    assert outgoing.envelopes == []


def test_templates_render_shows_the_text_as_read_and_writes_the_html(
    testbed: Testbed, account: Account, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(testbed, account, state_dir)
    _seed_due(state_dir, ("Zoë Émile", 47))
    page = state_dir.parent / "reminder.html"

    result = run_cli(capsys, "--env-file", env, "templates", "render", "zoë", "--html", str(page))

    assert result.code == 0, result.err
    assert result.out.startswith(f"To: {account.address}\nSubject: Check in with Zoë Émile — 47 days\n\n")
    assert "Draft for Zoë Émile <zoë@example.org> - subject: Catching up" in result.out
    assert "Hi Zoë," in result.out
    for mime in ("=?utf-8?", "Content-Transfer-Encoding", "=C3", "<html", "X-Keepwarm"):
        assert mime not in result.out
    assert result.out.endswith(f"the HTML part written to {page}\n")
    assert "<html" in page.read_text(encoding="utf-8") and "Zoë" in page.read_text(encoding="utf-8")


def test_remind_dry_run_names_who_the_cap_holds_back_and_their_day(
    testbed: Testbed,
    account: Account,
    state_dir: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = _env(testbed, account, state_dir, max_reminders_per_day="1")
    _seed_due(state_dir, ("Alice Example", 47), ("Bob Example", 60), ("Carol Example", 50))
    outgoing = Outgoing(smtp_server)
    tomorrow = datetime.now(LISBON) + timedelta(days=1)
    after = tomorrow + timedelta(days=1)

    dry = run_cli(capsys, "--env-file", env, "remind", "--dry-run")
    sent = run_cli(capsys, "--env-file", env, "remind", "--now")

    held = (
        "held back by the daily cap (1 a day; MAX_REMINDERS_PER_DAY):\n"
        f"  Carol Example <carol@example.org>: {tomorrow:%A %-d %B}\n"
        f"  Alice Example <alice@example.org>: {after:%A %-d %B}\n"
    )
    assert dry.code == 0 and dry.out.count("Subject: ") == 1 and "Subject: Check in with Bob" in dry.out
    assert dry.out.endswith(held)
    assert sent.out == "queued 1 reminder message; sent 1, retrying 0, failed 0\n" + held
    assert len(outgoing.envelopes) == 1


def test_remind_dry_run_prints_the_messages_and_changes_nothing(
    testbed: Testbed,
    account: Account,
    state_dir: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = _env(testbed, account, state_dir)
    store = _seed_due(state_dir, ("Alice Example", 47), ("Bob Example", 60))
    before, stamp = store.path.read_bytes(), store.path.stat().st_mtime_ns
    outgoing = Outgoing(smtp_server)

    result = run_cli(capsys, "--env-file", env, "remind", "--dry-run")

    assert result.code == 0, result.err
    assert result.out.count(f"To: {account.address}\nSubject: Check in with ") == 2
    assert "Hi Alice," in result.out and "Hi Bob," in result.out
    assert "X-Keepwarm" not in result.out and "Content-Type" not in result.out
    assert store.path.read_bytes() == before
    assert store.path.stat().st_mtime_ns == stamp
    assert outgoing.envelopes == []
    # And once more: still the same two, since nothing was recorded.
    assert run_cli(capsys, "--env-file", env, "remind", "--dry-run").out.count("Subject: ") == 2


def test_remind_dry_run_with_nobody_due(
    testbed: Testbed, account: Account, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(testbed, account, state_dir)
    _seed_due(state_dir, ("Alice Example", 3))

    result = run_cli(capsys, "--env-file", env, "remind", "--dry-run")

    assert (result.code, result.out) == (0, "nobody is due: no reminder would be sent\n")


def test_remind_now_sends(
    testbed: Testbed,
    account: Account,
    state_dir: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = _env(testbed, account, state_dir)
    store = _seed_due(state_dir, ("Alice Example", 47))
    outgoing = Outgoing(smtp_server)

    result = run_cli(capsys, "--env-file", env, "remind", "--now")

    assert result.code == 0, result.err
    assert result.out == "queued 1 reminder message; sent 1, retrying 0, failed 0\n"
    assert outgoing.subjects() == ["Check in with Alice Example — 47 days"]
    assert {e.rcpt_tos for e in outgoing.envelopes} == {(account.address,)}
    assert [i.state for i in store.outbox.items()] == ["sent"]
    assert store.runs.get().get("last_reminder_run")

    again = run_cli(capsys, "--env-file", env, "remind", "--now")
    assert again.out == "queued 0 reminder messages; sent 0, retrying 0, failed 0\n"
    assert len(outgoing.envelopes) == 1
