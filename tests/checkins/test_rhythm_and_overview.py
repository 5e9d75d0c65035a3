"""Rhythm and the weekly overview on the test bed: proposals, cadences kept, schedule, parts, check."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from keepwarm.app import contacts
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.render.engine import shipped_dir
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.reminders.support import (
    LISBON,
    Outgoing,
    clean_environment,
    env_settings,
    html_of,
    text_of,
    write_env_file,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

# REMINDER_TIME (08:30, make_config) on a Sunday.
SUNDAY = datetime(2026, 11, 22, 8, 30, tzinfo=LISBON)


def _converse(
    testbed: Testbed, account: Account, address: str, starts: list[datetime], name: str = ""
) -> None:
    """For each start: the owner writes, and the contact answers a day later."""
    sender = f"{name} <{address}>" if name else address
    for n, at in enumerate(starts):
        mine = (
            f"From: Naomi Owner <{account.address}>\r\nTo: {sender}\r\nSubject: Catching up {n}\r\n"
            f"Date: {format_datetime(at)}\r\nMessage-ID: <out-{n}-{uuid.uuid4().hex}@test>\r\n\r\nHi!\r\n"
        ).encode()
        theirs = (
            f"From: {sender}\r\nTo: {account.address}\r\nSubject: Re: Catching up {n}\r\n"
            f"Date: {format_datetime(at + timedelta(days=1))}\r\n"
            f"Message-ID: <in-{n}-{uuid.uuid4().hex}@test>\r\n\r\nHello!\r\n"
        ).encode()
        testbed.append(account, "Sent", mine, msg_time=at)
        testbed.append(account, "INBOX", theirs, msg_time=at + timedelta(days=1))


def _of_kind(outgoing: Outgoing, kind: str) -> list[EmailMessage]:
    return [m for m in outgoing.messages() if str(m.get("X-Keepwarm", "")).startswith(kind)]


def _cli_env(testbed: Testbed, account: Account, state_dir: Path, tmp_path: Path, **overrides: str) -> str:
    return str(write_env_file(tmp_path / "cli.env", env_settings(testbed, account, state_dir, **overrides)))


# -- suggest -------------------------------------------------------------------------------------


def test_suggest_json_proposes_a_cadence_for_people_with_enough_history(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config()
    now = datetime.now(LISBON)  # the CLI reads the real clock
    _converse(
        testbed, account, "ines@example.org", [now - timedelta(days=5 + 21 * k) for k in range(5)], "Ines"
    )
    _converse(
        testbed, account, "theo@example.org", [now - timedelta(days=4 + 30 * k) for k in range(3)], "Theo"
    )
    clean_environment(monkeypatch, tmp_path)
    env = _cli_env(testbed, account, config.state_dir, tmp_path)
    assert run_cli(capsys, "--env-file", env, "poll", "--quiet").code == 0

    result = run_cli(capsys, "--env-file", env, "suggest", "--json")

    assert result.code == 0, result.err
    found = {s["address"]: s for s in result.json()}
    assert set(found) == {"ines@example.org", "theo@example.org"}
    assert found["ines@example.org"]["proposed_cadence"] == "3w"
    assert found["ines@example.org"]["name"] == "Ines"
    assert (found["ines@example.org"]["sent"], found["ines@example.org"]["received"]) == (5, 5)
    # Three conversations are too few to propose anything.
    assert found["theo@example.org"]["proposed_cadence"] is None
    # Proposing is all it does: nobody was added.
    assert Store(config.state_dir).contacts() == []


# -- the rhythm in reminders, and cadences left alone --------------------------------------------


def test_a_reminder_offers_the_usual_rhythm_but_keepwarm_never_changes_a_cadence(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    mira = contacts.add_contact(
        store, "Mira Stone <mira@example.org>", SUNDAY - timedelta(days=400), every="2mo"
    )
    omar = contacts.add_contact(
        store, "Omar Haddad <omar@example.org>", SUNDAY - timedelta(days=400), every="30d"
    )
    contacts.add_contact(store, "Nell Brook <nell@example.org>", SUNDAY - timedelta(days=400), every="30d")
    # Mira: every two weeks, the last time 70 days ago (cadence 60: overdue, rhythm differs).
    _converse(testbed, account, "mira@example.org", [SUNDAY - timedelta(days=70 + 14 * k) for k in range(5)])
    # Omar: monthly, as his cadence says; overdue too, but no rhythm to offer.
    _converse(testbed, account, "omar@example.org", [SUNDAY - timedelta(days=35 + 30 * k) for k in range(5)])
    # Nell: weekly, last 40 days ago; her cadence is kept even though the habit is far off.
    _converse(testbed, account, "nell@example.org", [SUNDAY - timedelta(days=40 + 7 * k) for k in range(6)])
    service = build_service(config, store)
    service.poll(SUNDAY - timedelta(hours=1))
    before = {c.name: c.cadence_days for c in store.contacts()}
    outgoing = Outgoing(smtp_server)

    assert service.remind(SUNDAY)[0] == 3

    reminders = {str(m["Subject"]).split(" — ")[0]: m for m in _of_kind(outgoing, "reminder")}
    mira_text = text_of(reminders["Check in with Mira Stone"])
    assert 'You usually talk every 2 weeks; reply "every 2w" to keep that rhythm.' in mira_text
    assert "reply <code>every 2w</code> to keep that rhythm" in html_of(reminders["Check in with Mira Stone"])
    assert 'You usually talk every week; reply "every 7d"' in text_of(reminders["Check in with Nell Brook"])
    assert "You usually talk" not in text_of(reminders["Check in with Omar Haddad"])

    # Polls and further reminder runs (unanswered reminders repeat) leave every cadence alone.
    service.poll(SUNDAY + timedelta(hours=1))
    service.remind(SUNDAY + timedelta(days=3))
    service.poll(SUNDAY + timedelta(days=3, hours=1))
    service.remind(SUNDAY + timedelta(days=9))

    assert (
        {c.name: c.cadence_days for c in store.contacts()}
        == before
        == {
            "Mira Stone": 60,
            "Omar Haddad": 30,
            "Nell Brook": 30,
        }
    )
    assert store.group_cadences() == {}
    assert store.get_contact(mira.id) == mira
    assert store.get_contact(omar.id) == omar


# -- the weekly overview: when ---------------------------------------------------------------------


def _simulate_week(service: Service, start: datetime, days: int) -> list[datetime]:
    """Ask, every quarter of an hour as the daemon's loop does, whether the overview is due; send it
    when it is. Returns when it went out."""
    sent = []
    at = start
    while at < start + timedelta(days=days):
        if service.overview_due(at):
            service.overview(at)
            sent.append(at)
        at += timedelta(minutes=15)
    return sent


@pytest.mark.parametrize(
    ("day", "time", "first"),
    [
        ("sun", "08:30", SUNDAY),
        ("wed", "18:15", datetime(2026, 11, 25, 18, 15, tzinfo=LISBON)),
    ],
)
def test_the_overview_goes_out_on_its_day_at_reminder_time_once_a_week(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    day: str,
    time: str,
    first: datetime,
) -> None:
    config = make_config(overview="weekly", overview_day=day, reminder_time=time)
    store = Store(config.state_dir)
    store.add_contact(Contact("Alice Example", ("alice@example.org",), SUNDAY - timedelta(days=90)))
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    # The first overview goes out at its slot; from then on the loop asks every quarter hour.
    sent = _simulate_week(service, first, 15)

    assert sent == [first, first + timedelta(days=7), first + timedelta(days=14)]
    assert [at.strftime("%a %H:%M") for at in sent] == [first.strftime("%a %H:%M")] * 3
    overviews = _of_kind(outgoing, "overview")
    assert len(overviews) == 3
    assert [str(m["Subject"]) for m in overviews] == [f"Your week in touch — {at:%-d %B %Y}" for at in sent]


def test_a_missed_overview_goes_out_once_when_the_daemon_is_back(
    testbed: Testbed, account: Account, make_config: ConfigFactory
) -> None:
    config = make_config(overview="weekly", overview_day="sun")
    service = build_service(config, Store(config.state_dir))
    service.overview(SUNDAY)

    # Down from Saturday to Tuesday: the Sunday overview goes out on Tuesday, once.
    tuesday = SUNDAY + timedelta(days=9)
    assert service.overview_due(tuesday)
    service.overview(tuesday)
    assert not service.overview_due(tuesday + timedelta(minutes=15))
    assert not service.overview_due(SUNDAY + timedelta(days=14, minutes=-1))
    assert service.overview_due(SUNDAY + timedelta(days=14))


def test_no_overview_when_it_is_off(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(overview="off", overview_day="sun")
    store = Store(config.state_dir)
    store.add_contact(Contact("Alice Example", ("alice@example.org",), SUNDAY - timedelta(days=90)))
    store.add_touches([Touch("alice@example.org", SUNDAY - timedelta(days=45), Direction.OUT)])
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    sent = _simulate_week(service, SUNDAY - timedelta(hours=1), 8)
    service.remind(SUNDAY)

    assert sent == []
    assert _of_kind(outgoing, "overview") == []
    assert len(_of_kind(outgoing, "reminder")) == 1
    assert "last_overview_run" not in store.runs.get()


def test_the_default_is_no_overview(testbed: Testbed, account: Account, make_config: ConfigFactory) -> None:
    config = make_config()
    service = build_service(config, Store(config.state_dir))

    assert config.overview == "off"
    assert not any(service.overview_due(SUNDAY + timedelta(hours=h)) for h in range(0, 24 * 8, 3))


# -- the weekly overview: what ---------------------------------------------------------------------


def _seed_groups(store: Store, now: datetime) -> None:
    def person(name: str, group: str | None, days_since: int, cadence: int, *, paused: bool = False) -> None:
        address = f"{name.lower()}@example.org"
        store.add_contact(
            Contact(
                name, (address,), now - timedelta(days=400), group=group, cadence_days=cadence, paused=paused
            )
        )
        store.add_touches([Touch(address, now - timedelta(days=days_since), Direction.OUT, subject="Hi")])

    person("Ana", "friends", 2, 90)  # fine
    person("Ben", "friends", 26, 30)  # coming up: due in 4 days, the last fifth of his month
    person("Cai", "friends", 45, 30)  # overdue
    person("Dee", "friends", 60, 30)  # overdue
    person("Eve", "work", 50, 30)  # overdue
    person("Fay", "work", 50, 30, paused=True)
    person("Gus", None, 3, 90)  # fine


def test_the_overview_draws_its_bars_with_table_cells_and_both_parts_show_the_same_groups(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(overview="weekly", overview_day="sun")
    store = Store(config.state_dir)
    _seed_groups(store, SUNDAY)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    report = service.overview(SUNDAY)

    assert len(report.sent) == 1
    [overview] = _of_kind(outgoing, "overview")
    assert overview.get_content_type() == "multipart/alternative"
    html = html_of(overview)
    text = text_of(overview)

    # HTML: table cells with inline colours; no images, no style sheet, no classes.
    for forbidden in ("<img", "<style", "class=", "url("):
        assert forbidden not in html.lower()
    rows = re.findall(
        r'<td style="padding: 4px 8px 4px 0;[^"]*">([^<]+)</td>\s*<td[^>]*>\s*<table[^>]*><tr>\s*(.*?)</tr>',
        html,
        re.DOTALL,
    )
    bars = {
        name: re.findall(r'<td style="background: (#[0-9a-f]{6}); width: (\d+)%;', cells)
        for name, cells in rows
    }
    assert bars == {
        "friends": [("#16a34a", "25"), ("#facc15", "25"), ("#dc2626", "50")],
        "no group": [("#16a34a", "100")],
        "work": [("#dc2626", "50"), ("#9ca3af", "50")],
    }

    # Text: the same groups, in the same order, with the same counts.
    glance = text.split("Your groups at a glance", 1)[1]
    names = [line.split(" [", 1)[0].strip() for line in glance.splitlines()[1:] if line.strip()]
    assert names == ["friends", "no group", "work"]
    assert "friends    [=====+++++!!!!!!!!!!] 1 fine, 1 coming up, 2 due, 0 paused" in text
    assert "no group   [====================] 1 fine, 0 coming up, 0 due, 0 paused" in text
    assert "work       [!!!!!!!!!!..........] 0 fine, 0 coming up, 1 due, 1 paused" in text
    for name, total in (("friends", 4), ("no group", 1), ("work", 2)):
        assert re.search(rf">{name}</td>.*?<td[^>]*>{total}: ", html, re.DOTALL)

    # Who is slipping, in both parts, furthest first.
    assert text.index("Dee:") < text.index("Eve:") < text.index("Cai:")
    assert "Fay:" not in text
    assert (
        html.index("<strong>Dee</strong>")
        < html.index("<strong>Eve</strong>")
        < html.index("<strong>Cai</strong>")
    )


# -- templates check -----------------------------------------------------------------------------


NEW_TEMPLATES = ("drafts/thanks.txt.j2", "overview.txt.j2", "overview.html.j2")


def test_templates_check_covers_the_thanks_draft_and_the_overview(
    testbed: Testbed,
    account: Account,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment(monkeypatch, tmp_path)
    env = _cli_env(testbed, account, tmp_path / "state", tmp_path)

    result = run_cli(capsys, "--env-file", env, "templates", "check")

    assert result.code == 0, result.out + result.err
    for name in NEW_TEMPLATES:
        assert f"ok    {shipped_dir() / name}" in result.out.splitlines()


@pytest.mark.parametrize(
    ("name", "source", "line", "problem"),
    [
        (
            "drafts/thanks.txt.j2",
            "Hi {{ contact.first_name }},\n\nthanks for {{ thanks.nope }}\n",
            3,
            "Undefined",
        ),
        ("drafts/thanks.txt.j2", "Hi\n{% if thanks.what %}\n", 2, "Unexpected end of template"),
        ("overview.txt.j2", "Week to {{ week_ending }}\n{{ groups[0].nope.nope }}\n", 2, "UndefinedError"),
        (
            "overview.html.j2",
            "<p>{{ week_ending }}</p>\n\n{% for g in groups %}{{ g.name.nope.x }}{% endfor %}\n",
            3,
            "Undefined",
        ),
    ],
    ids=["thanks-undefined", "thanks-syntax", "overview-text", "overview-html"],
)
def test_templates_check_names_a_broken_thanks_draft_or_overview(
    testbed: Testbed,
    account: Account,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    source: str,
    line: int,
    problem: str,
) -> None:
    clean_environment(monkeypatch, tmp_path)
    own = tmp_path / "templates"
    (own / name).parent.mkdir(parents=True, exist_ok=True)
    (own / name).write_text(source)
    env = _cli_env(testbed, account, tmp_path / "state", tmp_path, template_dir=str(own))

    result = run_cli(capsys, "--env-file", env, "templates", "check")

    assert result.code == 1
    assert f"FAIL  {own / name}" in result.out.splitlines()
    errors = [row for row in result.out.splitlines() if row.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {own / name}:{line}: ")
    assert problem in errors[0]
    # The other new templates still pass from the shipped set.
    for other in NEW_TEMPLATES:
        if other != name:
            assert f"ok    {shipped_dir() / other}" in result.out.splitlines()
