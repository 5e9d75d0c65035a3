"""Reading an invitation's calendar on the real Dovecot: BODYSTRUCTURE finds the text/calendar
part in Google's and Outlook's shapes, only that part is fetched and decoded, other messages give
nothing, and no flag changes (never \\Seen); a large batch is narrowed first by the server's
SEARCH BODY."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError

from keepwarm.mail.message import parse_headers
from keepwarm.mail.structure import may_hold_invitation, sequence_set
from tests.sync.support import build, flag_snapshot, open_mailbox
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.invites import google, ics, outlook

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MEETING = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_the_calendar_part_alone_is_read_from_google_and_outlook_invitations(
    testbed: Testbed, account: Account
) -> None:
    event = ics("abc@google.com", MEETING, "alice@example.org", [(account.address, "NEEDS-ACTION")])
    messages = [
        google("Alice <alice@example.org>", account.address, SENT, event, "g1@x", "Coffee"),
        outlook(
            "Bob <bob@example.org>", account.address, SENT, event.replace("abc@google", "o@o"), "o1@x", "Tea"
        ),
        build([("From", "Carol <carol@example.org>"), ("To", account.address), ("Subject", "plain")]),
    ]
    for raw in messages:
        testbed.append(account, "INBOX", raw)
    before = flag_snapshot(testbed, account)
    mailbox = open_mailbox(testbed, account)
    try:
        mailbox.open("INBOX")
        headers = {r.uid: parse_headers(r.headers) for r in mailbox.fetch_headers([1, 2, 3])}
        found = mailbox.invitations([1, 2, 3])
    finally:
        mailbox.close()

    assert [may_hold_invitation(headers[u].content_type) for u in (1, 2, 3)] == [True, True, False]
    # Google's part inside multipart/alternative, and not the invite.ics attachment as well.
    assert [b"UID:abc@google.com" in part for part in found[1]] == [True]
    assert b"ORGANIZER;CN=alice@example.org:mailto:alice@example.org" in found[1][0]
    assert [b"UID:o@o.com" in part for part in found[2]] == [True]  # quoted-printable, decoded
    assert 3 not in found
    assert flag_snapshot(testbed, account) == before


def _multipart(sender: str, to: str, msgid: str) -> bytes:
    """Everyday mail as today's clients write it: text and HTML, no calendar."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Hi\r\nMessage-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        "--alt\r\nContent-Type: text/plain\r\n\r\nHello.\r\n"
        "--alt\r\nContent-Type: text/html\r\n\r\n<p>Hello.</p>\r\n--alt--\r\n"
    ).encode()


class _Described:
    """Records which UIDs the server is asked to describe (BODYSTRUCTURE); the server still answers."""

    def __init__(self, client: Any) -> None:
        self.fetch = client.fetch
        self.uids: list[int] = []

    def __call__(self, uids: list[int], items: list[str], *args: Any, **kwargs: Any) -> Any:
        if items == ["BODYSTRUCTURE"]:
            self.uids += uids
        return self.fetch(uids, items, *args, **kwargs)


def test_a_large_batch_is_narrowed_by_the_servers_body_search_and_no_invitation_is_missed(
    testbed: Testbed, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill of multipart mail: SEARCH BODY finds the two invitations among 40 messages (base64
    and quoted-printable), and only they are described; a server refusing the search gets all 40."""
    event = ics("abc@google.com", MEETING, "alice@example.org", [(account.address, "NEEDS-ACTION")])
    for n in range(38):
        testbed.append(account, "INBOX", _multipart("Carol <carol@example.org>", account.address, f"m{n}@x"))
    testbed.append(
        account, "INBOX", google("Alice <alice@example.org>", account.address, SENT, event, "g@x", "A")
    )
    testbed.append(
        account, "INBOX", outlook("Bob <bob@example.org>", account.address, SENT, event, "o@x", "B")
    )
    uids = list(range(1, 41))
    mailbox = open_mailbox(testbed, account)
    try:
        mailbox.open("INBOX")
        described = _Described(mailbox._client)
        monkeypatch.setattr(mailbox._client, "fetch", described)
        found = mailbox.invitations(uids)
        assert sorted(found) == [39, 40] and described.uids == [39, 40]

        def refuse(*_: Any) -> None:
            raise IMAPClientError("SEARCH command error: BAD [b'Unknown search key']")

        monkeypatch.setattr(mailbox._client, "search", refuse)
        described.uids = []
        assert sorted(mailbox.invitations(uids)) == [39, 40] and described.uids == uids
    finally:
        mailbox.close()


def test_a_sequence_set_is_written_with_ranges() -> None:
    assert sequence_set([9, 1, 2, 3, 7, 10, 2]) == "1:3,7,9:10"
    assert sequence_set([5]) == "5"
