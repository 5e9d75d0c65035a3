"""Loading configuration from an env file and the environment: values, defaults, problems, secrets."""

from __future__ import annotations

import io
import logging
import re
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from keepwarm import config, logs
from keepwarm.config.loader import gather
from keepwarm.config.secrets import PasswordSource, Secret
from keepwarm.errors import ConfigError
from tests.clitools import preserved_root_logger

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = REPO_ROOT / "config.example.env"
KNOWN_KEYS = {setting.env_name for setting in config.SETTINGS}


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray ./.env from wherever the tests run."""
    monkeypatch.chdir(tmp_path)


def write_env(tmp_path: Path, text: str, name: str = "keepwarm.env") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_problems(env_file: Path | None, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config.load(env_file=env_file, environ=environ)
    return info.value.problems


# -- values and precedence -----------------------------------------------------------------------


def test_values_come_from_the_env_file(tmp_path: Path) -> None:
    env_file = write_env(
        tmp_path,
        "# my settings\n"
        'KEEPWARM_OWNER_NAME="Naomi Example"\n'
        "KEEPWARM_OWNER_EMAILS=Naomi@Example.com, naomi@work.example\n"
        "KEEPWARM_DAEMON_ADDRESS=naomi+keepwarm@example.com\n"
        "KEEPWARM_IMAP_HOST=imap.example.com\n"
        "KEEPWARM_IMAP_FOLDERS=INBOX, Sent\n"
        "export KEEPWARM_POLL_INTERVAL=10min\n"
        "KEEPWARM_REMINDER_TIME=07:15\n"
        "KEEPWARM_DEFAULT_CADENCE=3m\n"
        "KEEPWARM_MAX_REMINDERS_PER_DAY=5\n"
        "KEEPWARM_TIMEZONE=Europe/Lisbon\n"
        f"KEEPWARM_STATE_DIR={tmp_path / 'state'}\n",
    )
    loaded = config.load(env_file=env_file, environ={})
    assert loaded.owner_name == "Naomi Example"
    assert loaded.owner_emails == ("naomi@example.com", "naomi@work.example")
    assert loaded.daemon_address == "naomi+keepwarm@example.com"
    assert loaded.imap.host == "imap.example.com"
    assert loaded.imap_folders == ("INBOX", "Sent")
    assert loaded.poll_interval == timedelta(minutes=10)
    assert loaded.reminder_time == time(7, 15)
    assert loaded.default_cadence_days == 90
    assert loaded.max_reminders_per_day == 5
    assert loaded.timezone == ZoneInfo("Europe/Lisbon")
    assert loaded.state_dir == tmp_path / "state"
    assert loaded.warnings == ()


def test_the_environment_overrides_the_env_file(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "KEEPWARM_POLL_INTERVAL=banana\nKEEPWARM_OWNER_NAME=File Name\n")
    loaded = config.load(
        env_file=env_file, environ={"KEEPWARM_POLL_INTERVAL": "2h", "KEEPWARM_OWNER_NAME": "Env Name"}
    )
    assert loaded.poll_interval == timedelta(hours=2)
    assert loaded.owner_name == "Env Name"


def test_defaults(tmp_path: Path) -> None:
    loaded = config.load(env_file=write_env(tmp_path, ""), environ={"HOME": str(tmp_path)})
    assert loaded.poll_interval == timedelta(minutes=5)
    assert loaded.reminder_time == time(8, 30)
    assert loaded.default_cadence_days == 30
    assert loaded.max_reminders_per_day == 3
    assert loaded.imap_folders == ("auto",)
    assert (loaded.imap.security, loaded.imap.port) == ("ssl", 993)
    assert (loaded.smtp.security, loaded.smtp.port) == ("ssl", 465)
    assert loaded.imap.password is None
    assert loaded.secret is None
    assert loaded.owner_emails == ()
    assert loaded.draft_language == "en"


def test_starttls_ports(tmp_path: Path) -> None:
    loaded = config.load(
        env_file=write_env(tmp_path, ""),
        environ={"KEEPWARM_IMAP_SECURITY": "starttls", "KEEPWARM_SMTP_SECURITY": "STARTTLS"},
    )
    assert (loaded.imap.security, loaded.imap.port) == ("starttls", 143)
    assert (loaded.smtp.security, loaded.smtp.port) == ("starttls", 587)


def test_an_explicit_port_wins(tmp_path: Path) -> None:
    loaded = config.load(
        env_file=write_env(tmp_path, ""),
        environ={"KEEPWARM_IMAP_SECURITY": "starttls", "KEEPWARM_IMAP_PORT": "1143"},
    )
    assert loaded.imap.port == 1143


def test_state_dir_defaults_to_state_directory_then_xdg(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "")
    systemd = config.load(
        env_file=env_file,
        environ={"STATE_DIRECTORY": "/var/lib/keepwarm:/var/lib/other", "XDG_STATE_HOME": "/xdg/state"},
    )
    assert systemd.state_dir == Path("/var/lib/keepwarm")
    xdg = config.load(env_file=env_file, environ={"XDG_STATE_HOME": "/xdg/state", "HOME": "/home/naomi"})
    assert xdg.state_dir == Path("/xdg/state/keepwarm")
    home = config.load(env_file=env_file, environ={"HOME": "/home/naomi"})
    assert home.state_dir == Path("/home/naomi/.local/state/keepwarm")
    explicit = config.load(
        env_file=env_file, environ={"STATE_DIRECTORY": "/var/lib/keepwarm", "KEEPWARM_STATE_DIR": "/srv/kw"}
    )
    assert explicit.state_dir == Path("/srv/kw")


def test_env_file_named_by_keepwarm_env_file(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "KEEPWARM_MAX_REMINDERS_PER_DAY=7\n", name="custom.env")
    loaded = config.load(environ={"KEEPWARM_ENV_FILE": str(env_file)})
    assert loaded.max_reminders_per_day == 7
    assert loaded.warnings == ()


def test_dot_env_in_the_working_directory_is_read_when_present(tmp_path: Path) -> None:
    assert config.load(environ={}).max_reminders_per_day == 3  # no ./.env: no problem
    write_env(tmp_path, "KEEPWARM_MAX_REMINDERS_PER_DAY=9\n", name=".env")
    assert config.load(environ={}).max_reminders_per_day == 9


# -- problems --------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_key_and_origin(tmp_path: Path) -> None:
    env_file = write_env(
        tmp_path,
        "# settings\nKEEPWARM_POLL_INTERVAL=banana\nKEEPWARM_REMINDER_TIME=25:00\n",
    )
    problems = load_problems(
        env_file,
        {"KEEPWARM_MAX_REMINDERS_PER_DAY": "0", "KEEPWARM_TIMEZONE": "Mars/Olympus_Mons"},
    )
    assert len(problems) == 4, problems

    def problem_for(key: str) -> str:
        (found,) = [p for p in problems if p.startswith(key + ":")]
        return found

    assert f"{env_file}:2" in problem_for("KEEPWARM_POLL_INTERVAL")
    assert "banana" in problem_for("KEEPWARM_POLL_INTERVAL")
    assert f"{env_file}:3" in problem_for("KEEPWARM_REMINDER_TIME")
    assert "environment" in problem_for("KEEPWARM_MAX_REMINDERS_PER_DAY")
    assert "environment" in problem_for("KEEPWARM_TIMEZONE")
    assert "Mars/Olympus_Mons" in problem_for("KEEPWARM_TIMEZONE")


def test_config_error_message_has_one_line_per_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(
            env_file=write_env(tmp_path, ""),
            environ={"KEEPWARM_POLL_INTERVAL": "0d", "KEEPWARM_IMAP_PORT": "70000"},
        )
    assert str(info.value).splitlines() == info.value.problems
    assert len(info.value.problems) == 2


def test_unparseable_env_file_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "KEEPWARM_OWNER_NAME=Naomi\nthis is not a setting\n")
    problems = load_problems(env_file, {})
    assert len(problems) == 1
    assert f"{env_file}:2" in problems[0]
    assert "parse" in problems[0]


def test_explicit_env_file_that_does_not_exist_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.env"
    problems = load_problems(missing, {})
    assert len(problems) == 1
    assert str(missing) in problems[0]
    assert "does not exist" in problems[0]
    problems = load_problems(None, {"KEEPWARM_ENV_FILE": str(missing)})
    assert any(str(missing) in p for p in problems)


def test_unknown_key_gives_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "KEEPWARM_POLL_INTERVALL=10min\n")
    loaded = config.load(env_file=env_file, environ={"KEEPWARM_TOTALLY_UNRELATED_THING": "1"})
    assert loaded.poll_interval == timedelta(minutes=5)
    assert len(loaded.warnings) == 2
    (typo,) = [w for w in loaded.warnings if "KEEPWARM_POLL_INTERVALL" in w]
    assert "did you mean KEEPWARM_POLL_INTERVAL" in typo
    assert f"{env_file}:1" in typo


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ({"KEEPWARM_IMAP_FOLDERS": "auto, INBOX"}, "KEEPWARM_IMAP_FOLDERS"),
        ({"KEEPWARM_OWNER_EMAILS": "naomi@, other@example.com"}, "KEEPWARM_OWNER_EMAILS"),
        ({"KEEPWARM_DAEMON_ADDRESS": "not an address"}, "KEEPWARM_DAEMON_ADDRESS"),
        ({"KEEPWARM_IMAP_HOST": "imap example com"}, "KEEPWARM_IMAP_HOST"),
        ({"KEEPWARM_SMTP_SECURITY": "tls1.3"}, "KEEPWARM_SMTP_SECURITY"),
        ({"KEEPWARM_SMTP_PORT": "smtp"}, "KEEPWARM_SMTP_PORT"),
        ({"KEEPWARM_DEFAULT_CADENCE": "5min"}, "KEEPWARM_DEFAULT_CADENCE"),
        ({"KEEPWARM_IMAP_CA_FILE": "/nonexistent/ca.pem"}, "KEEPWARM_IMAP_CA_FILE"),
        ({"KEEPWARM_TEMPLATE_DIR": "/nonexistent/templates"}, "KEEPWARM_TEMPLATE_DIR"),
        ({"KEEPWARM_DRAFT_LANGUAGE": "es"}, "KEEPWARM_DRAFT_LANGUAGE"),
    ],
)
def test_single_bad_values(tmp_path: Path, bad: dict[str, str], fragment: str) -> None:
    problems = load_problems(write_env(tmp_path, ""), bad)
    assert len(problems) == 1
    assert problems[0].startswith(fragment)
    assert "environment" in problems[0]


def test_a_draft_language_without_drafts_is_one_line_saying_which_there_are(tmp_path: Path) -> None:
    problems = load_problems(write_env(tmp_path, ""), {"KEEPWARM_DRAFT_LANGUAGE": "es"})
    assert problems == [
        "KEEPWARM_DRAFT_LANGUAGE: no drafts in es yet; available: de, en, fr (from the environment)"
    ]
    loaded = config.load(env_file=write_env(tmp_path, "KEEPWARM_DRAFT_LANGUAGE=DE\n"), environ={})
    assert loaded.draft_language == "de"


def test_password_and_password_command_together_is_a_problem(tmp_path: Path) -> None:
    problems = load_problems(
        write_env(tmp_path, ""),
        {"KEEPWARM_IMAP_PASSWORD": "pw-value-one", "KEEPWARM_IMAP_PASSWORD_COMMAND": "echo pw"},
    )
    assert len(problems) == 1
    assert re.search(r"KEEPWARM_IMAP_PASSWORD(?!_)", problems[0])
    assert "KEEPWARM_IMAP_PASSWORD_COMMAND" in problems[0]
    assert "pw-value-one" not in problems[0]


def test_security_none_to_a_remote_host_is_a_problem(tmp_path: Path) -> None:
    problems = load_problems(
        write_env(tmp_path, ""), {"KEEPWARM_IMAP_SECURITY": "none", "KEEPWARM_IMAP_HOST": "imap.example.com"}
    )
    assert len(problems) == 1
    assert problems[0].startswith("KEEPWARM_IMAP_SECURITY")
    assert "imap.example.com" in problems[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]"])
def test_security_none_to_loopback_is_fine(tmp_path: Path, host: str) -> None:
    loaded = config.load(
        env_file=write_env(tmp_path, ""),
        environ={"KEEPWARM_IMAP_SECURITY": "none", "KEEPWARM_IMAP_HOST": host},
    )
    assert loaded.imap.security == "none"
    assert loaded.imap.port == 143


# -- passwords -----------------------------------------------------------------------------------


def test_password_file_relative_name_is_found_in_credentials_directory(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-pass").write_text("file-password-123\n", encoding="utf-8")
    loaded = config.load(
        env_file=write_env(tmp_path, ""),
        environ={"CREDENTIALS_DIRECTORY": str(creds), "KEEPWARM_IMAP_PASSWORD_FILE": "imap-pass"},
    )
    source = loaded.imap.password
    assert source is not None
    assert source.path == creds / "imap-pass"
    assert source.key == "KEEPWARM_IMAP_PASSWORD_FILE"
    assert source.resolve().reveal() == "file-password-123"


def test_conventional_credential_is_used_without_a_setting(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp-password").write_text("smtp-cred-456", encoding="utf-8")
    loaded = config.load(env_file=write_env(tmp_path, ""), environ={"CREDENTIALS_DIRECTORY": str(creds)})
    assert loaded.imap.password is None
    assert loaded.smtp.password is not None
    assert loaded.smtp.password.resolve().reveal() == "smtp-cred-456"


def test_missing_password_file_is_a_problem(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    problems = load_problems(
        write_env(tmp_path, ""),
        {"CREDENTIALS_DIRECTORY": str(creds), "KEEPWARM_SMTP_PASSWORD_FILE": "nope"},
    )
    assert len(problems) == 1
    assert problems[0].startswith("KEEPWARM_SMTP_PASSWORD_FILE")
    assert f"does not exist in {creds} " in problems[0]
    assert "nope" not in problems[0]  # the value could be a password put under the wrong key


def test_password_command_resolves_to_its_first_line(tmp_path: Path) -> None:
    loaded = config.load(
        env_file=write_env(tmp_path, ""),
        environ={"KEEPWARM_IMAP_PASSWORD_COMMAND": "printf 's3cret-value\\nsecond line\\n'"},
    )
    assert loaded.imap.password is not None
    assert loaded.imap.password.kind == "command"
    assert loaded.imap.password.resolve().reveal() == "s3cret-value"


def test_password_command_is_not_run_while_loading(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config.load(
        env_file=write_env(tmp_path, ""),
        environ={"KEEPWARM_IMAP_PASSWORD_COMMAND": f"touch {marker}"},
    )
    assert not marker.exists()


def test_failing_password_command_names_the_key_and_hides_the_output() -> None:
    source = PasswordSource(
        "command",
        "KEEPWARM_IMAP_PASSWORD_COMMAND",
        command="sh -c 'echo leaked-pw-output; echo leaked-pw-output >&2; exit 3'",
    )
    with pytest.raises(ConfigError) as info:
        source.resolve()
    (problem,) = info.value.problems
    assert problem.startswith("KEEPWARM_IMAP_PASSWORD_COMMAND")
    assert "3" in problem
    assert "leaked-pw-output" not in str(info.value)


@pytest.mark.parametrize(
    ("command", "fragment"),
    [("true", "printed nothing"), ("/nonexistent/keepwarm-password-tool", "cannot run")],
)
def test_password_command_that_gives_nothing(command: str, fragment: str) -> None:
    source = PasswordSource("command", "KEEPWARM_SMTP_PASSWORD_COMMAND", command=command)
    with pytest.raises(ConfigError) as info:
        source.resolve()
    assert info.value.problems[0].startswith("KEEPWARM_SMTP_PASSWORD_COMMAND")
    assert fragment in info.value.problems[0]


# -- secrets -------------------------------------------------------------------------------------


def test_a_bad_secret_is_never_quoted(tmp_path: Path) -> None:
    short = "tiny-secret1"
    env_file = write_env(tmp_path, f"KEEPWARM_SECRET={short}\n")
    with pytest.raises(ConfigError) as info:
        config.load(env_file=env_file, environ={})
    (problem,) = info.value.problems
    assert problem.startswith("KEEPWARM_SECRET")
    assert f"{env_file}:1" in problem
    assert short not in str(info.value)
    assert short not in repr(info.value)


def test_repr_of_config_and_secrets_never_show_them(tmp_path: Path) -> None:
    imap_pw = "imap-pw-hunter2-xyz"
    smtp_pw = "smtp-pw-correct-horse"
    secret = "0123456789abcdef-signing-key"
    loaded = config.load(
        env_file=write_env(tmp_path, f"KEEPWARM_SMTP_PASSWORD={smtp_pw}\n"),
        environ={"KEEPWARM_IMAP_PASSWORD": imap_pw, "KEEPWARM_SECRET": secret},
    )
    assert loaded.secret is not None
    assert loaded.imap.password is not None and loaded.smtp.password is not None
    text = repr(loaded) + str(loaded) + repr(loaded.imap) + repr(loaded.imap.password)
    for value in (imap_pw, smtp_pw, secret):
        assert value not in text
    assert str(loaded.secret) == "Secret('***')"
    assert f"{loaded.secret}" == "Secret('***')"
    assert repr(loaded.secret) == "Secret('***')"
    assert loaded.secret.reveal() == secret
    assert loaded.imap.password.resolve().reveal() == imap_pw
    assert loaded.smtp.password.resolve().reveal() == smtp_pw


def test_secrets_compare_by_value() -> None:
    assert Secret("same-value-1") == Secret("same-value-1")
    assert Secret("same-value-1") != Secret("other-value-2")
    assert Secret("same-value-1") != "same-value-1"


def test_redact_masks_registered_secrets() -> None:
    Secret("redact-me-please-42")
    assert logs.redact("login redact-me-please-42 failed; redact-me-please-42") == "login *** failed; ***"
    assert logs.redact("nothing secret here") == "nothing secret here"


def test_log_lines_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    password = "log-leak-pw-7781"
    Secret(password)
    with preserved_root_logger():
        logs.setup(logging.INFO)
        logging.getLogger("keepwarm.test").warning("login with %s refused", password)
    line = stream.getvalue()
    assert "login with *** refused" in line
    assert password not in line
    assert "WARNING" in line


def test_journal_lines_carry_a_priority_and_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    password = "journal-leak-pw-9932"
    Secret(password)
    with preserved_root_logger():
        logs.setup(logging.INFO)
        logging.getLogger("keepwarm.test").error("first %s\nsecond", password)
    assert stream.getvalue().splitlines() == ["<3>keepwarm.test: first ***", "<3>second"]


# -- config.example.env --------------------------------------------------------------------------

_KEY_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
# A key left at its default is documented commented out: "# KEEPWARM_IMAP_PORT=993".
_COMMENTED_KEY_LINE = re.compile(r"^#\s*(?:export\s+)?(KEEPWARM_[A-Z0-9_]+)\s*=")


def _example_lines() -> list[str]:
    assert EXAMPLE_ENV.is_file(), (
        f"{EXAMPLE_ENV} is missing: it must document every setting in keepwarm.config.SETTINGS"
    )
    return EXAMPLE_ENV.read_text(encoding="utf-8").splitlines()


def _documented_keys(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, key) for every key set or shown commented out."""
    found = []
    for number, line in enumerate(lines, start=1):
        match = _KEY_LINE.match(line) or _COMMENTED_KEY_LINE.match(line.strip())
        if match:
            found.append((number, match.group(1)))
    return found


def test_example_env_documents_every_setting() -> None:
    keys = [key for _, key in _documented_keys(_example_lines())]
    assert sorted(KNOWN_KEYS - set(keys)) == []
    assert len(keys) == len(set(keys)), "a key appears twice"


def test_example_env_has_only_known_keys_each_under_a_comment() -> None:
    lines = _example_lines()
    for number, key in _documented_keys(lines):
        assert key in KNOWN_KEYS, f"config.example.env:{number}: unknown key {key}"
        above = lines[number - 2].strip() if number > 1 else ""
        assert above.startswith("#") and not _COMMENTED_KEY_LINE.match(above), (
            f"config.example.env:{number}: {key} has no comment line above it"
        )
    for number, line in enumerate(lines, start=1):
        assert not line.strip() or line.lstrip().startswith("#") or _KEY_LINE.match(line), (
            f"config.example.env:{number}: neither a comment nor KEY=value: {line!r}"
        )


def test_example_env_parses_and_loads_but_for_its_published_secret(tmp_path: Path) -> None:
    _example_lines()
    raws, problems = gather(EXAMPLE_ENV, {})
    assert problems == []
    assert set(raws) <= KNOWN_KEYS
    with pytest.raises(ConfigError) as refused:
        config.load(env_file=EXAMPLE_ENV, environ={"HOME": str(tmp_path)})
    (problem,) = refused.value.problems
    assert problem.startswith("KEEPWARM_SECRET: is the example's (or like it): anyone could sign commands")
    assert "change-me" not in problem  # the value itself is never quoted back
    own = {"HOME": str(tmp_path), "KEEPWARM_SECRET": "q8Rf2xVb9LmZt4Kw7NpYc3Hs"}
    loaded = config.load(env_file=EXAMPLE_ENV, environ=own)
    assert loaded.owner_emails
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab", "my-example-secret-1234"]
)
def test_a_guessable_secret_is_refused(weak: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KEEPWARM_SECRET: is"):
        config.load(env_file=None, environ={"HOME": str(tmp_path), "KEEPWARM_SECRET": weak})
