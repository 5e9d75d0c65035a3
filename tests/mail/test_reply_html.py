"""HTML-only replies whose quote is marked only by its container: the container goes before the
HTML becomes text, so the quote never sits right under the command (and nothing in it is read)."""

# One HTML fixture per line, as a client writes it: easier to read than wrapped.
# ruff: noqa: E501

from __future__ import annotations

import pytest

from keepwarm.domain.commands import parse_reply
from keepwarm.mail.reply import new_text, prune_quotes
from tests.mail.test_reply import HTML, message

DECOYS = "<div>stop</div><div>pause</div><div>every 1d</div>"

CONTAINERS = {
    "gmail": f'<div dir="ltr">resume</div><div class="gmail_quote"><div class="gmail_attr">Megan</div>{DECOYS}</div>',
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


def test_a_reply_written_under_a_thunderbird_quote_is_read() -> None:
    html = f'<div class="moz-cite-prefix">On 2 Apr, Megan wrote:</div><blockquote type="cite">{DECOYS}</blockquote><p>resume</p>'
    assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["resume"]


def test_the_text_around_the_containers_is_kept() -> None:
    html = "<div>done call</div><div>note she moved</div><blockquote>stop</blockquote><div>Thanks, N</div>"
    assert "stop" not in prune_quotes(html) and "note she moved" in prune_quotes(html)


def test_markup_the_parser_cannot_read_is_kept_as_it_is() -> None:
    broken = "<div>resume</div><![foo[ stop ]]>"
    assert prune_quotes(broken) == broken or "resume" in prune_quotes(broken)
