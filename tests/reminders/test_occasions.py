"""Birthdays and yearly dates on the test bed, with the clock set: a reminder BIRTHDAY_NOTICE days
ahead and on the day for someone not due, outside the daily cap, each once; other yearly dates
with their years; and the draft from drafts/birthday.txt.j2."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from keepwarm.domain.model import Birthday, YearlyDate
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import plain_text
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact
from tests.testbed.smtp import SmtpServer

# MORNING is 20 November 2026.


def _text(message: EmailMessage) -> str:
    return plain_text(message)


def test_a_birthday_is_reminded_ahead_and_on_the_day_outside_the_cap_and_once(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(birthday_notice="3", max_reminders_per_day="1")
    store = Store(config.state_dir)
    alice = add_contact(store, "Alice Example", "alice@example.org", days_since=2, now=MORNING)  # not due
    store.update_contact(alice.with_changes(birthday=Birthday(11, 23, 1990)))
    add_contact(store, "Bob Example", "bob@example.org", days_since=60, now=MORNING)  # due: takes the cap
    add_contact(store, "Carol Example", "carol@example.org", days_since=59, now=MORNING)  # waits
    outgoing = Outgoing(smtp_server)

    ahead = build_service(config, store).remind(MORNING)
    again = build_service(config, store).remind(MORNING + timedelta(hours=2))
    before_the_day = build_service(config, store).remind(MORNING + timedelta(days=1))
    on_the_day = build_service(config, store).remind(MORNING + timedelta(days=3))

    subjects = [m["Subject"] for m in outgoing.messages()]
    assert subjects[:2] == [
        "Check in with Bob Example — 60 days",
        "Alice Example's birthday is in 3 days, 23 November (turning 36)",
    ]
    assert ahead[0] == 2 and again[0] == 0
    assert before_the_day[0] == 1  # Carol's day in the cap; no birthday news
    assert "Alice Example's birthday is today, 23 November (turning 36)" in subjects[-2:]
    assert on_the_day[0] == 2
    first, today = outgoing.messages()[1], next(m for m in outgoing.messages() if "today" in m["Subject"])
    assert "Your birthday is coming up on 23 November" in _text(first)
    assert "Alice's birthday is in 3 days, 23 November (turning 36)." in _text(first)
    assert "Happy birthday" in _text(today) and "subject: Happy birthday!" in _text(today)
    assert {m["To"] for m in outgoing.messages()} == {config.owner_address}


def test_another_yearly_date_comes_with_its_years_and_its_own_draft(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    dana = add_contact(store, "Dana Example", "dana@example.org", days_since=1, now=MORNING)
    store.update_contact(
        dana.with_changes(dates=(YearlyDate("wedding anniversary", Birthday(11, 20, 2016)),))
    )
    outgoing = Outgoing(smtp_server)

    assert build_service(config, store).remind(MORNING)[0] == 1

    [message] = outgoing.messages()
    assert message["Subject"] == "Dana Example's wedding anniversary is today, 20 November (10 years)"
    assert "Thinking of you today: wedding anniversary, 10 years!" in _text(message)
    assert "subject: Wedding anniversary" in _text(message)


def test_a_paused_contact_gets_no_birthday_reminder_and_29_february_falls_on_the_28th(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    erin = add_contact(store, "Erin Example", "erin@example.org", days_since=1, now=MORNING)
    store.update_contact(erin.with_changes(birthday=Birthday(11, 20), paused=True))
    leap = add_contact(store, "Finn Example", "finn@example.org", days_since=1, now=MORNING, cadence=365)
    store.update_contact(leap.with_changes(birthday=Birthday(2, 29, 2000)))
    outgoing = Outgoing(smtp_server)

    assert build_service(config, store).remind(MORNING)[0] == 0
    feb_28 = MORNING.replace(year=2027, month=2, day=28)
    assert build_service(config, store).remind(feb_28)[0] == 1
    assert [m["Subject"] for m in outgoing.messages()] == [
        "Finn Example's birthday is today, 28 February (turning 27)"
    ]
