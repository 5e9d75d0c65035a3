"""Outgoing mail under hostile text (hypothesis): no injected header, owner only, one-line subjects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message
from hypothesis import given
from hypothesis import strategies as st

from keepwarm.app import reminders
from keepwarm.domain.due import CadenceSource, DueStatus, Standing
from keepwarm.domain.model import Contact
from keepwarm.domain.reminders import Pick
from keepwarm.mail import compose
from keepwarm.mail.smtp import guard
from tests.hostile.strategies import ENCODED_INJECTIONS, INJECTIONS, VALID_TOKEN, encoded_word
from tests.hostile.support import (
    ALICE,
    DAEMON,
    EVE,
    NOW,
    OWNER,
    Keepwarm,
    clone,
    hostile_settings,
    message,
    outgoing_problems,
    parse,
    seed,
)

_chars = st.characters(codec="utf-8")
# Text as hostile as a subject or a display name gets: any character, CR, LF, NUL, header-looking
# lines, and RFC 2047 words (some decoding to CR/LF, some encoded twice).
hostile_text = st.lists(
    st.one_of(
        st.text(_chars, max_size=12),
        st.sampled_from([*INJECTIONS, *ENCODED_INJECTIONS, "\r", "\n", "\x00", " ", "X-Injected: 1"]),
        encoded_word(),
    ),
    max_size=6,
).map("".join)
# Message ids as keepwarm keeps them: no whitespace, no angle brackets (see mail.message._MSGID).
message_ids = hostile_text.map(lambda s: "".join(s.split()).replace("<", "").replace(">", ""))


def _check(msg: EmailMessage) -> None:
    """The built message, as stored in the outbox and as put on the wire, is clean."""
    assert guard(msg, frozenset({OWNER})) == [OWNER]
    stored = msg.as_string()
    assert outgoing_problems(stored) == [], stored
    wire = flatten_message(parse(stored))  # what SmtpSender sends after the outbox reads it back
    assert outgoing_problems(wire) == [], wire


@hostile_settings()
@given(
    subject=hostile_text,
    in_reply_to=st.none() | message_ids,
    references=st.lists(message_ids, max_size=3),
    kind=st.sampled_from(["reminder", "digest", "confirmation", "rejection", "notice"]),
    html=st.booleans(),
)
def test_build_never_injects_a_header_and_passes_the_guard(
    subject: str, in_reply_to: str | None, references: list[str], kind: str, html: bool
) -> None:
    msg = compose.build(
        kind=kind,
        daemon_address=DAEMON,
        owner_address=OWNER,
        subject=subject,
        text="Hello.\n",
        html="<p>Hello.</p>" if html else None,
        token=VALID_TOKEN,
        now=NOW,
        plus_addressing=True,
        in_reply_to=in_reply_to,
        references=tuple(references),
    )
    _check(msg)


def _pick(name: str, address: str, days: int | None) -> Pick:
    contact = Contact(name, (address,), NOW - timedelta(days=400), id=1, cadence_days=30)
    standing = Standing(contact, 30, CadenceSource.CONTACT, None, None, DueStatus.OVERDUE, days, None)
    return Pick(standing, 1, None)


@hostile_settings()
@given(
    names=st.lists(hostile_text, min_size=1, max_size=5),
    days=st.none() | st.integers(0, 10**6),
)
def test_reminder_subjects_from_hostile_names_are_one_line(names: list[str], days: int | None) -> None:
    picks = [_pick(name, f"c{i}@example.org", days) for i, name in enumerate(names)]
    subject = reminders.subject_for(picks)
    assert len(subject.splitlines()) <= 1 and "\r" not in subject and "\n" not in subject, subject
    msg = compose.build(
        kind="reminder",
        daemon_address=DAEMON,
        owner_address=OWNER,
        subject=subject,
        text="Hello.\n",
        html=None,
        token=VALID_TOKEN,
        now=NOW,
        plus_addressing=True,
    )
    # One line as the owner's mail client shows it too, after decoding.
    shown = str(parse(msg.as_string())["Subject"])
    assert "\r" not in shown and "\n" not in shown, shown
    _check(msg)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keepwarm]:
    yield seed(tmp_path_factory.mktemp("compose-template"))


@hostile_settings(share=0.3)
@given(name=hostile_text, via_add=st.booleans())
def test_a_hostile_display_name_never_reaches_outgoing_headers(
    template: Keepwarm, name: str, via_add: bool
) -> None:
    """Eve's name becomes a contact (the owner BCCs keepwarm on a mail to her, or adds her by
    command), then appears in a confirmation and a reminder subject: both go to the owner alone,
    with keepwarm's headers only."""
    one_line = " ".join(name.replace('"', "'").replace("<", "(").replace(">", ")").split())
    if via_add:
        raw = message(
            ("From", OWNER),
            ("To", DAEMON),
            ("Subject", "new contact"),
            ("Message-ID", "<add-1@example.com>"),
            body=f"add {one_line} <{EVE}>\n",
            content_type='text/plain; charset="utf-8"',
        )
    else:
        raw = message(
            ("From", OWNER),
            ("To", f'"{one_line}" <{EVE}>'),
            ("Bcc", DAEMON),
            ("Subject", "Lunch?"),
            ("Message-ID", "<bcc-1@example.com>"),
            ("Date", "Fri, 20 Nov 2026 09:00:00 +0000"),
        )
    with clone(template) as keepwarm:
        keepwarm.receive(raw, NOW)
        keepwarm.remind(NOW + timedelta(days=45))  # Eve (and Alice) are due by now
        for item in keepwarm.kept():
            assert outgoing_problems(item.raw) == [], item.raw
        keepwarm.deliver(NOW + timedelta(days=45))
        for sent in keepwarm.sender.sent:
            assert sent.recipients == (OWNER,)
            assert outgoing_problems(sent.wire) == [], sent.wire
        assert {c.primary_email for c in keepwarm.store.contacts()} <= {ALICE, EVE}
