"""The language of someone's drafts: the codes and names read, whose language wins, and the
``language`` command in a reply, in a digest and in mail to keepwarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.commands import (
    Changes,
    Command,
    CommandError,
    parse_daemon_mail,
    parse_line,
    parse_reply,
    plan_daemon_mail,
    plan_reply,
)
from keepwarm.domain.languages import LanguageError, effective_language, parse_language
from keepwarm.domain.model import Contact

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ANNA = Contact("Anna Beispiel", ("anna@example.de",), NOW - timedelta(days=300), id=1, group="Paris")
BOB = Contact("", ("bob@example.org",), NOW - timedelta(days=300), id=2, group="Paris", language="en")
CONTACTS = {c.id: c for c in (ANNA, BOB)}
NO_DRAFTS = "language xx: no drafts in xx yet; available: de, en, fr"


def reply(text: str, entries: dict[int, int] | None = None) -> Changes:
    return plan_reply(parse_reply(text), entries or {1: ANNA.id}, CONTACTS, NOW, "k")


def daemon(text: str) -> Changes:
    return plan_daemon_mail(parse_daemon_mail("", text), list(CONTACTS.values()), NOW, "k")


@pytest.mark.parametrize(
    ("written", "code"),
    [("de", "de"), ("DE", "de"), ("de-AT", "de"), ("fr_CA", "fr"), ("German", "de"), ("français", "fr")],
)
def test_a_language_is_read_from_its_code_a_locale_or_its_name(written: str, code: str) -> None:
    assert parse_language(written) == code


def test_a_language_without_drafts_says_which_there_are() -> None:
    with pytest.raises(LanguageError) as refused:
        parse_language("es")

    assert str(refused.value) == "language es: no drafts in es yet; available: de, en, fr"


def test_her_own_language_wins_over_her_groups_and_the_groups_over_the_default() -> None:
    groups = {"Paris": "fr"}

    assert effective_language(ANNA, groups, "de") == "fr"
    assert effective_language(BOB, groups, "de") == "en"
    assert effective_language(ANNA, {}, "de") == "de"
    assert effective_language(ANNA.with_changes(language="de"), groups, "en") == "de"


def test_language_in_a_reply_sets_the_language_of_her_drafts() -> None:
    changes = reply("language de")

    assert changes.updated[ANNA.id].language == "de"
    assert changes.lines == ["drafts to Anna Beispiel are in German now"]


def test_language_default_gives_her_drafts_her_groups_language_again() -> None:
    changes = reply("language default", {1: BOB.id})

    assert changes.updated[BOB.id].language is None
    assert changes.lines == [
        "drafts to bob@example.org follow their group's language again (else the default)"
    ]


def test_a_language_without_drafts_is_the_clear_line_and_the_whole_reply_changes_nothing() -> None:
    with pytest.raises(CommandError) as refused:
        reply("note likes Brecht\nlanguage xx")

    assert str(refused.value) == NO_DRAFTS


def test_in_a_digest_language_takes_the_entry_number() -> None:
    assert parse_line("language 2 fr") == Command("language", 2, text="fr")
    changes = reply("language 2 fr", {1: ANNA.id, 2: BOB.id})

    assert changes.updated[BOB.id].language == "fr"
    with pytest.raises(CommandError, match="say which"):
        reply("language fr", {1: ANNA.id, 2: BOB.id})


def test_mail_to_keepwarm_names_the_person_or_the_group() -> None:
    person = daemon("language de for Anna")
    group = daemon("language fr for group paris")

    assert person.updated[ANNA.id].language == "de"
    assert group.group_languages == {"Paris": "fr"}
    assert group.lines == ["drafts to group Paris are in French now (a member's own language still wins)"]
    assert daemon("language default for group Paris").group_languages == {"Paris": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("language de", "'language de' needs to know who: write language de for Alice, or for group friends"),
        ("language fr for group Berlin", "there is no group 'Berlin' (your groups: Paris)"),
        ("language xx for Anna", NO_DRAFTS),
        ("language", "say which: language de (available: de, en, fr)"),
    ],
)
def test_mail_to_keepwarm_that_cannot_apply_says_why(text: str, message: str) -> None:
    with pytest.raises(CommandError) as refused:
        daemon(text)

    assert message in str(refused.value)


def test_a_sentence_about_language_is_prose() -> None:
    with pytest.raises(CommandError, match="no command found"):
        parse_reply("Language is a funny thing, isn't it?")
