"""The new text of a reply: the owner's own lines, without the quoted reminder under them.

mail-parser-reply knows how the common clients introduce a quote in many languages ("On … wrote:",
"Am … schrieb", Outlook's "From: … Sent: …" block); html2text turns an HTML-only reply (Outlook,
some phones) into text first. A reply is read from at most COMMAND_BYTES of the message.
"""

from __future__ import annotations

import logging
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import html2text
from mailparser_reply import EmailReplyParser

from keepwarm.domain.inbound import COMMAND_BYTES

log = logging.getLogger("keepwarm.reply")

# Every language the parser knows: the owner's mail client may speak any of them.
_LANGUAGES = ["en", "de", "cs", "da", "es", "fr", "it", "ja", "ko", "nl", "pl", "sv", "zh", "david"]
_parser = BytesParser(policy=policy.default)


def _decoded(part: Message) -> str:
    """A text part as str, whatever its declared (or wrong) charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    for charset in (part.get_content_charset() or "utf-8", "utf-8", "cp1252"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeError, ValueError):  # unknown, "undefined", or a NUL in the name
            continue
    return payload.decode("utf-8", "replace")


def _html_to_text(html: str, *, links: bool) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no re-wrapping: one command per line must stay one line
    converter.single_line_break = True  # Outlook writes each line as a <p> or <div>
    converter.ignore_images = True
    # Commands want plain lines; something shared wants its links, as [text](url).
    converter.ignore_links = not links
    try:
        return str(converter.handle(html))
    except Exception:  # the HTML parser asserts on some malformed markup; keep the words anyway
        log.warning("HTML part could not be converted; reading its text without markup")
        return re.sub(r"<[^>]*>", " ", html)


def body_text(raw: bytes, *, links: bool = False) -> str:
    """The message's text: text/plain preferred, else its HTML converted to text (with its links
    as ``[text](url)`` when ``links``). A message cut at COMMAND_BYTES loses its cut-off last line."""
    truncated = len(raw) >= COMMAND_BYTES
    if truncated:
        raw = raw[: raw.rfind(b"\n", 0, COMMAND_BYTES) + 1] or raw[:COMMAND_BYTES]
    try:
        msg = _parser.parsebytes(raw)
    except Exception:  # the email package has many ways to fail on hostile MIME
        log.warning("unparseable message body; treating it as empty")
        return ""
    assert isinstance(msg, EmailMessage)
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, LookupError, ValueError, TypeError, AttributeError, IndexError):
        part = None
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        if truncated and "<" in text:
            text = text[: text.rfind("<")]  # a tag cut in half would read as text
        return _html_to_text(text, links=links)
    return text


def new_text(raw: bytes) -> str:
    """The part of a reply the owner just wrote: quotes, reply headers and signatures removed."""
    text = body_text(raw).replace("\r\n", "\n")
    try:
        replies = EmailReplyParser(languages=_LANGUAGES).read(text=text).replies
    except Exception:  # a third-party parser must not take the daemon down; fall back to the text
        log.warning("reply parser failed; reading commands from the whole text")
        return text
    if not replies:
        return ""
    first = replies[0]
    if not first.headers:
        return str(first.body)
    # The text opens with a quote header: nothing was written above the quote. A bottom-posted
    # reply (Thunderbird's habit) has its new lines under the quote: keep the unquoted ones.
    return "\n".join(
        line for line in str(first.body).splitlines() if not line.lstrip().startswith(">")
    ).strip()
