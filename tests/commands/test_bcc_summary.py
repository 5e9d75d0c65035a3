"""BCC_CONFIRMATIONS: with ``daily`` the people BCCs added come in one summary a day, with the
reminder run, each with an ``undo N`` of its own, exactly once; with ``off`` no mail, a log line."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from keepwarm import config
from keepwarm.app import bccs
from keepwarm.errors import ConfigError
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.commands.test_dated import bcc_from_sent
from tests.commands.test_reply_commands import LATER, START, Bed, answer_to, open_bed, send_reply, text_of
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

NEXT_DAY = START + timedelta(days=1)  # REMINDER_TIME the day after
PEOPLE = [
    ("Carol Example <carol@example.org>", "Choir on Friday"),
    ("Dan <dan@example.org>", "Your bike"),
    ("eve@example.org", ""),
]


def three_bccs(bed: Bed) -> None:
    """Three BCCs in one day, each read by a poll of its own."""
    for hour, (to, subject) in enumerate(PEOPLE):
        when = LATER + timedelta(hours=hour)
        raw = bcc_from_sent(bed, "", f"bcc-{hour}@mail.example", to=to, subject=subject, when=when)
        bed.testbed.append(bed.account, "Sent", raw)
        bed.poll(when + timedelta(minutes=1))


def summaries(bed: Bed, when: datetime) -> list[str]:
    bed.service.deliver(when)
    return [str(m["Subject"]) for m in bed.inbox("confirmation")]


def test_three_bccs_in_a_day_give_one_summary_and_undo_of_one_takes_back_only_that_one(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, bcc_confirmations="daily")

    three_bccs(bed)
    assert summaries(bed, LATER + timedelta(hours=4)) == []  # no answer per BCC
    bed.service.remind(NEXT_DAY)
    bed.service.remind(NEXT_DAY + timedelta(minutes=5))  # `remind --now` again: nothing is pending

    (summary,) = bed.answers(NEXT_DAY + timedelta(minutes=6))
    assert summary["Subject"] == "keepwarm: now tracking 3 people from your BCCs"
    assert summary["In-Reply-To"] is None
    text = text_of(summary)
    assert (
        "1. now tracking Carol Example <carol@example.org> (\u201cChoir on Friday\u201d, 20 November)" in text
    )
    assert "2. now tracking Dan <dan@example.org> (\u201cYour bike\u201d, 20 November)" in text
    assert "3. now tracking eve@example.org (20 November)" in text
    assert "reply 'undo' and its number, e.g. 'undo 1', one per reply" in text

    send_reply(bed, summary, "undo 2", "undo-2@mail.example", when=NEXT_DAY + timedelta(minutes=10))
    assert bed.poll(NEXT_DAY + timedelta(minutes=10)).commands == {"applied": 1}
    undone = text_of(answer_to(bed.answers(NEXT_DAY + timedelta(minutes=11)), "undo-2@mail.example"))
    assert "undone: Dan <dan@example.org> is no longer tracked" in undone
    left = sorted(e for c in bed.store.contacts() for e in c.emails)
    assert left == ["alice@example.org", "carol@example.org", "eve@example.org"]

    # The next day nobody was added: no summary at all.
    bed.service.remind(NEXT_DAY + timedelta(days=1))
    assert len(summaries(bed, NEXT_DAY + timedelta(days=1, minutes=1))) == 2  # the summary, the undo


def test_a_summary_queued_before_a_crash_is_sent_once_by_the_next_process(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, bcc_confirmations="daily")
    three_bccs(bed)
    service = bed.service
    # Queued, and the process dies before delivering it.
    assert len(bccs.queue_summary(service.store, service.renderer, service.settings, NEXT_DAY)) == 1

    fresh = make_config(bcc_confirmations="daily")
    restarted = build_service(fresh, Store(fresh.state_dir))
    restarted.remind(NEXT_DAY + timedelta(minutes=1))
    restarted.remind(NEXT_DAY + timedelta(minutes=2))

    assert summaries(bed, NEXT_DAY + timedelta(minutes=3)) == [
        "keepwarm: now tracking 3 people from your BCCs"
    ]


def test_off_sends_nothing_but_the_log_names_them(
    testbed: Testbed,
    account: Account,
    smtp_server: SmtpServer,
    make_config: ConfigFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, bcc_confirmations="off")

    with caplog.at_level(logging.INFO, logger="keepwarm.bcc"):
        three_bccs(bed)
    bed.service.remind(NEXT_DAY)

    assert summaries(bed, NEXT_DAY + timedelta(minutes=1)) == []
    assert bed.outbox("confirmation") == []
    logged = [r.getMessage() for r in caplog.records if r.name == "keepwarm.bcc"]
    assert logged == [
        "a BCC on bcc-0@mail.example started tracking Carol Example <carol@example.org>",
        "a BCC on bcc-1@mail.example started tracking Dan <dan@example.org>",
        "a BCC on bcc-2@mail.example started tracking eve@example.org",
    ]
    assert sorted(e for c in bed.store.contacts() for e in c.emails) == [
        "alice@example.org",
        "carol@example.org",
        "dan@example.org",
        "eve@example.org",
    ]


def test_a_bad_value_is_one_problem_naming_the_key(tmp_path: Path) -> None:
    env = tmp_path / "keepwarm.env"
    env.write_text("KEEPWARM_BCC_CONFIRMATIONS=weekly\n")

    with pytest.raises(ConfigError) as raised:
        config.load(env, environ={})

    assert [p.split(" (from")[0] for p in raised.value.problems] == [
        "KEEPWARM_BCC_CONFIRMATIONS: 'weekly' is not one of each, daily, off"
    ]
