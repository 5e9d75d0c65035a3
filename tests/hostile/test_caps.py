"""Every kind of message keepwarm sends has a cap: ten forged (or careless) mails asking for
fifty thank-yous each give at most a message's limit, and the drafts come a few a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from keepwarm.app.thanks import MAX_PER_DAY
from keepwarm.domain.commands.share import MAX_THANKS_PER_MESSAGE
from tests.hostile.support import NOW, seed, to_daemon


def test_ten_mails_of_fifty_thanks_give_at_most_the_caps(tmp_path: Path) -> None:
    keepwarm = seed(tmp_path)
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
