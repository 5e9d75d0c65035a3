"""new_text on replies shaped like real clients write them: quotes stripped, HTML converted, never a crash."""

from __future__ import annotations

import time

import pytest

from keepwarm.domain.commands import CommandError, command_lines, parse_reply
from keepwarm.mail.reply import body_text, new_text

DAEMON = "naomi+keepwarm+r1-abcd-aaaaaaaaaaaaaaaa@example.com"
REMINDER = [
    "Check in with Alice Example — 47 days",
    "",
    "Reply with one command per line:",
    "  done             you were in touch",
    "  snooze 2w        remind me later",
    "  stop             stop tracking",
]


def message(body: bytes | str, content_type: str = 'text/plain; charset="UTF-8"', cte: str = "8bit") -> bytes:
    """A whole reply: headers, then ``body`` as its single part."""
    data = body.encode() if isinstance(body, str) else body
    return (
        "From: Naomi Owner <naomi@example.com>\r\n"
        f"To: keepwarm <{DAEMON}>\r\n"
        "Subject: Re: Check in with Alice Example\r\n"
        "Message-ID: <reply-1@mail.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + data


def quoted(prefix: str = "> ") -> str:
    return "".join(f"{prefix}{line}\r\n".replace("> \r\n", ">\r\n") for line in REMINDER)


GMAIL_WEB = f"On Thu, Nov 26, 2026 at 8:30 AM keepwarm <{DAEMON}> wrote:\r\n\r\n{quoted()}"
GMAIL_ANDROID = f"On Thu, 26 Nov 2026, 08:30 keepwarm, <{DAEMON}>\r\nwrote:\r\n\r\n{quoted()}"
APPLE = (
    f"Sent from my iPhone\r\n\r\n> On 26 Nov 2026, at 08:30, keepwarm <{DAEMON}> wrote:\r\n>\r\n{quoted()}"
)
THUNDERBIRD = f"On 26/11/2026 08:30, keepwarm wrote:\r\n{quoted()}"
GMAIL_DE = f"Am Do., 26. Nov. 2026 um 08:30 Uhr schrieb keepwarm <{DAEMON}>:\r\n\r\n{quoted()}"
GMAIL_FR = f"Le jeu. 26 nov. 2026 à 08:30, keepwarm <{DAEMON}> a écrit :\r\n\r\n{quoted()}"
OUTLOOK_PLAIN = (
    "________________________________\r\n"
    f"From: keepwarm <{DAEMON}>\r\n"
    "Sent: Thursday, November 26, 2026 8:30 AM\r\n"
    "To: Naomi Owner <naomi@example.com>\r\n"
    "Subject: Check in with Alice Example\r\n\r\n" + "".join(f"{line}\r\n" for line in REMINDER)
)


def outlook_html(new: str) -> str:
    """Outlook on the web / Exchange, HTML only: the quote follows divRplyFwdMsg, unprefixed."""
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
        '<body><div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">'
        f"{new}</div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt">'
        f"<b>From:</b> keepwarm &lt;{DAEMON}&gt;<br><b>Sent:</b> Thursday, November 26, 2026 8:30 AM<br>"
        "<b>To:</b> Naomi Owner &lt;naomi@example.com&gt;<br><b>Subject:</b> Check in with Alice Example"
        "</font><div>&nbsp;</div></div>"
        "<div>" + "<br>".join(REMINDER) + "</div></body></html>"
    )


def outlook_desktop_html(*lines: str) -> str:
    """Outlook for Windows (Word's HTML): one MsoNormal paragraph per typed line."""
    typed = "".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>\r\n' for line in lines)
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        "<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt;} --></style></head>"
        '<body lang="EN-GB"><div class="WordSection1">\r\n'
        f'{typed}<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\r\n'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f'<p class="MsoNormal"><b>From:</b> keepwarm &lt;{DAEMON}&gt;<br>'
        "<b>Sent:</b> 26 November 2026 08:30<br>"
        "<b>To:</b> Naomi Owner<br><b>Subject:</b> Check in with Alice Example<o:p></o:p></p></div>\r\n"
        + "".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>\r\n' for line in REMINDER)
        + "</div></body></html>"
    )


HTML = 'text/html; charset="utf-8"'

# (client, raw reply, the command lines its new text must yield)
CLIENT_REPLIES = [
    pytest.param(message(f"snooze 2w\r\n\r\n{GMAIL_WEB}"), ["snooze 2w"], id="gmail-web"),
    pytest.param(message(f"done call\r\n\r\n{GMAIL_ANDROID}"), ["done call"], id="gmail-android"),
    pytest.param(message(f"pause\r\n\r\n{APPLE}"), ["pause"], id="apple-ios"),
    pytest.param(message(f"every 3 weeks\r\n\r\n{THUNDERBIRD}"), ["every 3 weeks"], id="thunderbird"),
    pytest.param(
        message(f"snooze 1w\r\nnote Umzug nach Berlin\r\n\r\n{GMAIL_DE}"),
        ["snooze 1w", "note Umzug nach Berlin"],
        id="gmail-de",
    ),
    pytest.param(message(f"later\r\n\r\n{GMAIL_FR}"), ["later"], id="gmail-fr"),
    pytest.param(message(f"done coffee\r\n\r\n{OUTLOOK_PLAIN}"), ["done coffee"], id="outlook-plain"),
    pytest.param(
        message(outlook_html("done coffee Met at the museum"), HTML),
        ["done coffee Met at the museum"],
        id="outlook-html",
    ),
    pytest.param(message(outlook_desktop_html("stop"), HTML), ["stop"], id="outlook-desktop-html"),
]


@pytest.mark.parametrize(("raw", "expected"), CLIENT_REPLIES)
def test_the_new_text_of_each_client_holds_only_the_owners_commands(raw: bytes, expected: list[str]) -> None:
    text = new_text(raw)

    assert command_lines(text) == expected
    assert "stop tracking" not in text
    assert "Check in with Alice Example" not in text


def test_a_gmail_reply_parses_into_the_typed_commands() -> None:
    commands = parse_reply(new_text(message(f"snooze 2w\r\nnote Lunch In March\r\n\r\n{GMAIL_WEB}")))

    assert [(c.verb, c.text) for c in commands] == [("snooze", ""), ("note", "Lunch In March")]


def test_an_apple_signature_is_left_to_the_command_parser() -> None:
    text = new_text(message(f"pause\r\n\r\n{APPLE}"))

    assert text.startswith("pause")
    assert [c.verb for c in parse_reply(text)] == ["pause"]


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(outlook_html("snooze 2w<br>note Met at the museum"), id="outlook-web-br"),
        pytest.param(
            outlook_html("<div>snooze 2w</div><div>note Met at the museum</div>"), id="outlook-web-divs"
        ),
        pytest.param(outlook_desktop_html("snooze 2w", "note Met at the museum"), id="outlook-desktop"),
    ],
)
def test_every_line_of_an_outlook_html_reply_is_a_command(html: str) -> None:
    """Two typed lines are two commands, whatever block elements the client wraps them in."""
    assert command_lines(new_text(message(html, HTML))) == ["snooze 2w", "note Met at the museum"]


# -- commands that appear only in the quote ---------------------------------------------------------------

QUOTE_ONLY = [
    pytest.param(message(GMAIL_WEB), id="gmail-web"),
    pytest.param(message(GMAIL_ANDROID), id="gmail-android"),
    pytest.param(message(APPLE), id="apple-ios"),
    pytest.param(message(THUNDERBIRD), id="thunderbird"),
    pytest.param(message(GMAIL_DE), id="gmail-de"),
    pytest.param(message(OUTLOOK_PLAIN), id="outlook-plain"),
    pytest.param(message(outlook_html(""), HTML), id="outlook-html"),
    pytest.param(message(quoted()), id="bare-quote"),
]


@pytest.mark.parametrize("raw", QUOTE_ONLY)
def test_commands_in_the_quote_are_never_parsed(raw: bytes) -> None:
    with pytest.raises(CommandError):
        parse_reply(new_text(raw))


@pytest.mark.parametrize("raw", QUOTE_ONLY)
def test_a_reply_with_nothing_new_has_no_command(raw: bytes) -> None:
    """The owner wrote nothing: the answer must be "no command found", not an error about the quote."""
    with pytest.raises(CommandError, match="no command found"):
        parse_reply(new_text(raw))


def test_a_thunderbird_reply_below_the_quote_is_found() -> None:
    """Thunderbird's default puts the cursor below the quote."""
    assert command_lines(new_text(message(f"{THUNDERBIRD}\r\nsnooze 2w\r\n"))) == ["snooze 2w"]


# -- MIME and charsets -------------------------------------------------------------------------------------


def _alternative(first: tuple[str, str], second: tuple[str, str]) -> bytes:
    parts = "".join(
        f'--BOUNDARY\r\nContent-Type: text/{subtype}; charset="UTF-8"\r\n\r\n{content}\r\n'
        for subtype, content in (first, second)
    )
    return message(f"{parts}--BOUNDARY--\r\n", 'multipart/alternative; boundary="BOUNDARY"')


@pytest.mark.parametrize("plain_first", [True, False])
def test_multipart_alternative_prefers_text_plain(plain_first: bool) -> None:
    plain = ("plain", f"snooze 2w\r\n\r\n{GMAIL_WEB}")
    html = ("html", '<div dir="ltr">pause</div><br><div class="gmail_quote">stop</div>')

    raw = _alternative(plain, html) if plain_first else _alternative(html, plain)

    assert command_lines(new_text(raw)) == ["snooze 2w"]


def test_an_html_only_reply_is_converted_to_text() -> None:
    html = (
        '<html><body><div dir="ltr">done <b>call</b></div><div>&nbsp;</div>'
        "<div>Thanks,<br>Naomi</div></body></html>"
    )

    text = body_text(message(html, HTML))

    assert "<div" not in text and "&nbsp;" not in text
    assert [c.verb for c in parse_reply(new_text(message(html, HTML)))] == ["done"]


def test_html_entities_become_characters() -> None:
    html = "<div>add Alice Example &lt;alice@example.org&gt; every 3w</div>"

    assert new_text(message(html, HTML)) == "add Alice Example <alice@example.org> every 3w"


def test_a_windows_1252_body_is_decoded() -> None:
    body = "note Café with Zoë — “soon”\r\n".encode("cp1252")

    text = new_text(message(body, 'text/plain; charset="windows-1252"'))

    assert text == "note Café with Zoë — “soon”"


def test_windows_1252_bytes_mislabelled_as_utf_8_are_still_readable() -> None:
    body = "note Café\r\n".encode("cp1252")

    assert new_text(message(body)) == "note Café"


def test_quoted_printable_latin_1_is_decoded() -> None:
    raw = message("note Caf=E9 =E0 Lisboa\r\n", 'text/plain; charset="iso-8859-1"', "quoted-printable")

    assert new_text(raw) == "note Café à Lisboa"


@pytest.mark.parametrize(
    "content_type", ['text/plain; charset="UTF-8"', 'text/plain; charset="x-no-such-charset"', "text/plain"]
)
def test_invalid_bytes_decode_without_crashing(content_type: str) -> None:
    body = b"note bad \xff\xfe\x81\x8d\xc3( bytes\r\n"

    text = new_text(message(body, content_type))

    assert text.startswith("note bad ")
    assert text.endswith(" bytes")
    assert [c.verb for c in parse_reply(text)] == ["note"]


def test_a_message_without_a_body_has_no_command() -> None:
    raw = b"From: naomi@example.com\r\nSubject: Re: x\r\n\r\n"

    assert new_text(raw) == ""
    with pytest.raises(CommandError, match="no command found"):
        parse_reply(new_text(raw))


def test_hostile_mime_gives_no_command_rather_than_a_crash() -> None:
    raw = message("--X\r\nContent-Type: text/plain\r\n", 'multipart/mixed; boundary="X"')

    with pytest.raises(CommandError):
        parse_reply(new_text(raw))


# -- size ----------------------------------------------------------------------------------------------------


def test_a_10000_line_reply_does_not_crash_and_its_prose_is_left_alone() -> None:
    body = "snooze 2w\r\n" + "".join(f"line {n} of a very long reply\r\n" for n in range(10_000))
    started = time.monotonic()

    text = new_text(message(body))

    assert time.monotonic() - started < 5
    assert text.startswith("snooze 2w\nline 0 of a very long reply")
    assert [c.verb for c in parse_reply(text)] == ["snooze"]


def test_a_10000_command_reply_is_refused_as_too_many_commands() -> None:
    with pytest.raises(CommandError, match="more than 50 command lines"):
        parse_reply(new_text(message("done\r\n" * 10_000)))


def test_a_10000_line_quote_under_a_short_reply() -> None:
    quote = "".join(f"> quoted line {n}\r\n" for n in range(10_000))
    body = f"done\r\n\r\nOn Thu, Nov 26, 2026 at 8:30 AM keepwarm <{DAEMON}> wrote:\r\n{quote}"

    assert new_text(message(body)) == "done"


def test_a_message_of_one_enormous_line_keeps_its_start() -> None:
    """Cut at the read limit: at its last line end, unless that would lose nearly all of it."""
    body = "done" + "<blockquote>" * 30_000
    assert new_text(message(body, HTML)) == "done"


def test_on_on_on_is_read_in_bounded_time() -> None:
    started = time.monotonic()
    text = new_text(message("done\r\n" + "On " * 85_000))
    assert time.monotonic() - started < 5
    assert [c.verb for c in parse_reply(text)] == ["done"]
