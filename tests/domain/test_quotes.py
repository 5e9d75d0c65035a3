"""Where the quote starts: attributions in many languages, wrapped ones, header blocks, separators,
quotes with no attribution at all, keepwarm's own lines, and replies written under the quote."""

# Attributions in other scripts (Cyrillic, CJK, the full-width colon) are the point here.
# ruff: noqa: RUF001, E501

from __future__ import annotations

import pytest

from keepwarm.domain.commands import parse_reply
from keepwarm.domain.quotes import distinctive_lines, is_attribution, new_text

DECOYS = "stop\npause\nevery 1d\n"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Apr 2, 2012 at 6:26 PM, Megan One <megan@example.com> wrote:",
        "Am Mo., 2. Apr. 2012 um 18:26 Uhr schrieb Megan One <megan@example.com>:",
        "Am 02.04.2012 um 18:26 schrieb Megan One:",
        "Megan One <megan@example.com> schrieb am Mo., 2. Apr. 2012, 18:26:",
        "Op ma 2 apr. 2012 om 18:26 schreef Megan One <megan@example.com>:",
        "Em seg., 2 de abr. de 2012 às 18:26, Megan One <megan@example.com> escreveu:",
        "W dniu 2.04.2012 o 18:26, Megan One <megan@example.com> pisze:",
        "Megan One <megan@example.com> napisał(a):",
        "El lun, 2 abr 2012 a las 18:26, Megan One (<megan@example.com>) escribió:",
        "2 апр. 2012 г., в 18:26, Megan One <megan@example.com> написал(а):",
        "Понедельник, 2 апреля 2012, 18:26 +04:00 от Megan One <megan@example.com>:",
        '02.04.2012, 18:26, "Megan One" <megan@example.com>:',
        "---- On Mon, 02 Apr 2012 18:26:00 +0400 Megan One <megan@example.com> wrote ----",
        "Le lun. 2 avr. 2012 à 18:26, Megan One <megan@example.com> a\u00a0écrit\u00a0:",
        "Il giorno lun 2 apr 2012 alle ore 18:26 Megan One <megan@example.com> ha scritto:",
        "Den 2. apr. 2012 kl. 18.26 skrev Megan One <megan@example.com>:",
        "Megan One <megan@example.com> kirjoitti 2.4.2012 kello 18.26:",
        "2012年4月2日(月) 18:26 Megan One <megan@example.com>:",
        "Megan One <megan@example.com> 于2012年4月2日周一 下午6:26写道：",
    ],
)
def test_an_attribution_in_any_language_starts_the_quote(attribution: str) -> None:
    assert is_attribution(attribution)
    for text in (f"resume\n{attribution}\n{DECOYS}", f"resume\n\n{attribution}\n\n> {DECOYS}"):
        assert new_text(text).strip() == "resume", attribution


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "---Original Message---",
        "----- Original Message -----",
        "-----Ursprüngliche Nachricht-----",
        "-----Message d'origine-----",
        "________________________________",
        "* * *",
    ],
)
def test_a_separator_starts_the_quote(separator: str) -> None:
    assert new_text(f"resume\n{separator}\n{DECOYS}") == "resume"


@pytest.mark.parametrize(
    "block",
    [
        "From: Megan One [mailto:megan@example.com]\nSent: Monday, April 2, 2012 6:26 PM\nTo: Naomi\n",
        "**From:** Megan One <megan@example.com>\n**Sent:** Monday, April 2, 2012\n",
        "*From:* Megan One\n*Date:* 2 April 2012\n*Subject:* Re: lunch\n",
        "Von: Megan One <megan@example.com>\nGesendet: Montag, 2. April 2012 18:26\nAn: Naomi\n",
        "De : Megan One <megan@example.com>\nEnvoyé : lundi 2 avril 2012 18:26\nÀ : Naomi\n",
        "Van: Megan One\nVerzonden: maandag 2 april 2012 18:26\n",
        "От: Megan One\nОтправлено: 2 апреля 2012 г. 18:26\nКому: Naomi\n",
        "From: Megan One <megan@example.com> Sent: Monday, April 2, 2012 To: Naomi\n",
    ],
)
def test_a_header_block_starts_the_quote(block: str) -> None:
    assert new_text(f"every 3 weeks\n{block}\n{DECOYS}") == "every 3 weeks"


def test_an_attribution_wrapped_over_lines_is_cut_whole() -> None:
    text = (
        "done call\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris Wanstrath\n<notifications@github.com>wrote:\n"
        "> pause\n"
    )
    assert new_text(text) == "done call"
    three = "pause\nOn Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>\nwrote:\nstop\n"
    assert new_text(three) == "pause"


def test_a_quote_with_no_attribution_at_all_is_found_by_its_marks() -> None:
    assert new_text("snooze 2w\n> stop\n> pause") == "snooze 2w"


def test_a_reply_written_under_the_quote_is_its_unquoted_lines() -> None:
    text = "On 04/02/2012 06:26 PM, Megan One wrote:\n> stop\n> every 2 days\nDone call\n"
    assert new_text(text) == "Done call"


def test_a_reply_typed_between_the_quoted_lines_keeps_every_unquoted_line() -> None:
    text = (
        "On Mon, Apr 2, 2012 at 6:26 PM, Megan <m@example.com> wrote:\n"
        "> How about lunch?\nsnooze 2w\n> Or coffee?\nnote coffee at Lux\n"
    )
    assert [c.verb for c in parse_reply(new_text(text))] == ["snooze", "note"]


def test_a_signature_ends_the_reply() -> None:
    assert new_text("snooze 1 3w\n-- \nNaomi\nstop\n") == "snooze 1 3w"


def test_keepwarms_own_message_quoted_without_any_marker_is_cut_where_it_begins() -> None:
    sent = (
        "Draft for Alice Example <alice@example.org> - subject: Catching up\n"
        "Hi Alice, it has been a while. How are you?\n"
        "Reply to this email with one command per line:\n"
        "  stop             stop tracking this person (history kept)\n"
    )
    reply = "every 3 weeks\n" + sent.replace("  stop  ", "stop  ")
    assert new_text(reply, distinctive_lines(sent)) == "every 3 weeks"
    # A client that re-wrapped the quoted copy: the start of a long line is enough.
    wrapped = "snooze 2w\nDraft for Alice Example <alice@example.org> -\nsubject: Catching up\nstop\n"
    assert new_text(wrapped, distinctive_lines(sent)) == "snooze 2w"


def test_the_owners_own_lines_are_never_taken_for_keepwarms() -> None:
    sent = distinctive_lines("snooze 2w        remind me again in two weeks (or: snooze until 10 January)\n")
    assert new_text("snooze until 10 January\n", sent) == "snooze until 10 January"


@pytest.mark.parametrize(
    "line",
    [
        "One outstanding question I had:",
        "note she wrote: see you soon",
        "done call with Ana on 2026-11-28",
        "My number is: +00 0000 000 000",
        "log coffee with alice@example.org",
    ],
)
def test_ordinary_lines_are_no_attribution(line: str) -> None:
    assert not is_attribution(line)
    assert new_text(f"{line}\nmore") == f"{line}\nmore"


@pytest.mark.parametrize(
    "block",
    [
        "Від: Megan One <megan@example.com>\nНадіслано: 2 квітня 2012 р. 18:26\nКому: Naomi\nТема: Re\n",
        "מאת: Megan One <megan@example.com>\nנשלח: יום שני\nאל: Naomi\nנושא: Re\n",
        "من: Megan One <megan@example.com>\nتم الإرسال: الاثنين\nإلى: Naomi\nالموضوع: Re\n",
        "Từ: Megan One <megan@example.com>\nĐã gửi: Thứ Hai\nĐến: Naomi\nChủ đề: Re\n",
        "De la: Megan One <megan@example.com>\nTrimis: luni\nCătre: Naomi\nSubiect: Re\n",
        "Dari: Megan One <megan@example.com>\nDikirim: Senin\nKepada: Naomi\nSubjek: Re\n",
        "Od: Megan One <megan@example.com>\nOdesláno: pondělí\nKomu: Naomi\nPředmět: Re\n",
    ],
)
def test_header_blocks_in_more_languages(block: str) -> None:
    assert new_text(f"done\n{block}\n{DECOYS}") == "done"


def test_direction_marks_around_an_attribution_do_not_hide_it() -> None:
    line = "\u202bב-2 באפר׳ 2012, 18:26, Megan One <megan@example.com> כתב/ה:\u202c"
    assert new_text(f"done\n{line}\n{DECOYS}") == "done"


def test_a_ukrainian_attribution_wrapped_after_its_address() -> None:
    text = "done\n2 квіт. 2012 р. о 18:26 Megan One <\nmegan@example.com> пише:\nstop\n"
    assert new_text(text) == "done"


def test_a_lotus_notes_header_without_colons() -> None:
    text = (
        "done\nkeepwarm <naomi+keepwarm@example.org>\n03/11/2026 09:30\n\nTo\nnaomi@example.org\ncc\n\nSubject\nHello\n"
        + DECOYS
    )
    assert new_text(text) == "done"
