"""Service.reminders_due over the real store: the wall clock across DST, weekdays, and catch-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import LISBON, Outgoing, add_contact
from tests.testbed.smtp import SmtpServer

NEW_YORK = ZoneInfo("America/New_York")


def test_0830_stays_0830_on_the_dst_sunday_and_the_day_after(make_config: ConfigFactory) -> None:
    config = make_config()
    service = build_service(config, Store(config.state_dir))
    service.store.runs.note("last_reminder_run", datetime(2026, 3, 28, 8, 30, tzinfo=LISBON))

    for day in (29, 30):  # clocks go forward at 01:00 on Sunday 29 March 2026
        slot = datetime(2026, 3, day, 8, 30, tzinfo=LISBON)
        assert not service.reminders_due(slot - timedelta(minutes=1))
        assert service.reminders_due(slot)
        assert service.remind(slot)[0] == 0  # nobody is due; the run is recorded all the same
        assert not service.reminders_due(slot + timedelta(minutes=1))
        assert not service.reminders_due(slot + timedelta(hours=15))
    assert service.store.runs.get()["last_reminder_run"] == "2026-03-30T08:30:00+01:00"


def test_a_slot_in_the_spring_forward_gap_runs_once(make_config: ConfigFactory) -> None:
    # 02:30 does not exist in New York on Sunday 8 March 2026: clocks jump from 02:00 to 03:00.
    config = make_config(timezone="America/New_York", reminder_time="02:30")
    service = build_service(config, Store(config.state_dir))
    service.store.runs.note("last_reminder_run", datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK))
    runs = []

    for minute in range(0, 120):  # 03:00 to 04:59 EDT, checked every minute as the daemon does
        now = datetime(2026, 3, 8, 3, 0, tzinfo=NEW_YORK) + timedelta(minutes=minute)
        if service.reminders_due(now):
            service.remind(now)
            runs.append(f"{now:%H:%M}")

    assert len(runs) == 1, f"{len(runs)} runs: {runs[0]} to {runs[-1]}"


def test_reminder_days_leave_the_other_days_quiet(make_config: ConfigFactory) -> None:
    config = make_config(reminder_days="mon,thu")
    service = build_service(config, Store(config.state_dir))
    monday = datetime(2026, 11, 16, 8, 30, tzinfo=LISBON)
    service.store.runs.note("last_reminder_run", monday)

    ran_on = []
    for hours in range(6, 24 * 8, 6):  # every six hours for a week
        now = monday + timedelta(hours=hours)
        if service.reminders_due(now):
            service.remind(now)
            ran_on.append(f"{now:%a %H:%M}")

    assert ran_on == ["Thu 08:30", "Mon 08:30"]


def test_catch_up_after_three_days_off_sends_once(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    now = datetime(2026, 11, 20, 11, 0, tzinfo=LISBON)  # after today's 08:30
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=now)
    store.runs.note("last_reminder_run", now - timedelta(days=3))
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    assert service.reminders_due(now)
    assert service.remind(now)[0] == 1
    for later in (
        now + timedelta(minutes=1),
        now.replace(hour=23, minute=59),
        now + timedelta(hours=21, minutes=29),
    ):
        assert not service.reminders_due(later), later
    assert service.reminders_due(now + timedelta(hours=21, minutes=30))  # tomorrow 08:30
    assert outgoing.subjects() == ["Check in with Alice Example — 40 days"]
