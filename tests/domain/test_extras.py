"""Parsing of openers (``for Priya``), the owner's news and thank-yous, alone and in daemon mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.commands import CommandError, parse_daemon_mail
from keepwarm.domain.extras import (
    MAX_TITLE,
    NEWS_LIFETIME,
    ExtrasError,
    News,
    first_link,
    for_whom,
    opener_title,
    parse_news,
    parse_thanks,
)

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


# -- for whom -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "who"),
    [
        ("for Priya", "Priya"),
        ("For Priya:", "Priya"),
        ("  for   Priya Raman  ", "Priya Raman"),
        ("FOR priya@example.org", "priya@example.org"),
    ],
)
def test_for_whom_names_the_person(line: str, who: str) -> None:
    assert for_whom(line) == who


@pytest.mark.parametrize("line", ["forPriya", "for", "format: plain", "Fwd: for Priya", "this is for Priya"])
def test_for_whom_is_none_for_other_lines(line: str) -> None:
    assert for_whom(line) is None


# -- first link -----------------------------------------------------------------------------------


def test_first_link_finds_a_plain_url() -> None:
    assert first_link("Read it here: https://example.org/night-trains and tell me") == (
        "https://example.org/night-trains",
        "",
    )


def test_first_link_takes_the_first_of_several() -> None:
    text = "first http://example.org/one then https://example.org/two"

    assert first_link(text) == ("http://example.org/one", "")


def test_first_link_reads_markdown_style_link_text() -> None:
    text = "Have a look: [Night trains are back](https://example.org/night-trains) - and more"

    assert first_link(text) == ("https://example.org/night-trains", "Night trains are back")


def test_markdown_link_text_is_collapsed_to_one_line() -> None:
    assert first_link("[Night\n   trains  are back](https://example.org/n)") == (
        "https://example.org/n",
        "Night trains are back",
    )


def test_a_plain_url_before_a_markdown_link_wins() -> None:
    text = "https://example.org/first then [Second](https://example.org/second)"

    assert first_link(text) == ("https://example.org/first", "")


def test_a_markdown_link_before_a_plain_url_wins() -> None:
    text = "[First](https://example.org/first) then https://example.org/second"

    assert first_link(text) == ("https://example.org/first", "First")


@pytest.mark.parametrize(
    "text",
    [
        "see https://example.org/a.",
        "see https://example.org/a, and more",
        "see https://example.org/a; and more",
        "see https://example.org/a: it is good",
        "(see https://example.org/a)",
        "<https://example.org/a>",
        '"https://example.org/a"',
    ],
)
def test_first_link_leaves_out_trailing_punctuation(text: str) -> None:
    assert first_link(text) == ("https://example.org/a", "")


@pytest.mark.parametrize("text", ["Have you seen https://example.org/a?", "Look at https://example.org/a!"])
def test_first_link_leaves_out_a_sentence_ending_question_or_exclamation_mark(text: str) -> None:
    # A sentence ending in a link ends with its own mark, not the link's.
    assert first_link(text) == ("https://example.org/a", "")


def test_first_link_keeps_a_query_and_a_fragment() -> None:
    assert first_link("https://example.org/a?b=1&c=2#part.") == ("https://example.org/a?b=1&c=2#part", "")


def test_no_link_at_all() -> None:
    assert first_link("just some words, no address") == ("", "")


# -- opener title ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Fwd: Night trains are back",
        "FWD: Night trains are back",
        "Fw: Night trains are back",
        "TR: Night trains are back",
        "WG: Night trains are back",
        "  fwd :   Night trains are back ",
    ],
)
def test_the_forwarded_subject_is_the_title(subject: str) -> None:
    assert opener_title(subject, "link text", "first line") == "Night trains are back"


def test_the_subject_wins_over_link_text_and_body() -> None:
    assert opener_title("Night trains", "Read more", "Hello there") == "Night trains"


def test_a_for_line_subject_is_not_a_title_so_link_text_is() -> None:
    assert opener_title("for Priya", "Night trains are back", "first line") == "Night trains are back"


def test_without_subject_or_link_text_the_first_line_is_the_title() -> None:
    body = "\n   \nhttps://example.org/alone-on-its-line\n  A piece on   night trains \nmore"

    assert opener_title("", "", body) == "A piece on night trains"


def test_without_anything_the_title_is_empty() -> None:
    assert opener_title("", "", "\n https://example.org/x \n") == ""


def test_a_long_title_is_cut() -> None:
    title = opener_title("Fwd: " + "word " * 100, "", "")

    assert len(title) == MAX_TITLE
    assert title.startswith("word word")


# -- news -----------------------------------------------------------------------------------------


def test_news_lasts_six_weeks_by_default() -> None:
    news = parse_news("news: we moved to Lisbon in October", NOW)

    assert isinstance(news, News)
    assert news.text == "we moved to Lisbon in October"
    assert news.set_at == NOW
    assert news.until == NOW + timedelta(weeks=6) == NOW + NEWS_LIFETIME


@pytest.mark.parametrize(
    ("line", "lifetime"),
    [
        ("news: we moved to Lisbon for 3 months", timedelta(days=90)),
        ("news: we moved to Lisbon for 2 weeks", timedelta(weeks=2)),
        ("News: we moved to Lisbon for a week", timedelta(weeks=1)),
        ("news we moved to Lisbon for 10 days", timedelta(days=10)),
    ],
)
def test_news_for_a_period(line: str, lifetime: timedelta) -> None:
    news = parse_news(line, NOW)

    assert isinstance(news, News)
    assert news.text == "we moved to Lisbon"
    assert news.until - news.set_at == lifetime


def test_news_text_keeps_its_case_and_collapses_spaces() -> None:
    news = parse_news("NEWS:   We   moved to  Lisbon ", NOW)

    assert isinstance(news, News) and news.text == "We moved to Lisbon"


@pytest.mark.parametrize(
    "line",
    ["news: working for a startup", "news: training for 5k", "news: we stayed for a while"],
)
def test_for_followed_by_no_period_stays_part_of_the_news(line: str) -> None:
    news = parse_news(line, NOW)

    assert isinstance(news, News)
    assert news.text == line.removeprefix("news: ")
    assert news.until == NOW + NEWS_LIFETIME


def test_text_with_for_and_a_period_keeps_the_text_and_the_period() -> None:
    news = parse_news("news: working for a startup for 3 months", NOW)

    assert isinstance(news, News)
    assert news.text == "working for a startup"
    assert news.until == NOW + timedelta(days=90)


@pytest.mark.parametrize("line", ["news", "News", "  news  "])
def test_news_alone_asks_for_the_current_news(line: str) -> None:
    assert parse_news(line, NOW) == "ask"


@pytest.mark.parametrize("line", ["news clear", "News Clear", "news: clear"])
def test_news_clear(line: str) -> None:
    assert parse_news(line, NOW) == "clear"


@pytest.mark.parametrize("line", ["news:", "news :", "news:   "])
def test_news_colon_with_nothing_after_it_is_an_error_that_says_what_to_write(line: str) -> None:
    with pytest.raises(ExtrasError) as caught:
        parse_news(line, NOW)

    message = str(caught.value)
    assert "nothing after it" in message
    assert "news: we moved to Lisbon" in message


def test_news_is_cut_to_its_maximum() -> None:
    news = parse_news("news: " + "x" * 2000, NOW)

    assert isinstance(news, News) and len(news.text) == 500


def test_the_news_key_changes_with_each_new_piece_of_news() -> None:
    first = parse_news("news: one", NOW)
    second = parse_news("news: two", NOW + timedelta(minutes=1))

    assert isinstance(first, News) and isinstance(second, News)
    assert first.key != second.key


# -- thanks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("thanks Lena for The Overstory", ("Lena", "The Overstory")),
        ("Thank Lena for the book", ("Lena", "the book")),
        ("thanks Lena Smith for   the   dinner  ", ("Lena Smith", "the dinner")),
        ("thanks lena@example.org for tickets for the show", ("lena@example.org", "tickets for the show")),
    ],
)
def test_parse_thanks(line: str, expected: tuple[str, str]) -> None:
    assert parse_thanks(line) == expected


@pytest.mark.parametrize(
    "line", ["thanks", "thanks Lena", "thanks for everything", "cheers Lena for the book"]
)
def test_parse_thanks_is_none_for_other_lines(line: str) -> None:
    assert parse_thanks(line) is None


def test_what_is_thanked_for_is_cut_to_a_title() -> None:
    parsed = parse_thanks("thanks Lena for " + "a " * 300)

    assert parsed is not None and len(parsed[1]) <= MAX_TITLE


# -- in mail to the daemon address ---------------------------------------------------------------


def test_for_on_the_first_line_of_a_forward_makes_an_opener_titled_by_the_subject() -> None:
    body = (
        "for Priya\n\n---------- Forwarded message ---------\nFrom: Weekly <news@weekly.example>\n"
        "Read it here: https://example.org/night-trains.\nAnd https://example.org/other\n"
    )

    [command] = parse_daemon_mail("Fwd: Night trains are back", body)

    assert (command.verb, command.name) == ("opener", "Priya")
    assert command.title == "Night trains are back"
    assert command.link == "https://example.org/night-trains"


def test_for_in_the_subject_takes_the_link_text_as_title() -> None:
    [command] = parse_daemon_mail("for Priya", "[Night trains are back](https://example.org/n)")

    assert (command.verb, command.name, command.title, command.link) == (
        "opener",
        "Priya",
        "Night trains are back",
        "https://example.org/n",
    )


def test_a_bare_link_for_someone_is_titled_by_the_link() -> None:
    [command] = parse_daemon_mail("for Priya", "https://example.org/n")

    assert (command.title, command.link) == ("https://example.org/n", "https://example.org/n")


def test_for_someone_with_nothing_to_share_is_an_error() -> None:
    with pytest.raises(CommandError, match="nothing to share"):
        parse_daemon_mail("for Priya", "")


@pytest.mark.parametrize(("subject", "body"), [("news: back from Japan", ""), ("", "news: back from Japan")])
def test_news_by_subject_or_body(subject: str, body: str) -> None:
    [command] = parse_daemon_mail(subject, body)

    assert command.verb == "news"
    assert command.text == "news: back from Japan"


def test_thanks_in_the_body_is_a_command_not_a_sign_off() -> None:
    [command] = parse_daemon_mail("", "thanks Lena for The Overstory\n\n-- \nNaomi")

    assert (command.verb, command.name, command.text) == ("thanks", "Lena", "The Overstory")


def test_a_thanks_subject_without_what_is_an_error_that_shows_the_form() -> None:
    with pytest.raises(CommandError, match="thanks Lena for The Overstory"):
        parse_daemon_mail("thanks Lena", "")


def test_drop_opener_takes_a_number() -> None:
    [command] = parse_daemon_mail("", "drop opener 12")

    assert (command.verb, command.entry) == ("drop-opener", 12)


@pytest.mark.parametrize("line", ["drop opener", "drop opener two", "drop opener 1 2"])
def test_drop_opener_without_one_number_is_an_error(line: str) -> None:
    with pytest.raises(CommandError, match="drop opener 3"):
        parse_daemon_mail("", line)
