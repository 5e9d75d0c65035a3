"""keepwarm check (every part tried, one PASS/FAIL line each) and keepwarm status, on the test bed."""

from __future__ import annotations

import email.utils
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from keepwarm.store.runs import REAUTHORISATION
from tests.clitools import CliRun as Run
from tests.clitools import clear_environment
from tests.clitools import run_cli as run
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed

CHECK_NAMES = ["configuration", "mail settings", "state file", "sender check", "IMAP", "SMTP", "templates"]


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the env file configures keepwarm: no KEEPWARM_ variables, no ./.env, no journal."""
    clear_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)


def write_env(path: Path, settings: dict[str, str]) -> Path:
    path.write_text("".join(f"KEEPWARM_{key}={value}\n" for key, value in settings.items()))
    return path


def bed_settings(testbed: Testbed, account: Account, state_dir: Path, **overrides: str) -> dict[str, str]:
    settings = {
        "OWNER_NAME": "Naomi Owner",
        "OWNER_EMAILS": account.address,
        "DAEMON_ADDRESS": account.plus("keepwarm"),
        "IMAP_HOST": testbed.host,
        "IMAP_PORT": str(testbed.imaps_port),
        "IMAP_SECURITY": "ssl",
        "IMAP_USER": account.user,
        "IMAP_PASSWORD": account.password,
        "IMAP_CA_FILE": str(testbed.ca_file),
        "SMTP_HOST": testbed.host,
        "SMTP_PORT": str(testbed.smtp_starttls_port),
        "SMTP_SECURITY": "starttls",
        "SMTP_USER": account.user,
        "SMTP_PASSWORD": account.password,
        "SMTP_CA_FILE": str(testbed.ca_file),
        "STATE_DIR": str(state_dir),
        "TIMEZONE": "UTC",
        "SECRET": "test-secret-0123456789abcdef",
    }
    return settings | overrides


def check_lines(result: Run) -> dict[str, tuple[str, str]]:
    """check name -> (PASS or FAIL, detail)."""
    found: dict[str, tuple[str, str]] = {}
    for line in result.lines:
        status, _, rest = line.partition("  ")
        name, _, detail = rest.partition(": ")
        assert status in ("PASS", "FAIL"), line
        found[name] = (status, detail)
    return found


# -- check -----------------------------------------------------------------------------------------


def test_check_with_a_broken_configuration_fails_on_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = write_env(
        tmp_path / "broken.env",
        {"STATE_DIR": str(tmp_path / "state"), "IMAP_PORT": "99999", "TIMEZONE": "Mars/Olympus_Mons"},
    )

    result = run(capsys, "--env-file", str(env), "check")

    assert result.code != 0
    [line] = result.lines  # nothing else is tried with a broken configuration
    assert line.startswith("FAIL  configuration: ")
    assert "KEEPWARM_IMAP_PORT" in line and "99999" in line
    assert "KEEPWARM_TIMEZONE" in line
    assert f"{env}:2" in line  # where the bad value came from


def test_check_with_a_missing_env_file_fails_on_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "--env-file", str(tmp_path / "nope.env"), "check")

    assert result.code != 0
    assert result.lines == [
        f"FAIL  configuration: no settings file ({tmp_path / 'nope.env'} not found): run 'keepwarm init'"
    ]


def test_check_names_the_settings_file_it_read_and_fails_loudly_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for name in [n for n in os.environ if n.startswith("KEEPWARM_")]:
        monkeypatch.delenv(name)

    nothing = run(capsys, "check")
    env = write_env(elsewhere / ".env", {"STATE_DIR": str(tmp_path / "state"), "TIMEZONE": "UTC"})
    found = run(capsys, "check")

    assert nothing.code != 0
    assert nothing.lines == [
        f"FAIL  configuration: no settings file ({elsewhere / '.env'} not found): run 'keepwarm init'"
    ]
    assert found.lines[0] == f"PASS  configuration: read {env.resolve()}: all settings valid"


def test_check_without_mail_settings_says_which_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = write_env(tmp_path / "bare.env", {"STATE_DIR": str(tmp_path / "state"), "TIMEZONE": "UTC"})

    result = run(capsys, "--env-file", str(env), "check")

    assert result.code != 0
    checks = check_lines(result)
    assert list(checks) == CHECK_NAMES
    assert checks["configuration"][0] == "PASS"
    assert checks["mail settings"][0] == "FAIL"
    assert checks["IMAP"][0] == "FAIL" and checks["SMTP"][0] == "FAIL"
    assert checks["templates"][0] == "PASS"  # the shipped templates need no mail settings


def test_check_on_the_test_bed_passes_every_line(
    testbed: Testbed, account: Account, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = write_env(tmp_path / "keepwarm.env", bed_settings(testbed, account, tmp_path / "state"))

    result = run(capsys, "--env-file", str(env), "check")

    assert result.code == 0, result.out + result.err
    checks = check_lines(result)
    assert list(checks) == CHECK_NAMES
    assert all(status == "PASS" for status, _ in checks.values()), result.out
    assert checks["IMAP"][1].startswith(f"logged in as {account.user}; watching INBOX (0 messages)")
    assert checks["SMTP"][1] == f"logged in to {testbed.host}:{testbed.smtp_starttls_port} as {account.user}"


@pytest.mark.parametrize(
    ("name", "source", "line"),
    [
        ("reminder.txt.j2", "Hello\n{% if %}\n", 2),
        ("digest.txt.j2", "Hi\n\n\n{{ nope.nope }}\n", 4),
        ("drafts/default.txt.j2", "{% for x in %}\n", 1),
    ],
    ids=["syntax", "undefined", "draft-syntax"],
)
def test_check_names_file_and_line_of_a_broken_template(
    testbed: Testbed,
    account: Account,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    source: str,
    line: int,
) -> None:
    template_dir = tmp_path / "templates"
    (template_dir / "drafts").mkdir(parents=True)
    broken = template_dir / name
    broken.write_text(source)
    settings = bed_settings(testbed, account, tmp_path / "state", TEMPLATE_DIR=str(template_dir))
    env = write_env(tmp_path / "keepwarm.env", settings)

    result = run(capsys, "--env-file", str(env), "check")

    assert result.code == 1
    checks = check_lines(result)
    status, detail = checks["templates"]
    assert status == "FAIL"
    assert f"{broken}:{line}: " in detail
    assert [n for n, (s, _) in checks.items() if s == "FAIL"] == ["templates"]


# -- status ----------------------------------------------------------------------------------------


def status_env(tmp_path: Path, state_dir: Path) -> Path:
    return write_env(tmp_path / "status.env", {"STATE_DIR": str(state_dir), "TIMEZONE": "UTC"})


def test_status_json_on_a_fresh_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = status_env(tmp_path, tmp_path / "state")

    result = run(capsys, "--env-file", str(env), "status", "--json")

    assert result.code == 0, result.err
    assert result.json() == {
        "last_poll": None,
        "last_reminder_run": None,
        "contacts": 0,
        "touches": 0,
        "skipped": {},
        "outbox_pending": 0,
        "outbox_failed": [],
        "recent_errors": [],
        "reauthorisation_needed": False,
        "answers_held": 0,
        "answers_released_at": None,
        "sender_check": {"servid": None, "learned_at": None, "trust_from": False},
        "mailboxes": [{"name": "main", "folders": {}, "last_error": None}],
        "addressbooks": [],
        "calendars": [],
        "seeing": [],
    }


def test_status_on_a_fresh_store_says_never(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = status_env(tmp_path, tmp_path / "state")

    result = run(capsys, "--env-file", str(env), "status")

    assert result.code == 0, result.err
    assert "last poll:          never" in result.lines
    assert "skipped messages:   0" in result.lines
    assert "outbox pending:     0" in result.lines
    assert any(line.startswith("sender check:       none yet: adding people") for line in result.lines)


@pytest.mark.parametrize(
    ("settings", "learned", "line"),
    [
        ({"AUTH_SERVID": "mx.google.com"}, None, "the stamp of mx.google.com (AUTH_SERVID)"),
        ({}, ".icloud.com", "the stamp of *.icloud.com (learned 2026-11-20 from your reply)"),
        ({"TRUST_FROM": "yes"}, None, "none: the From header is trusted as it is (TRUST_FROM=yes)"),
    ],
    ids=["configured", "learned", "trust-from"],
)
def test_status_and_check_say_how_mail_from_the_owner_is_told_from_a_forgery(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    settings: dict[str, str],
    learned: str | None,
    line: str,
) -> None:
    env = status_env(tmp_path, tmp_path / "state")
    env.write_text(env.read_text() + "".join(f"KEEPWARM_{k}={v}\n" for k, v in settings.items()))
    if learned:
        Store(tmp_path / "state").runs.learn_servid(learned, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    status = run(capsys, "--env-file", str(env), "status")
    checked = check_lines(run(capsys, "--env-file", str(env), "check"))

    assert f"sender check:       {line}" in status.lines
    assert checked["sender check"] == ("PASS", line)


def _mail(frm: str, to: str, subject: str, msgid: str, when: datetime, extra: str = "") -> bytes:
    return (
        f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {email.utils.format_datetime(when)}\r\n"
        f"Message-ID: <{msgid}>\r\n{extra}\r\nHello.\r\n"
    ).encode()


def test_status_after_a_poll_shows_when_and_what_was_skipped(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sent = now - timedelta(days=2)
    owner = account.address
    testbed.append(account, "INBOX", _mail("Alice <alice@example.org>", owner, "Photos", "a1@x", sent))
    testbed.append(
        account, "INBOX", _mail("news@list.example", owner, "Weekly", "l1@x", sent, "List-Id: <n.x>\r\n")
    )
    testbed.append(account, "INBOX", _mail("no-reply@shop.example", owner, "Receipt", "n1@x", sent))
    config = make_config()
    build_service(config, Store(config.state_dir)).poll(now)
    env = status_env(tmp_path, config.state_dir)

    data = run(capsys, "--env-file", str(env), "status", "--json").json()
    human = run(capsys, "--env-file", str(env), "status")

    assert datetime.fromisoformat(data["last_poll"]) == now
    assert data["skipped"] == {"mailing-list": 1, "no-reply-sender": 1}
    assert (data["contacts"], data["touches"], data["outbox_pending"]) == (0, 1, 0)
    (last_poll,) = [line for line in human.lines if line.startswith("last poll:")]
    shown = datetime.strptime(last_poll[20:36], "%Y-%m-%d %H:%M").replace(tzinfo=now.tzinfo)
    assert last_poll.endswith(" (just now)") and abs(shown - now) % timedelta(hours=1) < timedelta(minutes=1)
    assert "skipped messages:   2 (mailing-list 1, no-reply-sender 1)" in human.lines


def test_status_reports_recent_errors_and_asks_for_reauthorisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(tmp_path / "state")
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    store.runs.error(at, "IMAP: re-authorisation needed: the refresh token was revoked", kind=REAUTHORISATION)
    env = status_env(tmp_path, tmp_path / "state")

    data = run(capsys, "--env-file", str(env), "status", "--json").json()
    human = run(capsys, "--env-file", str(env), "status")

    assert data["recent_errors"] == [
        {
            "at": at.isoformat(),
            "error": "IMAP: re-authorisation needed: the refresh token was revoked",
            "cleared": False,
        }
    ]
    assert data["reauthorisation_needed"] is True
    assert any(line.startswith("ATTENTION:") and "keepwarm auth" in line for line in human.lines)


def test_status_stops_showing_an_error_once_the_same_step_has_succeeded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The poll failed at 08:00 (Dovecot was down) and succeeded at 08:05: the error is history,
    not a current problem; a failed reminder run with no success since still shows."""
    store = Store(tmp_path / "state")
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    store.runs.error(at, "poll: IMAP 127.0.0.1:1993: cannot connect: connection refused")
    store.runs.error(at, "remind: SMTP 127.0.0.1:1587: timed out")
    store.runs.note("last_poll", at + timedelta(minutes=5))
    env = status_env(tmp_path, tmp_path / "state")
    env.write_text(env.read_text() + "KEEPWARM_TIMEZONE=UTC\n")

    data = run(capsys, "--env-file", str(env), "status", "--json").json()
    human = run(capsys, "--env-file", str(env), "status")

    assert [e["cleared"] for e in data["recent_errors"]] == [True, False]
    errors = [line for line in human.lines if line.startswith(("error:", "earlier errors:"))]
    assert errors == [
        "error:              2026-03-01 08:00: remind: SMTP 127.0.0.1:1587: timed out",
        "earlier errors:     1, each followed by a success (status --json lists them)",
    ]
    assert any(line.startswith("last poll:          2026-03-01 08:05 (") for line in human.lines)
