"""The bugs the hostile suite found, each pinned by its smallest input; docstrings say what was wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from keepwarm.domain.commands import CommandError, parse_daemon_mail, parse_reply
from keepwarm.mail import compose
from keepwarm.mail.message import parse_headers
from keepwarm.mail.reply import body_text, new_text
from tests.hostile.support import (
    ALICE,
    DAEMON,
    EVE,
    NOW,
    OWNER,
    header_fields,
    message,
    outgoing_problems,
    seed,
)

# -- parse_headers: an RFC 2047 word with a non-ASCII charset name --------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            b"From: =?\xc3\xa9?q?Eve?= <eve@evil.example>\r\nTo: naomi@example.com\r\n\r\n", id="from"
        ),
        pytest.param(b"From: eve@evil.example\r\nSubject: =?\xc3\xa9?q?hi?=\r\n\r\n", id="subject"),
        pytest.param(b"From: eve@evil.example\r\nTo: =?\x80?B??= <naomi@example.com>\r\n\r\n", id="to"),
    ],
)
def test_parse_headers_survives_a_non_ascii_charset_name(raw: bytes) -> None:
    """message._decoded catches (HeaderParseError, LookupError, UnicodeError, ValueError), but
    email.header.make_header raises email.errors.CharsetError (a MessageError) for a charset name
    that is not ASCII."""
    mail = parse_headers(raw, NOW)
    assert mail.from_ and mail.from_[0].address == EVE


def test_one_strangers_mail_does_not_wedge_the_poll(tmp_path: Path) -> None:
    """Anyone can send it: the batch holding it raises in parse_headers, is never committed, and
    every later poll fetches it again and raises again, so no touch and no command is ever read."""
    keepwarm = seed(tmp_path)
    keepwarm.mailbox.add(
        message(("From", "=?\u00e9?q?Eve?= <eve@evil.example>"), ("To", OWNER), ("Subject", "hi")), NOW
    )
    keepwarm.mailbox.add(message(("From", OWNER), ("To", ALICE), ("Subject", "Lisbon!")), NOW)
    keepwarm.receive(message(("From", ALICE), ("To", OWNER), ("Subject", "Re: Lisbon!")), NOW)
    assert {t.address for t in keepwarm.store.touches() if t.at == NOW} == {ALICE, EVE}


# -- body_text / new_text: charsets that are no text codec, and html.parser's AssertionError --------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("text/plain; charset=undefined", b"done\r\n", id="charset-undefined"),
        pytest.param('text/plain; charset="utf-8\x00"', b"done\r\n", id="charset-with-nul"),
        pytest.param("text/html", b"<p>done</p><![foo[ x ]]>\r\n", id="html-marked-section"),
    ],
)
def test_body_readers_never_raise(content_type: str, body: bytes) -> None:
    """reply._decoded catches only LookupError and UnicodeDecodeError, but bytes.decode raises
    UnicodeError for the 'undefined' codec and ValueError for a name with NUL; html2text lets
    html.parser's AssertionError ("unknown status keyword 'foo' in marked section") through."""
    raw = f"From: {OWNER}\r\nTo: {DAEMON}\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
    assert isinstance(body_text(raw), str)
    assert isinstance(new_text(raw), str)


# -- command parsing: errors other than CommandError -----------------------------------------------


def test_a_superscript_is_a_note_not_an_entry_number() -> None:
    """'²' passes str.isdigit() but is no entry number: it is the note of a plain 'done'."""
    [command] = parse_reply("done \u00b2")
    assert (command.verb, command.entry, command.text) == ("done", None, "\u00b2")


@pytest.mark.parametrize(
    ("subject", "text", "reply"),
    [
        pytest.param("", "every " + "9" * 309 + "d", True, id="reply-infinite-cadence"),
        pytest.param("drop opener \u00b2", "", False, id="daemon-superscript-opener"),
        pytest.param("", f"add Eve <{EVE}> every {'9' * 309}d", False, id="daemon-infinite-cadence"),
    ],
)
def test_command_parsers_raise_only_command_error(subject: str, text: str, reply: bool) -> None:
    """str.isdigit() accepts '²' but int() refuses it (ValueError, outside the try in parse_line and
    in _special); 309 nines overflow float() to inf and round() raises OverflowError in
    parse_cadence, which parse_line and parse_daemon_line do not catch."""
    with pytest.raises(CommandError):
        parse_reply(text) if reply else parse_daemon_mail(subject, text)


def test_an_owners_odd_command_is_answered_not_a_crash(tmp_path: Path) -> None:
    """The ValueError above escapes CommandHandler.handle, fails the poll's transaction, and the
    message is fetched again on every poll: the owner's own typo wedges keepwarm."""
    keepwarm = seed(tmp_path)
    raw = message(("From", OWNER), ("To", DAEMON), ("Subject", "drop opener \u00b2"))
    outcome = keepwarm.handler.handle(parse_headers(header_fields(raw), NOW), raw, NOW)
    assert outcome == "command-error"


# -- compose.build: RFC 2047 words are decoded after one_line, so CR/LF comes back ------------------


@pytest.mark.parametrize(
    ("subject", "in_reply_to", "references"),
    [
        pytest.param("Check in with =?utf-8?q?Eve=0D=0AX-Injected:_1?=", None, (), id="subject"),
        pytest.param("Re: lunch", "=?utf-8?q?x=0D=0AX-Injected:_1?=@evil.example", (), id="in-reply-to"),
        pytest.param(
            "Re: lunch", "o-1@example.com", ("=?utf-8?q?x=0D=0AX-Injected:_1?=@x",), id="references"
        ),
    ],
)
def test_build_writes_no_header_from_an_encoded_word(
    subject: str, in_reply_to: str | None, references: tuple[str, ...]
) -> None:
    """EmailMessage decodes RFC 2047 words in the value it is given (one_line ran before that), and
    this Python's generator (3.11 before 3.11.10, CVE-2024-6923) folds the decoded CR/LF out as is."""
    msg = compose.build(
        kind="confirmation",
        daemon_address=DAEMON,
        owner_address=OWNER,
        subject=subject,
        text="Hello.\n",
        html=None,
        token="r1-0-aaaaaaaaaaaaaaaa",
        now=NOW,
        plus_addressing=True,
        in_reply_to=in_reply_to,
        references=references,
    )
    assert outgoing_problems(msg.as_string()) == []


def test_a_contact_name_holding_an_encoded_word_stays_in_the_subject(tmp_path: Path) -> None:
    """add =?utf-8?q?Eve=0D=0ABcc:_eve@evil.example?= <eve@…> stores the name verbatim; the reminder
    subject then carries "Bcc: eve@evil.example" as a header of its own. The guard refuses it, and
    since SmtpSender checks the whole batch first, no reminder is ever delivered again."""
    keepwarm = seed(tmp_path, trust_from=True)  # the owner trusts From: adding by mail works
    raw = message(
        ("From", OWNER),
        ("To", DAEMON),
        ("Subject", "new contact"),
        body=f"add =?utf-8?q?Eve=0D=0ABcc:_{EVE}?= <{EVE}>\n",
        content_type="text/plain",
    )
    assert keepwarm.receive(raw, NOW).commands == {"applied": 1}
    keepwarm.remind(NOW + timedelta(days=45))
    subjects = [item.raw for item in keepwarm.outbox("reminder")]
    assert all(outgoing_problems(raw) == [] for raw in subjects), subjects
    keepwarm.deliver(NOW + timedelta(days=45))  # raised RecipientRefusedError before the fix


def test_a_strangers_message_id_cannot_add_a_header_to_a_confirmation(tmp_path: Path) -> None:
    """The owner answers Eve and puts keepwarm in Cc: the reply is a command message (not one: a
    command-error answer), and its References carry Eve's Message-ID, which she chose:
    <=?utf-8?q?x=0D=0ABcc:_eve@evil.example=0D=0AX:_?=@evil.example>."""
    keepwarm = seed(tmp_path)
    eve_id = f"=?utf-8?q?x=0D=0ABcc:_{EVE}=0D=0AX:_?=@evil.example"
    raw = message(
        ("From", OWNER),
        ("To", EVE),
        ("Cc", DAEMON),
        ("Subject", "Re: lunch"),
        ("Message-ID", "<o-1@example.com>"),
        ("In-Reply-To", f"<{eve_id}>"),
        ("References", f"<{eve_id}>"),
        body="Sounds good, see you then.\n",
        content_type="text/plain",
    )
    assert keepwarm.receive(raw, NOW).commands == {"no-command": 1}  # answered all the same
    (answer,) = keepwarm.outbox("confirmation")
    assert outgoing_problems(answer.raw) == [], answer.raw
