"""Two reminder runs at once (the daemon's, and ``keepwarm remind --now`` in another process): each
due contact is still reminded once. A run chooses whom to remind inside the transaction that queues
them, so a second run waits for the first and then finds their reminders open."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from keepwarm.app import reminders
from keepwarm.app.settings import Settings
from keepwarm.domain.reminders import Pick
from keepwarm.runtime.wiring import build_service, settings_for
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, add_contact

PAUSE = 0.5  # between the first run's choice and its queueing: long enough for the other to run


def test_a_second_run_while_the_first_is_choosing_reminds_nobody_twice(
    make_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config()
    first_store, second_store = Store(config.state_dir), Store(config.state_dir)  # two processes' views
    add_contact(first_store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    renderer = build_service(config, first_store).renderer
    settings = settings_for(config)
    chosen = threading.Event()
    real_choose = reminders.choose

    def slow_choose(store: Store, settings: Settings, now: datetime) -> list[Pick]:
        picks = real_choose(store, settings, now)
        if store is first_store:
            chosen.set()
            time.sleep(PAUSE)
        return picks

    monkeypatch.setattr(reminders, "choose", slow_choose)
    second: list[int] = []

    def other_run() -> None:
        assert chosen.wait(10)
        second.append(len(reminders.run(second_store, renderer, settings, MORNING)))

    other = threading.Thread(target=other_run)
    other.start()
    first = len(reminders.run(first_store, renderer, settings, MORNING))
    other.join(30)

    assert not other.is_alive()
    assert (first, second) == (1, [0])
    assert len(Store(config.state_dir).reminders.entries()) == 1
    assert len(Store(config.state_dir).outbox.items()) == 1
