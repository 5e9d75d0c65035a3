"""Time away on the test bed, with the clock set: ``away until`` to the daemon address holds every
reminder back while commands still work; the first run after it is one calm catch-up digest, the
rest follow within the cap; ``snooze all 2w`` in reply to that digest; bad dates refused."""

from __future__ import annotations

from datetime import timedelta

from keepwarm.domain.model import Birthday, Contact, Direction, Touch, YearlyDate
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.commands.test_daemon_commands import to_daemon
from tests.commands.test_reply_commands import START, Bed, answer_to, reply, text_of
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

# START is Friday 20 November 2026, 08:30 in Lisbon.


def _bed(testbed: Testbed, account: Account, smtp: SmtpServer, make_config: ConfigFactory) -> Bed:
    config = make_config(max_reminders_per_day="2")
    store = Store(config.state_dir)
    for n, name in enumerate(("Alice", "Bob", "Carol", "Dan")):
        address = f"{name.lower()}@example.org"
        store.add_contact(
            Contact(f"{name} Example", (address,), START - timedelta(days=400), cadence_days=30)
        )
        store.add_touches([Touch(address, START - timedelta(days=40 + n), Direction.OUT, subject="Hello")])
    return Bed(testbed, account, smtp, build_service(config, store), len(smtp.received))


def _reminders(bed: Bed) -> list[str]:
    kinds = ("reminder", "digest")
    return [str(m["Subject"]) for m in bed.inbox(kinds[0]) + bed.inbox(kinds[1])]


def test_away_holds_every_reminder_then_one_digest_and_the_rest_within_the_cap(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = _bed(testbed, account, smtp_server, make_config)
    bed.deliver(to_daemon(bed, "away", "away until 24 November\r\n", "away-1@mail.example", when=START))
    bed.poll(START)
    [answer] = bed.answers(START)
    for day in range(4):  # Friday to Monday: nothing
        assert bed.service.remind(START + timedelta(days=day))[0] == 0
    bed.deliver(to_daemon(bed, "list", "list\r\n", "list-1@mail.example", when=START + timedelta(days=1)))
    bed.poll(START + timedelta(days=1))
    still_answered = answer_to(bed.answers(START + timedelta(days=1)), "list-1@mail.example")

    back = bed.service.remind(START + timedelta(days=4))  # Tuesday 24 November
    next_day = bed.service.remind(START + timedelta(days=5))
    third_day = bed.service.remind(START + timedelta(days=6))

    assert "no reminders until Tuesday 24 November 2026" in text_of(answer)
    assert "Alice Example" in text_of(still_answered)
    assert (back[0], next_day[0], third_day[0]) == (1, 2, 0)
    digests = [i for i in bed.store.outbox.items() if i.kind == "digest"]
    assert len(digests) == 1 and digests[0].subject == "Check in with Dan, Carol"
    singles = [i.subject for i in bed.store.outbox.items() if i.kind == "reminder"]
    assert singles == ["Check in with Bob Example — 46 days", "Check in with Alice Example — 45 days"]


def test_snooze_all_in_reply_to_the_catch_up_digest_snoozes_everyone_in_it(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = _bed(testbed, account, smtp_server, make_config)
    bed.store.runs.set_away(START.date(), (START - timedelta(days=10)).date())
    bed.service.remind(START)
    [digest] = bed.inbox("digest")
    bed.deliver(reply(digest, "snooze all 2w", "snooze-all@mail.example", sender=bed.owner, when=START))

    assert bed.poll(START + timedelta(minutes=5)).commands == {"applied": 1}
    snoozed = {c.name: c.snoozed_until for c in bed.store.contacts() if c.snoozed_until}
    assert set(snoozed) == {"Dan Example", "Carol Example"}


def test_away_until_a_day_gone_is_one_clear_answer_and_changes_nothing(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = _bed(testbed, account, smtp_server, make_config)
    bed.deliver(to_daemon(bed, "away", "away until 2026-11-19\r\n", "away-past@mail.example", when=START))

    assert bed.poll(START).commands == {"command-error": 1}
    answer = answer_to(bed.answers(START), "away-past@mail.example")
    assert "away until 19 November 2026: that day is not in the future" in text_of(answer)
    assert bed.store.runs.away_until() is None
    assert bed.service.remind(START)[0] == 2


def test_the_catch_up_digest_names_the_birthdays_and_dates_missed_while_away(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    """Away Friday 20 to Tuesday 24 November: Alice's birthday (Sunday 22) and Bob's anniversary
    (Monday 23) had no reminder of their own, so the digest on Tuesday tells of them, once;
    Carol's birthday on the day of return gets its own reminder, as any day."""
    bed = _bed(testbed, account, smtp_server, make_config)
    dates = {
        "Alice Example": {"birthday": Birthday(11, 22, 1990)},
        "Bob Example": {"dates": (YearlyDate("anniversary", Birthday(11, 23, 2016)),)},
        "Carol Example": {"birthday": Birthday(11, 24)},
        "Dan Example": {"birthday": Birthday(11, 19)},  # the day before: not while away
    }
    for person in bed.store.contacts():
        bed.store.update_contact(person.with_changes(**dates[person.name]))  # type: ignore[arg-type]
    bed.deliver(to_daemon(bed, "away", "away until 24 November\r\n", "away-2@mail.example", when=START))
    bed.poll(START)
    for day in range(4):
        bed.service.remind(START + timedelta(days=day))
    assert [i for i in bed.store.outbox.items() if i.kind in ("reminder", "digest")] == []

    bed.service.remind(START + timedelta(days=4))
    bed.service.remind(START + timedelta(days=5))
    bed.service.deliver(START + timedelta(days=5))

    [digest] = bed.inbox("digest")
    text = text_of(digest).replace("\r\n", "\n")
    assert (
        "While you were away:\n"
        "  - Alice's birthday was on Sunday 22 November (turned 36).\n"
        "  - Bob's anniversary was on Monday 23 November (10 years).\n"
    ) in text
    assert "Dan's birthday" not in text
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<li>Alice&#39;s birthday was on Sunday 22 November (turned 36).</li>" in html
    singles = [str(m["Subject"]) for m in bed.inbox("reminder")]
    assert "Carol Example's birthday is today, 24 November" in singles
    assert not any("was on" in text_of(m) for m in bed.inbox("reminder"))


def test_with_nobody_due_the_catch_up_digest_still_tells_of_what_was_missed(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    store.add_contact(
        Contact(
            "Alice Example",
            ("alice@example.org",),
            START - timedelta(days=400),
            cadence_days=30,
            birthday=Birthday(11, 22),
        )
    )
    store.add_touches([Touch("alice@example.org", START - timedelta(days=2), Direction.OUT)])
    bed = Bed(testbed, account, smtp_server, build_service(config, store), len(smtp_server.received))
    bed.store.runs.set_away((START + timedelta(days=4)).date(), START.date())

    bed.service.remind(START + timedelta(days=4))
    bed.service.remind(START + timedelta(days=5))

    (digest,) = [i for i in bed.store.outbox.items() if i.kind == "digest"]
    assert digest.subject == "Welcome back: what happened while you were away"
    bed.service.deliver(START + timedelta(days=5))
    text = text_of(bed.inbox("digest")[0]).replace("\r\n", "\n")
    assert text.startswith("Welcome back. Nobody is due today.\n\nWhile you were away:\n")
    assert "  - Alice's birthday was on Sunday 22 November." in text
