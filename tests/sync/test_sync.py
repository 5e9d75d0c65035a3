"""Polls against the real Dovecot: folders, BCC tracking, skip reasons, resync, \\Seen, no refetch."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.app import poll
from keepwarm.domain.model import Contact, Direction
from keepwarm.store import Store
from tests.sync.support import (
    CountingSource,
    append_all,
    flag_snapshot,
    gained_flags,
    identity,
    mail,
    open_mailbox,
)
from tests.testbed.fixtures import Account, Testbed

NOW = datetime.now(UTC).replace(microsecond=0)
BACKFILL = timedelta(days=730)
ALICE = "Alice Example <alice@example.org>"
BOB = "Bob Builder <bob@example.net>"


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _poll(
    testbed: Testbed, account: Account, store: Store, folders: list[str], *, trust_from: bool = False
) -> poll.PollReport:
    mailbox = open_mailbox(testbed, account)
    who = replace(identity(account), trust_from=trust_from)
    try:
        return poll.poll(mailbox, store, who, folders, NOW, backfill=BACKFILL)
    finally:
        mailbox.close()


# -- 1. which folders -------------------------------------------------------------------------


def test_auto_watches_inbox_sent_and_archive_but_never_drafts(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    owner = account.address
    testbed.append(account, "INBOX", mail(ALICE, owner, "Hi", "in1@x", _ago(3)))
    testbed.append(account, "Sent", mail(owner, ALICE, "Re: Hi", "out1@x", _ago(2)))
    testbed.append(account, "Archive", mail(BOB, owner, "Old thread", "arch1@x", _ago(9)))
    testbed.append(account, "Drafts", mail(owner, BOB, "draft", "draft1@x", _ago(1)), flags=[b"\\Draft"])
    store = Store(tmp_path)
    mailbox = open_mailbox(testbed, account)
    try:
        roles = {f.name: f.special_use for f in mailbox.folders()}
        watched = mailbox.watched_folders(("auto",))
        report = poll.poll(mailbox, store, identity(account), watched, NOW, backfill=BACKFILL)
    finally:
        mailbox.close()

    assert roles["Sent"] == "\\Sent" and roles["INBOX"] is None
    assert watched == ["INBOX", "Sent", "Archive"]
    assert report.folders == {"INBOX": 1, "Sent": 1, "Archive": 1}
    assert report.touches == Counter({"alice@example.org": 2, "bob@example.net": 1})
    assert sorted((t.direction, t.source) for t in store.touches()) == [
        (Direction.IN, "imap:Archive"),
        (Direction.IN, "imap:INBOX"),
        (Direction.OUT, "imap:Sent"),
    ]


def test_mail_archived_or_moved_between_polls_is_one_touch_and_localised_folders_count(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """Archived before the first poll: still counted. Moved after it: still one touch. Folders a
    server leaves unflagged are found by their usual names; a Spam folder never counts."""
    owner = account.address
    with testbed.imap_client(account) as client:
        for name in ("Gesendet", "Elementos enviados", "Spam"):
            client.create_folder(name)
    for folder, sender, to, key in [
        ("INBOX", ALICE, owner, "in1"),
        ("Archive", ALICE, owner, "rule1"),  # filed by a server rule before any poll
        ("Gesendet", owner, BOB, "de1"),
        ("Elementos enviados", owner, BOB, "es1"),
        ("Spam", BOB, owner, "spam1"),
    ]:
        testbed.append(account, folder, mail(sender, to, f"About {key}", f"{key}@x", _ago(2)))
    store = Store(tmp_path)
    mailbox = open_mailbox(testbed, account)
    try:
        watched = mailbox.watched_folders(("auto",))
        first = poll.poll(mailbox, store, identity(account), watched, NOW, backfill=BACKFILL)
        with testbed.imap_client(account) as client:
            client.select_folder("INBOX")
            client.move(client.search("ALL"), "Archive")  # the owner archives Alice's mail
        second = poll.poll(mailbox, store, identity(account), watched, NOW, backfill=BACKFILL)
    finally:
        mailbox.close()

    # INBOX first, then the Sent folders (flagged or by name) in the server's order, then Archive.
    assert watched[0] == "INBOX" and watched[-1] == "Archive" and "Spam" not in watched
    assert set(watched[1:-1]) == {"Sent", "Gesendet", "Elementos enviados"}
    assert first.touches == Counter({"alice@example.org": 2, "bob@example.net": 2})
    assert second.folders["Archive"] == 1 and second.touches == Counter()
    assert second.skipped["already-seen"] == 1  # the moved message, recognised by its key
    assert sorted(t.message_id or "" for t in store.touches()) == ["de1@x", "es1@x", "in1@x", "rule1@x"]


def test_an_explicit_folder_list_overrides_auto(testbed: Testbed, account: Account, tmp_path: Path) -> None:
    owner = account.address
    testbed.append(account, "INBOX", mail(ALICE, owner, "Hi", "in1@x", _ago(3)))
    testbed.append(account, "Sent", mail(owner, ALICE, "Re: Hi", "out1@x", _ago(2)))
    testbed.append(account, "Archive", mail(BOB, owner, "Old thread", "arch1@x", _ago(9)))
    store = Store(tmp_path)
    mailbox = open_mailbox(testbed, account)
    try:
        watched = mailbox.watched_folders(("Archive", "INBOX"))
        report = poll.poll(mailbox, store, identity(account), watched, NOW, backfill=BACKFILL)
    finally:
        mailbox.close()

    assert watched == ["Archive", "INBOX"]
    assert report.folders == {"Archive": 1, "INBOX": 1}
    assert report.touches == Counter({"bob@example.net": 1, "alice@example.org": 1})
    assert "Sent" not in store.folder_states()
    assert all(t.direction is Direction.IN for t in store.touches())


def test_a_folder_with_a_non_ascii_name_is_read_and_remembered(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    folder = "Envoyés & Archivés"  # modified UTF-7 on the wire, with "&" escaped
    with testbed.imap_client(account) as client:
        client.create_folder(folder)
    testbed.append(account, folder, mail(account.address, ALICE, "Bonjour", "fr1@x", _ago(2)))
    store = Store(tmp_path)

    first = _poll(testbed, account, store, [folder])
    second = _poll(testbed, account, store, [folder])

    assert first.folders == {folder: 1} and first.touches == Counter({"alice@example.org": 1})
    assert second.folders == {folder: 0} and second.resynced == []
    assert set(store.folder_states()) == {folder}


# -- 2. BCC to the daemon ---------------------------------------------------------------------


def _bcc_message(account: Account, *, bcc_header: bool) -> bytes:
    extra = [("Cc", "Dan Dare <dan@example.com>")]
    if bcc_header:
        extra.append(("Bcc", account.plus("keepwarm+3w")))
    to = 'Bob Builder <bob@example.net>, "Carol, C." <Carol@Example.ORG>'
    return mail(account.address, to, "Long time no see", "bcc1@owner.example", _ago(1), *extra)


@pytest.mark.parametrize(
    ("order", "sent_has_bcc_header", "trust_from"),
    [
        (["INBOX", "Sent"], True, False),
        (["Sent", "INBOX"], True, False),
        # Only the INBOX copy says it was a BCC: that takes trusting the From header (or a stamp).
        (["Sent", "INBOX"], False, True),
    ],
    ids=["inbox-first", "sent-first", "sent-first-without-bcc-header"],
)
def test_bcc_to_the_daemon_tracks_each_recipient_with_the_tagged_cadence(
    testbed: Testbed,
    account: Account,
    tmp_path: Path,
    order: list[str],
    sent_has_bcc_header: bool,
    trust_from: bool,
) -> None:
    testbed.append(account, "Sent", _bcc_message(account, bcc_header=sent_has_bcc_header))
    # The copy the server delivers to the plus-address never carries the Bcc header.
    testbed.deliver(account.plus("keepwarm+3w"), _bcc_message(account, bcc_header=False), account.address)
    delivered = next(iter(testbed.messages(account, "INBOX").values()))
    assert f"Delivered-To: {account.plus('keepwarm+3w')}".encode() in delivered

    store = Store(tmp_path)
    report = _poll(testbed, account, store, order, trust_from=trust_from)
    again = _poll(testbed, account, store, order, trust_from=trust_from)

    peers = {"bob@example.net", "carol@example.org", "dan@example.com"}
    assert report.touches == Counter(dict.fromkeys(peers, 1))
    assert report.skipped == Counter({"already-seen": 1})
    contacts = {c.emails: (c.name, c.cadence_days) for c in store.contacts()}
    assert contacts == {
        ("bob@example.net",): ("Bob Builder", 21),
        ("carol@example.org",): ("Carol, C.", 21),
        ("dan@example.com",): ("Dan Dare", 21),
    }
    assert sorted(report.new_contacts) == [
        "Bob Builder <bob@example.net>",
        "Carol, C. <carol@example.org>",
        "Dan Dare <dan@example.com>",
    ]
    assert sorted((t.address, t.direction) for t in store.touches()) == [
        (p, Direction.OUT) for p in sorted(peers)
    ]
    assert again.messages == 0 and again.new_contacts == [] and len(store.contacts()) == 3


def test_with_nothing_to_check_from_only_the_owners_own_copy_of_a_bcc_adds_people(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """No AUTH_SERVID (set or learned), TRUST_FROM=no: anyone can send INBOX a "From: owner"
    mail blind-copied to the daemon, and Gmail's All Mail holds it too, with the receiving
    server's stamp. Neither adds anyone; both still count as the touches they claim to be."""
    forged = mail(account.address, BOB, "Hi", "forged-bcc@evil.example", _ago(1))
    testbed.deliver(account.plus("keepwarm+1y"), forged, account.address)
    with testbed.imap_client(account) as client:
        client.create_folder("All Mail")
    stamped = mail(
        account.address,
        "Carol <carol@example.org>",
        "Hello",
        "stamped-bcc@evil.example",
        _ago(1),
        ("Authentication-Results", "mx.example.net; dmarc=fail header.from=example.com"),
        ("Bcc", account.plus("keepwarm+1y")),
    )
    testbed.append(account, "All Mail", stamped)
    store = Store(tmp_path)

    report = _poll(testbed, account, store, ["INBOX", "All Mail"])

    assert store.contacts() == [] and report.new_contacts == [] and report.cadence_changes == 0
    assert set(report.touches) == {"bob@example.net", "carol@example.org"}
    # The same two with TRUST_FROM=yes: the owner chose to trust the From header.
    trusting = Store(tmp_path / "trusting")
    _poll(testbed, account, trusting, ["INBOX", "All Mail"], trust_from=True)
    assert sorted(c.emails[0] for c in trusting.contacts()) == ["bob@example.net", "carol@example.org"]


def test_bcc_with_a_tag_changes_the_cadence_of_a_tracked_contact(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    store = Store(tmp_path)
    store.add_contact(Contact(name="Bob", emails=("bob@example.net",), added_at=NOW, cadence_days=7))
    raw = mail(
        account.address, BOB, "Hi", "bcc2@owner.example", _ago(1), ("Bcc", account.plus("keepwarm+2m"))
    )
    testbed.append(account, "Sent", raw)

    report = _poll(testbed, account, store, ["INBOX", "Sent"])

    assert report.cadence_changes == 1 and report.new_contacts == []
    assert [(c.name, c.cadence_days) for c in store.contacts()] == [("Bob", 60)]


# -- 3. what is not a touch -------------------------------------------------------------------


def test_lists_bulk_automatic_noreply_and_broadcasts_are_skipped_with_their_reasons(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    owner = account.address
    crowd20 = ", ".join(f"guest{i}@party.example" for i in range(19))
    inbox = [
        mail(ALICE, owner, "[club] meeting", "l1@x", _ago(9), ("List-Id", "Club <club.lists.example>")),
        mail(ALICE, owner, "Sale", "b1@x", _ago(9), ("Precedence", "bulk")),
        mail(ALICE, owner, "Junk", "b2@x", _ago(9), ("Precedence", "junk")),
        mail(ALICE, owner, "Out of office", "a1@x", _ago(8), ("Auto-Submitted", "auto-replied")),
        mail(ALICE, owner, "Away", "a2@x", _ago(8), ("X-Autoreply", "yes")),
        mail(ALICE, owner, "Vacation", "a3@x", _ago(8), ("X-Autorespond", "yes")),
        mail("Service <noreply@service.example>", owner, "Receipt", "n1@x", _ago(7)),
        mail("no-reply@accounts.example", owner, "Login", "n2@x", _ago(7)),
        mail("MAILER-DAEMON@mx.example", owner, "Undeliverable", "n3@x", _ago(7)),
        mail(ALICE, f"{owner}, {crowd20}, extra@party.example", "Party", "p1@x", _ago(6)),
        # Counted: an explicit "Auto-Submitted: no", and a message exactly at the recipient limit.
        mail(ALICE, owner, "Real mail", "r1@x", _ago(5), ("Auto-Submitted", "no")),
        mail(BOB, f"{owner}, {crowd20}", "Almost a party", "r2@x", _ago(5)),
    ]
    append_all(testbed, account, (("INBOX", raw, (), None) for raw in inbox))
    # A bounce as a real server delivers it: empty envelope sender, so Return-Path: <>.
    testbed.deliver(owner, mail("Robot <robot@service.example>", owner, "Bounce", "rp1@x", _ago(4)), "")
    crowd21 = ", ".join(f"guest{i}@party.example" for i in range(21))
    append_all(
        testbed,
        account,
        [
            ("Sent", mail(owner, crowd21, "Invitation", "s1@x", _ago(3)), (b"\\Seen",), None),
            ("Sent", mail(owner, owner, "note to self", "s2@x", _ago(3)), (b"\\Seen",), None),
            ("Sent", mail(owner, "noreply@service.example", "Re: Receipt", "s3@x", _ago(3)), (), None),
        ],
    )
    store = Store(tmp_path)

    report = _poll(testbed, account, store, ["INBOX", "Sent"])

    expected = Counter(
        {
            "mailing-list": 1,
            "bulk": 2,
            "auto-generated": 4,
            "no-reply-sender": 3,
            "too-many-recipients": 2,
            "only-owner-recipients": 2,
        }
    )
    assert report.skipped == expected
    assert store.counts("skipped") == dict(expected)
    assert report.touches == Counter({"alice@example.org": 1, "bob@example.net": 1})
    assert report.messages == 16
    assert {t.subject for t in store.touches()} == {"Real mail", "Almost a party"}


# -- 4. UIDVALIDITY -----------------------------------------------------------------------------


def _projects(account: Account) -> list[bytes]:
    owner = account.address
    return [
        mail(ALICE, owner, "Plan", "p1@x", _ago(20)),
        mail(owner, ALICE, "Re: Plan", "p2@x", _ago(19)),
        mail(BOB, owner, "Budget", None, _ago(18)),  # no Message-ID: keyed by a header hash
        mail(owner, f"{BOB}, {ALICE}", "Re: Budget", "p4@x", _ago(17)),
        mail("news@list.example", owner, "Digest", "p5@x", _ago(16), ("List-Id", "<n.list.example>")),
    ]


def _recreate(testbed: Testbed, account: Account, folder: str, messages: list[bytes]) -> tuple[int, int]:
    """Delete and create the folder again, re-append; returns (old, new) UIDVALIDITY."""
    with testbed.imap_client(account) as client:
        old = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        client.delete_folder(folder)
        client.create_folder(folder)
        for raw in messages:
            client.append(folder, raw)
        new = client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
    return int(old), int(new)


def test_a_recreated_folder_is_resynced_without_duplicate_touches(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    with testbed.imap_client(account) as client:
        client.create_folder("Projects")
    messages = _projects(account)
    append_all(testbed, account, (("Projects", raw, (), None) for raw in messages))
    store = Store(tmp_path)
    first = _poll(testbed, account, store, ["INBOX", "Projects"])
    before = store.touches()

    newcomer = mail("Cleo <cleo@example.org>", account.address, "Hello", "p6@x", _ago(1))
    old, new = _recreate(testbed, account, "Projects", [*messages, newcomer])
    assert old != new  # precondition: the server really renumbered the folder
    second = _poll(testbed, account, store, ["INBOX", "Projects"])
    third = _poll(testbed, account, store, ["INBOX", "Projects"])

    assert first.touches == Counter({"alice@example.org": 3, "bob@example.net": 2})
    assert second.resynced == ["Projects"]
    assert second.folders == {"INBOX": 0, "Projects": 6}
    assert second.touches == Counter({"cleo@example.org": 1})
    assert second.skipped == Counter({"already-seen": 5})
    keys = [(t.message_id, t.address, t.direction) for t in store.touches()]
    assert len(keys) == len(set(keys)) == len(before) + 1
    assert store.folder_states()["Projects"][0] == new
    assert third.resynced == [] and third.messages == 0


def test_a_resync_does_not_undo_the_owners_later_cadence_edit(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """A BCC met again on a resync is a replay: it must not reset the cadence the owner set since."""
    with testbed.imap_client(account) as client:
        client.create_folder("Projects")
    bcc = mail(
        account.address, BOB, "Hi", "bcc3@owner.example", _ago(5), ("Bcc", account.plus("keepwarm+3w"))
    )
    testbed.append(account, "Projects", bcc)
    store = Store(tmp_path)
    _poll(testbed, account, store, ["Projects"])
    (bob,) = store.contacts()
    assert bob.cadence_days == 21
    store.update_contact(bob.with_changes(cadence_days=42))  # `keepwarm contacts edit Bob --every 6w`

    _recreate(testbed, account, "Projects", [bcc])
    report = _poll(testbed, account, store, ["Projects"])

    assert report.resynced == ["Projects"]
    assert report.cadence_changes == 0
    assert [c.cadence_days for c in store.contacts()] == [42]


def test_a_resync_does_not_bring_back_a_removed_contact(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """The owner stopped tracking someone a BCC added; replaying that BCC must not re-add them."""
    with testbed.imap_client(account) as client:
        client.create_folder("Projects")
    bcc = mail(account.address, BOB, "Hi", "bcc4@owner.example", _ago(5), ("Bcc", account.plus("keepwarm")))
    testbed.append(account, "Projects", bcc)
    store = Store(tmp_path)
    _poll(testbed, account, store, ["Projects"])
    (bob,) = store.contacts()
    store.remove_contact(bob.id)  # `keepwarm contacts remove Bob`

    _recreate(testbed, account, "Projects", [bcc])
    report = _poll(testbed, account, store, ["Projects"])

    assert report.resynced == ["Projects"]
    assert report.new_contacts == []
    assert store.contacts() == []


# -- 6. never \Seen ---------------------------------------------------------------------------


def test_polls_never_change_any_flag_in_any_folder(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    owner = account.address
    append_all(
        testbed,
        account,
        [
            ("INBOX", mail(ALICE, owner, "unread", "f1@x", _ago(4)), (), None),
            ("INBOX", mail(BOB, owner, "flagged", "f2@x", _ago(4)), (b"\\Flagged",), None),
            ("INBOX", mail(ALICE, owner, "answered", "f3@x", _ago(4)), (b"\\Answered", b"\\Seen"), None),
            ("Sent", mail(owner, ALICE, "Re: unread", "f4@x", _ago(3)), (), None),
            ("Archive", mail(BOB, owner, "archived", "f5@x", _ago(30)), (), None),
            ("Drafts", mail(owner, BOB, "draft", "f6@x", _ago(1)), (b"\\Draft",), None),
        ],
    )
    testbed.deliver(owner, mail(BOB, owner, "delivered", "f7@x", _ago(1)), "bob@example.net")
    before = flag_snapshot(testbed, account)
    assert sum(b"\\Seen" not in f for msgs in before.values() for f in msgs.values()) == 6

    store = Store(tmp_path)
    folders = ["INBOX", "Sent", "Archive", "Drafts", "Trash"]
    first = _poll(testbed, account, store, folders)
    _poll(testbed, account, store, folders)

    assert first.messages == 7
    assert gained_flags(before, flag_snapshot(testbed, account)) == {}
    assert flag_snapshot(testbed, account) == before


# -- 7. nothing is fetched twice --------------------------------------------------------------


def test_a_second_poll_fetches_no_old_message(testbed: Testbed, account: Account, tmp_path: Path) -> None:
    owner = account.address
    old = NOW - timedelta(days=100)
    append_all(
        testbed,
        account,
        [
            ("INBOX", mail(ALICE, owner, "ancient", "o1@x", old), (), old),  # before the backfill window
            *[("INBOX", mail(ALICE, owner, f"m{i}", f"i{i}@x", _ago(10 - i)), (), None) for i in range(7)],
            *[("Sent", mail(owner, BOB, f"s{i}", f"s{i}@x", _ago(10 - i)), (), None) for i in range(5)],
        ],
    )
    store = Store(tmp_path)
    mailbox = open_mailbox(testbed, account)
    source = CountingSource(mailbox)
    who = identity(account)
    window = timedelta(days=30)
    try:
        first = poll.poll(source, store, who, ["INBOX", "Sent"], NOW, backfill=window, batch_size=3)
        first_fetches = list(source.fetched_uids)
        source.reset()
        second = poll.poll(source, store, who, ["INBOX", "Sent"], NOW, backfill=window, batch_size=3)
        second_fetches = list(source.fetches)
        second_opened = list(source.opened)
        source.reset()
        newest = testbed.append(account, "INBOX", mail(BOB, owner, "new", "new@x", _ago(0)))
        third = poll.poll(source, store, who, ["INBOX", "Sent"], NOW, backfill=window, batch_size=3)
    finally:
        mailbox.close()

    assert first_fetches == [
        *(("INBOX", uid) for uid in range(2, 9)),
        *(("Sent", uid) for uid in range(1, 6)),
    ]
    assert [len(uids) for _, uids in source.fetches] == [1]
    assert first.touches == Counter({"alice@example.org": 7, "bob@example.net": 5})
    assert second_fetches == [] and second.messages == 0 and not second.touches
    assert second_opened == []  # STATUS said nothing arrived: neither folder was even opened
    assert source.opened == ["INBOX"]  # the third poll opens only the folder that got mail
    assert source.fetched_uids == [("INBOX", newest)]
    assert third.touches == Counter({"bob@example.net": 1})


# -- when a touch happened -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_after_arrival", "trusted"),
    [(timedelta(minutes=-5), True), (timedelta(hours=2), True), (timedelta(days=100), False)],
    ids=["sent-before-arrival", "small-clock-skew", "dated-months-after-arrival"],
)
def test_a_date_header_later_than_the_arrival_is_not_trusted(
    testbed: Testbed, account: Account, tmp_path: Path, date_after_arrival: timedelta, trusted: bool
) -> None:
    """The server received it 200 days ago; a Date 100 days after that is a broken clock, even
    though that Date is in the past by the time the backfill reads it."""
    arrived = _ago(200)
    dated = arrived + date_after_arrival
    append_all(
        testbed, account, [("INBOX", mail(ALICE, account.address, "Hi", "clock@x", dated), (), arrived)]
    )
    store = Store(tmp_path)

    _poll(testbed, account, store, ["INBOX"])

    (touch,) = store.touches()
    assert touch.at == (dated if trusted else arrived)
