"""Drafts in the contact's language on the test bed: her own language wins over her group's, the
group's over DRAFT_LANGUAGE; only the draft is in it, the reminder around it stays in English; a
birthday's draft gives its date in the language; the owner's own template still wins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from keepwarm.domain.model import Birthday, Channel, Direction, Touch
from keepwarm.render import wording
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, text_of
from tests.testbed.smtp import SmtpServer


def _drafts(outgoing: Outgoing) -> dict[str, tuple[str, str]]:
    """Each reminder's draft by the contact's address: its subject line and its body."""
    found = {}
    for msg in outgoing.messages():
        text = text_of(msg)
        head, _, rest = text.partition("\n")
        address = head.split("<", 1)[1].split(">", 1)[0]
        body = rest.split("-" * 72 + "\n")[1].strip("\n")
        found[address] = (head.split(" - subject: ", 1)[1], body)
    return found


def _person(store: Store, name: str, days_since: int, **changes: object) -> None:
    """Someone last written to ``days_since`` days before MORNING, with ``changes`` to her record."""
    address = f"{name.split(maxsplit=1)[0].lower()}@example.org"
    found = add_contact(store, name, address, days_since=days_since, now=MORNING)
    store.update_contact(found.with_changes(**changes))


def test_each_reminder_carries_its_draft_in_the_contacts_language(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(max_reminders_per_day="10", draft_language="en")
    store = Store(config.state_dir)
    _person(store, "Anna Beispiel", 60, language="de")
    _person(store, "Marie Exemple", 50, group="paris")
    _person(store, "Bob Example", 40, group="paris", language="en")  # her own language wins
    store.set_group_language("paris", "fr")
    outgoing = Outgoing(smtp_server)

    count, _ = build_service(config, store).remind(MORNING)

    assert count == 3
    drafts = _drafts(outgoing)
    subject, body = drafts["anna@example.org"]
    assert subject == "Wie geht's dir?"
    assert body.startswith("Hallo Anna,\n\nseit meiner Mail „Hello“ ist schon eine Weile vergangen")
    assert body.endswith("Liebe Grüße\nNaomi")
    subject, body = drafts["marie@example.org"]
    assert subject == "Des nouvelles\u00a0?"
    assert body.startswith("Salut Marie,\n\nMon message «\u00a0Hello\u00a0» remonte à un moment déjà")
    assert body.endswith("Bises,\nNaomi")
    subject, body = drafts["bob@example.org"]
    assert subject == "Catching up"
    assert body.startswith("Hi Bob,\n\nIt's been a while since my email 'Hello'")
    # The reminder around each draft is the owner's, in English.
    for msg in outgoing.messages():
        assert "You wanted to be in touch every month" in text_of(msg)
        assert "Reply to this email with one command per line:" in text_of(msg)


def test_a_german_birthday_draft_names_the_day_in_german(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(draft_language="de", birthday_notice="3")
    store = Store(config.state_dir)
    _person(store, "Anna Beispiel", 5, birthday=Birthday(11, 23, 1986))
    outgoing = Outgoing(smtp_server)

    build_service(config, store).remind(MORNING)

    [msg] = outgoing.messages()
    assert msg["Subject"] == "Anna Beispiel's birthday is in 3 days, 23 November (turning 40)"
    subject, body = _drafts(outgoing)["anna@example.org"]
    assert subject == "Dein Geburtstag"
    assert "bald ist dein Geburtstag, am 23. November, und dieses Mal wollte ich früh dran sein." in body


def test_the_owners_own_german_draft_wins_over_the_shipped_one(
    make_config: ConfigFactory, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    template_dir = tmp_path / "templates"
    (template_dir / "drafts" / "de").mkdir(parents=True)
    (template_dir / "drafts" / "de" / "default.txt.j2").write_text(
        '{% set subject = "Kaffee?" %}\n'
        "Servus {{ contact.first_name }}, auf einen Kaffee? {{ owner.first_name }}\n"
    )
    config = make_config(template_dir=str(template_dir), draft_language="de")
    store = Store(config.state_dir)
    _person(store, "Anna Beispiel", 60)
    outgoing = Outgoing(smtp_server)

    build_service(config, store).remind(MORNING)

    assert _drafts(outgoing)["anna@example.org"] == ("Kaffee?", "Servus Anna, auf einen Kaffee? Naomi")


@pytest.mark.parametrize(
    ("day", "language", "spoken"),
    [
        (date(2026, 11, 23), "de", "23. November"),
        (date(2026, 3, 1), "de", "1. März"),
        (date(2026, 11, 23), "fr", "23 novembre"),
        (date(2026, 12, 1), "fr", "1er décembre"),
        (date(2026, 8, 15), "fr", "15 août"),
        (date(2026, 11, 23), "en", "23 November"),
    ],
)
def test_a_draft_says_its_dates_in_its_language_without_a_locale(
    day: date, language: str, spoken: str
) -> None:
    assert wording.spoken_date(day, language) == spoken
    assert wording.spoken_date(day, language, year=True) == f"{spoken} 2026"


def test_a_draft_names_the_last_touch_in_its_language() -> None:
    mine = Touch("a@example.org", MORNING, Direction.OUT, subject="Mittagessen?")
    call = Touch("a@example.org", MORNING, Direction.MANUAL, Channel.CALL)

    assert wording.phrase(mine, "Mittagessen?", "de") == "meiner Mail \u201eMittagessen?\u201c"
    assert wording.phrase(call, "", "de") == "unserem letzten Telefonat"
    assert wording.phrase(mine, "Déjeuner ?", "fr") == "mon message «\u00a0Déjeuner ?\u00a0»"
    assert (wording.ago(1, "de"), wording.ago(3, "fr")) == ("gestern", "il y a 3 jours")
