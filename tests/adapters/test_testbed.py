"""Proof that the loopback mail test bed behaves like the real thing the adapters face.

Verified TLS on IMAPS and STARTTLS, real password checks, SPECIAL-USE folders, PEEK
semantics, SMTP submission that really lands in an INBOX with the plus tag preserved,
relay refusal, and the fault switch. If these fail, adapter test failures mean nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ssl
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
import imapclient
import pytest
from imapclient.exceptions import LoginError

from tests.testbed.fixtures import Account, AccountFactory, Testbed
from tests.testbed.smtp import SmtpServer

SmtpMode = Literal["starttls", "tls"]


def _raw(subject: str, to: str = "owner@example.com") -> bytes:
    return (
        f"From: Friend <friend@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Message-ID: <testbed@example.org>\r\n\r\nHello there.\r\n"
    ).encode()


def _message(account: Account, to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = account.address
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Time to write to Alice.")
    return message


def _send(
    testbed: Testbed,
    account: Account,
    message: EmailMessage,
    mode: SmtpMode = "starttls",
    password: str | None = None,
) -> None:
    port = testbed.smtp_starttls_port if mode == "starttls" else testbed.smtp_tls_port
    asyncio.run(
        aiosmtplib.send(
            message,
            hostname=testbed.host,
            port=port,
            username=account.address,
            password=account.password if password is None else password,
            use_tls=mode == "tls",
            start_tls=mode == "starttls",
            tls_context=testbed.ssl_context(),
            # Default is socket.getfqdn(), which can stall for seconds without DNS.
            local_hostname="client.example.com",
            timeout=10,
        )
    )


# -- IMAP ------------------------------------------------------------------------


def test_imaps_login_verifies_the_test_ca(testbed: Testbed, account: Account) -> None:
    with testbed.imap_client(account, tls="ssl") as client:
        sock = client.socket()
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.context.verify_mode == ssl.CERT_REQUIRED
        assert sock.context.check_hostname
        assert sock.getpeercert()  # empty unless the chain was actually validated
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_imaps_is_refused_without_the_test_ca(testbed: Testbed) -> None:
    # The system trust store does not know the trustme CA: proves verification is real.
    with pytest.raises(ssl.SSLCertVerificationError):
        imapclient.IMAPClient(
            testbed.host, testbed.imaps_port, ssl_context=ssl.create_default_context(), timeout=5
        )


def test_plain_port_offers_starttls_and_logs_in_after_it(testbed: Testbed, account: Account) -> None:
    plain = imapclient.IMAPClient(testbed.host, testbed.imap_port, ssl=False, timeout=5)
    try:
        assert plain.has_capability("STARTTLS")
    finally:
        plain.shutdown()
    with testbed.imap_client(account, tls="starttls") as client:
        assert isinstance(client.socket(), ssl.SSLSocket)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_wrong_password_is_rejected(testbed: Testbed, account: Account) -> None:
    impostor = Account(account.user, account.address, account.password + "-wrong")
    with pytest.raises(LoginError):
        testbed.imap_client(impostor)


def test_fresh_accounts_log_in_immediately(testbed: Testbed, account_factory: AccountFactory) -> None:
    # Several accounts within one second: Dovecot must not serve a stale passwd view.
    fresh = [account_factory("burst") for _ in range(5)]
    assert len({a.user for a in fresh}) == 5
    for each in fresh:
        with testbed.imap_client(each) as client:
            assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_sent_folder_is_found_by_special_use(testbed: Testbed, account: Account) -> None:
    with testbed.imap_client(account) as client:
        assert client.find_special_folder(imapclient.imapclient.SENT) == "Sent"
        assert client.find_special_folder(imapclient.imapclient.ARCHIVE) == "Archive"


def test_append_then_peek_leaves_message_unseen(testbed: Testbed, account: Account) -> None:
    when = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    uid = testbed.append(account, "Sent", _raw("Lunch?"), msg_time=when)
    assert uid is not None
    with testbed.imap_client(account) as client:
        client.select_folder("Sent")
        body = client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "INTERNALDATE"])[uid]
        assert b"Lunch?" in body[b"BODY[HEADER.FIELDS (SUBJECT)]"]
        # imapclient hands back INTERNALDATE as naive local time.
        assert body[b"INTERNALDATE"].astimezone(dt.UTC) == when
        assert b"\\Seen" not in client.get_flags([uid])[uid]


def test_append_keeps_flags_it_is_given(testbed: Testbed, account: Account) -> None:
    uid = testbed.append(account, "INBOX", _raw("Read already"), flags=[b"\\Seen"])
    assert uid is not None
    with testbed.imap_client(account) as client:
        client.select_folder("INBOX", readonly=True)
        assert b"\\Seen" in client.get_flags([uid])[uid]


def test_lmtp_delivery_lands_in_inbox(testbed: Testbed, account: Account) -> None:
    testbed.deliver(account.plus("news"), _raw("Direct", to=account.plus("news")))
    (raw,) = testbed.messages(account).values()
    assert f"Delivered-To: {account.plus('news')}".encode() in raw


# -- SMTP ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_smtp_submission_lands_in_inbox_with_plus_tag(
    testbed: Testbed, smtp_server: SmtpServer, account: Account, mode: SmtpMode
) -> None:
    to = account.plus("keepwarm")
    _send(testbed, account, _message(account, to, f"Reminder via {mode}"), mode)

    (raw,) = testbed.messages(account).values()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == f"Reminder via {mode}"
    assert "+keepwarm" in parsed["Delivered-To"]
    (record,) = smtp_server.received_for(to)
    assert record.rcpt_tos == (to,)
    assert record.mail_from == account.address
    assert record.login == account.address
    with testbed.imap_client(account) as client:  # messages() peeked: still unread
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) != []


@pytest.mark.parametrize(
    "recipient", ["someone@example.org", "nobody-here@example.com"], ids=["relay", "unknown"]
)
def test_smtp_refuses_recipients_without_a_mailbox(
    testbed: Testbed, smtp_server: SmtpServer, account: Account, recipient: str
) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        _send(testbed, account, _message(account, recipient, "Escape?"))
    assert [error.code for error in refused.value.recipients] == [550]
    assert smtp_server.received_for(recipient) == []


def test_smtp_rejects_wrong_password(testbed: Testbed, account: Account) -> None:
    message = _message(account, account.address, "Nope")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as failed:
        _send(testbed, account, message, "tls", password="not-it")
    assert failed.value.code == 535
    assert testbed.messages(account) == {}


def test_fail_next_fails_one_send_then_recovers(
    testbed: Testbed, smtp_server: SmtpServer, account: Account
) -> None:
    smtp_server.fail_next(code=451, message="4.3.0 try later", count=1)
    with pytest.raises(aiosmtplib.SMTPResponseException) as failed:
        _send(testbed, account, _message(account, account.address, "First try"))
    assert failed.value.code == 451
    assert "try later" in failed.value.message
    assert testbed.messages(account) == {}

    _send(testbed, account, _message(account, account.address, "Second try"))
    (raw,) = testbed.messages(account).values()
    assert b"Subject: Second try" in raw
    assert [r.rcpt_tos for r in smtp_server.received_for(account.address)] == [(account.address,)]


def test_fail_next_can_refuse_the_sender(testbed: Testbed, smtp_server: SmtpServer, account: Account) -> None:
    smtp_server.fail_next(code=452, message="4.3.1 out of room", stage="MAIL")
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        _send(testbed, account, _message(account, account.address, "Blocked"))
    assert refused.value.code == 452


def test_fail_next_can_refuse_a_recipient_once(
    testbed: Testbed, smtp_server: SmtpServer, account: Account
) -> None:
    smtp_server.fail_next(code=452, message="4.3.1 out of room", stage="RCPT")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        _send(testbed, account, _message(account, account.address, "Blocked"))
    assert [error.code for error in refused.value.recipients] == [452]

    _send(testbed, account, _message(account, account.address, "Unblocked"))
    assert len(testbed.messages(account)) == 1
