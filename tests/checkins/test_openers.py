"""Openers on the test bed: unknown or ambiguous names, a big newsletter, drop opener, contacts show."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from keepwarm.app import contacts
from keepwarm.app.poll import PollReport
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.reminders.support import (
    LISBON,
    Outgoing,
    clean_environment,
    env_settings,
    text_of,
    write_env_file,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=LISBON)
NEWSLETTER_SUBJECT = "The Weekly Wire #42: night trains are back"
NEWSLETTER_LINK = "https://wire.example/issues/42"


def _to_daemon(account: Account, subject: str, body: str, when: datetime) -> bytes:
    return (
        f"From: Naomi Owner <{account.address}>\r\nTo: {account.plus('keepwarm')}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(when)}\r\nMessage-ID: <{uuid.uuid4().hex}@test>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


def _command(
    testbed: Testbed, account: Account, service: Service, subject: str, body: str, when: datetime = NOW
) -> PollReport:
    """Mail a command to the daemon address, poll, and send the answer."""
    testbed.deliver(account.plus("keepwarm"), _to_daemon(account, subject, body, when))
    report = service.poll(when + timedelta(minutes=1))
    service.deliver(when + timedelta(minutes=1))
    return report


def _answers(outgoing: Outgoing) -> list[str]:
    return [
        text_of(msg)
        for msg in outgoing.messages()
        if str(msg.get("X-Keepwarm", "")).startswith("confirmation")
    ]


def _add(store: Store, name: str, address: str) -> Contact:
    contact = store.add_contact(Contact(name, (address,), NOW - timedelta(days=300), cadence_days=30))
    store.add_touches([Touch(address, NOW - timedelta(days=2), Direction.OUT, subject="Hi")])
    return contact


# -- names that match nobody, or several ---------------------------------------------------------


def test_an_opener_for_a_name_matching_nobody_is_answered_and_nothing_is_kept(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    _add(store, "Priya Raman", "priya@example.org")
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(
        testbed, account, service, "Fwd: Night trains", "for Zed\n\nhttps://example.org/night-trains\n"
    )

    assert report.commands == {"command-error": 1}
    [answer] = _answers(outgoing)
    assert "Nothing was changed: no contact matches 'Zed'" in answer
    assert store.count("openers") == 0


def test_an_opener_for_a_name_matching_several_lists_them_and_nothing_is_kept(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    green = _add(store, "Sam Green", "sam.green@example.org")
    brown = _add(store, "Sam Brown", "sbrown@example.net")
    _add(store, "Priya Raman", "priya@example.org")
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(testbed, account, service, "for Sam", "https://example.org/night-trains\n")

    assert report.commands == {"command-error": 1}
    [answer] = _answers(outgoing)
    assert "Nothing was changed: 'Sam' matches 2 contacts:" in answer
    assert green.label in answer and brown.label in answer
    assert "Priya" not in answer.split("Nothing was changed", 1)[1].split("\n", 1)[0]
    assert store.count("openers") == 0


# -- a big forwarded newsletter ------------------------------------------------------------------


def _newsletter(account: Account, *, html_only: bool) -> bytes:
    """A forwarded newsletter of over 1 MB: "for Priya" on top, the issue's link first, then
    thousands of other stories with their own links."""
    msg = EmailMessage()
    msg["From"] = f"Naomi Owner <{account.address}>"
    msg["To"] = account.plus("keepwarm")
    msg["Subject"] = f"Fwd: {NEWSLETTER_SUBJECT}"
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@test>"
    stories = 24000
    plain = (
        "for Priya\n\n---------- Forwarded message ---------\n"
        "From: The Weekly Wire <hello@wire.example>\n"
        f"Subject: {NEWSLETTER_SUBJECT}\n\n"
        f"Read online: {NEWSLETTER_LINK}\n\n"
        + "".join(f"Story {i}: more at https://wire.example/stories/{i}\n" for i in range(stories))
    )
    html = (
        "<div>for Priya</div><br><div>---------- Forwarded message ---------<br>"
        "From: The Weekly Wire &lt;hello@wire.example&gt;<br>"
        f"Subject: {NEWSLETTER_SUBJECT}</div><br>"
        f'<p><a href="{NEWSLETTER_LINK}">Read online</a></p>'
        + "".join(
            f'<p>Story {i}: <a href="https://wire.example/stories/{i}">more</a></p>\n' for i in range(stories)
        )
    )
    if html_only:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(plain)
        msg.add_alternative(html, subtype="html")
    raw = msg.as_bytes()
    assert len(raw) > 1024 * 1024
    return raw


@pytest.mark.parametrize("html_only", [False, True], ids=["plain-and-html", "html-only"])
def test_a_big_forwarded_newsletter_keeps_its_subject_and_first_link(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    html_only: bool,
) -> None:
    store = Store(make_config().state_dir)
    priya = _add(store, "Priya Raman", "priya@example.org")
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    testbed.deliver(account.plus("keepwarm"), _newsletter(account, html_only=html_only))
    report = service.poll(NOW + timedelta(minutes=1))
    service.deliver(NOW + timedelta(minutes=1))

    assert report.commands == {"applied": 1}
    [opener] = store.extras.openers(priya.id)
    assert opener.title == NEWSLETTER_SUBJECT
    assert opener.link == NEWSLETTER_LINK
    [answer] = _answers(outgoing)
    assert f"kept for Priya Raman, for the next check-in: {NEWSLETTER_SUBJECT}" in answer
    assert f"'drop opener {opener.id}' removes it" in answer
    assert len(answer) < 5000  # the newsletter is not echoed back


# -- dropping an opener --------------------------------------------------------------------------


def _keep_one(testbed: Testbed, account: Account, service: Service, store: Store, contact: Contact) -> int:
    _command(
        testbed, account, service, "Fwd: Night trains", "for Priya\n\nhttps://example.org/night-trains\n"
    )
    [opener] = store.extras.openers(contact.id)
    return opener.id


def test_drop_opener_by_email(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    priya = _add(store, "Priya Raman", "priya@example.org")
    service = build_service(make_config(), store)
    number = _keep_one(testbed, account, service, store, priya)
    outgoing = Outgoing(smtp_server)

    report = _command(testbed, account, service, "", f"drop opener {number}\n")

    assert report.commands == {"applied": 1}
    assert store.extras.openers(priya.id) == []
    assert store.extras.openers(pending=False) == []
    [answer] = _answers(outgoing)
    assert f"- dropped opener {number}" in answer

    again = _command(testbed, account, service, f"drop opener {number}", "")

    assert again.commands == {"command-error": 1}
    assert f"Nothing was changed: there is no opener {number}" in _answers(outgoing)[-1]


def test_a_drop_opener_that_fails_changes_nothing_else_in_the_message(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    _add(store, "Priya Raman", "priya@example.org")
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(testbed, account, service, "", "add Zoe Quinn <zoe@example.org>\ndrop opener 99\n")

    assert report.commands == {"command-error": 1}
    assert "Nothing was changed: there is no opener 99" in _answers(outgoing)[0]
    # "Nothing was changed" must be true: the contact added above the bad line is not kept.
    assert [c.name for c in store.contacts()] == ["Priya Raman"]


def test_drop_opener_by_cli(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    priya = _add(store, "Priya Raman", "priya@example.org")
    service = build_service(config, store)
    number = _keep_one(testbed, account, service, store, priya)
    clean_environment(monkeypatch, tmp_path)
    env = str(write_env_file(tmp_path / "cli.env", env_settings(testbed, account, config.state_dir)))

    result = run_cli(capsys, "--env-file", env, "contacts", "drop-opener", str(number))

    assert result.code == 0, result.err
    assert result.out.strip() == f"dropped opener {number}"
    assert store.extras.openers(pending=False) == []

    missing = run_cli(capsys, "--env-file", env, "contacts", "drop-opener", str(number))

    assert missing.code != 0
    assert f"there is no opener {number}" in missing.err


# -- contacts show -------------------------------------------------------------------------------


def _converse(testbed: Testbed, account: Account, address: str, starts: list[datetime]) -> None:
    """For each start: the owner writes, and the contact answers a day later."""
    for n, at in enumerate(starts):
        mine = (
            f"From: Naomi Owner <{account.address}>\r\nTo: {address}\r\nSubject: Catching up {n}\r\n"
            f"Date: {format_datetime(at)}\r\nMessage-ID: <out-{n}-{uuid.uuid4().hex}@test>\r\n\r\nHi!\r\n"
        ).encode()
        theirs = (
            f"From: {address}\r\nTo: {account.address}\r\nSubject: Re: Catching up {n}\r\n"
            f"Date: {format_datetime(at + timedelta(days=1))}\r\n"
            f"Message-ID: <in-{n}-{uuid.uuid4().hex}@test>\r\n\r\nHello!\r\n"
        ).encode()
        testbed.append(account, "Sent", mine, msg_time=at)
        testbed.append(account, "INBOX", theirs, msg_time=at + timedelta(days=1))


def test_contacts_show_lists_pending_openers_and_the_rhythm(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    now = datetime.now(LISBON)  # the CLI reads the real clock
    priya = contacts.add_contact(
        store, "Priya Raman <priya@example.org>", now - timedelta(days=200), every="6w"
    )
    contacts.add_contact(store, "Omar Haddad <omar@example.org>", now - timedelta(days=200), every="6w")
    _converse(testbed, account, "priya@example.org", [now - timedelta(days=12 + 14 * k) for k in range(5)])
    _converse(testbed, account, "omar@example.org", [now - timedelta(days=10 + 14 * k) for k in range(3)])
    service = build_service(config, store)
    service.poll(now - timedelta(days=5))
    _command(testbed, account, service, "Fwd: Night trains", "for Priya\n\nhttps://example.org/trains\n", now)
    _command(testbed, account, service, "for Priya", "[Lisbon trams](https://example.org/trams)\n", now)
    first, second = store.extras.openers(priya.id)
    clean_environment(monkeypatch, tmp_path)
    env = str(write_env_file(tmp_path / "cli.env", env_settings(testbed, account, config.state_dir)))

    shown = run_cli(capsys, "--env-file", env, "contacts", "show", "Priya")

    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert "rhythm:        you usually talk every 14 days (every 2w)" in lines
    assert f"opener {first.id}:      Night trains https://example.org/trains" in lines
    assert f"opener {second.id}:      Lisbon trams https://example.org/trams" in lines
    assert "cadence:       every 6 weeks" in shown.out

    as_json = run_cli(capsys, "--env-file", env, "contacts", "show", "Priya", "--json").json()

    assert as_json["rhythm_days"] == 14
    assert [(o["id"], o["title"], o["link"]) for o in as_json["openers"]] == [
        (first.id, "Night trains", "https://example.org/trains"),
        (second.id, "Lisbon trams", "https://example.org/trams"),
    ]

    # Three conversations are too few for a rhythm.
    omar = run_cli(capsys, "--env-file", env, "contacts", "show", "Omar")

    assert "rhythm:        -" in omar.out.splitlines()
    assert "opener" not in omar.out

    # Once the owner writes to Priya the openers are used, and no longer listed.
    testbed.append(
        account,
        "Sent",
        (
            f"From: {account.address}\r\nTo: priya@example.org\r\nSubject: Trains!\r\n"
            f"Date: {format_datetime(now + timedelta(minutes=2))}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@test>\r\n\r\nhi\r\n"
        ).encode(),
        msg_time=now + timedelta(minutes=2),
    )
    service.poll(now + timedelta(minutes=5))
    after = run_cli(capsys, "--env-file", env, "contacts", "show", "Priya")

    assert "opener" not in after.out
