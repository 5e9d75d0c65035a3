"""The new text of a reply: the owner's own lines, without the quote and the signature under them.

Three steps, each catching what the one before may miss:

1. An HTML part loses its quote and signature containers before it becomes text (Beautiful Soup):
   ``blockquote``, Gmail's ``gmail_quote``/``gmail_signature``, Thunderbird's ``moz-cite-prefix``,
   Yahoo's ``yahoo_quoted``, Zoho's ``zmail_extra``, and for Outlook and Exchange everything from
   ``divRplyFwdMsg``, ``appendonsend``, ``messageReplySection``, a rule (``<hr>``) or a bordered
   header block onwards. html2text then turns what is left into plain lines.
2. ``domain.quotes`` cuts the text where the quote starts: attribution lines in many languages,
   header blocks, separators, ``>`` marks, and keepwarm's own message when the reply quotes it.
3. mail-parser-reply reads the result once more for the attributions it knows.

A reply is read from at most ``COMMAND_BYTES`` of the message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import html2text
from bs4 import BeautifulSoup, Tag
from mailparser_reply import EmailReplyParser

from keepwarm.domain import quotes
from keepwarm.domain.inbound import COMMAND_BYTES

log = logging.getLogger("keepwarm.reply")

# Every language the parser knows: the owner's mail client may speak any of them.
_LANGUAGES = ["en", "de", "cs", "da", "es", "fr", "it", "ja", "ko", "nl", "pl", "sv", "zh", "david"]
# The second reader is given no more than this: what the owner types is short, and it is slow on
# some hostile input ("On On On …").
_SECOND_READ_BYTES = 4 * 1024
_parser = BytesParser(policy=policy.default)

# Containers that hold a quote or a signature, and nothing the owner just wrote.
# (Gmail's own "gmail_quote" div is not one: the quote is the blockquote inside it, and a reply
# written under or between the quoted parts sits beside it, in the same div.)
_QUOTE_CLASSES = re.compile(
    r"gmail_attr|gmail_signature|moz-cite-prefix|moz-signature|yahoo_quoted"
    r"|zmail_extra|zmail_signature|OutlookMessageHeader|mail-quote|protonmail_quote",
    re.IGNORECASE,
)
_QUOTE_IDS = re.compile(r"^(?:yahoo_quoted|AppleMailSignature|Signature|zmail_extra)", re.IGNORECASE)
# Where Outlook and Exchange start the quoted message: it and everything after it go.
_QUOTE_STARTS = re.compile(
    r"^(?:x_)?(?:divRplyFwdMsg|appendonsend|messageReplySection|divtagdefaultwrapper_quote)$"
)
# Outlook draws its header block with a top border, written several ways.
_BORDERED = re.compile(
    r"border-top(?:-style)?\s*:\s*solid|border-style\s*:\s*solid\s+none\s+none", re.IGNORECASE
)
# Charsets that mail declares and means a superset of: decode with the superset.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "iso-8859-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_BLANKS = re.compile(r"[ \t\r\n\f]{2,}")
# html2text escapes what would be Markdown at the start of a line ("\--------", "\-- ").
_MARKDOWN_ESCAPE = re.compile(r"^(\s*)\\(?=[-+*#>=_])", re.MULTILINE)


def _decoded(part: Message) -> str:
    """A text part as str, whatever its declared (or wrong) charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    declared = part.get_content_charset() or "utf-8"
    for charset in (_SUPERSETS.get(declared, declared), "utf-8", "cp1252"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeError, ValueError):  # unknown, "undefined", or a NUL in the name
            continue
    return payload.decode("utf-8", "replace")


def _remove_from(tag: Tag) -> None:
    """Remove ``tag`` and everything after it in the document."""
    node: Tag | None = tag
    while node is not None and node.name != "[document]":
        for sibling in list(node.next_siblings):
            sibling.extract()
        node = node.parent
    tag.extract()


def _starts_quote(tag: Tag) -> bool:
    if tag.name == "hr":
        return True
    names = [str(tag.get("id") or ""), *(str(n) for n in (tag.get("name"),) if n)]
    if any(_QUOTE_STARTS.match(name) for name in names):
        return True
    # Outlook's header block: a div with a top border, "From: … Sent: …" inside.
    return tag.name == "div" and bool(_BORDERED.search(str(tag.get("style") or "")))


def _is_quote_container(tag: Tag) -> bool:
    if tag.name == "blockquote":
        return True
    classes = " ".join(str(c) for c in (tag.get("class") or []))
    if _QUOTE_CLASSES.search(classes) or tag.get("data-smartmail") == "gmail_signature":
        return True
    return bool(_QUOTE_IDS.match(str(tag.get("id") or "")))


def prune_quotes(html: str) -> str:
    """The HTML without its quote and signature containers (and Outlook's quote onwards)."""
    try:
        soup = BeautifulSoup(html, "html.parser")
        start = next((t for t in soup.find_all(True) if isinstance(t, Tag) and _starts_quote(t)), None)
        if start is not None:
            _remove_from(start)
        for tag in [t for t in soup.find_all(True) if isinstance(t, Tag) and _is_quote_container(t)]:
            if tag.parent is not None:  # not already gone with an outer container
                tag.decompose()
        return str(soup)
    except Exception:  # html.parser asserts on some hostile markup: read the part as it is
        log.warning("HTML quote containers could not be read; keeping the whole HTML part")
        return html


def _html_to_text(html: str, *, links: bool) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no re-wrapping: one command per line must stay one line
    converter.single_line_break = True  # Outlook writes each line as a <p> or <div>
    converter.ignore_images = True
    # Commands want plain lines; something shared wants its links, as [text](url).
    converter.ignore_links = not links
    try:
        # Runs of blanks mean one blank in HTML, and html2text takes quadratic time on long ones.
        return _MARKDOWN_ESCAPE.sub(r"\1", str(converter.handle(_BLANKS.sub(" ", html))))
    except Exception:  # the HTML parser asserts on some malformed markup; keep the words anyway
        log.warning("HTML part could not be converted; reading its text without markup")
        return re.sub(r"<[^>]*>", " ", html)


def _message(raw: bytes) -> tuple[EmailMessage | None, bool]:
    """The parsed message (None if unparseable), and whether it was cut at COMMAND_BYTES."""
    truncated = len(raw) >= COMMAND_BYTES
    if truncated:
        # Cut at the last line end, unless that would lose most of it (one enormous line).
        line_end = raw.rfind(b"\n", 0, COMMAND_BYTES) + 1
        raw = raw[:line_end] if line_end > COMMAND_BYTES // 2 else raw[:COMMAND_BYTES]
    try:
        msg = _parser.parsebytes(raw)
    except Exception:  # the email package has many ways to fail on hostile MIME
        log.warning("unparseable message body; treating it as empty")
        return None, truncated
    assert isinstance(msg, EmailMessage)
    return msg, truncated


def _part_text(part: Message, truncated: bool, *, links: bool, prune: bool) -> str:
    text = _decoded(part)
    if part.get_params() and str(part.get_param("format") or "").lower() == "flowed":
        text = _unflowed(text, str(part.get_param("delsp") or "").lower() == "yes")
    if part.get_content_subtype() == "html":
        if truncated and "<" in text:
            text = text[: text.rfind("<")]  # a tag cut in half would read as text
        return _html_to_text(prune_quotes(text) if prune else text, links=links)
    return text


def _body(msg: EmailMessage, subtypes: tuple[str, ...]) -> Message | None:
    try:
        return msg.get_body(preferencelist=subtypes)
    except (KeyError, LookupError, ValueError, TypeError, AttributeError, IndexError):
        return None


def body_text(raw: bytes, *, links: bool = False, prune: bool = False) -> str:
    """The message's text: text/plain preferred, else its HTML converted to text (with its links
    as ``[text](url)`` when ``links``; without its quote containers when ``prune``). A message
    cut at COMMAND_BYTES loses its cut-off last line."""
    msg, truncated = _message(raw)
    part = _body(msg, ("plain", "html")) if msg is not None else None
    return "" if part is None else _part_text(part, truncated, links=links, prune=prune)


def _unflowed(text: str, delsp: bool) -> str:
    """RFC 3676: a line ending in a space continues on the next one of the same quote depth (the
    client wrapped it), so that a long command written on one line is read on one line."""
    lines: list[str] = []
    joining, last_depth = False, 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        body = raw[depth:]
        body = body[1:] if body.startswith(" ") else body  # space-stuffing, or the quote's space
        line = raw[:depth] + (" " if depth else "") + body
        if joining and lines and depth == last_depth:
            lines[-1] += body
        else:
            lines.append(line)
        joining, last_depth = body.endswith(" ") and body.strip() != "--", depth
        if joining and delsp:
            lines[-1] = lines[-1][:-1]
    return "\n".join(lines)


def _second_read(text: str) -> str:
    """mail-parser-reply's reading: it may know an attribution the first cut did not."""
    head = text[:_SECOND_READ_BYTES]
    try:
        replies = EmailReplyParser(languages=_LANGUAGES).read(text=head).replies
    except Exception:  # a third-party parser must not take the daemon down; keep the first cut
        log.warning("reply parser failed; keeping the text as cut")
        return text
    if not replies or replies[0].headers:
        return text  # nothing it knows, or a quote header first: the first cut decided that
    body = str(replies[0].body)
    return body if len(body.strip()) < len(head.strip()) else text


def _cut(text: str, sent: Collection[str]) -> str:
    return _second_read(quotes.new_text(text.replace("\r\n", "\n"), sent)).strip("\n")


def new_text(raw: bytes, sent: Collection[str] = ()) -> str:
    """The part of a reply the owner just wrote. ``sent``: the distinctive lines of the keepwarm
    message it answers (``domain.quotes.distinctive_lines``), when known."""
    return _cut(body_text(raw, prune=True), sent)


def new_texts(raw: bytes, sent: Collection[str] = ()) -> list[str]:
    """The new text of the plain part and, when the message has both, of the HTML part too: the
    HTML marks its quote structurally, and holds the lines a plain part may have wrapped."""
    msg, truncated = _message(raw)
    if msg is None:
        return [""]
    plain, html = _body(msg, ("plain",)), _body(msg, ("html",))
    texts = [_cut(_part_text(p, truncated, links=False, prune=True), sent) for p in (plain, html) if p]
    return texts or [""]
