"""plan_batch: touches once per message and person, BCC tracking whichever copy comes first, skip counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Set
from datetime import UTC, datetime

from keepwarm.domain.classify import Identity
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.ingest import BCC_PREFIX, DUPLICATE, BatchPlan, Known, TouchKey, plan_batch, touch_key
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.mail.message import parse_headers

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ADDED = datetime(2024, 1, 1, tzinfo=UTC)
WHO = Identity(owner_emails=frozenset({"naomi@example.com"}), daemon_address="naomi+keepwarm@example.com")
DATE = "Date: Thu, 30 May 2024 09:15:00 +0000"


def mail(*lines: str) -> InboundMail:
    return parse_headers(("\r\n".join(lines) + "\r\n\r\n").encode(), NOW)


def known(
    seen: Set[str] = frozenset(),
    touch_keys: Set[TouchKey] = frozenset(),
    contacts: Mapping[str, Contact] | None = None,
) -> Known:
    return Known(seen=seen, touch_keys=touch_keys, contact_by_address=contacts or {})


def plan(*items: tuple[InboundMail, str], state: Known | None = None) -> BatchPlan:
    return plan_batch(list(items), WHO, state or known(), NOW)


def touched(p: BatchPlan) -> list[tuple[str, str, Direction]]:
    return [(t.message_id or "", t.address, t.direction) for t in p.touches]


def contact(address: str, cadence_days: int | None, contact_id: int = 7) -> Contact:
    return Contact(name="Alice", emails=(address,), added_at=ADDED, id=contact_id, cadence_days=cadence_days)


INCOMING = mail(
    "From: Alice <alice@example.org>", "To: naomi@example.com", "Message-ID: <in1@example.org>", DATE
)
OUTGOING = mail(
    "From: naomi@example.com",
    "To: alice@example.org, bob@example.org",
    "Message-ID: <out1@example.com>",
    DATE,
)

# One message sent with the daemon in Bcc: the Sent copy shows the Bcc header, the delivered copy
# (in the owner's INBOX, since the daemon is a plus address) shows it as Delivered-To.
BCC_LINES = (
    "From: naomi@example.com",
    "To: Alice <alice@example.org>",
    "Cc: Bob <bob@example.org>",
    "Message-ID: <bcc1@example.com>",
    "Subject: lunch?",
    DATE,
)
SENT_COPY = mail(*BCC_LINES, "Bcc: naomi+keepwarm+3w@example.com")
DELIVERED_COPY = mail("Delivered-To: naomi+keepwarm+3w@example.com", *BCC_LINES)
PLAIN_COPY = mail(*BCC_LINES)  # a copy that does not show the Bcc (e.g. a client that strips it)
BCC_TOUCHES = [
    ("bcc1@example.com", "alice@example.org", Direction.OUT),
    ("bcc1@example.com", "bob@example.org", Direction.OUT),
]


# -- touch keys ----------------------------------------------------------------------------------


def test_touch_key_is_message_person_and_direction() -> None:
    touch = Touch(address="alice@example.org", at=NOW, direction=Direction.IN, message_id="m@x")
    assert touch_key(touch) == ("m@x", "alice@example.org", "in")
    assert touch_key(Touch(address="a@example.org", at=NOW, direction=Direction.OUT)) == (
        "",
        "a@example.org",
        "out",
    )


# -- a fresh batch ---------------------------------------------------------------------------------


def test_new_mail_gives_touches_and_is_remembered() -> None:
    p = plan((INCOMING, "INBOX"), (OUTGOING, "Sent"))
    assert touched(p) == [
        ("in1@example.org", "alice@example.org", Direction.IN),
        ("out1@example.com", "alice@example.org", Direction.OUT),
        ("out1@example.com", "bob@example.org", Direction.OUT),
    ]
    assert [t.source for t in p.touches] == ["INBOX", "Sent", "Sent"]
    assert p.seen == ["in1@example.org", "out1@example.com"]
    assert p.skipped == Counter()
    assert p.new_contacts == []
    assert p.problems == []


def test_skipped_mail_is_remembered_and_counted_per_reason() -> None:
    listed = mail(
        "From: a@example.org", "To: naomi@example.com", "List-Id: <l.example.org>", "Message-ID: <l1@x>"
    )
    listed2 = mail(
        "From: b@example.org", "To: naomi@example.com", "List-Id: <l.example.org>", "Message-ID: <l2@x>"
    )
    bulk = mail("From: c@example.org", "To: naomi@example.com", "Precedence: bulk", "Message-ID: <b1@x>")
    robot = mail("From: noreply@shop.example", "To: naomi@example.com", "Message-ID: <n1@x>")
    p = plan((listed, "INBOX"), (listed2, "INBOX"), (bulk, "INBOX"), (robot, "INBOX"), (INCOMING, "INBOX"))
    assert p.skipped == Counter({"mailing-list": 2, "bulk": 1, "no-reply-sender": 1})
    assert p.seen == ["l1@x", "l2@x", "b1@x", "n1@x", "in1@example.org"]
    assert touched(p) == [("in1@example.org", "alice@example.org", Direction.IN)]


# -- repeats ---------------------------------------------------------------------------------------


def test_same_message_twice_in_a_batch_is_one_touch() -> None:
    p = plan((INCOMING, "INBOX"), (INCOMING, "Archive"))
    assert touched(p) == [("in1@example.org", "alice@example.org", Direction.IN)]
    assert p.touches[0].source == "INBOX"
    assert p.seen == ["in1@example.org"]
    assert p.skipped == Counter({DUPLICATE: 1})


def test_message_already_seen_gives_no_touch() -> None:
    keys = {("in1@example.org", "alice@example.org", "in")}
    p = plan((INCOMING, "INBOX"), state=known(seen={"in1@example.org"}, touch_keys=keys))
    assert p.touches == []
    assert p.seen == []
    assert p.skipped == Counter({DUPLICATE: 1})


def test_known_touch_key_is_not_repeated_even_for_an_unseen_message() -> None:
    keys = {("out1@example.com", "alice@example.org", "out")}
    p = plan((OUTGOING, "Sent"), state=known(touch_keys=keys))
    assert touched(p) == [("out1@example.com", "bob@example.org", Direction.OUT)]
    assert p.seen == ["out1@example.com"]


def test_repeat_of_a_skipped_message_counts_as_already_seen_not_its_reason() -> None:
    listed = mail(
        "From: a@example.org", "To: naomi@example.com", "List-Id: <l.example.org>", "Message-ID: <l1@x>"
    )
    p = plan((listed, "INBOX"), (listed, "Archive"), state=known())
    assert p.skipped == Counter({"mailing-list": 1, DUPLICATE: 1})
    again = plan((listed, "INBOX"), state=known(seen={"l1@x"}))
    assert again.skipped == Counter({DUPLICATE: 1})
    assert again.seen == []


def test_message_without_id_in_two_folders_is_one_touch() -> None:
    lines = ("From: alice@example.org", "To: naomi@example.com", DATE, "Subject: hi")
    inbox = mail("Delivered-To: naomi@example.com", *lines)
    archive = mail("X-Original-To: naomi@example.com", *lines)
    p = plan((inbox, "INBOX"), (archive, "Archive"))
    assert len(p.touches) == 1
    assert p.seen == [inbox.key]
    assert p.skipped == Counter({DUPLICATE: 1})


# -- BCC logging across copies ---------------------------------------------------------------------


def _assert_bcc_outcome(p: BatchPlan) -> None:
    assert touched(p) == BCC_TOUCHES
    assert [(c.name, c.emails, c.cadence_days, c.added_at) for c in p.new_contacts] == [
        ("Alice", ("alice@example.org",), 21, NOW),
        ("Bob", ("bob@example.org",), 21, NOW),
    ]
    # The message once, and the fact that its BCC request was honoured once.
    assert p.seen == ["bcc1@example.com", BCC_PREFIX + "bcc1@example.com"]
    assert p.skipped == Counter({DUPLICATE: 1})


def test_delivered_copy_then_sent_copy() -> None:
    _assert_bcc_outcome(plan((DELIVERED_COPY, "INBOX"), (SENT_COPY, "Sent")))


def test_sent_copy_then_delivered_copy() -> None:
    _assert_bcc_outcome(plan((SENT_COPY, "Sent"), (DELIVERED_COPY, "INBOX")))


def test_plain_copy_first_then_bcc_copy_still_tracks() -> None:
    _assert_bcc_outcome(plan((PLAIN_COPY, "Sent"), (DELIVERED_COPY, "INBOX")))


def test_bcc_copy_after_an_earlier_batch_saw_the_message_still_tracks() -> None:
    state = known(
        seen={"bcc1@example.com"}, touch_keys={touch_key(t) for t in plan((PLAIN_COPY, "Sent")).touches}
    )
    p = plan((DELIVERED_COPY, "INBOX"), state=state)
    assert p.touches == []
    assert p.seen == [BCC_PREFIX + "bcc1@example.com"]
    assert p.skipped == Counter({DUPLICATE: 1})
    assert [(c.emails, c.cadence_days) for c in p.new_contacts] == [
        (("alice@example.org",), 21),
        (("bob@example.org",), 21),
    ]


def test_replayed_bcc_does_not_re_add_a_removed_contact() -> None:
    """A resync reads an old BCC again: its request was honoured once, and the owner has since
    removed Alice; she must not come back."""
    state = known(seen={"bcc1@example.com", BCC_PREFIX + "bcc1@example.com"})
    p = plan((DELIVERED_COPY, "INBOX"), state=state)
    assert p.new_contacts == []
    assert p.cadence_changes == {}


def test_untagged_bcc_adds_contacts_without_cadence() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: carol@example.org",
        "Bcc: naomi+keepwarm@example.com",
        "Message-ID: <c@x>",
    )
    p = plan((m, "Sent"))
    assert [(c.emails, c.cadence_days) for c in p.new_contacts] == [(("carol@example.org",), None)]
    assert p.cadence_changes == {}


def test_bcc_to_a_tracked_contact_with_another_cadence_changes_it() -> None:
    state = known(contacts={"alice@example.org": contact("alice@example.org", 60, contact_id=7)})
    p = plan((SENT_COPY, "Sent"), state=state)
    assert p.cadence_changes == {7: 21}
    assert [c.emails for c in p.new_contacts] == [("bob@example.org",)]
    assert touched(p) == BCC_TOUCHES


def test_bcc_to_a_tracked_contact_with_the_same_cadence_changes_nothing() -> None:
    state = known(contacts={"alice@example.org": contact("alice@example.org", 21)})
    p = plan((SENT_COPY, "Sent"), state=state)
    assert p.cadence_changes == {}


def test_untagged_bcc_keeps_a_tracked_contacts_cadence() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: alice@example.org",
        "Bcc: naomi+keepwarm@example.com",
        "Message-ID: <u@x>",
    )
    state = known(contacts={"alice@example.org": contact("alice@example.org", 60)})
    p = plan((m, "Sent"), state=state)
    assert p.cadence_changes == {}
    assert p.new_contacts == []
    assert touched(p) == [("u@x", "alice@example.org", Direction.OUT)]


def test_bad_tag_logs_a_problem_and_still_the_touch() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: dan@example.org",
        "Bcc: naomi+keepwarm+soonish@example.com",
        "Message-ID: <t@x>",
    )
    p = plan((m, "Sent"))
    assert touched(p) == [("t@x", "dan@example.org", Direction.OUT)]
    assert len(p.problems) == 1
    assert "t@x" in p.problems[0]
    assert "soonish" in p.problems[0]
    assert [(c.emails, c.cadence_days) for c in p.new_contacts] == [(("dan@example.org",), None)]


def test_two_bcc_messages_to_one_new_person_add_one_contact() -> None:
    first = mail(
        "From: naomi@example.com",
        "To: eve@example.org",
        "Bcc: naomi+keepwarm@example.com",
        "Message-ID: <e1@x>",
    )
    second = mail(
        "From: naomi@example.com",
        "To: eve@example.org",
        "Bcc: naomi+keepwarm@example.com",
        "Message-ID: <e2@x>",
    )
    p = plan((first, "Sent"), (second, "Sent"))
    assert [c.emails for c in p.new_contacts] == [("eve@example.org",)]
    assert len(p.touches) == 2


def test_plain_outgoing_mail_tracks_nobody() -> None:
    p = plan((OUTGOING, "Sent"))
    assert p.new_contacts == []
    assert p.cadence_changes == {}


def test_same_person_in_to_and_cc_under_two_names_is_one_touch_and_one_contact() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: Alice <alice@example.org>",
        "Cc: alice@example.org",
        "Bcc: naomi+keepwarm@example.com",
        "Message-ID: <dup@x>",
    )
    p = plan((m, "Sent"))
    assert touched(p) == [("dup@x", "alice@example.org", Direction.OUT)]
    assert [c.emails for c in p.new_contacts] == [("alice@example.org",)]
