"""keepwarm mails the owner and nobody else, and a hostile contact name cannot reach the HTML."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from keepwarm.config import ServerConfig
from keepwarm.mail.smtp import RecipientRefusedError, SmtpSender, guard
from keepwarm.ports import SendResult
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, html_of, text_of
from tests.testbed.fixtures import Account, AccountFactory, Testbed
from tests.testbed.smtp import SmtpServer

OWNER = "naomi@example.com"
STRANGER = "alice@example.org"
SCRIPT = "<script>alert(1)</script>"


def test_every_envelope_goes_to_the_owner_only(
    testbed: Testbed,
    account: Account,
    account_factory: AccountFactory,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    # The contacts have real mailboxes on this server: a message to them would be accepted.
    friends = [account_factory("friend") for _ in range(3)]
    outgoing = Outgoing(smtp_server)
    for mode in ("each", "digest"):
        config = make_config(reminder_mode=mode, state_dir=str(tmp_path / f"state-{mode}"))
        store = Store(config.state_dir)
        for number, friend in enumerate(friends):
            add_contact(store, f"Friend {number}", friend.address, days_since=40 + number, now=MORNING)
        service = build_service(config, store)
        service.remind(MORNING)
        service.remind(MORNING + timedelta(days=3))  # the repeats

    envelopes = outgoing.envelopes
    assert len(envelopes) == 3 + 3 + 1 + 1
    assert {e.rcpt_tos for e in envelopes} == {(account.address,)}
    assert {e.mail_from for e in envelopes} == {account.plus("keepwarm")}
    for msg in outgoing.messages():
        assert msg["To"] == account.address
        assert msg["Cc"] is None and msg["Bcc"] is None
    for friend in friends:
        assert smtp_server.received_for(friend.address) == []
        assert testbed.messages(friend, "INBOX") == {}


def _message(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "keepwarm <naomi+keepwarm@example.com>"
    msg["Subject"] = "Check in with Alice"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Hi")
    return msg


@pytest.mark.parametrize(
    "to", [OWNER, f"Naomi <{OWNER}>", "NAOMI@EXAMPLE.COM"], ids=["bare", "named", "upper-case"]
)
def test_guard_passes_mail_to_the_owner(to: str) -> None:
    assert guard(_message(To=to), frozenset({OWNER})) == [OWNER]


@pytest.mark.parametrize(
    "headers",
    [
        {"To": STRANGER},
        {"To": f"{OWNER}, {STRANGER}"},
        {"To": OWNER, "Cc": STRANGER},
        {"To": OWNER, "Bcc": STRANGER},
        {"To": f'"{OWNER}" <{STRANGER}>'},  # the owner's address as a display name only
        {},
    ],
    ids=["to", "to-both", "cc", "bcc", "display-name", "nobody"],
)
def test_guard_refuses_anyone_else(headers: dict[str, str]) -> None:
    with pytest.raises(RecipientRefusedError, match="only the owner gets mail"):
        guard(_message(**headers), frozenset({OWNER}))


@contextlib.contextmanager
def _listener() -> Iterator[socket.socket]:
    """A socket that accepts connections but never answers: shows whether anyone connected."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def test_smtp_sender_refuses_before_connecting() -> None:
    """A message with any recipient but the owner fails for good, and never reaches a server."""
    results: list[SendResult] = []
    with _listener() as sock:
        server = ServerConfig("smtp", "127.0.0.1", sock.getsockname()[1], "none", None, None, None)
        sender = SmtpSender(server, "naomi+keepwarm@example.com", frozenset({OWNER}), timeout=2)

        returned = sender.send([(2, _message(To=OWNER, Cc=STRANGER))], results.append)

        with pytest.raises(BlockingIOError):
            sock.accept()  # nobody connected
    assert returned == results
    assert [(r.item_id, r.sent, r.permanent) for r in results] == [(2, False, True)]
    assert STRANGER in (results[0].error or "")


def test_a_script_tag_in_a_name_is_escaped_in_html_and_readable_in_text(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    add_contact(store, SCRIPT, "xss@example.org", days_since=40, now=MORNING)
    outgoing = Outgoing(smtp_server)

    assert build_service(config, store).remind(MORNING)[0] == 1

    [msg] = outgoing.messages()
    html = html_of(msg)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = text_of(msg)
    assert f"Draft for {SCRIPT} <xss@example.org>" in text
    assert f"Hi {SCRIPT}," in text
    assert msg["Subject"] == f"Check in with {SCRIPT} — 40 days"
    # The draft behind the HTML button still carries the name, URL-encoded, not mangled.
    link = html.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert f"Hi {SCRIPT}," in parse_qs(urlparse(link).query)["body"][0]
