"""SMTP trouble while reminders go out: 421/451/5xx replies, a stalling server, a server down for cycles."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from keepwarm.app import outbox, reminders
from keepwarm.config import Config
from keepwarm.mail.smtp import SmtpSender
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service, settings_for
from keepwarm.store import Store
from tests.faults.stall_smtp import StallingSmtp
from tests.faults.support import Tally, count, env_file, seconds
from tests.reminders.support import MORNING, add_contact, env_settings, parse, subprocess_environment
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed, free_ports
from tests.testbed.smtp import SmtpServer, Stage

FAULTS = 2  # consecutive faulty replies in each reply-code case
PEOPLE = 4
MAX_CYCLES = 30


def _seed(store: Store, people: int) -> dict[int, str]:
    """``people`` overdue contacts; returns outbox id -> the subject its reminder will have (most overdue
    first, so reminder n is person n)."""
    subjects = {}
    for n in range(1, people + 1):
        name = f"Person {n:02d} Example"
        add_contact(store, name, f"person{n}@example.org", days_since=100 - n, now=MORNING)
        subjects[n] = f"Check in with {name} — {100 - n} days"
    return subjects


def _received(messages: list[bytes]) -> Counter[str]:
    return Counter(str(parse(raw)["Subject"]) for raw in messages)


def _cycles(service: Service, store: Store, start: datetime) -> Iterator[outbox.DeliveryReport]:
    """Delivery cycles, each as soon as the earliest pending message may be tried again."""
    now = start
    for _ in range(MAX_CYCLES):
        pending = [i for i in store.outbox.items() if i.state == "pending"]
        if not pending:
            return
        now = max(now, min(i.next_attempt_at or now for i in pending))
        yield service.deliver(now)
    pytest.fail(f"still pending after {MAX_CYCLES} delivery cycles")


def _status(testbed: Testbed, account: Account, state_dir: Path, tmp_path: Path) -> Any:
    """``keepwarm status --json``, as the owner would run it."""
    env = env_file(tmp_path / "status.env", env_settings(testbed, account, state_dir))
    result = subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env), "status", "--json"],
        capture_output=True,
        text=True,
        env=subprocess_environment(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# (code, stage): what the first delivery cycle should do with the faulted reminders and with the rest.
# Any reply but 421 concerns that one message only. After a 421 ("closing the channel") the rest may
# wait for the next cycle (aiosmtplib hangs up after a 421 to MAIL) or go out if the server, like the
# test bed's, in fact keeps talking (aiosmtplib carries on after a 421 to DATA): "either".
REPLY_CASES = [
    pytest.param(421, "MAIL", "retrying", "either", id="421-MAIL"),
    pytest.param(421, "DATA", "retrying", "either", id="421-DATA"),
    pytest.param(451, "MAIL", "retrying", "sent", id="451-MAIL"),
    pytest.param(451, "DATA", "retrying", "sent", id="451-DATA"),
    pytest.param(451, "RCPT", "retrying", "sent", id="451-RCPT"),
    pytest.param(554, "MAIL", "failed", "sent", id="554-MAIL"),
    pytest.param(554, "DATA", "failed", "sent", id="554-DATA"),
    pytest.param(550, "RCPT", "failed", "sent", id="550-RCPT"),
]


@pytest.mark.parametrize(("code", "stage", "faulted", "rest"), REPLY_CASES)
def test_a_faulty_reply_loses_nothing_and_each_reminder_is_delivered_once(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    tmp_path: Path,
    code: int,
    stage: Stage,
    faulted: str,
    rest: str,
) -> None:
    config = make_config(max_reminders_per_day=str(PEOPLE))
    store = Store(config.state_dir)
    subjects = _seed(store, PEOPLE)
    service = build_service(config, store)
    before = len(smtp_server.received)
    text = {4: "4.3.0 Try again later", 5: "5.7.1 Refused"}[code // 100]
    smtp_server.fail_next(code, text, count=FAULTS, stage=stage)

    queued, first = service.remind(MORNING)
    later = list(_cycles(service, store, MORNING))
    status = _status(testbed, account, config.state_dir, tmp_path)

    got = {"sent": first.sent, "retrying": first.retrying, "failed": first.failed}
    hit = list(range(1, FAULTS + 1))
    spared = list(range(FAULTS + 1, PEOPLE + 1))
    delivered = _received([m.data for m in smtp_server.received[before:]])
    items = store.outbox.items()
    Tally(
        f"SMTP {code} at {stage}",
        {
            "reminders": queued,
            "first cycle": {k: v for k, v in got.items() if v},
            "later cycles": len(later),
            "delivered": sum(delivered.values()),
            "failed": [i.id for i in items if i.state == "failed"],
        },
    ).show()

    assert queued == PEOPLE
    # The first cycle: the faulted reminders and the others each as expected.
    expected: dict[str, list[int]] = {"sent": [], "retrying": [], "failed": []}
    expected[faulted] += hit
    if rest == "either":
        expected["sent"] = sorted(set(got["sent"]) & set(spared))
        expected["retrying"] += sorted(set(spared) - set(got["sent"]))
    else:
        expected[rest] += spared
    assert {k: sorted(v) for k, v in got.items()} == expected
    # Nothing lost, nothing doubled: every reminder not refused for good arrives exactly once.
    permanent = code >= 500
    wanted = Counter({subjects[n]: 1 for n in (spared if permanent else hit + spared)})
    assert delivered == wanted
    assert [i.state for i in items] == ["failed" if permanent and i.id in hit else "sent" for i in items]
    assert status["outbox_pending"] == 0
    shown = {f["id"]: f for f in status["outbox_failed"]}
    if permanent:
        assert sorted(shown) == hit
        assert all(f"{code} {text}" in str(f["error"]) for f in shown.values()), shown
        assert all(str(code) in e["error"] for e in status["recent_errors"][-FAULTS:])
    else:
        assert shown == {}
        assert all(i.attempts >= 1 for i in items if i.id in hit)


def test_smtp_down_for_several_cycles_then_each_reminder_is_delivered_once(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    cycles = count("DOWN_CYCLES", 6, 6, slow=False)
    people = count("DOWN_REMINDERS", 12, 12, slow=False)
    [closed_port] = free_ports(1)
    down = make_config(smtp_port=str(closed_port), max_reminders_per_day=str(people))
    store = Store(down.state_dir)
    subjects = _seed(store, people)
    service = build_service(down, store)
    before = len(smtp_server.received)

    queued, report = service.remind(MORNING)
    assert queued == people and report.retrying == list(range(1, people + 1))
    now, pauses = MORNING, []
    for cycle in range(1, cycles + 1):
        pending = store.outbox.items()
        next_try = min(i.next_attempt_at for i in pending if i.next_attempt_at is not None)
        pauses.append(int((next_try - now).total_seconds() // 60))
        assert service.deliver(next_try - timedelta(seconds=1)).retrying == []  # not before its time
        now = next_try
        report = service.deliver(now)
        assert report.sent == [] and report.failed == [] and len(report.retrying) == people, cycle
    assert {(i.state, i.attempts) for i in store.outbox.items()} == {("pending", cycles + 1)}

    service = build_service(make_config(max_reminders_per_day=str(people)), store)  # the server is back
    later = list(_cycles(service, store, now))
    delivered = _received([m.data for m in smtp_server.received[before:]])
    Tally(
        "SMTP down",
        {
            "reminders": people,
            "cycles while down": cycles + 1,
            "pauses (min)": pauses,
            "cycles after recovery": len(later),
            "delivered": sum(delivered.values()),
        },
    ).show()

    assert pauses == [min(60, 2**n) for n in range(cycles)]  # 1, 2, 4 … minutes, at most an hour
    assert [len(r.sent) for r in later] == [people]
    assert delivered == Counter(subjects.values())
    assert service.deliver(now + timedelta(days=1)).sent == []


def _stall_setup(
    make_config: ConfigFactory, stall: StallingSmtp, people: int
) -> tuple[Service, Config, dict[int, str]]:
    config = make_config(smtp_host="127.0.0.1", smtp_port=str(stall.port), smtp_security="none")
    store = Store(config.state_dir)
    subjects = _seed(store, people)
    service = build_service(config, store)
    reminders.run(store, service.renderer, settings_for(config), MORNING)
    return service, config, subjects


@pytest.fixture
def stalling_smtp() -> Iterator[StallingSmtp]:
    server = StallingSmtp()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_stalling_server_times_out_and_every_reminder_is_then_delivered_once(
    make_config: ConfigFactory, stalling_smtp: StallingSmtp
) -> None:
    stall = seconds("STALL", 30, 30, slow=False)
    client_timeout = 1.0
    service, config, subjects = _stall_setup(make_config, stalling_smtp, 3)
    assert config.daemon_address is not None
    sender = SmtpSender(
        config.smtp, config.daemon_address, frozenset(config.owner_emails), timeout=client_timeout
    )
    stalling_smtp.stall_next(stall)

    started = time.monotonic()
    first = outbox.deliver(service.store, sender, MORNING)
    took = time.monotonic() - started
    dropped = stalling_smtp.wait_abandoned(1)
    second = outbox.deliver(service.store, sender, MORNING + timedelta(minutes=1))
    third = outbox.deliver(service.store, sender, MORNING + timedelta(hours=2))
    kept = _received(stalling_smtp.accepted)
    Tally(
        "SMTP stall",
        {
            "stall s": stall,
            "client timeout s": client_timeout,
            "first attempt took s": round(took, 2),
            "first cycle retrying": first.retrying,
            "abandoned by the client": len(stalling_smtp.abandoned),
            "delivered": sum(kept.values()),
        },
    ).show()

    assert took < client_timeout + 2 < stall
    assert (first.sent, first.retrying, first.failed) == ([], [1, 2, 3], [])
    assert dropped and _received(stalling_smtp.abandoned) == Counter([subjects[1]])
    assert second.sent == [1, 2, 3] and third.sent == []
    assert kept == Counter(subjects.values())
    item = service.store.outbox.get(1)
    assert item is not None and item.attempts == 1


@pytest.mark.slow
def test_a_stall_with_the_service_s_own_smtp_timeout(
    make_config: ConfigFactory, stalling_smtp: StallingSmtp
) -> None:
    """The daemon's sender (``wiring.sender``) keeps aiosmtplib's per-command timeout of SmtpSender:
    a stall shorter than it just holds the loop that long; a longer one costs the whole timeout."""
    stall = seconds("STALL", 30, 30, slow=True)
    timeout = float(inspect.signature(SmtpSender).parameters["timeout"].default)
    service, _, subjects = _stall_setup(make_config, stalling_smtp, 3)
    stalling_smtp.stall_next(stall)

    started = time.monotonic()
    first = service.deliver(MORNING)
    took = time.monotonic() - started
    later = list(_cycles(service, service.store, MORNING))
    kept = _received(stalling_smtp.accepted)
    Tally(
        "SMTP stall, service timeout",
        {
            "stall s": stall,
            "service SMTP timeout s": timeout,
            "first cycle took s": round(took, 1),
            "first cycle": {"sent": first.sent, "retrying": first.retrying},
            "later cycles": len(later),
            "delivered": sum(kept.values()),
        },
    ).show()

    if stall < timeout:
        assert stall <= took < stall + 5
        assert first.sent == [1, 2, 3] and later == []
    else:
        assert timeout <= took < timeout + 5
        assert first.retrying == [1, 2, 3]
    assert kept == Counter(subjects.values())
