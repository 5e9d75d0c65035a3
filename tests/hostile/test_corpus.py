"""CPython's email test corpus through the whole pipeline: parse, classify, plan, poll, command, send."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepwarm.domain.classify import Identity, classify
from keepwarm.domain.ingest import Known, plan_batch
from keepwarm.mail.message import parse_headers
from keepwarm.mail.reply import body_text, new_text
from tests.hostile.support import (
    DAEMON,
    NOW,
    OWNER,
    Keepwarm,
    corpus_files,
    header_fields,
    outgoing_problems,
    seed,
    who,
)

FILES = corpus_files()
OUTCOMES = {"applied", "command-error", "no-command", "rejected", "ignored-automatic", "replayed"}


def test_the_corpus_is_there() -> None:
    if not FILES:
        pytest.skip("this Python ships without its test package (Lib/test/test_email/data)")
    assert len(FILES) >= 40


def _identities(raw: bytes) -> list[Identity]:
    """The fake owner (a stranger to the corpus), and the corpus sender posing as the owner with its
    first recipient as the daemon address, so that its body is read as commands."""
    mail = parse_headers(raw, NOW)
    found = [who()]
    if len(mail.from_) == 1 and mail.from_[0].address:
        recipients = [m.address for m in (*mail.to, *mail.cc) if m.address != mail.from_[0].address]
        found.append(who(frozenset({mail.from_[0].address}), recipients[0] if recipients else DAEMON))
    return found


def _check_sent(keepwarm: Keepwarm) -> None:
    """Everything queued reads back with keepwarm's own headers only, to the owner only, and sends."""
    owner = frozenset({keepwarm.owner})
    for item in keepwarm.kept():
        assert outgoing_problems(item.raw, owner) == [], item.raw
    keepwarm.deliver(NOW)
    for sent in keepwarm.sender.sent:
        assert set(sent.recipients) <= owner
        assert outgoing_problems(sent.wire, owner) == []


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_message_through_the_pipeline(path: Path, tmp_path: Path) -> None:
    raw = path.read_bytes()
    for index, identity in enumerate(_identities(raw)):
        owner = next(iter(identity.owner_emails))
        daemon = identity.daemon_address or DAEMON
        # Headers as IMAP hands them over (the fields keepwarm fetches), and the whole message.
        for block in (header_fields(raw), raw):
            mail = parse_headers(block, NOW)
            classify(mail, identity, NOW, "corpus")
            plan_batch([(mail, "imap:INBOX")] * 2, identity, Known(set(), set(), {}), NOW)
        assert isinstance(body_text(raw), str)
        assert isinstance(new_text(raw), str)

        # The file as a command message, handed straight to the handler…
        keepwarm = seed(tmp_path / f"direct-{index}", owner=owner, daemon=daemon)
        outcome = keepwarm.handler.handle(parse_headers(header_fields(raw), NOW), raw, NOW)
        assert outcome in OUTCOMES
        if owner == OWNER:
            assert outcome in ("rejected", "ignored-automatic")
        _check_sent(keepwarm)

        # …and arriving in the mailbox, through poll, command handling and delivery.
        keepwarm = seed(tmp_path / f"poll-{index}", owner=owner, daemon=daemon)
        report = keepwarm.receive(raw, NOW)
        assert set(report.commands) <= OUTCOMES
        _check_sent(keepwarm)
