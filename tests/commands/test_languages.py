"""The language command on the test bed: ``language de`` in a reply makes her next drafts German,
``language xx`` is answered with the languages there are and changes nothing, and mail to
keepwarm sets a group's language (undone by ``undo``, like any change)."""

from __future__ import annotations

from datetime import timedelta

from keepwarm.app import reminders
from tests.commands import test_reply_commands as bed_of
from tests.commands.test_daemon_commands import to_daemon
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def test_language_de_in_a_reply_makes_her_next_draft_german(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = bed_of.open_bed(testbed, account, smtp_server, make_config)
    bed_of.send_reply(bed, bed_of.reminder_for(bed), "language de", "lang-1@mail.gmail.com")

    assert bed.poll(bed_of.LATER).commands == {"applied": 1}

    assert bed_of.contact(bed).language == "de"
    answer = bed_of.answer_to(bed.answers(), "lang-1@mail.gmail.com")
    assert "drafts to Alice Example are in German now" in bed_of.text_of(answer)
    service = bed.service
    message = reminders.preview_for(
        bed.store, service.renderer, service.settings, "alice", bed_of.START + timedelta(days=1)
    )
    draft = bed_of.text_of(message)
    assert draft.startswith("Draft for Alice Example <alice@example.org> - subject: Wie geht's dir?")
    assert "\nHey Alice,\n\ndu bist mir heute in den Sinn gekommen." in draft  # its second variant
    assert "Reply to this email with one command per line:" in draft  # the reminder stays English


def test_language_xx_is_answered_with_the_languages_there_are_and_changes_nothing(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = bed_of.open_bed(testbed, account, smtp_server, make_config)
    before = bed.store.contacts()
    reminder = bed_of.reminder_for(bed)
    bed_of.send_reply(bed, reminder, "note likes Brecht\nlanguage xx", "lang-2@mail.gmail.com")

    assert bed.poll(bed_of.LATER).commands == {"command-error": 1}

    assert bed.store.contacts() == before
    answer = bed_of.text_of(bed_of.answer_to(bed.answers(), "lang-2@mail.gmail.com"))
    assert "language xx: no drafts in xx yet; available: de, en, fr" in answer


def test_mail_to_keepwarm_gives_a_group_its_language_and_undo_takes_it_back(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = bed_of.open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(to_daemon(bed, "", "language fr for group Friends", "lang-3@mail.gmail.com"))

    assert bed.poll(bed_of.LATER).commands == {"applied": 1}

    assert bed.store.group_languages() == {"friends": "fr"}
    answer = bed_of.answer_to(bed.answers(), "lang-3@mail.gmail.com")
    said = "drafts to group friends are in French now (a member's own language still wins)"
    assert said in bed_of.text_of(answer)
    later = bed_of.LATER + timedelta(minutes=5)
    undo = bed_of.reply(answer, "undo", "undo-3@mail.gmail.com", sender=bed.owner, when=later)
    bed.deliver(undo, to=bed_of.reply_to(answer))
    assert bed.poll(later).commands == {"applied": 1}
    assert bed.store.group_languages() == {}
