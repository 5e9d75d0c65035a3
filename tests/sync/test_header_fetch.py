"""The header fetch against the real Dovecot: its own reader returns exactly what imapclient's
fetch returns for the same messages (odd, 8-bit and huge headers included), it is the reader the
test bed's answers take, every other way gives the same, and no flag changes (never \\Seen)."""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError

from keepwarm.errors import TransientError
from keepwarm.mail import fetched, imap
from keepwarm.mail.imap import ImapMailbox
from keepwarm.ports import RawMail
from tests.sync.support import append_all, build, flag_snapshot, open_mailbox
from tests.testbed.fixtures import Account, Testbed

WHEN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
ODD: list[tuple[bytes, tuple[bytes, ...], dt.datetime | None]] = [
    (build([("From", "Alice <alice@example.org>"), ("To", "owner@example.com")]), (), WHEN),
    # Text that looks like the response around it: parentheses, a UID, a literal's size, a key.
    (
        build(
            [
                ("From", '"Bob (work)" <bob@example.org>'),
                ("Subject", "Re: (UID 12) {5} )"),
                ("To", "x@example.com)"),
                ("Message-ID", "<a)b@example.org>"),
                ("References", 'BODY[HEADER.FIELDS (FROM)] NIL "quoted" ('),
            ]
        ),
        (b"\\Seen",),
        WHEN - dt.timedelta(days=400),
    ),
    # Raw 8-bit: Latin-1 and UTF-8 bytes, as old and new clients write them.
    (
        build([("From", "J\xf6rg <j@example.de>".encode("latin-1")), ("Subject", b"caf\xe9")]),
        (b"\\Flagged",),
        None,
    ),
    (build([("From", "Zoë <zoe@example.org>"), ("Subject", "日本語 ✓")]), (b"$Label1", b"\\Answered"), None),
    # Folded over many lines, with tabs.
    (
        build([("From", "c@example.org"), ("To", "a@example.com,\r\n\tb@example.com,\r\n c@example.com")]),
        (),
        None,
    ),
    # None of the fields keepwarm asks for: an empty block.
    (
        build([("X-Other", "only this")]),
        (),
        dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.timezone(-dt.timedelta(hours=8))),
    ),
    # A header a hundred kilobytes long.
    (
        build([("From", "d@example.org"), ("Cc", ", ".join(f"p{i}@example.net" for i in range(5000)))]),
        (),
        None,
    ),
]


def _fill(testbed: Testbed, account: Account) -> None:
    append_all(testbed, account, [("INBOX", raw, flags, when) for raw, flags, when in ODD])


def _imapclients(box: ImapMailbox, uids: list[int]) -> list[RawMail]:
    """What imapclient's own fetch gives for the same UIDs, as fetch_headers gives it."""
    found = fetched.from_imapclient(box._client.fetch(uids, [imap._PEEK, "INTERNALDATE"]))
    return [RawMail(uid, *found[uid]) for uid in uids if uid in found]


def _assert_same(fast: list[RawMail], slow: list[RawMail]) -> None:
    assert fast == slow and len(fast) == len(ODD)
    for a, b in zip(fast, slow, strict=True):
        assert a.internal_date is not None and b.internal_date is not None
        assert a.internal_date.utcoffset() == b.internal_date.utcoffset()


@pytest.fixture
def box(testbed: Testbed, account: Account) -> Iterator[ImapMailbox]:
    _fill(testbed, account)
    mailbox = open_mailbox(testbed, account)
    mailbox.open("INBOX")
    try:
        yield mailbox
    finally:
        mailbox.close()


def test_the_fast_reader_returns_what_imapclient_returns_and_no_flag_changes(
    testbed: Testbed, account: Account, box: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = flag_snapshot(testbed, account, ["INBOX"])
    uids = box.uids_after(0, None)
    # The test bed's answers are read by the fast reader: imapclient's parser is never asked.
    general: list[object] = []
    monkeypatch.setattr(imap, "parse_fetch_response", lambda *a, **k: general.append(a))

    fast = list(box.fetch_headers(uids))

    assert general == []
    _assert_same(fast, _imapclients(box, uids))
    assert fast[1].headers.startswith(b'From: "Bob (work)"') and b"{5} )" in fast[1].headers
    assert fast[5].headers == b"\r\n"
    assert fast[0].internal_date == WHEN
    assert flag_snapshot(testbed, account, ["INBOX"]) == before


def test_an_answer_the_fast_reader_does_not_know_is_read_by_imapclient(
    box: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = box.uids_after(0, None)
    monkeypatch.setattr(imap, "read_fetch", lambda data: None)
    _assert_same(list(box.fetch_headers(uids)), _imapclients(box, uids))


class _WithoutImaplib:
    """An IMAPClient as a later version might be: no ``_imap`` attribute."""

    _imap = None

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_without_imaplib_inside_imapclient_the_fetch_is_imapclients(box: ImapMailbox) -> None:
    uids = box.uids_after(0, None)
    slow = _imapclients(box, uids)
    box._client = _WithoutImaplib(box._client)
    _assert_same(list(box.fetch_headers(uids)), slow)


def test_imapclient_still_keeps_its_imaplib_connection_where_the_fast_fetch_looks(box: ImapMailbox) -> None:
    """keepwarm.mail.imap sends the header fetch through ``IMAPClient._imap``, a private attribute
    (imapclient 3.x and 4.x): if a new imapclient drops it, the fetch quietly becomes imapclient's
    own and slow again. This test is what says so."""
    assert isinstance(box._client._imap, imaplib.IMAP4)
    assert box._client.use_uid and box._client.normalise_times is False


def test_imaplibs_trace_is_skipped_unless_its_logger_shows_debug(
    box: ImapMailbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = box.uids_after(0, None)
    conn = box._client._imap
    level, during = conn.debug, []
    real = conn.uid

    def uid(*args: Any) -> Any:
        during.append(conn.debug)
        return real(*args)

    monkeypatch.setattr(conn, "uid", uid)
    with caplog.at_level(logging.INFO, logger="imapclient.imaplib"):
        quiet = list(box.fetch_headers(uids))
    assert conn.debug == level == 5 and during == [0]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        traced = list(box.fetch_headers(uids))
    assert traced == quiet and during == [0, 5]
    assert "UID FETCH" in caplog.text and "Subject: Re: (UID 12)" in caplog.text  # the trace as before
    assert box._client._imap.debug == level


def _failing_uid(
    real: Callable[..., Any], error: Exception | tuple[str, list[bytes]], *, batches_only: bool
) -> Callable[..., Any]:
    """imaplib's ``uid`` failing (raising ``error``, or answering it) for every FETCH, or only for
    those of more than one UID."""

    def uid(command: str, ids: str, *args: Any) -> Any:
        if batches_only and "," not in ids:
            return real(command, ids, *args)
        if isinstance(error, Exception):
            raise error
        return error

    return uid


@pytest.mark.parametrize(
    "refusal",
    [IMAPClientError("UID command error: BAD [b'Error in IMAP command']"), ("NO", [b"[SERVERBUG]"])],
)
def test_a_batch_the_server_refuses_is_fetched_one_by_one(
    box: ImapMailbox, monkeypatch: pytest.MonkeyPatch, refusal: Exception | tuple[str, list[bytes]]
) -> None:
    uids = box.uids_after(0, None)
    slow = _imapclients(box, uids)
    conn = box._client._imap
    monkeypatch.setattr(conn, "uid", _failing_uid(conn.uid, refusal, batches_only=True))
    _assert_same(list(box.fetch_headers(uids)), slow)


def test_a_message_the_server_refuses_alone_is_skipped(
    box: ImapMailbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    uids = box.uids_after(0, None)
    conn = box._client._imap
    monkeypatch.setattr(conn, "uid", _failing_uid(conn.uid, ("NO", [b"[SERVERBUG]"]), batches_only=False))
    assert list(box.fetch_headers(uids)) == []
    assert f"UID {uids[0]} cannot be fetched, skipped: fetch failed: [SERVERBUG]" in caplog.text


@pytest.mark.parametrize("error", [imaplib.IMAP4.abort("socket error: EOF"), TimeoutError("timed out")])
def test_a_dead_connection_during_the_fetch_is_a_transient_error(
    box: ImapMailbox, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    uids = box.uids_after(0, None)
    conn = box._client._imap
    monkeypatch.setattr(conn, "uid", _failing_uid(conn.uid, error, batches_only=False))
    with pytest.raises(TransientError, match="IMAP FETCH failed"):
        list(box.fetch_headers(uids))
