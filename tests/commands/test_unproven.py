"""The safe default, on the test bed: with no authserv-id set or learned and TRUST_FROM=no,
nothing checks that mail "from the owner" is hers, so what adds people or reaches her friends
(``add``, ``for``, ``news:``, ``thanks``) waits for proof. A reply to keepwarm's own mail is that
proof (its token), and keepwarm learns her provider's stamp from it; from then on that stamp is
checked, and a forger's mail is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keepwarm.app.commands import CANNOT_LEARN
from tests.commands.test_daemon_commands import to_daemon
from tests.commands.test_reply_commands import (
    LATER,
    Bed,
    answer_to,
    open_bed,
    reply,
    reply_to,
    text_of,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

SERVID = "mx.testbed.example"


def _stamp(bed: Bed, result: str = "pass") -> str:
    domain = bed.owner.rpartition("@")[2]
    return f"Authentication-Results: {SERVID}; dmarc={result} header.from={domain}\r\n"


def _answer_ok(bed: Bed, subject: str, headers: str) -> str:
    """Mail ``subject`` to the daemon, then answer keepwarm's request for proof with "ok" (its
    stamp in ``headers``); the text of keepwarm's answer to that "ok"."""
    bed.deliver(to_daemon(bed, subject, "", "asking@mail.example.com"))
    bed.poll(LATER)
    asked = answer_to(bed.answers(), "asking@mail.example.com")
    raw = reply(asked, "ok", "ok@mail.example.com", sender=bed.owner, headers=headers)
    bed.deliver(raw, reply_to(asked))
    bed.poll(LATER + timedelta(minutes=1))
    return text_of(answer_to(bed.answers(LATER + timedelta(minutes=1)), "ok@mail.example.com"))


def _unproven_bed(testbed: Testbed, account: Account, smtp: SmtpServer, make_config: ConfigFactory) -> Bed:
    return open_bed(testbed, account, smtp, make_config, remind=False, trust_from="no")


@pytest.mark.parametrize(
    "body",
    [
        "add Bob Example <bob@example.org>",
        "news: we moved to Lisbon",
        "thanks Alice for the book",
        "for Alice\r\nhttps://example.org/article",
    ],
    ids=["add", "news", "thanks", "for"],
)
def test_what_adds_people_or_reaches_friends_waits_for_proof(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer, body: str
) -> None:
    bed = _unproven_bed(testbed, account, smtp_server, make_config)
    bed.deliver(to_daemon(bed, "keepwarm", body, "unproven-1@mail.example.com"))

    report = bed.poll(LATER)

    assert report.commands == {"needs-proof": 1}
    assert [c.name for c in bed.store.contacts()] == ["Alice Example"]
    assert bed.store.extras.news(LATER) is None and bed.store.extras.pending_thanks() == []
    assert bed.store.extras.openers() == []
    said = text_of(answer_to(bed.answers(), "unproven-1@mail.example.com"))
    assert "need proof that this mail is yours" in said and "Answer this message with 'ok'" in said
    assert [r.rcpt_tos for r in bed.sent()] == [(bed.owner,)]  # the answer went to the owner only


def test_what_reaches_nobody_still_works_without_proof(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = _unproven_bed(testbed, account, smtp_server, make_config)
    bed.deliver(to_daemon(bed, "keepwarm", "log call with Alice\r\ndue", "harmless@mail.example.com"))

    assert bed.poll(LATER).commands == {"applied": 1}


def test_an_ok_to_keepwarm_teaches_it_the_stamp_then_new_mail_is_checked(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = _unproven_bed(testbed, account, smtp_server, make_config)
    # She answers "ok"; her provider stamped it on arrival.
    learned = _answer_ok(bed, "add Bob Example <bob@example.org>", _stamp(bed))

    assert bed.store.runs.learned_servid() == ".testbed.example"  # its other servers stamp too
    assert "now checks your provider's authentication stamp (*.testbed.example)" in learned
    assert "found no command" not in learned

    # Sent again, stamped as passing: applied. A forgery, stamped as failing or not at all: refused.
    again = _stamp(bed).encode() + to_daemon(bed, "add Bob Example <bob@example.org>", "", "add-2@m.example")
    forged = _stamp(bed, "fail").encode() + to_daemon(
        bed, "add Eve <eve@evil.example>", "", "f-1@evil.example"
    )
    bare = to_daemon(bed, "add Mallory <mallory@evil.example>", "", "f-2@evil.example")
    for raw in (again, forged, bare):
        bed.deliver(raw)
    report = bed.poll(LATER + timedelta(minutes=2))

    assert report.commands == {"applied": 1, "rejected": 2}
    assert sorted(c.name for c in bed.store.contacts()) == ["Alice Example", "Bob Example"]


def test_an_ok_whose_stamp_fails_says_what_to_set_and_learns_nothing(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = _unproven_bed(testbed, account, smtp_server, make_config)
    # A stamp that fails teaches nothing (and no stamp at all teaches nothing either).
    headers = f"Authentication-Results: {SERVID}; dmarc=fail header.from=example.org\r\n"
    said = _answer_ok(bed, "news: we moved", headers)
    assert bed.store.runs.learned_servid() is None
    assert " ".join(CANNOT_LEARN.split()[:8]) in " ".join(said.split())
    assert "KEEPWARM_TRUST_FROM=yes" in " ".join(said.split())


def test_trust_from_yes_is_the_owners_explicit_choice(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, trust_from="yes")
    bed.deliver(to_daemon(bed, "add Bob Example <bob@example.org>", "", "trusted@mail.example.com"))

    assert bed.poll(LATER).commands == {"applied": 1}
    assert bed.store.runs.learned_servid() is None
