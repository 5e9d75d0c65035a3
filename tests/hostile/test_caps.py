"""Every kind of message keepwarm sends has a cap: ten forged (or careless) mails asking for
fifty thank-yous each give at most a message's limit, and the drafts come a few a day. And a
reply replayed under a new Message-ID is applied once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from keepwarm.app.thanks import MAX_PER_DAY
from keepwarm.domain.commands.share import MAX_THANKS_PER_MESSAGE
from keepwarm.domain.model import Direction
from tests.hostile.support import NOW, reply, seed, to_daemon


def test_ten_mails_of_fifty_thanks_give_at_most_the_caps(tmp_path: Path) -> None:
    # The worst case: the owner chose to trust the From header, so a forger's thanks are taken.
    keepwarm = seed(tmp_path, trust_from=True)
    for n in range(10):
        fifty = "\n".join(f"thanks Alice for gift {n}-{i}" for i in range(50))
        keepwarm.receive(to_daemon(keepwarm, fifty, msgid=f"t50-{n}@x"), NOW)
        ten = "\n".join(f"thanks Alice for book {n}-{i}" for i in range(MAX_THANKS_PER_MESSAGE))
        keepwarm.receive(to_daemon(keepwarm, ten, msgid=f"t10-{n}@x"), NOW)

    # A message of fifty is refused whole; one of ten is taken.
    assert len(keepwarm.store.extras.pending_thanks()) == 10 * MAX_THANKS_PER_MESSAGE
    keepwarm.remind(NOW + timedelta(days=1))
    assert len(keepwarm.outbox("thanks")) == MAX_PER_DAY
    keepwarm.remind(NOW + timedelta(days=1, hours=2))  # the same day: nothing more
    assert len(keepwarm.outbox("thanks")) == MAX_PER_DAY
    keepwarm.remind(NOW + timedelta(days=2))
    assert len(keepwarm.outbox("thanks")) == 2 * MAX_PER_DAY


def test_a_reply_replayed_under_a_new_message_id_applies_once(tmp_path: Path) -> None:
    keepwarm = seed(tmp_path)
    first = reply(keepwarm, "done call", msgid="r-1@mail.example.com")
    again = first.replace(b"<r-1@mail.example.com>", b"<r-1-again@evil.example>")

    assert keepwarm.receive(first, NOW).commands == {"applied": 1}
    assert keepwarm.receive(again, NOW).commands == {"replayed": 1}

    manual = [t for t in keepwarm.store.touches() if t.direction is Direction.MANUAL]
    assert len(manual) == 1
    # A second, different reply to the same reminder is the owner's to send.
    assert keepwarm.receive(reply(keepwarm, "snooze 2w", msgid="r-2@mail.example.com"), NOW).commands == {
        "applied": 1
    }
