"""Delivery through SMTP trouble: 4xx retried later, 5xx shown by status, outages, crashes mid-send."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from keepwarm.app import outbox, reminders
from keepwarm.domain.outbox import OutboxState
from keepwarm.ports import MailSender, SendResult
from keepwarm.runtime.wiring import build_service, sender, settings_for
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import (
    MORNING,
    Outgoing,
    add_contact,
    clean_environment,
    env_settings,
    write_env_file,
)
from tests.testbed.fixtures import Account, Testbed, free_ports
from tests.testbed.smtp import SmtpServer

NAMES = ("Alice", "Bob", "Carol")


def _seed(store: Store, names: Sequence[str] = NAMES) -> None:
    for offset, name in enumerate(names):
        add_contact(
            store, f"{name} Example", f"{name.lower()}@example.org", days_since=60 - offset, now=MORNING
        )


def test_a_4xx_reply_keeps_the_message_pending_until_a_later_cycle_sends_it_once(
    make_config: ConfigFactory, smtp_server: SmtpServer, account: Account
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    _seed(store, NAMES[:2])
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)
    smtp_server.fail_next(451, "4.3.0 Mailbox busy, try again later")

    count, report = service.remind(MORNING)

    assert count == 2
    assert (report.sent, report.retrying, report.failed) == ([2], [1], [])
    first = store.outbox.get(1)
    assert first is not None
    assert (first.state, first.attempts, first.next_attempt_at) == (
        "pending",
        1,
        MORNING + timedelta(minutes=1),
    )
    assert first.last_error is not None and "451" in first.last_error

    assert service.deliver(MORNING + timedelta(seconds=30)).sent == []  # not yet: the pause is a minute
    assert service.deliver(MORNING + timedelta(minutes=1)).sent == [1]
    assert service.deliver(MORNING + timedelta(minutes=30)).sent == []

    assert Counter(outgoing.subjects()) == Counter(
        {"Check in with Alice Example — 60 days": 1, "Check in with Bob Example — 59 days": 1}
    )
    assert len(smtp_server.received_for(account.address)) == 2
    assert [(i.state, i.attempts) for i in store.outbox.items()] == [("sent", 1), ("sent", 0)]


def test_a_5xx_reply_fails_for_good_and_status_shows_it(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    _seed(store, NAMES[:1])
    smtp_server.fail_next(554, "5.7.1 Message refused")

    count, report = build_service(config, store).remind(MORNING)

    assert count == 1 and (report.sent, report.retrying, report.failed) == ([], [], [1])
    assert build_service(config, store).deliver(MORNING + timedelta(hours=2)).sent == []
    assert smtp_server.received_for(account.address) == []

    clean_environment(monkeypatch, tmp_path)
    env = write_env_file(tmp_path / "keepwarm.env", env_settings(testbed, account, config.state_dir))
    status = run_cli(capsys, "--env-file", str(env), "status", "--json")

    assert status.code == 0, status.err
    data = status.json()
    assert data["outbox_pending"] == 0
    [failed] = data["outbox_failed"]
    assert failed["id"] == 1
    assert failed["subject"] == "Check in with Alice Example — 60 days"
    assert "554 5.7.1 Message refused" in failed["error"]
    assert any("refused" in e["error"] and "554" in e["error"] for e in data["recent_errors"])

    human = run_cli(capsys, "--env-file", str(env), "status")
    assert "failed to send:     Check in with Alice Example — 60 days:" in human.out


def test_smtp_down_for_several_cycles_then_each_reminder_is_delivered_once(
    make_config: ConfigFactory, smtp_server: SmtpServer, account: Account
) -> None:
    [closed_port] = free_ports(1)
    down = make_config(smtp_port=str(closed_port))
    store = Store(down.state_dir)
    _seed(store)
    service = build_service(down, store)
    outgoing = Outgoing(smtp_server)

    count, report = service.remind(MORNING)
    assert count == 3 and report.retrying == [1, 2, 3] and report.sent == []
    # Three more cycles while the server is down, each when the doubling pause has passed.
    for minutes in (1, 3, 7):
        report = service.deliver(MORNING + timedelta(minutes=minutes))
        assert report.retrying == [1, 2, 3] and report.sent == [] and report.failed == []
    assert {(i.state, i.attempts) for i in store.outbox.items()} == {("pending", 4)}
    assert all("cannot connect: connection refused" in (i.last_error or "") for i in store.outbox.items())

    service = build_service(make_config(), store)  # the server is back (SIGHUP builds a new Service)
    assert service.deliver(MORNING + timedelta(minutes=14)).sent == []  # the 8-minute pause holds
    assert service.deliver(MORNING + timedelta(minutes=15)).sent == [1, 2, 3]
    assert service.deliver(MORNING + timedelta(hours=1)).sent == []

    assert Counter(outgoing.subjects()) == Counter(
        {
            "Check in with Alice Example — 60 days": 1,
            "Check in with Bob Example — 59 days": 1,
            "Check in with Carol Example — 58 days": 1,
        }
    )
    assert {e.rcpt_tos for e in outgoing.envelopes} == {(account.address,)}


def test_a_crash_between_sending_and_recording_sends_nothing_twice(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    _seed(store, NAMES[:1])
    outgoing = Outgoing(smtp_server)
    assert build_service(config, store).remind(MORNING)[1].sent == [1]

    # The process died after the server accepted the message and before the row said so.
    item = store.outbox.get(1)
    assert item is not None and item.attempted_at == MORNING
    store.outbox.update(item.with_changes(state=OutboxState.PENDING, sent_at=None))

    restarted = build_service(config, Store(config.state_dir))
    assert restarted.deliver(MORNING + timedelta(minutes=1)).sent == [1]  # found in INBOX
    assert restarted.deliver(MORNING + timedelta(minutes=2)).sent == []
    assert restarted.remind(MORNING + timedelta(days=1))[0] == 0

    assert outgoing.subjects() == ["Check in with Alice Example — 60 days"]


def test_a_crash_before_the_server_took_the_message_loses_nothing(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """Attempted, but the INBOX has no such Message-ID: it was never accepted, so it is sent."""
    config = make_config()
    store = Store(config.state_dir)
    _seed(store, NAMES[:1])
    assert (
        len(reminders.run(store, build_service(config, store).renderer, settings_for(config), MORNING)) == 1
    )
    item = store.outbox.get(1)
    assert item is not None
    store.outbox.update(item.with_changes(attempted_at=MORNING))
    outgoing = Outgoing(smtp_server)

    assert build_service(config, Store(config.state_dir)).deliver(MORNING + timedelta(minutes=1)).sent == [1]
    assert outgoing.subjects() == ["Check in with Alice Example — 60 days"]


def test_an_attempted_message_waits_while_the_mailbox_cannot_be_asked(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """Sending it blind could double it: it waits; a message never attempted goes ahead."""
    config = make_config()
    store = Store(config.state_dir)
    _seed(store, NAMES[:2])
    assert (
        len(reminders.run(store, build_service(config, store).renderer, settings_for(config), MORNING)) == 2
    )
    item = store.outbox.get(1)
    assert item is not None
    store.outbox.update(item.with_changes(attempted_at=MORNING))
    outgoing = Outgoing(smtp_server)
    imap_down = make_config(imap_port="1")  # nothing listens there

    assert build_service(imap_down, Store(config.state_dir)).deliver(MORNING).sent == [2]
    assert outgoing.subjects() == ["Check in with Bob Example — 59 days"]
    assert build_service(config, Store(config.state_dir)).deliver(MORNING).sent == [1]
    assert len(outgoing.subjects()) == 2


class _SimulatedCrashError(Exception):
    """The process 'dies' here."""


class _CrashAfterSending:
    """The real SMTP sender, but the process dies when the server has accepted message ``crash_on``."""

    def __init__(self, real: MailSender, crash_on: int) -> None:
        self._real = real
        self._crash_on = crash_on

    def send(
        self, batch: Sequence[tuple[int, EmailMessage]], on_result: Callable[[SendResult], None]
    ) -> list[SendResult]:
        def record(result: SendResult) -> None:
            if result.item_id == self._crash_on:
                raise _SimulatedCrashError
            on_result(result)

        return self._real.send(batch, record)


def test_a_crash_mid_batch_sends_the_rest_and_repeats_none(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    _seed(store)
    service = build_service(config, store)
    assert len(reminders.run(store, service.renderer, settings_for(config), MORNING)) == 3
    outgoing = Outgoing(smtp_server)

    with pytest.raises(_SimulatedCrashError):
        outbox.deliver(store, _CrashAfterSending(sender(config), crash_on=2), MORNING)
    assert [i.state for i in store.outbox.items()] == ["sent", "pending", "pending"]

    restarted = build_service(config, Store(config.state_dir))
    assert restarted.deliver(MORNING + timedelta(minutes=1)).sent == [2, 3]
    assert restarted.deliver(MORNING + timedelta(minutes=2)).sent == []

    assert Counter(outgoing.subjects()) == Counter(
        {
            "Check in with Alice Example — 60 days": 1,
            "Check in with Bob Example — 59 days": 1,
            "Check in with Carol Example — 58 days": 1,
        }
    )
