"""format=flowed for keepwarm's text parts: 72 columns for terminal clients, and exactly the
written text again for a client that joins the soft breaks; the draft is never re-broken."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from keepwarm.mail.flowed import WIDTH, flowed
from tests.mailtext import unflow

RULER = "-" * 72
STORY = (
    "You wrote last 'Trip photos', 47 days ago, and Alice wrote 'Re: Trip photos' 12 days before "
    "that. You wanted to be in touch every month (friends)."
)
LINK = "  done             <mailto:owner+keepwarm+t1@example.com?subject=Re%3A%20Check%20in&body=done>"


def test_a_long_line_is_wrapped_at_72_and_joined_again_exactly() -> None:
    text = f"{STORY}\n\n{LINK}\n"
    sent = flowed(text)
    lines = sent.split("\n")
    assert max(len(line) for line in lines if "mailto:" not in line) <= WIDTH
    assert all(line.endswith(" ") for line in lines[:2])  # soft breaks
    assert unflow(sent) == text.rstrip(" ")


def test_the_draft_between_rulers_and_behind_bars_is_left_as_written() -> None:
    draft = "Hi Alice, " + "it has been far too long since we last spoke about the garden. " * 3
    text = f"Draft for Alice\n{RULER}\n{draft.strip()}\n{RULER}\n\n   | {draft.strip()}\n{STORY}"
    sent = flowed(text).split("\n")
    assert draft.strip() in sent
    assert f"    | {draft.strip()}" in sent  # space-stuffed, not broken
    assert max(len(line) for line in sent[sent.index(RULER, 2) + 1 :] if "|" not in line) <= WIDTH


def test_stuffing_and_the_signature_separator() -> None:
    sent = flowed(">quoted\nFrom here on\n-- \nkeepwarm   ").split("\n")
    assert sent == [" >quoted", " From here on", "-- ", "keepwarm"]
    dashes = "x" * 70 + " -- " + "y" * 70
    assert "-- " not in flowed(dashes).split("\n")
    assert unflow(flowed(dashes)) == dashes


written = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=300)


@given(st.lists(written.filter(lambda t: not t.startswith(" ")), max_size=8))
def test_any_text_comes_back_as_written_less_trailing_spaces(lines: list[str]) -> None:
    text = "\n".join(lines)
    expected = "\n".join(line if line == "-- " else line.rstrip(" ") for line in lines)
    assert unflow(flowed(text)) == expected


@given(st.lists(written, max_size=8))
def test_indented_rows_keep_every_word_in_order(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert unflow(flowed(text)).split() == text.split()


def test_a_table_row_breaks_under_its_second_column_and_a_link_is_never_broken() -> None:
    row = "  snooze 2w        remind me again in two weeks (or: snooze until 10 January, or later)"
    sent = flowed(f"{row}\n{LINK}").split("\n")
    assert sent == [
        "   snooze 2w        remind me again in two weeks (or: snooze until 10",
        "                    January, or later)",
        " " + LINK,
    ]
