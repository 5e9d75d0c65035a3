"""parse_headers on real and hostile header blocks: never raises, and keeps what classification needs."""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from keepwarm.domain.classify import Identity, SkipReason, classify
from keepwarm.domain.inbound import InboundMail, Mailbox
from keepwarm.mail.message import parse_headers

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
WHO = Identity(owner_emails=frozenset({"naomi@example.com"}), daemon_address="naomi+keepwarm@example.com")


def raw(*lines: str) -> bytes:
    """A header block from lines, CRLF-terminated, with the blank line that ends it."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def corpus_dir() -> Path | None:
    """CPython's email test corpus (Lib/test/test_email/data), if this interpreter ships it."""
    spec = importlib.util.find_spec("test")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "test_email" / "data"
    return data if data.is_dir() else None


CORPUS = corpus_dir()
CORPUS_FILES = sorted(CORPUS.glob("msg_*.txt")) if CORPUS is not None else []


# -- the CPython email corpus --------------------------------------------------------------------


def test_the_email_corpus_is_found() -> None:
    if CORPUS is None:
        pytest.skip("this Python ships without its test package")
    assert len(CORPUS_FILES) >= 40


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_every_corpus_message_parses(path: Path) -> None:
    mail = parse_headers(path.read_bytes(), NOW)
    assert isinstance(mail, InboundMail)
    assert mail.key
    assert mail.date is None or mail.date.tzinfo is not None
    assert mail.internal_date == NOW
    for box in (*mail.from_, *mail.to, *mail.cc, *mail.bcc):
        assert box.address == box.address.lower()
    # Whatever the corpus holds, classification takes it without raising.
    verdict = classify(mail, WHO, NOW, "corpus")
    assert (verdict.skip is SkipReason.NO_FROM) == (not mail.from_)


def test_corpus_message_with_headers_is_read() -> None:
    if CORPUS is None:
        pytest.skip("this Python ships without its test package")
    mail = parse_headers((CORPUS / "msg_01.txt").read_bytes())
    assert mail.from_ == (Mailbox("John X. Doe", "bbb@ddd.com"),)
    assert mail.message_id == "15090.61304.110929.45684@aaa.zzz.org"
    assert mail.date == datetime(2001, 5, 4, 14, 5, 44, tzinfo=timezone(timedelta(hours=-4)))


# -- message identity ----------------------------------------------------------------------------


def test_message_id_is_the_key() -> None:
    mail = parse_headers(raw("From: a@example.org", "Message-ID: <abc.123@mail.example.org>"))
    assert mail.message_id == "abc.123@mail.example.org"
    assert mail.key == "abc.123@mail.example.org"


def test_message_id_without_brackets_is_kept() -> None:
    mail = parse_headers(raw("From: a@example.org", "Message-ID: bare-id@example.org"))
    assert mail.message_id == "bare-id@example.org"


def test_empty_message_id_falls_back_to_a_header_hash() -> None:
    mail = parse_headers(raw("From: a@example.org", "Message-ID: <>", "Subject: hi"))
    assert mail.message_id is None
    assert mail.key.startswith("hdr:")
    assert len(mail.key) == len("hdr:") + 32


def test_missing_message_id_falls_back_to_a_header_hash() -> None:
    mail = parse_headers(raw("From: a@example.org", "Subject: hi"))
    assert mail.message_id is None
    assert mail.key.startswith("hdr:")


def test_header_hash_ignores_delivery_headers_so_copies_in_two_folders_match() -> None:
    common = (
        "From: Naomi <naomi@example.com>",
        "To: alice@example.org",
        "Cc: bob@example.org",
        "Date: Mon, 1 Jan 2024 10:00:00 +0000",
        "Subject: dinner",
    )
    delivered = parse_headers(raw(*common, "Delivered-To: naomi+keepwarm@example.com"))
    other = parse_headers(raw("Delivered-To: naomi@example.com", "X-Original-To: naomi@example.com", *common))
    sent = parse_headers(raw(*common, "Bcc: naomi+keepwarm@example.com", "Message-ID: <>"))
    assert delivered.key == other.key == sent.key


def test_header_hash_tolerates_refolding() -> None:
    flat = parse_headers(raw("From: a@example.org", "Subject: a long subject line"))
    folded = parse_headers(raw("From: a@example.org", "Subject: a long", "  subject line"))
    assert flat.key == folded.key


def test_header_hash_differs_for_different_messages() -> None:
    one = parse_headers(raw("From: a@example.org", "Subject: one"))
    two = parse_headers(raw("From: a@example.org", "Subject: two"))
    assert one.key != two.key


# -- display names and encodings -----------------------------------------------------------------


def test_rfc2047_name_is_decoded() -> None:
    mail = parse_headers(raw("From: =?utf-8?b?SsO2cmc=?= <joerg@example.org>"))
    assert mail.from_ == (Mailbox("Jörg", "joerg@example.org"),)


def test_unknown_charset_keeps_the_text_as_written() -> None:
    mail = parse_headers(raw("From: =?x-unknown?q?abc?= <a@example.org>"))
    (sender,) = mail.from_
    assert sender.address == "a@example.org"
    assert "abc" in sender.name


@pytest.mark.parametrize(
    "encoded",
    [
        "=?utf-8?b?SsO2c?=",  # truncated base64, bad padding
        "=?utf-8?b?/w==?=",  # decodes to a byte that is not UTF-8
    ],
)
def test_broken_base64_name_does_not_crash_and_stays_readable(encoded: str) -> None:
    mail = parse_headers(raw(f"From: {encoded} <a@example.org>", f"Subject: {encoded}"))
    (sender,) = mail.from_
    assert sender.address == "a@example.org"
    assert sender.name  # kept as written rather than lost
    assert sender.name.isprintable()
    assert mail.subject
    assert mail.subject.isprintable()


def test_garbage_base64_name_keeps_the_address() -> None:
    mail = parse_headers(raw("From: =?utf-8?b?!!!!?= <a@example.org>"))
    assert [m.address for m in mail.from_] == ["a@example.org"]


def test_raw_utf8_header_bytes_give_a_readable_name() -> None:
    mail = parse_headers("From: Jörg Müller <joerg@example.org>\r\nSubject: Grüße\r\n\r\n".encode())
    assert mail.from_ == (Mailbox("Jörg Müller", "joerg@example.org"),)
    assert mail.subject == "Grüße"


def test_raw_latin1_header_bytes_give_a_readable_name() -> None:
    mail = parse_headers("From: Jörg <joerg@example.org>\r\nSubject: Grüße\r\n\r\n".encode("latin-1"))
    assert mail.from_ == (Mailbox("Jörg", "joerg@example.org"),)
    assert mail.subject == "Grüße"


def test_raw_windows1252_header_bytes_give_a_readable_name() -> None:
    mail = parse_headers("To: Jörg \u201cJo\u201d <joerg@example.org>\r\n\r\n".encode("cp1252"))
    assert mail.to == (Mailbox("Jörg \u201cJo\u201d", "joerg@example.org"),)


def test_quoted_display_name_loses_its_quotes() -> None:
    mail = parse_headers(raw('To: "Doe, Jane" <jane@example.org>'))
    assert mail.to == (Mailbox("Doe, Jane", "jane@example.org"),)


# -- addresses -----------------------------------------------------------------------------------


def test_addresses_are_lower_cased() -> None:
    mail = parse_headers(raw("From: Alice <Alice@Example.ORG>", "To: BOB@example.org"))
    assert mail.from_[0].address == "alice@example.org"
    assert mail.to[0].address == "bob@example.org"


def test_lone_angle_bracket_in_to_parses_as_no_recipients() -> None:
    mail = parse_headers(raw("From: a@example.org", "To: <"))
    assert mail.to == ()
    assert mail.from_ == (Mailbox("", "a@example.org"),)


def test_junk_recipients_are_dropped_and_valid_ones_kept() -> None:
    mail = parse_headers(raw("From: a@example.org", "To: undisclosed-recipients:;, alice@, bob@example.org"))
    assert [m.address for m in mail.to] == ["bob@example.org"]


def test_repeated_recipient_is_listed_once() -> None:
    mail = parse_headers(raw("From: a@example.org", "To: bob@example.org, Bob <BOB@example.org>"))
    assert [m.address for m in mail.to] == ["bob@example.org"]


def test_from_with_two_addresses_gives_two_entries_and_is_refused() -> None:
    mail = parse_headers(raw("From: alice@example.org, bob@example.org", "To: naomi@example.com"))
    assert [m.address for m in mail.from_] == ["alice@example.org", "bob@example.org"]
    assert classify(mail, WHO, NOW, "INBOX").skip is SkipReason.BAD_FROM


def test_two_from_headers_are_refused() -> None:
    mail = parse_headers(raw("From: alice@example.org", "From: bob@example.org", "To: naomi@example.com"))
    assert len(mail.from_) == 2
    assert classify(mail, WHO, NOW, "INBOX").skip is SkipReason.BAD_FROM


@pytest.mark.parametrize(
    "header",
    [
        "From: alice@example.org)<bob@attacker.example>",
        "From: alice@example.org) <bob@attacker.example>",
        "From: alice@example.org)<naomi@example.com>",
    ],
)
def test_parenthesis_trick_is_never_a_single_sender(header: str) -> None:
    mail = parse_headers(raw(header, "To: naomi@example.com"))
    assert len(mail.from_) != 1
    verdict = classify(mail, WHO, NOW, "INBOX")
    assert verdict.touches == ()
    assert verdict.skip in (SkipReason.BAD_FROM, SkipReason.NO_FROM)


def test_quoted_lookalike_name_does_not_change_the_sender() -> None:
    mail = parse_headers(raw('From: "alice@example.org)" <bob@attacker.example>'))
    assert [m.address for m in mail.from_] == ["bob@attacker.example"]


def test_missing_from_gives_no_sender() -> None:
    mail = parse_headers(raw("To: naomi@example.com", "Subject: who?"))
    assert mail.from_ == ()
    assert classify(mail, WHO, NOW, "INBOX").skip is SkipReason.NO_FROM


def test_five_thousand_recipients_parse() -> None:
    to = "To: " + ", ".join(f"user{i}@example.org" for i in range(5000))
    mail = parse_headers(raw("From: a@example.org", to))
    assert mail.recipient_count == 5000
    assert mail.to[-1].address == "user4999@example.org"


def test_one_megabyte_of_received_lines_parses_quickly() -> None:
    line = "Received: from relay{0}.example.org by mx.example.org; Mon, 1 Jan 2024 10:00:00 +0000"
    lines = [line.format(i) for i in range(12_000)]
    block = raw("From: a@example.org", *lines, "Subject: still here")
    assert len(block) > 1_000_000
    started = time.perf_counter()
    mail = parse_headers(block)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert mail.from_ == (Mailbox("", "a@example.org"),)
    assert mail.subject == "still here"


def test_binary_garbage_does_not_crash() -> None:
    block = b"From: a@example.org\r\nSubject: \x00\xff\xfe\x80 \x1b[31m\r\nTo: \xc3\x28@example.org\r\n\r\n"
    mail = parse_headers(block)
    assert mail.from_ == (Mailbox("", "a@example.org"),)


def test_bare_lf_line_endings_are_read() -> None:
    mail = parse_headers(b"From: a@example.org\nTo: b@example.org\nSubject: unix\n\n")
    assert [m.address for m in mail.to] == ["b@example.org"]
    assert mail.subject == "unix"


# -- dates ---------------------------------------------------------------------------------------


def test_date_in_plus_0530() -> None:
    mail = parse_headers(raw("From: a@example.org", "Date: Mon, 1 Jan 2024 10:00:00 +0530"))
    assert mail.date is not None
    assert mail.date.utcoffset() == timedelta(hours=5, minutes=30)
    assert mail.date == datetime(2024, 1, 1, 4, 30, tzinfo=UTC)


def test_date_in_minus_0800() -> None:
    mail = parse_headers(raw("From: a@example.org", "Date: Mon, 1 Jan 2024 10:00:00 -0800"))
    assert mail.date == datetime(2024, 1, 1, 18, 0, tzinfo=UTC)


def test_date_in_minus_0000_is_read_as_utc() -> None:
    mail = parse_headers(raw("From: a@example.org", "Date: Mon, 1 Jan 2024 10:00:00 -0000"))
    assert mail.date is not None
    assert mail.date.utcoffset() == timedelta(0)
    assert mail.date == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


def test_date_without_zone_is_read_as_utc() -> None:
    mail = parse_headers(raw("From: a@example.org", "Date: Mon, 1 Jan 2024 10:00:00"))
    assert mail.date == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["garbage", "Mon, 32 Jan 2024 10:00:00 +0000", "Mon, 1 Jan 99999 10:00:00 +0000", ""]
)
def test_unusable_date_is_none(value: str) -> None:
    mail = parse_headers(raw("From: a@example.org", f"Date: {value}"))
    assert mail.date is None


def test_naive_internal_date_is_read_as_utc() -> None:
    mail = parse_headers(raw("From: a@example.org"), datetime(2024, 1, 1, 10, 0))
    assert mail.internal_date == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


def test_aware_internal_date_is_kept() -> None:
    paris = timezone(timedelta(hours=1))
    mail = parse_headers(raw("From: a@example.org"), datetime(2024, 1, 1, 10, 0, tzinfo=paris))
    assert mail.internal_date is not None
    assert mail.internal_date.utcoffset() == timedelta(hours=1)


# -- threading and delivery headers --------------------------------------------------------------


def test_references_and_in_reply_to() -> None:
    mail = parse_headers(
        raw(
            "From: a@example.org",
            "In-Reply-To: <parent@example.org> (Alice's message of Monday)",
            "References: <root@example.org>",
            "  <middle@example.org>",
            "\t<parent@example.org>",
        )
    )
    assert mail.in_reply_to == "parent@example.org"
    assert mail.references == ("root@example.org", "middle@example.org", "parent@example.org")


def test_empty_in_reply_to_is_none() -> None:
    mail = parse_headers(raw("From: a@example.org", "In-Reply-To: <>", "References: junk"))
    assert mail.in_reply_to is None
    assert mail.references == ()


def test_delivered_to_and_x_original_to_are_both_collected() -> None:
    mail = parse_headers(
        raw(
            "From: a@example.org",
            "Delivered-To: Naomi+Keepwarm@example.com",
            "X-Original-To: naomi@example.com",
            "Delivered-To: naomi@example.com",
        )
    )
    assert set(mail.delivered_to) == {"naomi+keepwarm@example.com", "naomi@example.com"}
    assert len(mail.delivered_to) == 2


def test_bcc_is_collected() -> None:
    mail = parse_headers(
        raw("From: naomi@example.com", "To: a@example.org", "Bcc: naomi+keepwarm@example.com")
    )
    assert mail.bcc == (Mailbox("", "naomi+keepwarm@example.com"),)
    assert mail.recipient_count == 2


def test_folded_headers_are_unfolded() -> None:
    mail = parse_headers(
        raw(
            "From: a@example.org",
            "To: Alice <alice@example.org>,",
            "\tBob",
            " <bob@example.org>",
            "Subject: a subject",
            "   that goes on",
        )
    )
    assert mail.to == (Mailbox("Alice", "alice@example.org"), Mailbox("Bob", "bob@example.org"))
    assert mail.subject == "a subject that goes on"


def test_duplicate_headers() -> None:
    mail = parse_headers(
        raw(
            "From: a@example.org",
            "To: alice@example.org",
            "To: bob@example.org",
            "Cc: carol@example.org",
            "Cc: dave@example.org",
            "Message-ID: <first@example.org>",
            "Message-ID: <second@example.org>",
            "Subject: first",
            "Subject: second",
        )
    )
    assert [m.address for m in mail.to] == ["alice@example.org", "bob@example.org"]
    assert [m.address for m in mail.cc] == ["carol@example.org", "dave@example.org"]
    assert mail.key == "first@example.org"
    assert mail.subject == "first"


def test_long_subject_is_capped() -> None:
    mail = parse_headers(raw("From: a@example.org", "Subject: " + "x" * 5000))
    assert len(mail.subject) == 300


# -- flags for the skip rules --------------------------------------------------------------------


def test_skip_flags_are_read() -> None:
    mail = parse_headers(
        raw(
            "From: a@example.org",
            "List-Id: Friends <friends.lists.example.org>",
            "Precedence:  Bulk ",
            "Auto-Submitted: Auto-Replied; owner-email=a@example.org",
            "X-Autorespond: yes",
            "Return-Path: <>",
            "X-Keepwarm: reminder",
        )
    )
    assert mail.list_id
    assert mail.precedence == "bulk"
    assert mail.auto_submitted == "auto-replied"
    assert mail.autoreply
    assert mail.return_path_empty
    assert mail.keepwarm_mark


def test_plain_message_has_no_skip_flags() -> None:
    mail = parse_headers(raw("From: a@example.org", "Return-Path: <a@example.org>"))
    assert not mail.list_id
    assert mail.precedence == ""
    assert mail.auto_submitted == ""
    assert not mail.autoreply
    assert not mail.return_path_empty
    assert not mail.keepwarm_mark


def test_x_autoreply_is_read() -> None:
    assert parse_headers(raw("From: a@example.org", "X-Autoreply: yes")).autoreply


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("From: alice@example.org (Alice Example)", "Alice Example"),
        ('From: "Example, Alice" <alice@example.org>', "Example, Alice"),
        ("From: Alice <alice@example.org>,", "Alice"),
        ("From: <alice@example.org>", ""),
    ],
)
def test_ordinary_single_sender_forms_are_one_sender(header: str, name: str) -> None:
    mail = parse_headers(raw(header, "To: naomi@example.com"))
    assert mail.from_ == (Mailbox(name, "alice@example.org"),)
    assert classify(mail, WHO, NOW, "INBOX").skip is None
