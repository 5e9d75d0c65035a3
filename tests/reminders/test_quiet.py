"""Gone quiet, on the test bed with the clock set: after QUIET_AFTER (3) messages from the owner
without an answer, the reminder says so and suggests another way, and it waits twice the cadence
(then four times…) instead of nagging on the cadence."""

from __future__ import annotations

from datetime import timedelta

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import plain_text
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing
from tests.testbed.smtp import SmtpServer


def _person(store: Store, name: str, written: list[int]) -> None:
    """Someone who answered 130 days ago; the owner wrote ``written`` days ago since."""
    address = f"{name.lower()}@example.org"
    store.add_contact(Contact(f"{name} Example", (address,), MORNING - timedelta(days=400), cadence_days=30))
    touches = [Touch(address, MORNING - timedelta(days=130), Direction.IN, subject="Old news")]
    touches += [
        Touch(address, MORNING - timedelta(days=d), Direction.OUT, subject=f"Hi {d}") for d in written
    ]
    store.add_touches(touches)


def test_three_unanswered_messages_double_the_wait_and_the_reminder_says_so(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(max_reminders_per_day="5")
    store = Store(config.state_dir)
    _person(store, "Carol", [100, 70, 40])  # three times since August: quiet
    _person(store, "Dora", [70, 40])  # twice: not yet
    outgoing = Outgoing(smtp_server)

    today = build_service(config, store).remind(MORNING)
    at_sixty_days = build_service(config, store).remind(MORNING + timedelta(days=20))

    assert today[0] == 1  # Dora only: Carol waits for twice her cadence
    assert at_sixty_days[0] == 2  # Carol at 60 days, and Dora's unanswered reminder again
    dora = outgoing.messages()[0]
    [carol] = [m for m in outgoing.messages() if "Carol" in str(m["Subject"])]
    assert dora["Subject"] == "Check in with Dora Example — 40 days"
    assert "without an answer" not in plain_text(dora)
    assert carol["Subject"] == "Check in with Carol Example — 60 days"
    text = plain_text(carol)
    assert "You've written 3 times since August without an answer; maybe call, or try another way?" in text


def test_quiet_after_0_turns_it_off(make_config: ConfigFactory, smtp_server: SmtpServer) -> None:
    config = make_config(quiet_after="0")
    store = Store(config.state_dir)
    _person(store, "Carol", [100, 70, 40])
    assert build_service(config, store).remind(MORNING)[0] == 1
