"""Who is reminded when, on the test bed: the daily cap and ranking, digests, auto-resolution, backoff."""

from __future__ import annotations

from datetime import timedelta

from keepwarm.domain.reminders import EntryState
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, html_of, sent_mail, text_of
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

# name, days since the owner last wrote, cadence in days; urgency = days / cadence.
FIVE_OVERDUE = [
    ("Ana", 45, 30),  # 1.5
    ("Bea", 90, 30),  # 3.0
    ("Dan", 35, 30),  # 1.17
    ("Eva", 75, 30),  # 2.5
    ("Fay", 40, 14),  # 2.86: fewer days than Eva, but more overdue for her cadence
]


def _seed_five(store: Store) -> None:
    for name, days, cadence in FIVE_OVERDUE:
        add_contact(
            store,
            f"{name} Example",
            f"{name.lower()}@example.org",
            days_since=days,
            now=MORNING,
            cadence=cadence,
        )


def test_the_cap_sends_the_most_overdue_today_and_the_rest_tomorrow(
    make_config: ConfigFactory, smtp_server: SmtpServer, account: Account
) -> None:
    config = make_config(max_reminders_per_day="3")
    store = Store(config.state_dir)
    _seed_five(store)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    count, report = service.remind(MORNING)

    assert count == 3 and len(report.sent) == 3 and report.failed == report.retrying == []
    assert outgoing.subjects() == [
        "Check in with Bea Example — 90 days",
        "Check in with Fay Example — 40 days",
        "Check in with Eva Example — 75 days",
    ]

    # A second run the same day adds nobody: the day's three are spent.
    assert service.remind(MORNING + timedelta(hours=3))[0] == 0

    count, report = service.remind(MORNING + timedelta(days=1))

    assert count == 2 and len(report.sent) == 2
    assert outgoing.subjects()[3:] == [
        "Check in with Ana Example — 46 days",
        "Check in with Dan Example — 36 days",
    ]
    # The day after, everyone has an open reminder still inside its pause.
    assert service.remind(MORNING + timedelta(days=2))[0] == 0
    assert len(smtp_server.received_for(account.address)) == 5


def test_digest_is_one_email_with_numbered_entries(
    make_config: ConfigFactory, smtp_server: SmtpServer, account: Account
) -> None:
    config = make_config(reminder_mode="digest", max_reminders_per_day="3")
    store = Store(config.state_dir)
    _seed_five(store)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    count, report = service.remind(MORNING)

    assert count == 1 and len(report.sent) == 1
    [digest] = outgoing.messages()
    assert digest["Subject"] == "Check in with Bea, Fay, Eva"
    assert digest["X-Keepwarm"].startswith("digest; token=")
    text = text_of(digest)
    assert text.startswith("3 people to get back in touch with today.")
    numbered = [line.strip() for line in text.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
    assert numbered == [
        "1. Bea Example <bea@example.org>",
        "2. Fay Example <fay@example.org>",
        "3. Eva Example <eva@example.org>",
    ]
    assert "Ana Example" not in text and "Dan Example" not in text
    html = html_of(digest)
    assert html.index("1. Bea Example") < html.index("2. Fay Example") < html.index("3. Eva Example")
    entries = store.reminders.entries()
    assert [(e.contact_id, e.number) for e in entries] == [(2, 1), (5, 2), (4, 3)]
    assert len({e.outbox_id for e in entries}) == 1

    # The two left over come the next day, in a digest of their own.
    assert service.remind(MORNING + timedelta(days=1))[0] == 1
    second = outgoing.messages()[1]
    assert second["Subject"] == "Check in with Ana, Dan"
    assert text_of(second).startswith("2 people to get back in touch with today.")
    assert len(smtp_server.received_for(account.address)) == 2


def test_a_detected_touch_resolves_the_reminder_and_stops_repeats(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    alice = add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    bob = add_contact(store, "Bob Example", "bob@example.org", days_since=40, now=MORNING)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)
    assert service.remind(MORNING)[0] == 2

    # The owner writes to Alice the next day; the poll sees it in Sent.
    wrote = MORNING + timedelta(days=1)
    testbed.append(account, "Sent", sent_mail(account.address, "alice@example.org", "Lunch?", wrote, "l@x"))
    service.poll(wrote + timedelta(hours=1))

    states = {e.contact_id: e.state for e in store.reminders.entries()}
    assert states == {alice.id: EntryState.RESOLVED, bob.id: EntryState.OPEN}

    # Three days on, Bob (ignored) is reminded again; Alice is not.
    for day in (2, 3, 4):
        service.remind(MORNING + timedelta(days=day))
    assert outgoing.subjects() == [
        "Check in with Alice Example — 40 days",
        "Check in with Bob Example — 40 days",
        "Check in with Bob Example — 43 days",
    ]


def test_a_touch_cancels_a_reminder_still_waiting_to_be_sent(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    service = build_service(config, store)
    smtp_server.fail_next(451, "4.3.0 Try again later")
    assert service.remind(MORNING)[1].retrying == [1]

    wrote = MORNING + timedelta(seconds=30)
    testbed.append(account, "Sent", sent_mail(account.address, "alice@example.org", "Hi", wrote, "hi@x"))
    service.poll(MORNING + timedelta(seconds=40))

    assert [(i.id, i.state) for i in store.outbox.items()] == [(1, "cancelled")]
    assert service.deliver(MORNING + timedelta(minutes=5)).sent == []
    assert smtp_server.received_for(account.address) == []


def test_an_ignored_reminder_repeats_after_3_then_6_then_12_days(
    make_config: ConfigFactory, smtp_server: SmtpServer, account: Account
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    service = build_service(config, store)

    sent_on = [day for day in range(22) if service.remind(MORNING + timedelta(days=day))[0]]

    assert sent_on == [0, 3, 9, 21]
    assert len(smtp_server.received_for(account.address)) == 4
    entries = store.reminders.entries()
    assert [e.nth for e in entries] == [1, 2, 3, 4]
    assert [e.state for e in entries] == [EntryState.SUPERSEDED] * 3 + [EntryState.OPEN]
