"""The command line, run in-process: contacts, history, due, JSON output, and one-line user errors."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.cli import build_parser, main
from keepwarm.domain.model import Channel, Direction, Touch
from keepwarm.store import Store
from tests.clitools import CliRun as Run
from tests.clitools import Runner, clear_environment, ok, preserved_root_logger

ALICE = "Alice Example <alice@example.org>"
BOB = "Bob Builder <bob@example.org>"
STANDING_FIELDS = {
    "name",
    "emails",
    "group",
    "cadence_days",
    "last_touch",
    "next_due",
    "paused",
    "snoozed_until",
    "notes",
}
TOUCH_FIELDS = {"at", "direction", "channel", "subject", "message_id", "source"}
EX_USAGE = 64
EX_DATAERR = 65
EX_CONFIG = 78


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: state in tmp_path, UTC, no stray ./.env or KEEPWARM_ variables."""
    clear_environment(monkeypatch)
    monkeypatch.setenv("KEEPWARM_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("KEEPWARM_TIMEZONE", "UTC")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_one_line_error(result: Run, code: int = EX_USAGE) -> str:
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("keepwarm: ")
    assert result.out == ""
    return result.err_lines[0]


def store_bytes(state: Path) -> bytes:
    return (state / "keepwarm.json").read_bytes()


# -- adding and reading --------------------------------------------------------------------------


def test_add_then_due_json(run: Runner) -> None:
    added = ok(run("contacts", "add", ALICE, "--every", "3w"))
    assert "Alice Example <alice@example.org>" in added.out
    assert "every 3 weeks" in added.out

    items = ok(run("due", "--json")).json()
    assert isinstance(items, list) and len(items) == 1
    (alice,) = items
    assert set(alice) >= STANDING_FIELDS
    assert alice["name"] == "Alice Example"
    assert alice["emails"] == ["alice@example.org"]
    assert alice["group"] is None
    assert alice["cadence_days"] == 21
    assert alice["last_touch"] is None
    assert alice["paused"] is False
    assert alice["snoozed_until"] is None
    assert alice["notes"] == []
    next_due = datetime.fromisoformat(alice["next_due"])
    added_at = datetime.fromisoformat(alice["added_at"])
    assert added_at < next_due <= added_at + timedelta(days=21)


def test_list_show_and_empty_history_json(run: Runner) -> None:
    ok(run("contacts", "add", ALICE, "--every", "3w", "--group", "friends", "--note", "met at the fair"))
    ok(run("contacts", "add", BOB))

    listed = ok(run("contacts", "list", "--json")).json()
    assert [c["name"] for c in listed] == ["Alice Example", "Bob Builder"]
    assert all(set(c) >= STANDING_FIELDS for c in listed)
    bob = listed[1]
    assert (bob["cadence_days"], bob["cadence_source"]) == (30, "default")

    friends = ok(run("contacts", "list", "--group", "Friends", "--json")).json()
    assert [c["name"] for c in friends] == ["Alice Example"]

    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert isinstance(shown, dict)
    assert set(shown) >= STANDING_FIELDS
    assert shown["emails"] == ["alice@example.org"]
    assert shown["group"] == "friends"
    assert [n["text"] for n in shown["notes"]] == ["met at the fair"]

    assert ok(run("history", "alice", "--json")).json() == []


def test_human_output(run: Runner) -> None:
    assert "no contacts yet" in ok(run("contacts", "list")).out
    ok(run("contacts", "add", ALICE, "--every", "3w"))
    table = ok(run("contacts", "list")).out.splitlines()
    assert table[0].split() == ["NAME", "EMAILS", "GROUP", "CADENCE", "LAST", "TOUCH", "DUE"]
    assert "alice@example.org" in table[1]
    shown = ok(run("contacts", "show", "alice@example.org")).out
    assert "every 3 weeks" in shown
    assert "never" in shown
    assert "no touches with Alice Example" in ok(run("history", "alice")).out


def test_history_and_due_with_touches(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE, "--every", "3w"))
    now = datetime.now(UTC).replace(microsecond=0)
    older = Touch(
        address="alice@example.org",
        at=now - timedelta(days=40),
        direction=Direction.IN,
        channel=Channel.EMAIL,
        subject="Hello again",
        message_id="<m1@example.org>",
        source="imap:INBOX",
    )
    newer = Touch(
        address="alice@example.org",
        at=now - timedelta(days=30),
        direction=Direction.MANUAL,
        channel=Channel.CALL,
        subject="",
        message_id=None,
        source="cli",
    )
    stranger = Touch(address="zed@example.org", at=now - timedelta(days=1), direction=Direction.OUT)
    assert Store(state).add_touches([newer, older, stranger]) == 3

    history = ok(run("history", "alice", "--json")).json()
    assert len(history) == 2
    assert all(set(entry) >= TOUCH_FIELDS for entry in history)
    first, second = history
    assert first == {
        "at": older.at.isoformat(),
        "address": "alice@example.org",
        "direction": "in",
        "channel": "email",
        "subject": "Hello again",
        "message_id": "<m1@example.org>",
        "source": "imap:INBOX",
    }
    assert (second["direction"], second["channel"], second["message_id"]) == ("manual", "call", None)

    limited = ok(run("history", "alice", "--limit", "1", "--json")).json()
    assert [entry["at"] for entry in limited] == [newer.at.isoformat()]

    (alice,) = ok(run("due", "--json")).json()
    assert alice["last_touch"] == newer.at.isoformat()
    assert alice["next_due"] == (newer.at + timedelta(days=21)).isoformat()
    assert alice["status"] == "overdue"
    assert alice["days_since_last_touch"] == 30
    assert alice["days_until_due"] == -9


def test_negative_history_limit_is_refused(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE))
    now = datetime.now(UTC)
    Store(state).add_touches(
        [Touch("alice@example.org", now - timedelta(days=d), Direction.OUT) for d in (3, 2, 1)]
    )
    try:
        result = run("history", "alice", "--limit", "-1", "--json")
    except SystemExit as exc:
        assert exc.code != 0
    else:
        # Anything but silently dropping the oldest touch and showing the rest.
        assert result.code != 0, f"--limit -1 printed {len(result.json())} of 3 touches"


def test_due_hides_later_and_paused_unless_all(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE, "--every", "3w"))
    ok(run("contacts", "add", BOB, "--every", "1y"))
    # A touch today puts Bob's next due date a year out (a never-touched contact's first due date
    # is spread over his first cadence, which could fall within the month).
    Store(state).add_touches([Touch("bob@example.org", datetime.now(UTC), Direction.OUT)])
    ok(run("contacts", "edit", "alice", "--pause"))
    assert ok(run("due", "--json")).json() == []
    assert "nobody is due in the next 30 days" in ok(run("due")).out

    within = ok(run("due", "--within", "1y", "--json")).json()
    assert [(s["name"], s["status"]) for s in within] == [("Bob Builder", "upcoming")]

    everyone = ok(run("due", "--all", "--json")).json()
    assert [(s["name"], s["status"]) for s in everyone] == [
        ("Bob Builder", "later"),
        ("Alice Example", "paused"),
    ]


# -- editing and removing ------------------------------------------------------------------------


def test_the_language_of_drafts_is_her_own_else_her_groups_else_the_default(run: Runner) -> None:
    ok(run("contacts", "add", ALICE, "--group", "paris"))
    ok(run("groups", "paris", "--every", "3w"))

    said = ok(run("groups", "paris", "--language", "fr"))
    assert said.lines == ["group paris: drafts in French (a member's own language still wins)"]
    assert "drafts in:     French (group)" in ok(run("contacts", "show", "alice")).lines
    ok(run("contacts", "edit", "alice", "--language", "en"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert (shown["language"], shown["draft_language"], shown["cadence_days"]) == ("en", "en", 21)
    ok(run("contacts", "edit", "alice", "--language", "default"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert ("language" in shown, shown["draft_language"]) == (False, "fr")

    refused = run("contacts", "edit", "alice", "--language", "es")
    assert (refused.code, refused.err_lines) == (
        64,
        ["keepwarm: language es: no drafts in es yet; available: de, en, fr"],
    )


def test_edit(run: Runner) -> None:
    ok(run("contacts", "add", ALICE, "--every", "3w"))

    ok(run("contacts", "edit", "alice", "--every", "2mo"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert (shown["cadence_days"], shown["cadence_source"]) == (60, "contact")

    ok(run("groups", "friends", "--every", "2w"))
    ok(run("contacts", "edit", "alice", "--group", "friends", "--default-cadence"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert shown["group"] == "friends"
    assert (shown["cadence_days"], shown["cadence_source"]) == (14, "group")

    ok(run("contacts", "edit", "alice", "--add-email", "Alice@Work.Example", "--birthday", "1990-05-17"))
    shown = ok(run("contacts", "show", "alice@work.example", "--json")).json()
    assert shown["emails"] == ["alice@example.org", "alice@work.example"]
    assert shown["birthday"] == "1990-05-17"

    ok(run("contacts", "edit", "alice", "--birthday", "05-17", "--note", "likes tea"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert shown["birthday"] == "--05-17"
    assert [n["text"] for n in shown["notes"]] == ["likes tea"]

    ok(run("contacts", "edit", "alice", "--date", "anniversary=06-12", "--date", "name day=2001-03-03"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert shown["dates"] == [
        {"label": "anniversary", "date": "--06-12"},
        {"label": "name day", "date": "2001-03-03"},
    ]
    assert "anniversary:   12 June" in ok(run("contacts", "show", "alice")).out
    ok(run("contacts", "edit", "alice", "--date", "name day="))
    assert [d["label"] for d in ok(run("contacts", "show", "alice", "--json")).json()["dates"]] == [
        "anniversary"
    ]
    bad = run("contacts", "edit", "alice", "--date", "x=02-30")
    assert bad.code != 0 and "'02-30' is not a real date" in bad.err
    assert len(ok(run("contacts", "show", "alice", "--json")).json()["dates"]) == 1  # nothing changed

    ok(run("contacts", "edit", "alice", "--pause"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert shown["paused"] is True
    assert shown["status"] == "paused"
    assert shown["next_due"] is None

    ok(run("contacts", "edit", "alice", "--resume", "--no-group", "--remove-email", "alice@example.org"))
    shown = ok(run("contacts", "show", "alice", "--json")).json()
    assert shown["paused"] is False
    assert shown["next_due"] is not None
    assert shown["group"] is None
    assert shown["emails"] == ["alice@work.example"]

    ok(run("contacts", "edit", "alice", "--name", "Alice Q. Example", "--birthday="))
    shown = ok(run("contacts", "show", "alice@work.example", "--json")).json()
    assert shown["name"] == "Alice Q. Example"
    assert shown["birthday"] is None


def test_remove_keeps_history_for_a_return(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE))
    ok(run("contacts", "add", BOB))
    touched = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    Store(state).add_touches([Touch("alice@example.org", touched, Direction.OUT)])

    removed = ok(run("contacts", "remove", "alice"))
    assert "removed Alice Example" in removed.out
    assert [c["name"] for c in ok(run("contacts", "list", "--json")).json()] == ["Bob Builder"]
    assert_one_line_error(run("contacts", "show", "alice"))

    ok(run("contacts", "add", ALICE))
    assert [t["at"] for t in ok(run("history", "alice", "--json")).json()] == [touched.isoformat()]


# -- user errors: one line, no traceback, store untouched ----------------------------------------


@pytest.fixture
def seeded(run: Runner, state: Path) -> bytes:
    """Alice and Bob in the store; returns the store's bytes."""
    ok(run("contacts", "add", ALICE))
    ok(run("contacts", "add", BOB))
    return store_bytes(state)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("contacts", "add", "alice@"), "alice@"),
        (("contacts", "add", "<carol@example.org"), "carol@example.org"),
        (("contacts", "add", "carol@example"), "carol@example"),
        (("contacts", "add", "Other Alice <ALICE@example.org>"), "alice@example.org"),
        (("contacts", "edit", "bob", "--add-email", "alice@example.org"), "alice@example.org"),
        (("contacts", "edit", "bob", "--add-email", "bob@"), "bob@"),
        (("contacts", "edit", "bob", "--birthday", "1990-02-30"), "1990-02-30"),
        (("contacts", "edit", "bob", "--remove-email", "bob@example.org"), "no address"),
        (("contacts", "show", "zed"), "zed"),
        (("contacts", "edit", "zed", "--pause"), "zed"),
        (("contacts", "remove", "zed@example.org"), "zed@example.org"),
        (("history", "zed"), "zed"),
        (("contacts", "add", "carol@example.org", "--group", "   "), "group"),
    ],
)
def test_user_errors(run: Runner, state: Path, seeded: bytes, argv: tuple[str, ...], fragment: str) -> None:
    line = assert_one_line_error(run(*argv))
    assert fragment in line
    assert store_bytes(state) == seeded


def test_ambiguous_name(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE))
    ok(run("contacts", "add", "Alice Other <alice@other.org>"))
    before = store_bytes(state)
    for argv in (("contacts", "show", "alice"), ("contacts", "remove", "alice"), ("history", "alice")):
        line = assert_one_line_error(run(*argv))
        assert "Alice Example <alice@example.org>" in line
        assert "Alice Other <alice@other.org>" in line
    assert store_bytes(state) == before
    assert ok(run("contacts", "show", "alice other", "--json")).json()["emails"] == ["alice@other.org"]


def test_bad_cadence_option_explains_itself(
    run: Runner, state: Path, seeded: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        run("contacts", "add", "carol@example.org", "--every", "banana")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "banana" in err
    assert "_cadence_arg" not in err, err.splitlines()[-1]
    assert store_bytes(state) == seeded


# -- configuration errors ------------------------------------------------------------------------


def test_bad_config_exits_78_with_one_line_per_problem(
    run: Runner, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPWARM_POLL_INTERVAL", "banana")
    monkeypatch.setenv("KEEPWARM_MAX_REMINDERS_PER_DAY", "0")
    result = run("contacts", "list")
    assert result.code == EX_CONFIG
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 2, result.err
    assert all(line.startswith("keepwarm: configuration: ") for line in result.err_lines)
    assert "KEEPWARM_POLL_INTERVAL" in result.err_lines[0]
    assert "KEEPWARM_MAX_REMINDERS_PER_DAY" in result.err_lines[1]
    assert not (state / "keepwarm.json").exists()


def test_short_secret_is_not_echoed(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPWARM_SECRET", "tiny-cli-secret")
    result = run("contacts", "list")
    assert result.code == EX_CONFIG
    assert "KEEPWARM_SECRET" in result.err
    assert "tiny-cli-secret" not in result.err


def test_unknown_setting_is_a_warning_not_an_error(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEPWARM_POLL_INTERVALL", "10min")
    result = ok(run("contacts", "list", "--json"))
    assert result.json() == []
    assert "did you mean KEEPWARM_POLL_INTERVAL" in result.err


def test_env_file_option(run: Runner, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEEPWARM_STATE_DIR")
    env_file = state / "custom.env"
    env_file.write_text(f"KEEPWARM_STATE_DIR={state / 'elsewhere'}\nKEEPWARM_DEFAULT_CADENCE=2w\n")
    ok(run("--env-file", str(env_file), "contacts", "add", ALICE))
    assert (state / "elsewhere" / "keepwarm.json").is_file()
    (alice,) = ok(run("--env-file", str(env_file), "contacts", "list", "--json")).json()
    assert alice["cadence_days"] == 14
    result = run("--env-file", str(state / "missing.env"), "contacts", "list")
    assert result.code == EX_CONFIG
    assert "missing.env" in result.err


# -- --help everywhere ---------------------------------------------------------------------------


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words that name it."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


COMMAND_PATHS = command_paths(build_parser())


def test_the_command_walk_finds_the_commands() -> None:
    expected = {
        (),
        ("contacts",),
        ("contacts", "add"),
        ("contacts", "list"),
        ("contacts", "show"),
        ("contacts", "edit"),
        ("contacts", "remove"),
        ("history",),
        ("due",),
        ("groups",),
    }
    assert expected <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "keepwarm")
def test_every_command_has_help(
    path: tuple[str, ...], state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Help must not need a valid configuration.
    monkeypatch.setenv("KEEPWARM_POLL_INTERVAL", "banana")
    with preserved_root_logger(), pytest.raises(SystemExit) as info:
        main([*path, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: keepwarm" + "".join(" " + word for word in path))


def test_python_m_keepwarm_help(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}
    done = subprocess.run(
        [sys.executable, "-m", "keepwarm", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: keepwarm")
    assert "contacts" in done.stdout


# -- damaged store files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'{"x": {}}', "not a keepwarm store"),
        (b"[1, 2, 3]", "not a keepwarm store"),
        (b'{"meta": {"1": {"app": "keepwarm", "schema": 99}}}', "schema"),
    ],
    ids=["corrupt", "empty", "blank", "foreign", "array", "future-schema"],
)
@pytest.mark.parametrize(
    "argv",
    [("contacts", "list"), ("contacts", "add", ALICE), ("due",)],
    ids=["list", "add", "due"],
)
def test_damaged_store_is_reported_and_left_alone(
    run: Runner, state: Path, content: bytes, fragment: str, argv: tuple[str, ...]
) -> None:
    path = state / "keepwarm.json"
    path.write_bytes(content)
    line = assert_one_line_error(run(*argv), EX_DATAERR)
    assert str(path) in line
    assert fragment in line
    assert path.read_bytes() == content
    assert sorted(p.name for p in state.iterdir() if p.name.startswith(".tmp-")) == []


def test_away_sets_says_and_ends_time_away(run: Runner) -> None:
    assert ok(run("away")).out.strip() == "not away: reminders are on"
    far = run("away", "2099-01-05")
    assert far.code != 0 and "at most a year" in far.err
    ok(run("away", "tomorrow"))
    assert ok(run("away")).out.startswith("away until ")
    past = run("away", "2001-01-01")
    assert past.code != 0 and "that day is not in the future" in past.err
    ok(run("away", "--off"))
    assert ok(run("away")).out.strip() == "not away: reminders are on"


def test_remind_add_keeps_a_dated_reminder_and_refuses_a_day_gone(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE))
    added = ok(run("remind", "add", "alice", "2099-03-11", "ask", "how", "the", "move", "went"))
    past = run("remind", "add", "alice", "2001-03-11", "too late")
    neither = run("remind")

    assert added.out.strip() == "you will be reminded on Wednesday 11 March 2099: ask how the move went"
    [dated] = Store(state).extras.dated()
    assert (str(dated.on), dated.text) == ("2099-03-11", "ask how the move went")
    assert past.code == 64 and "that day is not in the future" in past.err
    assert neither.code == 64 and "--now, --dry-run, or add" in neither.err


def test_due_says_why_each_person_is_listed(run: Runner, state: Path) -> None:
    ok(run("contacts", "add", ALICE, "--every", "1w"))
    today = datetime.now(UTC).date()  # KEEPWARM_TIMEZONE is UTC here
    ok(run("contacts", "edit", "alice", "--birthday", f"{today:%m-%d}"))
    ok(run("remind", "add", "alice", f"{today + timedelta(days=5):%Y-%m-%d}", "the move"))

    [alice] = ok(run("due", "--json")).json()
    table = ok(run("due")).out

    assert "birthday today" in alice["why"]
    assert f"dated reminder on {today + timedelta(days=5):%Y-%m-%d}" in alice["why"]
    assert "WHY" in table and "birthday today" in table
