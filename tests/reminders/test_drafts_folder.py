"""SAVE_DRAFTS on the test bed: each reminder's draft (birthdays' and dated reminders' too) lands
in the owner's Drafts folder, the next one replaces it, a touch removes it, and nothing else there
is ever changed: not her own drafts, not a draft that only looks like keepwarm's, not what she
marked \\Deleted (even without UIDPLUS)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest

from keepwarm.app import dated
from keepwarm.app.drafts import NO_FOLDER
from keepwarm.config import Config
from keepwarm.domain.drafts import DraftState
from keepwarm.domain.model import Birthday, Contact
from keepwarm.mail.drafts import ImapDrafts
from keepwarm.ports import DraftPlace
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service, open_mailbox
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, parse, sent_mail
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

MARK = "X-Keepwarm-Draft"
LATER = MORNING + timedelta(minutes=30)  # the owner writes to Alice after her reminder
LOOKALIKE = "<lookalike@x>"  # keepwarm's header, but a Message-ID keepwarm never gave


def _raw(sender: str, to: str, subject: str, msgid: str, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(MORNING)}\r\n"
        f"Message-ID: <{msgid}>\r\n{extra}\r\nhello\r\n"
    ).encode()


def drafts_of(testbed: Testbed, account: Account) -> dict[int, tuple[set[bytes], dict[str, str]]]:
    """UID -> (flags, a few headers) of everything in Drafts, read without changing anything."""
    with testbed.imap_client(account) as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER]"])
    found = {}
    for uid, data in fetched.items():
        msg = parse(data[b"BODY[HEADER]"])
        fields = ("To", "Subject", "Message-ID", "In-Reply-To", "References", MARK)
        found[uid] = (
            set(data[b"FLAGS"]) - {b"\\Recent"},
            {k: str(msg[k]) for k in fields if msg[k] is not None},
        )
    return found


def keepwarm_drafts(testbed: Testbed, account: Account, contact_id: int) -> list[dict[str, str]]:
    marker = f"contact={contact_id}"
    return [
        h
        for flags, h in drafts_of(testbed, account).values()
        if h.get(MARK) == marker and b"\\Deleted" not in flags and h["Message-ID"] != LOOKALIKE
    ]


@pytest.fixture
def alice_owed(testbed: Testbed, account: Account) -> Contact:
    """Alice wrote 'Trip photos' 10 days ago; the owner has not answered."""
    testbed.append(
        account,
        "INBOX",
        _raw("Alice Example <alice@example.org>", account.address, "Trip photos", "trip@mail.example"),
        msg_time=MORNING - timedelta(days=10),
    )
    return Contact("Alice Example", ("alice@example.org",), MORNING - timedelta(days=400), cadence_days=30)


def _service(config: Config, store: Store, drafts: type[ImapDrafts] = ImapDrafts) -> Service:
    return build_service(config, store, drafts=lambda: drafts(open_mailbox(config)))


def _reminded(
    make_config: ConfigFactory, alice_owed: Contact, drafts: type[ImapDrafts] = ImapDrafts
) -> tuple[Store, Contact, Service]:
    """Alice's reminder sent with SAVE_DRAFTS on: the store, Alice, the service."""
    config = make_config(save_drafts="yes", owed_after="7")
    store = Store(config.state_dir)
    alice = store.add_contact(alice_owed)
    service = _service(config, store, drafts)
    service.poll(MORNING)
    service.remind(MORNING)
    return store, alice, service


def _owners_own(
    testbed: Testbed, account: Account, contact_id: int
) -> dict[int, tuple[set[bytes], dict[str, str]]]:
    """The owner's own draft to Alice, a draft that looks like keepwarm's (its header, another
    Message-ID), and a message she marked \\Deleted: none may ever change."""
    testbed.append(
        account, "Drafts", _raw(account.address, "alice@example.org", "Mine", "mine@x"), [b"\\Draft"]
    )
    lookalike = _raw(
        account.address,
        "alice@example.org",
        "Catching up",
        "lookalike@x",
        f"{MARK}: contact={contact_id}\r\n",
    )
    testbed.append(account, "Drafts", lookalike, [b"\\Draft"])
    testbed.append(
        account, "Drafts", _raw(account.address, "bob@example.org", "Bin me", "binned@x"), [b"\\Deleted"]
    )
    return drafts_of(testbed, account)


def test_the_draft_lands_is_replaced_and_removed_and_nothing_of_the_owners_is_touched(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    alice_owed: Contact,
) -> None:
    config = make_config(save_drafts="yes", owed_after="7")
    store = Store(config.state_dir)
    alice = store.add_contact(alice_owed)
    hers = _owners_own(testbed, account, alice.id)
    service = _service(config, store)
    service.poll(MORNING)
    outgoing = Outgoing(smtp_server)

    count, report = service.remind(MORNING)

    assert count == 1 and len(report.sent) == 1 and outgoing.subjects()
    [draft] = keepwarm_drafts(testbed, account, alice.id)
    assert draft["To"] == "Alice Example <alice@example.org>"
    assert "Trip photos" in draft["Subject"]
    assert draft["In-Reply-To"] == "<trip@mail.example>" == draft["References"]
    [record] = store.drafts.all()
    assert record.state is DraftState.PLACED and record.folder == "Drafts" and record.uid is not None
    assert draft["Message-ID"] == record.message_id
    flags, _ = drafts_of(testbed, account)[record.uid]
    assert b"\\Draft" in flags

    # Ignored: the reminder comes back three days later, and its draft replaces the first.
    service.remind(MORNING + timedelta(days=3))
    [again] = keepwarm_drafts(testbed, account, alice.id)
    [newer] = store.drafts.all()
    assert again["Message-ID"] == newer.message_id != record.message_id
    assert record.uid not in drafts_of(testbed, account)  # expunged, that UID alone

    # She is answered: the draft goes.
    when = MORNING + timedelta(days=4)
    testbed.append(
        account, "Sent", sent_mail(account.address, "alice@example.org", "Re: Trip photos", when, "ans@x")
    )
    service.poll(when)
    assert keepwarm_drafts(testbed, account, alice.id) == []
    assert store.drafts.all() == []
    assert drafts_of(testbed, account) == hers  # hers, flags and all, and only hers


def test_a_draft_the_owner_edited_or_sent_is_left_alone(
    testbed: Testbed, account: Account, make_config: ConfigFactory, alice_owed: Contact
) -> None:
    store, alice, service = _reminded(make_config, alice_owed)
    [record] = store.drafts.all()
    # Her client saved her edit as a new message, with a Message-ID of its own, keepwarm's
    # header kept, and dropped the old one (here: as good as expunged by moving it away).
    with testbed.imap_client(account) as client:
        client.select_folder("Drafts")
        client.move([record.uid], "Trash")
    edited = _raw(
        account.address, "alice@example.org", "Catching up!", "edited@x", f"{MARK}: contact={alice.id}\r\n"
    )
    testbed.append(account, "Drafts", edited, [b"\\Draft"])
    before = drafts_of(testbed, account)

    testbed.append(account, "Sent", sent_mail(account.address, "alice@example.org", "Hi", LATER, "hi@x"))
    service.poll(LATER + timedelta(minutes=5))

    assert drafts_of(testbed, account) == before
    assert store.drafts.all() == []


class _NoUidplus(ImapDrafts):
    """The real connection to Dovecot, as if the server had no UIDPLUS (Dovecot always has it)."""

    @property
    def can_expunge_one(self) -> bool:
        return False


def test_without_uidplus_the_draft_is_only_marked_and_nothing_is_expunged(
    testbed: Testbed, account: Account, make_config: ConfigFactory, alice_owed: Contact
) -> None:
    store, alice, service = _reminded(make_config, alice_owed, _NoUidplus)
    [record] = store.drafts.all()
    hers = _owners_own(testbed, account, alice.id)  # hers, in the folder beside keepwarm's draft
    assert record.uid is not None
    del hers[record.uid]

    testbed.append(account, "Sent", sent_mail(account.address, "alice@example.org", "Hi", LATER, "hi@x"))
    service.poll(LATER + timedelta(minutes=5))

    after = drafts_of(testbed, account)
    assert record.uid in after and b"\\Deleted" in after[record.uid][0]  # marked, still there
    assert {uid: after[uid] for uid in hers} == hers  # her \Deleted message too
    assert store.drafts.all() == []


class _Crash(BaseException):
    """The process dies here (not an error keepwarm handles)."""


def test_a_crash_between_append_and_recording_gives_no_second_draft(
    testbed: Testbed, account: Account, make_config: ConfigFactory, alice_owed: Contact
) -> None:
    class CrashAfterAppend(ImapDrafts):
        def append(self, folder: str, raw: bytes, message_id: str, marker: str, when: datetime) -> DraftPlace:
            super().append(folder, raw, message_id, marker, when)
            raise _Crash

    config = make_config(save_drafts="yes", owed_after="7")
    store = Store(config.state_dir)
    alice = store.add_contact(alice_owed)
    service = _service(config, store, CrashAfterAppend)
    service.poll(MORNING)
    with pytest.raises(_Crash):
        service.remind(MORNING)
    [record] = Store(config.state_dir).drafts.all()
    assert record.state is DraftState.APPENDING and len(keepwarm_drafts(testbed, account, alice.id)) == 1

    restarted = Store(config.state_dir)
    _service(config, restarted).sync_drafts(MORNING + timedelta(minutes=1))

    [placed] = restarted.drafts.all()
    assert placed.state is DraftState.PLACED and placed.uid is not None
    assert [d["Message-ID"] for d in keepwarm_drafts(testbed, account, alice.id)] == [record.message_id]


def test_no_drafts_folder_is_one_line_in_status_and_the_reminder_goes_out(
    account: Account, make_config: ConfigFactory, smtp_server: SmtpServer, alice_owed: Contact
) -> None:
    class Nowhere(ImapDrafts):
        def find_folder(self) -> str | None:
            return None

    config = make_config(save_drafts="yes", owed_after="7")
    store = Store(config.state_dir)
    store.add_contact(alice_owed)
    service = _service(config, store, Nowhere)
    service.poll(MORNING)
    outgoing = Outgoing(smtp_server)

    service.remind(MORNING)
    service.poll(MORNING + timedelta(minutes=5))

    assert len(outgoing.messages()) == 1
    errors = [e["error"] for e in store.runs.get()["errors"] if "Drafts folder" in e["error"]]
    assert errors == [f"drafts not saved in your Drafts folder: {NO_FOLDER}"]


def test_with_the_setting_off_nothing_goes_to_drafts(
    testbed: Testbed, account: Account, make_config: ConfigFactory, alice_owed: Contact
) -> None:
    config = make_config(owed_after="7")
    store = Store(config.state_dir)
    store.add_contact(alice_owed)
    service = _service(config, store)
    service.poll(MORNING)
    service.remind(MORNING)
    assert drafts_of(testbed, account) == {} and store.drafts.all() == []


def test_a_birthdays_draft_and_a_dated_reminders_draft_land_too_and_go_with_a_touch(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """Not only the cadence's reminder: Alice (not due) has her birthday today, and Bob's dated
    reminder comes today; each draft waits in Drafts, and goes when the owner writes to them."""
    config = make_config(save_drafts="yes")
    store = Store(config.state_dir)
    alice = add_contact(store, "Alice Example", "alice@example.org", days_since=2, now=MORNING)
    store.update_contact(alice.with_changes(birthday=Birthday(11, 20, 1990)))
    bob = add_contact(store, "Bob Example", "bob@example.org", days_since=3, now=MORNING)
    dated.add(store, "bob", "2026-11-20", "ask how the move went", MORNING - timedelta(days=5))
    service = _service(config, store)
    outgoing = Outgoing(smtp_server)

    service.remind(MORNING)

    assert sorted(str(m["Subject"]) for m in outgoing.messages()) == [
        "Alice Example's birthday is today, 20 November (turning 36)",
        "Reminder about Bob Example: ask how the move went",
    ]
    [hers] = keepwarm_drafts(testbed, account, alice.id)
    [his] = keepwarm_drafts(testbed, account, bob.id)
    assert hers["To"] == "Alice Example <alice@example.org>" and hers["Subject"] == "Happy birthday!"
    assert his["To"] == "Bob Example <bob@example.org>"
    assert {r.contact_id: r.message_id for r in store.drafts.all()} == {
        alice.id: hers["Message-ID"],
        bob.id: his["Message-ID"],
    }

    testbed.append(account, "Sent", sent_mail(account.address, "alice@example.org", "Hi", LATER, "hb@x"))
    service.poll(LATER + timedelta(minutes=5))
    assert keepwarm_drafts(testbed, account, alice.id) == []
    assert [d["Message-ID"] for d in keepwarm_drafts(testbed, account, bob.id)] == [his["Message-ID"]]
