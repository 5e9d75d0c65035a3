"""The CLI end to end in a subprocess: a realistic mailbox polled, checked against its ground truth."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from keepwarm.store import Store
from tests.sync.mailgen import OWNER_NAME
from tests.sync.support import Realistic, append_all, flag_snapshot, gained_flags, mail
from tests.testbed.fixtures import Account, Testbed

EX_NOPERM = 77
EX_TEMPFAIL = 75
DEFAULT_CADENCE_DAYS = 30  # KEEPWARM_DEFAULT_CADENCE=monthly


def _env_file(
    directory: Path,
    testbed: Testbed,
    account: Account,
    *,
    owners: tuple[str, ...] = (),
    password: str | None = None,
    trust_test_ca: bool = True,
    timezone: str = "UTC",
    secret: bool = True,
) -> Path:
    settings = {
        "KEEPWARM_OWNER_NAME": OWNER_NAME,
        "KEEPWARM_OWNER_EMAILS": ", ".join(owners or (account.address,)),
        "KEEPWARM_DAEMON_ADDRESS": account.plus("keepwarm"),
        "KEEPWARM_IMAP_HOST": testbed.host,
        "KEEPWARM_IMAP_PORT": str(testbed.imaps_port),
        "KEEPWARM_IMAP_SECURITY": "ssl",
        "KEEPWARM_IMAP_USER": account.user,
        "KEEPWARM_IMAP_PASSWORD": account.password if password is None else password,
        "KEEPWARM_STATE_DIR": str(directory / "state"),
        "KEEPWARM_TIMEZONE": timezone,
    }
    if secret:  # what keepwarm init writes: commands to the daemon address are answered with it
        settings["KEEPWARM_SECRET"] = "cli-poll-secret-0123456789abcdef"
    if trust_test_ca:
        settings["KEEPWARM_IMAP_CA_FILE"] = str(testbed.ca_file)
    path = directory / "keepwarm.env"
    path.write_text("".join(f"{key}='{value}'\n" for key, value in settings.items()))
    return path


def _run(env_file: Path, *args: str, tz: str = "UTC") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")}
    env["TZ"] = tz  # the machine's zone, which imapclient uses for INTERNALDATE
    return subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env_file), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=env_file.parent,
        check=False,
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_poll_of_a_realistic_mailbox_matches_the_ground_truth(
    testbed: Testbed, realistic: Realistic, tmp_path: Path
) -> None:
    box, account = realistic.box, realistic.account
    env = _env_file(tmp_path, testbed, account, owners=box.owner_emails)
    tracked = dict(box.tracked)  # address -> (name, cadence days), from BCCs to the daemon
    two_way = box.two_way()
    friend = max((a for a in two_way if a not in tracked), key=lambda a: sum(two_way[a]))

    first = _json(_run(env, "poll", "--json"))
    listed = _json(_run(env, "contacts", "list", "--json"))
    added = _run(env, "contacts", "add", f"{box.people[friend].name or 'Friend'} <{friend}>", "--every", "2w")
    due = {c["emails"][0]: c for c in _json(_run(env, "due", "--json", "--all"))}
    second = _json(_run(env, "poll", "--json"))
    folders = {f["name"]: f for f in _json(_run(env, "folders", "--json"))}
    suggested = {s["address"]: s for s in _json(_run(env, "suggest", "--json", "--limit", "500"))}
    store = Store(tmp_path / "state")
    with testbed.imap_client(account) as client:
        client.select_folder("INBOX", readonly=True)
        inbox_high = max(client.search("ALL"))

    in_window = [p for p in box.placements if p.folder in ("INBOX", "Sent") and p.kind != "ancient"]
    # Archive is watched too (empty here): the generator files nothing there.
    assert first["folders"] == {"Archive": 0, **Counter(p.folder for p in in_window)}
    assert first["touches"] == box.per_address()
    assert Counter((t.address, t.direction.value) for t in store.touches()) == box.counts()
    assert first["resynced"] == [] and first["problems"] == []
    assert sorted(first["new_contacts"]) == sorted(f"{name} <{a}>" for a, (name, _) in tracked.items())
    assert {c["emails"][0]: (c["name"], c["cadence_days"], c["cadence_source"]) for c in listed} == {
        a: (name, days or DEFAULT_CADENCE_DAYS, "contact" if days else "default")
        for a, (name, days) in tracked.items()
    }
    assert added.returncode == 0, added.stderr
    assert due[friend]["cadence_days"] == 14

    assert sum(second["folders"].values()) == 0 and second["touches"] == {}

    assert {n for n, f in folders.items() if f["watched"]} == {"INBOX", "Sent", "Archive"}
    assert folders["Sent"]["role"] == "\\Sent" and folders["Sent"]["why"] == "\\Sent folder"
    assert folders["Trash"]["why"] == "\\Trash: never a touch" and not folders["Trash"]["watched"]
    assert folders["INBOX"]["last_uid"] == inbox_high
    assert folders["Drafts"]["last_uid"] is None

    expected = {a: counts for a, counts in two_way.items() if a not in tracked and a != friend}
    assert {a: (s["sent"], s["received"]) for a, s in suggested.items()} == expected
    assert {a: s["name"] for a, s in suggested.items()} == {a: box.people[a].name for a in expected}
    assert gained_flags(realistic.flags, flag_snapshot(testbed, account)) == {}

    # When each touch happened: the newest per person is what `due` shows.
    latest: dict[str, datetime] = {}
    for t in store.touches():
        latest[t.address] = max(latest.get(t.address, t.at), t.at)
    truth = box.last_touch()
    wrong = {a: (str(latest.get(a)), str(truth[a])) for a in truth if latest.get(a) != truth[a]}
    assert wrong == {}, "newest touch (keepwarm, truth) differs"
    for address in [friend, *tracked]:
        assert datetime.fromisoformat(due[address]["last_touch"]) == truth[address]
    got = Counter((t.address, t.direction.value, t.at) for t in store.touches())
    want = Counter((t.address, t.direction, t.at) for t in box.touches)
    assert (got - want, want - got) == (Counter(), Counter())


def test_a_wrong_password_exits_77_with_one_line_and_no_password(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    wrong = "Wrong-Horse-Battery-Staple-9"
    result = _run(_env_file(tmp_path, testbed, account, password=wrong), "poll")

    assert result.returncode == EX_NOPERM
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("keepwarm: "), result.stderr
    assert "Traceback" not in result.stderr
    assert wrong not in result.stderr + result.stdout
    assert account.password not in result.stderr + result.stdout


def test_an_untrusted_certificate_exits_75_with_one_line(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    result = _run(_env_file(tmp_path, testbed, account, trust_test_ca=False), "poll", "--json")

    assert result.returncode == EX_TEMPFAIL
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "certificate" in lines[0], result.stderr
    assert account.password not in result.stderr + result.stdout


def test_arrival_times_are_right_on_a_machine_outside_utc(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """A message without a Date header is dated by its INTERNALDATE, whatever the machine's zone."""
    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    no_date = mail("Alice <alice@example.org>", account.address, "x", "nodate@x", arrived)
    no_date = b"\r\n".join(line for line in no_date.split(b"\r\n") if not line.startswith(b"Date:"))
    append_all(testbed, account, [("INBOX", no_date, (), arrived)])
    env = _env_file(tmp_path, testbed, account, timezone="Asia/Kolkata")

    result = _run(env, "poll", "--json", tz="Asia/Kolkata")

    assert _json(result)["touches"] == {"alice@example.org": 1}
    (touch,) = Store(tmp_path / "state").touches()
    assert touch.at == arrived, f"off by {touch.at - arrived}"


def test_a_daemon_address_without_secret_is_refused_before_any_command_is_read(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """Read without SECRET, a command to the daemon address could be neither checked nor answered:
    it would be lost. The poll refuses, naming the key, and reads nothing."""
    env = _env_file(tmp_path, testbed, account, secret=False)

    result = _run(env, "poll", "--quiet")

    assert result.returncode == 78, result.stderr
    assert result.stderr.strip().splitlines() == [
        "keepwarm: configuration: KEEPWARM_SECRET is not set: commands to KEEPWARM_DAEMON_ADDRESS need it"
    ]
    assert Store(tmp_path / "state").folder_states() == {}


def test_the_first_poll_prints_a_summary_not_a_line_per_correspondent(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """Fifteen people wrote (person 1 once, person 15 fifteen times) and a list sent one mail: the
    top ten, "and 5 more", the skipped counts in words; --verbose lists all fifteen."""
    when = datetime.now(UTC) - timedelta(days=3)
    raws = [
        mail(f"Person {n} <p{n}@example.org>", account.address, f"Hi {k}", f"p{n}-{k}@x", when)
        for n in range(1, 16)
        for k in range(n)
    ]
    raws.append(mail("news@list.example", account.address, "Weekly", "l1@x", when, ("List-Id", "<n.x>")))
    append_all(testbed, account, [("INBOX", raw, (), when) for raw in raws])
    env = _env_file(tmp_path, testbed, account)

    summary = _run(env, "poll", "--quiet")
    assert summary.returncode == 0, summary.stderr
    lines = summary.stdout.splitlines()
    assert lines[:3] == [
        "read 121 new messages (INBOX 121, Sent 0, Archive 0)",
        "120 touches with 15 people, 0 of them tracked",
        "      15  p15@example.org (not tracked)",
    ]
    assert len([line for line in lines if "(not tracked)" in line]) == 10
    assert "  and 5 more (--verbose lists everyone)" in lines
    assert lines[-1] == "skipped 1: 1 from mailing lists"
    for python in ("{'", "Counter(", "(s)", "[Errno"):
        assert python not in summary.stdout

    shutil.rmtree(tmp_path / "state")
    verbose = _run(env, "poll", "--quiet", "--verbose")
    assert len([line for line in verbose.stdout.splitlines() if "(not tracked)" in line]) == 15
    assert "       1  p1@example.org (not tracked)" in verbose.stdout.splitlines()
