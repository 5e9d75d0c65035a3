"""Templates on the test bed: a broken user template never silences a reminder; drafts and variants."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact, html_of, text_of
from tests.testbed.smtp import SmtpServer

SHIPPED_FIRST_LINE = "Draft for Alice Example <alice@example.org> - subject: Catching up"


@pytest.mark.parametrize(
    ("name", "source", "line", "problem"),
    [
        ("reminder.txt.j2", "Hello\n\n{{ nope.nope }}\n", 3, "UndefinedError: 'nope' is undefined"),
        ("reminder.txt.j2", "Hello\n{% if %}\n", 2, "Expected an expression"),
        ("reminder.html.j2", "<p>{{ contact.name }}</p>\n{{ nope.nope }}\n", 2, "UndefinedError"),
        ("drafts/default.txt.j2", "{% for x in %}\n", 1, "Expected an expression"),
        ("drafts/default.txt.j2", "Hi\n\n{{ nope.nope }}\n", 3, "UndefinedError: 'nope' is undefined"),
    ],
    ids=["undefined", "syntax", "html-undefined", "draft-syntax", "draft-undefined"],
)
def test_a_broken_user_template_falls_back_to_the_shipped_one_and_says_where(
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    tmp_path: Path,
    name: str,
    source: str,
    line: int,
    problem: str,
) -> None:
    template_dir = tmp_path / "templates"
    (template_dir / "drafts").mkdir(parents=True)
    (template_dir / name).write_text(source)
    config = make_config(template_dir=str(template_dir))
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    outgoing = Outgoing(smtp_server)

    count, report = build_service(config, store).remind(MORNING)

    assert count == 1 and len(report.sent) == 1
    [msg] = outgoing.messages()
    text = text_of(msg)
    assert text.startswith(SHIPPED_FIRST_LINE)
    assert "Hi Alice," in text  # the shipped draft
    where = f"{template_dir / name}:{line}: "
    notes = [row for row in text.splitlines() if row.startswith("Note: ")]
    assert len(notes) == 1, notes
    assert where in notes[0] and problem in notes[0] and "keepwarm used its own" in notes[0]
    assert where in html_of(msg)


def test_a_user_default_draft_replaces_the_shipped_one(
    make_config: ConfigFactory, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    template_dir = tmp_path / "templates"
    (template_dir / "drafts").mkdir(parents=True)
    (template_dir / "drafts" / "default.txt.j2").write_text(
        '{% set subject = "Coffee soon?" %}\n'
        "Ola {{ contact.first_name }}, coffee this week? {{ owner.first_name }}\n"
    )
    config = make_config(template_dir=str(template_dir))
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    outgoing = Outgoing(smtp_server)

    build_service(config, store).remind(MORNING)

    [msg] = outgoing.messages()
    text = text_of(msg)
    assert text.startswith("Draft for Alice Example <alice@example.org> - subject: Coffee soon?")
    assert "Ola Alice, coffee this week? Naomi" in text
    assert "It's been a while" not in text and "Note: " not in text


def test_the_work_group_gets_the_work_draft(make_config: ConfigFactory, smtp_server: SmtpServer) -> None:
    config = make_config()
    store = Store(config.state_dir)
    add_contact(store, "Wes Work", "wes@corp.example", days_since=50, now=MORNING, group="work")
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING, group="friends")
    outgoing = Outgoing(smtp_server)

    build_service(config, store).remind(MORNING)

    wes, alice = (text_of(m) for m in outgoing.messages())
    assert wes.startswith("Draft for Wes Work <wes@corp.example> - subject: Quick hello")
    assert "I hope work is treating you well." in wes and "(work)" in wes
    # No drafts/friends.txt.j2: the default.
    assert alice.startswith(SHIPPED_FIRST_LINE)
    assert "It's been a while" in alice and "I hope work" not in alice


def test_draft_variants_rotate_between_reminders_to_the_same_contact(
    make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    # The ignored reminder repeats after 3, 6 and 12 days; the shipped default has three variants.
    for day in (0, 3, 9, 21):
        assert service.remind(MORNING + timedelta(days=day))[0] == 1

    greetings = [text_of(m).split("-" * 72 + "\n", 2)[1].splitlines()[0] for m in outgoing.messages()]
    assert greetings == ["Hi Alice,", "Hey Alice,", "Dear Alice,", "Hi Alice,"]
