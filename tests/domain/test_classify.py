"""Which emails are touches: every counting rule and every skip reason, from raw header blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.classify import Identity, SkipReason, Verdict, classify, is_noreply, touch_time
from keepwarm.domain.inbound import InboundMail, Mailbox
from keepwarm.domain.model import Direction
from keepwarm.mail.message import parse_headers

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SENT_AT = datetime(2024, 5, 30, 9, 15, tzinfo=UTC)
ARRIVED = datetime(2024, 5, 30, 9, 20, tzinfo=UTC)
DATE = "Date: Thu, 30 May 2024 09:15:00 +0000"
OWNERS = frozenset({"naomi@example.com", "naomi@work.example"})
WHO = Identity(owner_emails=OWNERS, daemon_address="naomi+keepwarm@example.com")
DEDICATED = Identity(owner_emails=OWNERS, daemon_address="keepwarm@example.com")
UNCONFIGURED = Identity(owner_emails=OWNERS, daemon_address=None)


def mail(*lines: str, internal: datetime | None = ARRIVED) -> InboundMail:
    """An InboundMail from header lines, as the IMAP adapter would build it."""
    return parse_headers(("\r\n".join(lines) + "\r\n\r\n").encode(), internal)


def judge(m: InboundMail, who: Identity = WHO) -> Verdict:
    return classify(m, who, NOW, "INBOX")


def peers(verdict: Verdict) -> list[tuple[str, Direction]]:
    return [(t.address, t.direction) for t in verdict.touches]


# -- the two rules that count --------------------------------------------------------------------


def test_owner_mail_is_an_outgoing_touch_with_each_to_and_cc() -> None:
    m = mail(
        "From: Naomi <naomi@example.com>",
        "To: Alice <alice@example.org>, bob@example.org",
        "Cc: Carol <carol@example.org>",
        "Message-ID: <m1@example.com>",
        "Subject: dinner",
        DATE,
    )
    verdict = classify(m, WHO, NOW, "Sent")
    assert verdict.skip is None
    assert peers(verdict) == [
        ("alice@example.org", Direction.OUT),
        ("bob@example.org", Direction.OUT),
        ("carol@example.org", Direction.OUT),
    ]
    first = verdict.touches[0]
    assert (first.at, first.subject, first.message_id, first.source, first.name) == (
        SENT_AT,
        "dinner",
        "m1@example.com",
        "Sent",
        "Alice",
    )
    assert verdict.names == {"alice@example.org": "Alice", "carol@example.org": "Carol"}
    assert verdict.bcc is None


def test_mail_to_the_owner_is_an_incoming_touch_with_its_sender() -> None:
    m = mail("From: Alice <alice@example.org>", "To: naomi@example.com, bob@example.org", DATE)
    verdict = judge(m)
    assert verdict.skip is None
    assert peers(verdict) == [("alice@example.org", Direction.IN)]
    assert verdict.touches[0].name == "Alice"
    assert verdict.names == {"alice@example.org": "Alice"}


def test_mail_to_the_owners_second_address_counts() -> None:
    verdict = judge(mail("From: alice@example.org", "To: naomi@work.example"))
    assert peers(verdict) == [("alice@example.org", Direction.IN)]


def test_owner_only_in_cc_counts() -> None:
    verdict = judge(mail("From: alice@example.org", "To: bob@example.org", "Cc: naomi@example.com"))
    assert peers(verdict) == [("alice@example.org", Direction.IN)]


def test_owner_only_in_delivered_to_counts() -> None:
    verdict = judge(mail("From: alice@example.org", "To: bob@example.org", "Delivered-To: naomi@example.com"))
    assert peers(verdict) == [("alice@example.org", Direction.IN)]


def test_mail_not_to_the_owner_is_skipped() -> None:
    verdict = judge(mail("From: alice@example.org", "To: bob@example.org"))
    assert verdict.skip is SkipReason.NOT_ADDRESSED
    assert verdict.touches == ()


def test_owner_address_case_does_not_matter() -> None:
    verdict = judge(mail("From: Naomi@Example.COM", "To: alice@example.org"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_owner_plus_variant_sender_is_the_owner() -> None:
    verdict = judge(mail("From: naomi+news@example.com", "To: alice@example.org"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_owner_plus_variant_recipient_is_the_owner() -> None:
    verdict = judge(mail("From: alice@example.org", "To: naomi+friends@work.example"))
    assert peers(verdict) == [("alice@example.org", Direction.IN)]


def test_owner_plus_variant_recipient_is_not_an_outgoing_peer() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: alice@example.org", "Cc: naomi+archive@example.com"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_someone_elses_plus_address_is_not_the_owner() -> None:
    assert not WHO.is_owner("naomi+x@other.example")
    assert not WHO.is_owner("naomiz@example.com")
    assert WHO.is_owner("naomi+x@example.com")


def test_same_person_in_to_and_cc_is_one_touch() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: alice@example.org", "Cc: alice@example.org"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_same_person_in_to_and_cc_under_two_names_is_one_touch() -> None:
    # One message, one person, one direction: one touch, whatever the display names say.
    verdict = judge(mail("From: naomi@example.com", "To: Alice <alice@example.org>", "Cc: alice@example.org"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_bcc_recipients_other_than_the_daemon_are_not_touched() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: alice@example.org", "Bcc: secret@example.org"))
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]
    assert verdict.bcc is None


def test_noreply_recipients_are_dropped_from_outgoing_touches() -> None:
    verdict = judge(
        mail(
            "From: naomi@example.com", "To: noreply@shop.example, alice@example.org", "Cc: bounces@x.example"
        )
    )
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]


def test_auto_submitted_no_is_a_normal_message() -> None:
    verdict = judge(mail("From: alice@example.org", "To: naomi@example.com", "Auto-Submitted: no"))
    assert verdict.skip is None
    assert peers(verdict) == [("alice@example.org", Direction.IN)]


def test_precedence_first_class_is_a_normal_message() -> None:
    verdict = judge(mail("From: alice@example.org", "To: naomi@example.com", "Precedence: first-class"))
    assert verdict.skip is None


def test_classification_is_deterministic() -> None:
    m = mail("From: alice@example.org", "To: naomi@example.com", DATE)
    assert judge(m) == judge(m)


# -- each skip reason ------------------------------------------------------------------------------


def test_skip_no_from() -> None:
    assert judge(mail("To: naomi@example.com")).skip is SkipReason.NO_FROM


def test_skip_bad_from() -> None:
    verdict = judge(mail("From: alice@example.org, bob@example.org", "To: naomi@example.com"))
    assert verdict.skip is SkipReason.BAD_FROM
    assert verdict.skip.value == "bad-from"


def test_skip_keepwarm_header() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: alice@example.org", "X-Keepwarm: reminder"))
    assert verdict.skip is SkipReason.KEEPWARM
    assert verdict.touches == ()


@pytest.mark.parametrize("sender", ["naomi+keepwarm@example.com", "naomi+keepwarm+3w@example.com"])
def test_skip_mail_from_the_daemon(sender: str) -> None:
    assert judge(mail(f"From: {sender}", "To: naomi@example.com")).skip is SkipReason.KEEPWARM


def test_skip_owner_mail_to_the_daemon_in_to() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: naomi+keepwarm@example.com"))
    assert verdict.skip is SkipReason.COMMAND
    assert verdict.skip.value == "to-daemon"


def test_skip_daemon_plus_variant_in_cc() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", "Cc: naomi+keepwarm+2w@example.com")
    assert judge(m).skip is SkipReason.COMMAND


def test_skip_dedicated_daemon_in_to() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org, keepwarm@example.com")
    assert judge(m, DEDICATED).skip is SkipReason.COMMAND


def test_daemon_in_to_and_bcc_is_still_a_command() -> None:
    m = mail(
        "From: naomi@example.com", "To: naomi+keepwarm@example.com", "Bcc: naomi+keepwarm+3w@example.com"
    )
    verdict = judge(m)
    assert verdict.skip is SkipReason.COMMAND
    assert verdict.bcc is None


def test_skip_mailing_list() -> None:
    m = mail("From: alice@example.org", "To: naomi@example.com", "List-Id: <friends.lists.example.org>")
    assert judge(m).skip is SkipReason.LIST


@pytest.mark.parametrize("precedence", ["bulk", "list", "junk", "Bulk"])
def test_skip_bulk(precedence: str) -> None:
    m = mail("From: alice@example.org", "To: naomi@example.com", f"Precedence: {precedence}")
    assert judge(m).skip is SkipReason.BULK


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-notified; owner-email=alice@example.org",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Return-Path: <>",
    ],
)
def test_skip_auto_generated(header: str) -> None:
    verdict = judge(mail("From: alice@example.org", "To: naomi@example.com", header))
    assert verdict.skip is SkipReason.AUTOMATIC
    assert verdict.skip.value == "auto-generated"


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@shop.example",
        "no-reply@shop.example",
        "no_reply@shop.example",
        "do-not-reply@bank.example",
        "donotreply@bank.example",
        "mailer-daemon@mx.example",
        "postmaster@mx.example",
        "bounces+abc=x@list.example",
        "notifications@github.example",
        "noreply-alerts@cloud.example",
        "shop-noreply@shop.example",
    ],
)
def test_skip_noreply_sender(sender: str) -> None:
    assert judge(mail(f"From: {sender}", "To: naomi@example.com")).skip is SkipReason.NOREPLY


@pytest.mark.parametrize(
    "address",
    [
        "alice@example.org",
        "reply@example.org",
        "noreplyfan@example.org",
        "notify@example.org",
        "bouncer@x.example",
    ],
)
def test_ordinary_addresses_are_not_noreply(address: str) -> None:
    assert not is_noreply(address)


def test_skip_too_many_recipients() -> None:
    to = "To: naomi@example.com, " + ", ".join(f"p{i}@example.org" for i in range(20))
    verdict = judge(mail("From: alice@example.org", to))
    assert verdict.skip is SkipReason.BROADCAST


def test_twenty_recipients_are_not_a_broadcast() -> None:
    to = "To: " + ", ".join(f"p{i}@example.org" for i in range(20))
    verdict = judge(mail("From: naomi@example.com", to))
    assert verdict.skip is None
    assert len(verdict.touches) == 20


def test_max_recipients_is_configurable() -> None:
    who = Identity(owner_emails=OWNERS, daemon_address=None, max_recipients=2)
    m = mail("From: naomi@example.com", "To: a@example.org, b@example.org", "Cc: c@example.org")
    assert classify(m, who, NOW, "Sent").skip is SkipReason.BROADCAST


def test_bcc_counts_as_recipients() -> None:
    who = Identity(owner_emails=OWNERS, daemon_address=None, max_recipients=2)
    m = mail("From: naomi@example.com", "To: a@example.org", "Bcc: b@example.org, c@example.org")
    assert classify(m, who, NOW, "Sent").skip is SkipReason.BROADCAST


def test_skip_owner_to_owner_only() -> None:
    verdict = judge(mail("From: naomi@example.com", "To: naomi@work.example", "Cc: naomi+notes@example.com"))
    assert verdict.skip is SkipReason.TO_SELF
    assert verdict.skip.value == "only-owner-recipients"


def test_skip_owner_to_noreply_only() -> None:
    assert judge(mail("From: naomi@example.com", "To: noreply@shop.example")).skip is SkipReason.TO_SELF


def test_skip_reasons_have_distinct_values() -> None:
    values = [r.value for r in SkipReason]
    assert len(values) == len(set(values))


# -- the daemon address --------------------------------------------------------------------------


def test_daemon_tag_for_a_plus_daemon() -> None:
    assert WHO.daemon_tag("naomi+keepwarm@example.com") == ""
    assert WHO.daemon_tag("naomi+keepwarm+3w@example.com") == "3w"
    assert WHO.daemon_tag("naomi+keepwarmer@example.com") is None
    assert WHO.daemon_tag("naomi+keepwarm+3w@other.example") is None
    assert WHO.daemon_tag("naomi@example.com") is None


def test_daemon_tag_for_a_dedicated_daemon() -> None:
    assert DEDICATED.daemon_tag("keepwarm@example.com") == ""
    assert DEDICATED.daemon_tag("keepwarm+monthly@example.com") == "monthly"
    assert DEDICATED.is_daemon("keepwarm+monthly@example.com")
    assert not DEDICATED.is_daemon("keepwarm@other.example")
    assert not DEDICATED.is_daemon("xkeepwarm@example.com")


def test_unconfigured_daemon_matches_nothing() -> None:
    assert UNCONFIGURED.daemon_tag("keepwarm@example.com") is None
    assert not UNCONFIGURED.is_daemon("naomi+keepwarm@example.com")


def test_unconfigured_daemon_still_classifies_normal_mail() -> None:
    out = classify(mail("From: naomi@example.com", "To: alice@example.org"), UNCONFIGURED, NOW, "Sent")
    incoming = classify(mail("From: bob@example.org", "To: naomi@example.com"), UNCONFIGURED, NOW, "INBOX")
    assert peers(out) == [("alice@example.org", Direction.OUT)]
    assert peers(incoming) == [("bob@example.org", Direction.IN)]
    listed = mail("From: bob@example.org", "To: naomi@example.com", "List-Id: <l.example.org>")
    assert classify(listed, UNCONFIGURED, NOW, "INBOX").skip is SkipReason.LIST


# -- BCC logging -----------------------------------------------------------------------------------


def test_bcc_header_to_the_daemon_asks_to_track_the_recipients() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: Alice <alice@example.org>",
        "Cc: bob@example.org",
        "Bcc: naomi+keepwarm@example.com",
    )
    verdict = classify(m, WHO, NOW, "Sent")
    assert peers(verdict) == [("alice@example.org", Direction.OUT), ("bob@example.org", Direction.OUT)]
    assert verdict.bcc is not None
    assert verdict.bcc.recipients == (Mailbox("Alice", "alice@example.org"), Mailbox("", "bob@example.org"))
    assert verdict.bcc.cadence_days is None
    assert verdict.bcc.tag_problem is None


@pytest.mark.parametrize("header", ["Delivered-To", "X-Original-To"])
def test_envelope_recipient_daemon_asks_to_track(header: str) -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", f"{header}: naomi+keepwarm+3w@example.com")
    verdict = judge(m)
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]
    assert verdict.bcc is not None
    assert verdict.bcc.cadence_days == 21


def test_plus_daemon_tag_sets_the_cadence() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", "Bcc: naomi+keepwarm+3w@example.com")
    verdict = judge(m)
    assert verdict.bcc is not None
    assert verdict.bcc.cadence_days == 21


def test_dedicated_daemon_tag_sets_the_cadence() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", "Bcc: keepwarm+monthly@example.com")
    verdict = judge(m, DEDICATED)
    assert verdict.bcc is not None
    assert verdict.bcc.cadence_days == 30


def test_bad_tag_is_a_problem_but_the_touch_is_still_logged() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", "Bcc: keepwarm+someday@example.com")
    verdict = judge(m, DEDICATED)
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]
    assert verdict.bcc is not None
    assert verdict.bcc.cadence_days is None
    assert verdict.bcc.tag_problem is not None
    assert "someday" in verdict.bcc.tag_problem
    assert verdict.bcc.recipients == (Mailbox("", "alice@example.org"),)


def test_bcc_intent_leaves_out_noreply_and_owner_recipients() -> None:
    m = mail(
        "From: naomi@example.com",
        "To: alice@example.org, noreply@shop.example",
        "Cc: naomi@work.example",
        "Bcc: naomi+keepwarm@example.com",
    )
    verdict = judge(m)
    assert verdict.bcc is not None
    assert [b.address for b in verdict.bcc.recipients] == ["alice@example.org"]


def test_bcc_to_an_unconfigured_daemon_is_just_a_bcc() -> None:
    m = mail("From: naomi@example.com", "To: alice@example.org", "Bcc: keepwarm@example.com")
    verdict = classify(m, UNCONFIGURED, NOW, "Sent")
    assert peers(verdict) == [("alice@example.org", Direction.OUT)]
    assert verdict.bcc is None


def test_daemon_envelope_on_incoming_mail_is_no_tracking_request() -> None:
    m = mail(
        "From: alice@example.org", "To: naomi@example.com", "Delivered-To: naomi+keepwarm+3w@example.com"
    )
    verdict = judge(m)
    assert peers(verdict) == [("alice@example.org", Direction.IN)]
    assert verdict.bcc is None


# -- when a touch happened -----------------------------------------------------------------------


def test_touch_time_is_the_date_header() -> None:
    m = mail("From: a@example.org", "Date: Thu, 30 May 2024 14:45:00 +0530")
    assert touch_time(m, NOW) == SENT_AT


def test_touch_time_without_date_is_the_internal_date() -> None:
    assert touch_time(mail("From: a@example.org"), NOW) == ARRIVED


def test_touch_time_with_unparseable_date_is_the_internal_date() -> None:
    assert touch_time(mail("From: a@example.org", "Date: next Tuesday-ish"), NOW) == ARRIVED


def test_touch_time_with_far_future_date_is_the_internal_date() -> None:
    m = mail("From: a@example.org", "Date: Sun, 2 Jun 2024 12:00:01 +0000")
    assert touch_time(m, NOW) == ARRIVED


def test_touch_time_within_a_day_ahead_is_believed() -> None:
    """Clocks drift: a Date up to a day after the arrival (here: no arrival known, so now) stands."""
    m = mail("From: a@example.org", "Date: Sun, 2 Jun 2024 12:00:00 +0000", internal=None)
    assert touch_time(m, NOW) == NOW + timedelta(days=1)


def test_touch_time_later_than_the_arrival_is_not_believed() -> None:
    m = mail("From: a@example.org", "Date: Sun, 2 Jun 2024 12:00:00 +0000")
    assert touch_time(m, NOW) == ARRIVED


def test_touch_time_with_nothing_is_now() -> None:
    assert touch_time(mail("From: a@example.org", internal=None), NOW) == NOW


def test_classified_touch_uses_the_fallback_time() -> None:
    m = mail("From: alice@example.org", "To: naomi@example.com", "Date: 31 Dec 2099 00:00:00 +0000")
    assert [t.at for t in judge(m).touches] == [ARRIVED]
