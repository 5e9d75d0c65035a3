"""A first end-to-end poll against the Dovecot test bed: INBOX and Sent, BCC, dedupe, no \\Seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from keepwarm.app import poll
from keepwarm.config import PasswordSource, Secret, ServerConfig
from keepwarm.domain.classify import Identity
from keepwarm.domain.model import Direction
from keepwarm.mail.imap import ImapMailbox
from keepwarm.store import Store
from tests.testbed.fixtures import Account, Testbed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _mail(frm: str, to: str, subject: str, msgid: str, extra: str = "", days_ago: int = 3) -> bytes:
    date = (NOW - timedelta(days=days_ago)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: <{msgid}>\r\n{extra}\r\nHello.\r\n"
    ).encode()


def _server(testbed: Testbed, account: Account) -> ServerConfig:
    return ServerConfig(
        proto="imap",
        host=testbed.host,
        port=testbed.imaps_port,
        security="ssl",
        user=account.user,
        password=PasswordSource("value", "KEEPWARM_IMAP_PASSWORD", value=Secret(account.password)),
        ca_file=testbed.ca_file,
    )


def test_poll_counts_inbox_and_sent_once(testbed: Testbed, account: Account, tmp_path: Path) -> None:
    owner = account.address
    daemon = account.plus("keepwarm")
    testbed.append(account, "INBOX", _mail("Alice <alice@example.org>", owner, "Trip photos", "a1@x"))
    testbed.append(account, "Sent", _mail(owner, "Alice <alice@example.org>", "Re: Trip photos", "o1@x"))
    testbed.append(
        account, "INBOX", _mail("news@list.example", owner, "Weekly", "l1@x", "List-Id: <n.x>\r\n")
    )
    # A BCC to the daemon's plus-address with a cadence tag, and its copy in Sent.
    bcc = _mail(owner, "Bob <bob@example.net>", "Hi Bob", "b1@x", f"Bcc: {account.plus('keepwarm+3w')}\r\n")
    testbed.append(account, "Sent", bcc)
    testbed.deliver(account.plus("keepwarm+3w"), bcc)

    store = Store(tmp_path)
    who = Identity(frozenset({owner}), daemon)
    mailbox = ImapMailbox(_server(testbed, account))
    try:
        folders = mailbox.watched_folders(("auto",))
        assert folders == ["INBOX", "Sent", "Archive"]
        report = poll.poll(mailbox, store, who, folders, NOW, backfill=timedelta(days=730))
        again = poll.poll(mailbox, store, who, folders, NOW, backfill=timedelta(days=730))
    finally:
        mailbox.close()

    assert report.touches == {"alice@example.org": 2, "bob@example.net": 1}
    assert report.skipped["mailing-list"] == 1
    assert again.messages == 0
    bob = [c for c in store.contacts() if "bob@example.net" in c.emails]
    assert len(bob) == 1 and bob[0].cadence_days == 21
    directions = sorted(t.direction for t in store.touches_for(["alice@example.org"]))
    assert directions == [Direction.IN, Direction.OUT]
    with testbed.imap_client(account) as client:
        for folder in ("INBOX", "Sent"):
            client.select_folder(folder, readonly=True)
            flags = client.get_flags(client.search("ALL"))
            assert all(b"\\Seen" not in f for f in flags.values())
