"""No Python repr, timedelta or errno ever reaches a person: every command's output (text and
JSON, errors included) on a store with real history, and every shipped template rendered with
sample data, are scanned for the marks such leaks leave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.due import CadenceSource, DueStatus, Standing
from keepwarm.domain.extras import Opener
from keepwarm.domain.languages import LANGUAGES
from keepwarm.domain.model import Birthday, Channel, Contact, Direction, Note, Touch
from keepwarm.domain.occasions import Occasion
from keepwarm.render import samples, views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.reminders.support import clean_environment, env_settings, write_env_file
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

# What a leak looks like: a dict or list repr, a Counter, a timedelta, an errno, an exception
# class, "(s)" plurals, a None, microseconds, a traceback, an enum's repr.
LEAKS = re.compile(
    r"\{'|\['|Counter\(|datetime\.|timedelta\(|\b\d+:\d\d:\d\d(?:\.\d+)?\b(?! ?[AP]M)|\[Errno|Error: \[|"
    r"\(s\)|\bNone\b|(?<![\w-])--\d\d-\d\d\b|\d\d:\d\d:\d\d\.\d{6}|Traceback"
    r"|<[A-Z][a-zA-Z]+\.[A-Z_]+: |object at 0x"
)
ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

COMMANDS: list[tuple[str, ...]] = [
    ("contacts", "list"),
    ("contacts", "show", "alice"),
    ("contacts", "add", "Dan Example <dan@example.org>", "--every", "3w"),
    ("contacts", "edit", "dan", "--every", "2w"),
    ("contacts", "show", "nobody-at-all"),
    ("history", "alice"),
    ("due",),
    ("groups",),
    ("groups", "friends", "--every", "2w"),
    ("poll",),
    ("folders",),
    ("suggest",),
    ("remind", "--dry-run"),
    ("remind", "add", "alice", "2099-03-11", "ask how the move went"),
    ("remind", "add", "alice", "2001-03-11", "too late"),
    ("remind", "--now"),
    ("away",),
    ("away", "2099-13-40"),
    ("check",),
    ("status",),
    ("templates", "check"),
    ("templates", "render", "alice"),
    ("overview", "--preview"),
]
# Bad input: one clear line, still no Python.
FAILING = {
    ("contacts", "show", "nobody-at-all"),
    ("remind", "add", "alice", "2001-03-11", "too late"),
    ("away", "2099-13-40"),
}
# Their --json forms print JSON, whose quotes are double: a person still never sees a repr.
JSON_COMMANDS = [("contacts", "list"), ("due",), ("status",), ("poll",), ("folders",), ("history", "alice")]


def _seed(state: Path) -> None:
    store = Store(state)
    now = datetime.now(UTC)
    alice = store.add_contact(
        Contact(
            "Alice Example",
            ("alice@example.org",),
            now - timedelta(days=400),
            cadence_days=30,
            group="friends",
            birthday=Birthday(3, 14),
            notes=(Note(now - timedelta(days=3), "moving to Hamburg in March"),),
        )
    )
    store.add_touches(
        [
            Touch("alice@example.org", now - timedelta(days=47), Direction.OUT, subject="Hello"),
            Touch("alice@example.org", now - timedelta(days=9), Direction.IN, subject="Trip photos"),
            Touch("zed@example.org", now - timedelta(days=5), Direction.IN, subject="Hi"),
        ]
    )
    store.runs.error(now - timedelta(hours=2), "poll: IMAP 127.0.0.1:1: cannot connect: connection refused")
    assert alice.id


@pytest.fixture
def env(
    testbed: Testbed,
    account: Account,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    clean_environment(monkeypatch, tmp_path)
    _seed(tmp_path / "state")
    settings = env_settings(testbed, account, tmp_path / "state")
    return str(write_env_file(tmp_path / "keepwarm.env", settings))


# The log's own time stamp (the journal's format, for the record, not for reading).
LOG_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)


def _leaks(text: str) -> list[str]:
    text = LOG_STAMP.sub("", text)
    return [m.group(0) for m in LEAKS.finditer(text)] + [m.group(0) for m in ISO_SECONDS.finditer(text)]


def test_no_command_shows_a_person_python(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    found = {}
    for argv in COMMANDS:
        result = run_cli(capsys, "--env-file", env, *argv)
        refused = argv in FAILING
        assert (result.code != 0) is refused, (argv, result.out, result.err)
        assert (result.err if refused else result.out).strip(), argv
        leaks = _leaks(result.out + result.err)
        if leaks:
            found[" ".join(argv)] = [*leaks, result.out[-300:], result.err[-300:]]
    for argv in JSON_COMMANDS:
        result = run_cli(capsys, "--env-file", env, *argv, "--json")
        assert result.code == 0, (argv, result.err)
        if "{'" in result.out or "[Errno" in result.out or "Traceback" in result.err:
            found[" ".join(argv) + " --json"] = [result.out[:200]]
    assert found == {}


def test_every_command_help_is_free_of_python(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    names = {argv[0] for argv in COMMANDS} | {"run", "demo", "init", "auth", "explain"}
    for name in sorted(names):
        with pytest.raises(SystemExit) as exited:
            run_cli(capsys, "--env-file", env, name, "--help")
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: keepwarm"), name
        assert _leaks(out) == [], name


def test_every_shipped_template_renders_sample_data_without_python() -> None:
    renderer = Renderer()
    now = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    rendered = 0
    for name, context in samples.sample_contexts(renderer, now, "Naomi Example"):
        text = renderer.render(name, context).text
        assert text.strip(), name
        assert _leaks(text) == [], name
        rendered += 1
    assert rendered == len(renderer.template_names()) >= 26


NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
# Every opening a draft chooses between: never in touch, her mail, my recent and old mail, a
# recent meeting, an old call; each also as an owed answer, a birthday and a date, ahead and on the day.
TOUCHES = [
    None,
    Touch("anna@example.de", NOW - timedelta(days=47), Direction.IN, subject="Re: Fotos"),
    Touch("anna@example.de", NOW - timedelta(days=5), Direction.OUT, subject="Mittagessen?"),
    Touch("anna@example.de", NOW - timedelta(days=60), Direction.OUT, subject=""),
    Touch("anna@example.de", NOW - timedelta(days=5), Direction.MANUAL, Channel.MEETING),
    Touch("anna@example.de", NOW - timedelta(days=60), Direction.MANUAL, Channel.CALL),
]
OCCASIONS = [(3, "birthday", 40), (0, "birthday", 36), (0, "anniversary", 10), (3, "Mia's birthday", None)]


def _draft_contexts(renderer: Renderer, language: str) -> list[dict[str, object]]:
    contact = Contact("Anna Beispiel", ("anna@example.de",), NOW - timedelta(days=400), id=1, group="work")
    owner = views.owner_view("Naomi Example", "naomi@example.com")
    extras = views.Extras((Opener(1, "Nachtzüge", "https://example.org/n", NOW, id=1),), None, None)
    found = []
    for touch in TOUCHES:
        days = (NOW - touch.at).days if touch else None
        item = Standing(contact, 30, CadenceSource.CONTACT, touch, NOW, DueStatus.OVERDUE, days, 0)
        for ahead, label, years in OCCASIONS:
            occasion = Occasion(contact, label, (NOW + timedelta(days=ahead)).date(), ahead, years)
            context, _ = views.entry_view(
                renderer,
                item,
                number=1,
                rotation=0,
                now=NOW,
                owner=owner,
                extras=extras,
                owed=True,
                occasion=occasion,
                language=language,
            )
            # Never in touch, nothing is owed: the reply drafts still get an answer to render.
            owed = {"subject": "", "topic": "", "days": 9, "message_id": "m1@example.org"}
            found.append({"owed": owed, **context, "thanks": {"what": "das Buch"}})
    return found


def test_every_shipped_draft_in_every_language_renders_each_situation_without_python() -> None:
    renderer = Renderer()
    problems = {}
    rendered = set()
    for language in LANGUAGES:
        contexts = _draft_contexts(renderer, language)
        names = [n for n in renderer.template_names() if samples.language_of(n) == language]
        for name in (n for n in names if n.startswith("drafts/")):
            for context in contexts:
                text = renderer.render(name, context).text
                leaks = _leaks(text) + [m for m in ("{{", "{%", "{'", "None") if m in text]
                # Something to share is a paragraph of its own, whatever follows it.
                leaks += (
                    ["opener run on"]
                    if text.count("example.org/n\n") > text.count("example.org/n\n\n")
                    else []
                )
                if leaks or not text.strip():
                    problems[name] = [*leaks, text[:300]]
                rendered.add(name)
    assert problems == {}
    shipped = {n.split("/")[-1] for n in rendered if n.count("/") == 1}
    for language in ("de", "fr"):
        assert {n.split("/")[-1] for n in rendered if n.startswith(f"drafts/{language}/")} == shipped
