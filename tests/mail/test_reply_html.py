"""HTML-only replies whose quote is marked only by its container: the container goes before the
HTML becomes text, so the quote never sits right under the command (and nothing in it is read)."""

# One HTML fixture per line, as a client writes it: easier to read than wrapped.
# ruff: noqa: E501

from __future__ import annotations

import pytest

from keepwarm.domain.commands import Place, best_of, parse_reply, read
from keepwarm.mail.reply import new_text, new_texts, prune_quotes
from tests.mail.test_reply import HTML, message

DECOYS = "<div>stop</div><div>pause</div><div>every 1d</div>"

CONTAINERS = {
    "gmail": f'<div dir="ltr">resume</div><div class="gmail_quote"><div class="gmail_attr">Megan</div><blockquote class="gmail_quote">{DECOYS}</blockquote></div>',
    "gmail-signature": f'<div>resume</div><div class="gmail_signature" data-smartmail="gmail_signature">{DECOYS}</div>',
    "apple": f'<div>resume</div><blockquote type="cite">{DECOYS}</blockquote>',
    "thunderbird": f'<p>resume</p><div class="moz-cite-prefix">On 2 Apr, Megan wrote:</div><blockquote type="cite">{DECOYS}</blockquote>',
    "outlook-web": f'<div>resume</div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> Megan</div>{DECOYS}',
    "outlook-reply-block": f'<div>resume</div><div id="divRplyFwdMsg" dir="ltr"><font><b>From:</b> Megan<br><b>Sent:</b> today</font></div><div>{DECOYS}</div>',
    "outlook-desktop": f'<div class="WordSection1"><p>resume</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>From:</b> Megan</p></div>{DECOYS}</div>',
    "exchange": f'<div>resume</div><div id="appendonsend"></div><div>{DECOYS}</div>',
    "exchange-reply-section": f'<div>resume</div><div id="messageReplySection">{DECOYS}</div>',
    "yahoo": f'<div>resume</div><div class="yahoo_quoted"><div>On Monday, Megan wrote:</div>{DECOYS}</div>',
    "zoho": f'<div>resume</div><div class="zmail_extra"><div>---- On Mon, Megan wrote ----</div>{DECOYS}</div>',
    "nested": f"<div><div>resume</div><div><blockquote>{DECOYS}<blockquote>{DECOYS}</blockquote></blockquote></div></div>",
}


@pytest.mark.parametrize("html", CONTAINERS.values(), ids=CONTAINERS.keys())
def test_only_the_command_above_a_quote_container_is_read(html: str) -> None:
    text = new_text(message(html, HTML))

    assert [c.verb for c in parse_reply(text)] == ["resume"], text


def test_a_reply_written_under_or_inside_a_gmail_quote_is_read() -> None:
    quote = f'<blockquote class="gmail_quote">{DECOYS}</blockquote>'
    under = f'<div class="gmail_quote"><div class="gmail_attr">On Mon, Megan wrote:</div>{quote}<div>resume</div></div>'
    inside = f'<div class="gmail_quote">{quote}<div>resume</div>{quote}</div>'
    for html in (under, inside):
        assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["resume"], html


def test_a_reply_written_under_a_thunderbird_quote_is_read() -> None:
    html = f'<div class="moz-cite-prefix">On 2 Apr, Megan wrote:</div><blockquote type="cite">{DECOYS}</blockquote><p>resume</p>'
    assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["resume"]


def test_the_text_around_the_containers_is_kept() -> None:
    html = "<div>done call</div><div>note she moved</div><blockquote>stop</blockquote><div>Thanks, N</div>"
    assert "stop" not in prune_quotes(html) and "note she moved" in prune_quotes(html)


def test_markup_the_parser_cannot_read_is_kept_as_it_is() -> None:
    broken = "<div>resume</div><![foo[ stop ]]>"
    assert prune_quotes(broken) == broken or "resume" in prune_quotes(broken)


@pytest.mark.parametrize(
    "style",
    [
        "border:none;border-top:solid #E1E1E1 1.0pt",
        "border-top-style: solid; border-top-width: 1px",
        "border-style: solid none none; border-width: 1pt 0 0",
    ],
)
def test_outlooks_bordered_header_block_in_its_several_spellings(style: str) -> None:
    html = f'<div>resume</div><div style="{style}"><b>Від:</b> Megan</div>{DECOYS}'
    assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["resume"]


def test_a_separator_html2text_escaped_still_separates() -> None:
    html = f"<div>resume</div><div>-------- Оригінальне повідомлення --------</div>{DECOYS}"
    assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["resume"]


def test_a_flowed_line_the_client_wrapped_is_read_whole() -> None:
    body = "note she moved to Lisbon in September and now works at the \r\nuniversity hospital there\r\n\r\n> stop \r\n> pause\r\n"
    raw = message(body, 'text/plain; charset="utf-8"; format=flowed')
    assert [c.text for c in parse_reply(new_text(raw))] == [
        "she moved to Lisbon in September and now works at the university hospital there"
    ]


def test_a_chinese_reply_declared_gb2312_with_a_gbk_character_is_decoded() -> None:
    body = "pause\r\n\r\n发件人: 朱镕 <megan@example.com>\r\n发送时间: 2012年4月2日\r\n收件人: Naomi\r\n\r\nstop\r\n".encode(
        "gbk"
    )
    raw = message(body, 'text/plain; charset="gb2312"')
    assert new_text(raw) == "pause"


def test_a_bom_before_the_command_is_not_part_of_it() -> None:
    assert [c.verb for c in parse_reply(new_text(message("\ufeffpause\r\n")))] == ["pause"]


def _alternative(plain: str, html: str) -> bytes:
    return (
        "From: Naomi <naomi@example.com>\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        f'--b\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n{plain}\r\n'
        f'--b\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n{html}\r\n--b--\r\n'
    ).encode()


def test_of_the_plain_and_html_parts_the_reading_that_shows_the_quote_is_taken() -> None:
    # A plain part whose quote header keepwarm does not know, beside an HTML part that marks it.
    plain = "snooze 2w\r\nLotus-ish header nobody knows\r\nstop\r\npause\r\n"
    html = f'<div>snooze 2w</div><div id="divRplyFwdMsg">header</div>{DECOYS}'
    texts = new_texts(_alternative(plain, html))
    readings = [read(t, Place.REPLY) for t in texts]
    assert [c.verb for c in readings[best_of(readings)].commands] == ["snooze"]


def test_a_long_line_the_plain_part_wrapped_is_read_from_the_html_part() -> None:
    plain = "note she moved to Lisbon in September and now works at the\r\nuniversity hospital there\r\n"
    html = "<div>note she moved to Lisbon in September and now works at the university hospital there</div>"
    texts = new_texts(_alternative(plain, html))
    readings = [read(t, Place.REPLY) for t in texts]
    (note,) = readings[best_of(readings)].commands
    assert note.text.endswith("university hospital there")
