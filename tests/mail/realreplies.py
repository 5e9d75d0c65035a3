"""The real-client replies of ``../shared/replies`` (outside this repository): loading them, and
the same messages with the blank lines under the owner's commands taken out, which is how many
people write (and what made the quote run straight on from the commands)."""

from __future__ import annotations

import email
import json
import os
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

REPLIES = Path(__file__).resolve().parents[3] / "shared" / "replies"
# Markup between two pieces of text: tags, spaces, no-break spaces.
_INVISIBLE = re.compile(r"(?:<[^>]*>|\s|&nbsp;|&#160;|\xa0)*", re.IGNORECASE)
# What makes a line break or an empty line: a <br>, or an element holding nothing visible.
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:div|p|li|blockquote|td|tr|table|h\d)\s*>", re.IGNORECASE)
_EMPTY_ELEMENT = re.compile(
    r"<(?P<tag>div|p|span|font)\b[^>]*>(?:\s|&nbsp;|&#160;|\xa0|<o:p>\s*</o:p>)*</(?P=tag)>", re.IGNORECASE
)


@dataclass(frozen=True)
class Case:
    """One reply and what the owner typed in it."""

    id: str
    kind: str
    typed: str
    expected: list[dict[str, Any]]
    raw: bytes
    client: str


def cases() -> list[Case]:
    """Every case; skipped when the folder is missing (it always is in CI: it must not be)."""
    manifest = REPLIES / "manifest.json"
    if not manifest.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{REPLIES} is missing: CI must have the shared replies")
        pytest.skip(f"{REPLIES} is not here")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return [
        Case(
            c["id"],
            c["kind"],
            c["typed"] or "",
            c["expected"],
            (REPLIES / c["file"]).read_bytes(),
            c["client"],
        )
        for c in data["cases"]
    ]


def _typed_lines(typed: str) -> list[str]:
    return [line.strip() for line in typed.splitlines() if line.strip()]


def _squeeze_text(text: str, typed: list[str]) -> str:
    """Remove the blank lines right under each typed line."""
    lines = text.split("\n")
    out: list[str] = []
    skipping = False
    for line in lines:
        if skipping and not line.strip():
            continue
        skipping = bool(typed) and line.strip().lower() in {t.lower() for t in typed}
        out.append(line)
    return "\n".join(out)


def _squeeze_html(html: str, typed: list[str]) -> str:
    """Remove line breaks and empty paragraphs between the last typed line and the next text."""
    if not typed:
        return html
    last = typed[-1]
    for form in (
        last,
        last.replace("'", "&#39;"),
        last.replace("'", "&#x27;"),
        last.replace("\u2019", "&rsquo;"),
    ):
        at = html.lower().rfind(form.lower())
        if at < 0:
            continue
        end = at + len(form)
        gap = _INVISIBLE.match(html, end)
        stop = gap.end() if gap else end
        breaks = len(_BREAK.findall(html[end:stop]))
        region = _BREAK.sub("", html[end:stop])
        while (shorter := _EMPTY_ELEMENT.sub("", region)) != region:
            region = shorter
        if breaks and not _BLOCK_END.search(region):
            region = "<br>" + region  # the line still ends there: only the empty line goes
        return html[:end] + region + html[stop:]
    return html


def without_blank_lines(case: Case) -> bytes:
    """The same message with nothing between the typed commands and what follows them."""
    msg = email.message_from_bytes(case.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    typed = _typed_lines(case.typed)
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        content = part.get_content()
        crlf = "\r\n" in content
        text = content.replace("\r\n", "\n")
        squeezed = (
            _squeeze_html(text, typed) if part.get_content_subtype() == "html" else _squeeze_text(text, typed)
        )
        if squeezed != text:
            charset = part.get_content_charset() or "utf-8"
            part.set_content(
                squeezed.replace("\n", "\r\n") if crlf else squeezed,
                subtype=part.get_content_subtype(),
                charset=charset,
            )
    return msg.as_bytes()
