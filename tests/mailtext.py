"""Reading keepwarm's text parts as a flowed-aware mail client does (RFC 3676), written apart
from keepwarm's own reader so that a test never checks keepwarm against itself."""

from __future__ import annotations

from email.message import EmailMessage, Message


def unflow(text: str) -> str:
    """Undo space-stuffing and join soft-broken lines (a line ending in a space, not "-- ")."""
    joined: list[str] = []
    soft = False
    for sent in text.replace("\r\n", "\n").split("\n"):
        line = sent[1:] if sent.startswith(" ") else sent
        if soft:
            joined[-1] += line
        else:
            joined.append(line)
        soft = line.endswith(" ") and line != "-- "
    return "\n".join(joined)


def part_text(part: Message | EmailMessage) -> str:
    """A text part's content, LF line ends, unflowed when it says format=flowed."""
    content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload(decode=True)
    text = content.decode() if isinstance(content, bytes) else str(content)
    text = text.replace("\r\n", "\n")
    return unflow(text) if str(part.get_param("format") or "").lower() == "flowed" else text


def plain_text(msg: EmailMessage) -> str:
    """The message's text/plain body as a person reads it."""
    part = msg.get_body(("plain",))
    assert part is not None, "no text/plain part"
    return part_text(part)
