"""``every 4w max 6w`` and ``priority`` on the test bed, with the clock set and a cap of one a day:
past the maximum goes first, then priority, then whoever is most overdue for their cadence; and
between cadence and maximum a person is due, not overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keepwarm.app import contacts
from keepwarm.domain.commands import CommandError, parse_reply
from keepwarm.domain.due import DueStatus
from keepwarm.domain.model import Priority
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact
from tests.testbed.smtp import SmtpServer


def test_under_a_cap_of_one_past_the_maximum_then_priority_then_most_overdue(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(max_reminders_per_day="1")
    store = Store(config.state_dir)
    alice = add_contact(store, "Alice Example", "alice@example.org", days_since=45, now=MORNING, cadence=28)
    store.update_contact(alice.with_changes(max_days=42))  # every 4w max 6w: past it
    add_contact(store, "Bob Example", "bob@example.org", days_since=25, now=MORNING, cadence=14)  # 1.8x
    carol = add_contact(store, "Carol Example", "carol@example.org", days_since=30, now=MORNING, cadence=28)
    store.update_contact(carol.with_changes(max_days=42))  # due (soft), not overdue
    add_contact(
        store, "Dan Example", "dan@example.org", days_since=31, now=MORNING, cadence=30, group="family"
    )
    store.set_group_limits("family", None, Priority.HIGH)
    outgoing = Outgoing(smtp_server)

    status = {
        s.contact.name: s.status for s in contacts.due_list(store, 30, MORNING, unanswered_counts=False)
    }
    for day in range(4):
        build_service(config, store).remind(MORNING + timedelta(days=day))

    assert status["Carol Example"] is DueStatus.DUE and status["Alice Example"] is DueStatus.OVERDUE
    names = [m["Subject"].split(" — ")[0].removeprefix("Check in with ") for m in outgoing.messages()]
    # Day four: Alice's unanswered reminder is repeated (after 3 days), still ahead of Carol,
    # who is only due, not overdue.
    assert names == ["Alice Example", "Dan Example", "Bob Example", "Alice Example"]


def test_every_with_a_maximum_by_reply_and_its_bad_input() -> None:
    [command] = parse_reply("every 4w max 6w")
    assert (command.cadence_days, command.max_days) == (28, 42)
    with pytest.raises(CommandError) as caught:
        parse_reply("every 6w max 4w")
    assert "max 4w is shorter than every 6w" in str(caught.value)
    with pytest.raises(CommandError) as caught:
        parse_reply("priority urgent")
    assert "'urgent' is not a priority (high, normal or low)" in str(caught.value)
