"""One-tap answers: each ``mailto:`` link of a reminder, a digest entry and a BCC confirmation,
followed as a mail client follows it (its address, subject and body, as a new message: no
In-Reply-To), goes through the real reply path and does what its label says."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

from tests.commands.test_dated import bcc_from_sent
from tests.commands.test_reply_commands import LATER, START, Bed, contact, open_bed, text_of
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def _links(reminder: EmailMessage) -> dict[str, str]:
    """Label -> mailto URL, from the HTML part (and the same ones must be in the text part)."""
    html = reminder.get_body(("html",))
    assert html is not None
    found = {
        unescape(label): unescape(url)
        for url, label in re.findall(r'<a href="(mailto:[^"]+)"[^>]*>([^<]+)</a>', str(html.get_content()))
    }
    for label, url in found.items():
        if not label.startswith("Write"):
            assert f"<{url}>" in text_of(reminder), label
    return found


def _follow(bed: Bed, url: str, msgid: str, when: datetime) -> None:
    """What a mail client sends when the owner taps the link and then Send."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert set(query) == {"subject", "body"}
    raw = (
        f"From: Naomi Owner <{bed.owner}>\r\nTo: {unquote(parts.path)}\r\nSubject: {query['subject']}\r\n"
        f"Date: {format_datetime(when)}\r\nMessage-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"{query['body']}\r\n"
    ).encode()
    bed.deliver(raw, to=unquote(parts.path))


def test_each_link_of_a_reminder_does_what_it_says(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, people=2)
    reminders = {str(m["Subject"]).split(" — ")[0]: m for m in bed.inbox("reminder")}
    alice = _links(reminders["Check in with Alice Example"])
    bob = _links(reminders["Check in with Bob Example"])
    assert set(alice) == {"Write to Alice with this draft", "Done", "Snooze 2 weeks", "Later", "Pause"}
    subject = parse_qs(urlsplit(alice["Done"]).query)["subject"][0]
    assert subject == f"Re: {reminders['Check in with Alice Example']['Subject']}"

    _follow(bed, alice["Snooze 2 weeks"], "tap-1@mail.example", LATER)
    _follow(bed, bob["Pause"], "tap-2@mail.example", LATER)
    assert bed.poll(LATER).commands == {"applied": 2}

    snoozed = contact(bed).snoozed_until
    assert snoozed is not None and snoozed.date() == (LATER + timedelta(weeks=2)).date()
    assert contact(bed, "bob@example.org").paused


def test_each_link_of_a_digest_entry_acts_on_that_entry(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, people=2, reminder_mode="digest")
    (digest,) = bed.inbox("digest")
    html = str(digest.get_body(("html",)).get_content())  # type: ignore[union-attr]
    entries = {
        name: dict(re.findall(r'<a href="(mailto:[^"]+)"[^>]*>([^<]+)</a>', block))
        for name, block in re.findall(r"<h3[^>]*>\d+\. ([^<]+)</h3>(.*?)(?=<h3|$)", html, re.S)
    }
    done = unescape({v: k for k, v in entries["Bob Example"].items()}["Done"])
    later = unescape({v: k for k, v in entries["Alice Example"].items()}["Later"])
    assert parse_qs(urlsplit(done).query)["body"][0].startswith("done ")

    _follow(bed, done, "tap-3@mail.example", LATER)
    _follow(bed, later, "tap-4@mail.example", LATER + timedelta(minutes=1))
    assert bed.poll(LATER + timedelta(minutes=2)).commands == {"applied": 2}

    bob_touches = bed.store.touches_for(["bob@example.org"])
    assert max(t.at for t in bob_touches) > START  # done logged a touch with Bob, not Alice
    assert max(t.at for t in bed.store.touches_for(["alice@example.org"])) < START
    alice = contact(bed)
    assert alice.snoozed_until is not None and alice.snoozed_until > LATER


def _text_links(answer: EmailMessage) -> dict[str, str]:
    """Label -> mailto URL, from a text-only answer's "One tap" lines."""
    return dict(re.findall(r"^  (\S.*?)\s+<(mailto:[^>]+)>$", text_of(answer), re.M))


def test_the_stop_tracking_link_of_a_bcc_confirmation_takes_back_that_bcc(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    each = open_bed(testbed, account, smtp_server, make_config, remind=False)
    to = "Carol Example <carol@example.org>, Dan <dan@example.org>"
    testbed.append(account, "Sent", bcc_from_sent(each, "", "bcc-1@mail.example", to=to, subject="Choir"))
    each.poll(LATER)
    (confirmation,) = each.answers(LATER + timedelta(minutes=1))
    links = _text_links(confirmation)
    assert list(links) == ["Stop tracking them"]
    query = parse_qs(urlsplit(links["Stop tracking them"]).query)
    assert query == {"subject": ["Re: Choir"], "body": ["undo"]}

    _follow(each, links["Stop tracking them"], "tap-undo@mail.example", LATER + timedelta(minutes=5))
    assert each.poll(LATER + timedelta(minutes=5)).commands == {"applied": 1}
    assert sorted(e for c in each.store.contacts() for e in c.emails) == ["alice@example.org"]


def test_each_stop_tracking_link_of_the_daily_summary_takes_back_only_its_person(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, bcc_confirmations="daily")
    for hour, to in enumerate(["carol@example.org", "dan@example.org", "eve@example.org"]):
        when = LATER + timedelta(hours=hour)
        bed.testbed.append(bed.account, "Sent", bcc_from_sent(bed, "", f"b-{hour}@x", to=to, when=when))
        bed.poll(when + timedelta(minutes=1))
    bed.service.remind(START + timedelta(days=1))
    (summary,) = bed.answers(START + timedelta(days=1, minutes=1))
    links = _text_links(summary)
    assert list(links) == ["Stop tracking 1", "Stop tracking 2", "Stop tracking 3"]
    assert parse_qs(urlsplit(links["Stop tracking 2"]).query)["body"] == ["undo 2"]

    _follow(bed, links["Stop tracking 2"], "tap-u2@mail.example", START + timedelta(days=1, minutes=5))
    assert bed.poll(START + timedelta(days=1, minutes=5)).commands == {"applied": 1}
    left = sorted(e for c in bed.store.contacts() for e in c.emails)
    assert left == ["alice@example.org", "carol@example.org", "eve@example.org"]
