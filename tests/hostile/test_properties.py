"""Generated hostile mail (hypothesis): parsers and the command handler never raise, mail only the owner."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepwarm.domain.classify import Identity, SkipReason, classify
from keepwarm.domain.commands import CommandError, parse_daemon_mail, parse_reply
from keepwarm.domain.ingest import Known, plan_batch
from keepwarm.domain.model import Contact
from keepwarm.mail.message import parse_headers
from keepwarm.mail.reply import body_text, new_text
from tests.hostile.strategies import (
    VALID_TOKEN,
    body_message,
    command_message,
    command_text,
    header_value,
    raw_message,
)
from tests.hostile.support import (
    ACCEPTED,
    ALICE,
    DAEMON,
    NOW,
    OWNER,
    SERVID,
    Keepwarm,
    clone,
    header_fields,
    hostile_settings,
    outgoing_problems,
    seed,
    strict_senders,
    who,
)

WHO = who()
ALIASED = Identity(frozenset({OWNER, "naomi@old.example"}), DAEMON, max_recipients=3)
CONTACT = Contact("Alice Example", (ALICE,), NOW - timedelta(days=400), id=1, cadence_days=30)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str | None, Keepwarm]]:
    """Seeded stores (with and without AUTH_SERVID) that each example copies."""
    base = tmp_path_factory.mktemp("hostile-templates")
    found = {servid: seed(base / str(servid), servid=servid) for servid in (None, SERVID)}
    assert found[None].reminder_token() == VALID_TOKEN  # the strategies' token is the real one
    yield found


@hostile_settings()
@given(raw=st.one_of(raw_message(), header_value()))
def test_parse_headers_never_raises(raw: bytes) -> None:
    for block in (raw, header_fields(raw)):
        mail = parse_headers(block, NOW)
        assert mail.key
        assert len(mail.subject) <= 300
        assert mail.date is None or mail.date.tzinfo is not None
        for box in (*mail.from_, *mail.to, *mail.cc, *mail.bcc):
            assert box.address == box.address.lower()


@hostile_settings()
@given(raws=st.lists(raw_message(), min_size=1, max_size=4), aliased=st.booleans())
def test_classify_and_plan_batch_never_raise(raws: list[bytes], aliased: bool) -> None:
    identity = ALIASED if aliased else WHO
    mails = [(parse_headers(header_fields(raw), NOW), "imap:INBOX") for raw in raws]
    for mail, source in mails:
        verdict = classify(mail, identity, NOW, source)
        assert (verdict.skip is None) == bool(verdict.touches)
        for touch in verdict.touches:
            assert not identity.is_daemon(touch.address)
    known = Known({mails[0][0].key}, set(), {ALICE: CONTACT})
    plan = plan_batch([*mails, *mails], identity, known, NOW)
    for command in plan.commands:
        assert classify(command, identity, NOW, "x").skip is SkipReason.COMMAND
    for contact in plan.new_contacts:
        assert not any(identity.is_owner(a) or identity.is_daemon(a) for a in contact.emails)


@hostile_settings()
@given(raw=st.one_of(body_message(), raw_message(), command_message()))
def test_body_text_and_new_text_never_raise(raw: bytes) -> None:
    assert isinstance(body_text(raw), str)
    assert isinstance(new_text(raw), str)


@hostile_settings()
@given(
    subject=st.one_of(command_text(), header_value().map(lambda b: b.decode("latin-1"))), text=command_text()
)
def test_command_parsers_raise_only_command_error(subject: str, text: str) -> None:
    with contextlib.suppress(CommandError):
        assert parse_reply(text), "no commands and no CommandError"
    with contextlib.suppress(CommandError):
        assert parse_daemon_mail(subject, text), "no commands and no CommandError"


@hostile_settings(share=0.5)
@given(raw=command_message(), servid=st.sampled_from([None, SERVID]))
def test_handler_never_raises_and_mails_only_the_owner(
    templates: dict[str | None, Keepwarm], raw: bytes, servid: str | None
) -> None:
    with clone(templates[servid]) as keepwarm:
        before = keepwarm.state()
        mail = parse_headers(header_fields(raw), NOW)
        outcome = keepwarm.handler.handle(mail, raw, NOW)
        assert outcome in (*ACCEPTED, "rejected", "ignored-automatic")
        if outcome in ACCEPTED:
            # Taken as the owner's: the strict parser must not see anyone else in From (it may see
            # nobody: it gives up on a header block at the first malformed line).
            assert not [a for a in strict_senders(raw) or [] if a != OWNER], strict_senders(raw)
        else:
            assert keepwarm.state() == before  # refused: nothing changed
        for item in keepwarm.kept():
            assert outgoing_problems(item.raw) == [], item.raw
        keepwarm.deliver(NOW + timedelta(minutes=1))
        for sent in keepwarm.sender.sent:
            assert sent.recipients == (OWNER,)
            assert outgoing_problems(sent.wire) == [], sent.wire
