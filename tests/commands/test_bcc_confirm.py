"""A BCC to keepwarm that starts tracking people says so: one short confirmation in the thread of
the owner's message, naming them, with an undo; none for the old BCCs a backfill meets."""

from __future__ import annotations

from datetime import timedelta

from tests.commands.test_dated import bcc_from_sent
from tests.commands.test_reply_commands import LATER, answer_to, open_bed, send_reply, text_of
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def test_a_bcc_that_tracks_people_is_confirmed_once_and_undo_takes_it_back(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    to = "Carol Example <carol@example.org>, Dan <dan@example.org>"
    testbed.append(
        account, "Sent", bcc_from_sent(bed, "", "bcc-new@mail.example", to=to, subject="Choir on Friday")
    )
    testbed.append(
        account,
        "Sent",
        bcc_from_sent(bed, "", "bcc-old@mail.example", to="eve@example.org", when=LATER - timedelta(days=40)),
    )

    report = bed.poll(LATER)
    again = bed.poll(LATER + timedelta(minutes=1))

    assert sorted(report.new_contacts) == [
        "Carol Example <carol@example.org>",
        "Dan <dan@example.org>",
        "eve@example.org",
    ]
    assert again.new_contacts == []
    answers = bed.answers(LATER + timedelta(minutes=1))
    (confirmation,) = answers  # none for the BCC of 40 days ago, none again on the next poll
    assert confirmation["Subject"] == "Re: Choir on Friday"
    assert confirmation["In-Reply-To"] == "<bcc-new@mail.example>"
    text = text_of(confirmation)
    assert "now tracking Carol Example <carol@example.org>" in text
    assert "now tracking Dan <dan@example.org>" in text
    assert (
        "(you blind-copied keepwarm on \u201cChoir on Friday\u201d; reply 'undo' to stop tracking them)"
        in text
    )

    send_reply(bed, confirmation, "undo", "bcc-undo@mail.example", when=LATER + timedelta(minutes=5))
    assert bed.poll(LATER + timedelta(minutes=5)).commands == {"applied": 1}
    undone = text_of(answer_to(bed.answers(LATER + timedelta(minutes=6)), "bcc-undo@mail.example"))
    assert "undone: Carol Example <carol@example.org> is no longer tracked" in undone
    left = sorted(e for c in bed.store.contacts() for e in c.emails)
    assert left == ["alice@example.org", "eve@example.org"]
    # The touches stay: they happened, and count if the owner tracks Carol again.
    assert {t.address for t in bed.store.touches()} >= {"carol@example.org", "dan@example.org"}
