"""A reminder's draft can be forwarded to the contact without leaking anything of the owner's.

Every mail client forwards the whole message it shows: Gmail, Apple Mail, Outlook and Thunderbird
put the forwarded message's From, Date, Subject and To above its whole body (signature included:
clients strip a "-- " signature on reply at most) and carry its attachments along. So no layout of
one message keeps the reminder's own lines out of its forward, nor its subject ("Check in with…")
and keepwarm's From out of the header block. The draft therefore travels as a message of its own,
attached to the reminder (message/rfc822), from the owner to the contact: forwarded, or sent again
(Thunderbird's "Edit as New Message", Apple Mail's "Send Again"), it carries only the draft.
These tests build those forwards as the clients do and look at what they carry.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from keepwarm.config import Config
from keepwarm.domain.model import Contact, Note
from keepwarm.render import views
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import part_text
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, parse, text_of
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

NOTE = "moving to Hamburg in March, do not mention the divorce"


def forward_of(msg: EmailMessage) -> str:
    """What an inline forward of ``msg`` carries, as the four clients build it: the attribution
    block, every text part shown (plain and HTML), and every attachment, nested ones opened."""
    block = [
        "---------- Forwarded message ---------",
        *(f"{name}: {msg[name]}" for name in ("From", "Date", "Subject", "To") if msg[name]),
        "",
    ]
    carried = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            carried.append(part_text(part))
        elif part.get_content_type() == "message/rfc822":
            carried.append(part.as_string())
    return "\n".join(block + carried)


def attached_draft(reminder: EmailMessage) -> EmailMessage:
    """The one message/rfc822 attachment, as a client opens it."""
    parts = [p for p in reminder.iter_attachments() if p.get_content_type() == "message/rfc822"]
    assert len(parts) == 1, [p.get_content_type() for p in reminder.iter_attachments()]
    inner = parts[0].get_content()
    assert isinstance(inner, EmailMessage)
    return parse(inner.as_bytes())


ALICE = Contact(
    "Alice Example",
    ("alice@example.org",),
    MORNING - timedelta(days=400),
    cadence_days=30,
    notes=(Note(MORNING - timedelta(days=3), NOTE),),
)


def _reminder(testbed: Testbed, account: Account, config: Config, smtp: SmtpServer) -> EmailMessage:
    """Alice's reminder, as the owner receives it."""
    store = Store(config.state_dir)
    store.add_contact(ALICE)
    # She wrote last and has waited 10 days: the story says "you haven't replied", the draft answers.
    testbed.append(
        account,
        "INBOX",
        (
            f"From: Alice Example <alice@example.org>\r\nTo: {account.address}\r\nSubject: Trip photos\r\n"
            f"Date: {format_datetime(MORNING - timedelta(days=10))}\r\nMessage-ID: <trip@mail.example>\r\n"
            "\r\nhello\r\n"
        ).encode(),
    )
    service = build_service(config, store)
    service.poll(MORNING)
    outgoing = Outgoing(smtp)
    count, _ = service.remind(MORNING)
    assert count == 1
    [reminder] = outgoing.messages()
    return reminder


def test_a_forward_of_the_attached_draft_carries_the_draft_and_nothing_of_the_owners(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    reminder = _reminder(testbed, account, make_config(owed_after="7"), smtp_server)
    token = str(reminder["X-Keepwarm"]).split("token=", 1)[1]
    story = "Alice wrote 'Trip photos' 10 days ago and you haven't replied."
    assert story in text_of(reminder) and NOTE in text_of(reminder)  # the owner reads them

    draft = attached_draft(reminder)
    body = part_text(draft.get_body(("plain",)))  # type: ignore[arg-type]
    # The owner's own message to Alice, in the thread of her mail.
    assert getaddresses([str(draft["From"])]) == [("Naomi Owner", account.address)]
    assert getaddresses([str(draft["To"])]) == [("Alice Example", "alice@example.org")]
    assert draft["In-Reply-To"] == "<trip@mail.example>" and draft["References"] == "<trip@mail.example>"
    assert "Trip photos" in str(draft["Subject"])
    assert body.strip() and body.strip() in text_of(reminder)  # the same draft the reminder shows

    forwarded = forward_of(draft)
    assert body.strip() in forwarded
    private = [
        NOTE,
        "Hamburg",
        story,
        "haven't replied",
        "You wanted to be in touch",
        "Reply to this email",
        "One tap",
        token,
        "keepwarm",  # neither its From, its Reply-To nor its headers
        account.plus("keepwarm").split("@")[0],
        *(c["example"] for c in views.commands_view()),
        "snooze 2w",
        "mailto:",
    ]
    leaked = [p for p in private if p.lower() in forwarded.lower()]
    assert not leaked, (leaked, forwarded)


def test_a_forward_of_the_reminder_itself_would_carry_everything_which_is_why_the_draft_is_attached(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    reminder = _reminder(testbed, account, make_config(owed_after="7"), smtp_server)
    forwarded = forward_of(reminder)
    assert NOTE in forwarded and "Reply to Alice Example" in forwarded and "keepwarm" in forwarded
    # So the reminder says which to forward.
    assert 'forward the attached "Draft to Alice Example", not this' in text_of(reminder)


def test_a_digest_attaches_each_persons_draft_addressed_to_that_person(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(reminder_mode="digest")
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    add_contact(store, "Bob Example", "bob@example.org", days_since=50, now=MORNING)
    outgoing = Outgoing(smtp_server)

    build_service(config, store).remind(MORNING)

    [digest] = outgoing.messages()
    inner = [p.get_content() for p in digest.iter_attachments() if p.get_content_type() == "message/rfc822"]
    assert sorted(str(m["To"]) for m in inner) == [
        "Alice Example <alice@example.org>",
        "Bob Example <bob@example.org>",
    ]
    assert all("keepwarm" not in forward_of(m).lower() for m in inner)
