"""Build keepwarm's own messages (reminders, digests, confirmations): headers that thread,
authenticate replies, stop auto-responders, and let keepwarm recognise its own mail.

Pure: strings in, an EmailMessage out. Every header value is collapsed to one line first, so a
contact's display name carrying CR/LF can never smuggle a header in.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from keepwarm.mail.message import KEEPWARM_HEADER

SENDER_NAME = "keepwarm"


def one_line(text: str) -> str:
    """Collapse all whitespace, CR and LF included, to single spaces."""
    return " ".join(text.split())


def reply_address(daemon_address: str, token: str, plus_addressing: bool) -> str:
    """Where replies go: the daemon address with the token as a plus tag, when the server allows."""
    if not plus_addressing:
        return daemon_address
    local, _, domain = daemon_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def message_id(token: str, daemon_address: str) -> str:
    """A Message-ID carrying the token, so In-Reply-To and References authenticate a reply too."""
    return f"<kw-{token}@{daemon_address.rpartition('@')[2]}>"


def mailto(address: str, subject: str, body: str) -> str:
    """An RFC 6068 mailto: URL that opens a new message with subject and body filled in."""
    crlf_body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    query = f"subject={quote(subject, safe='')}&body={quote(crlf_body, safe='')}"
    return f"mailto:{quote(address, safe='@')}?{query}"


def build(
    *,
    kind: str,
    daemon_address: str,
    owner_address: str,
    subject: str,
    text: str,
    html: str | None,
    token: str,
    now: datetime,
    plus_addressing: bool,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
) -> EmailMessage:
    """A message from keepwarm to the owner (never anyone else: the SMTP adapter checks again)."""
    msg = EmailMessage()
    msg["From"] = Address(SENDER_NAME, addr_spec=daemon_address)
    msg["To"] = Address(addr_spec=owner_address)
    msg["Reply-To"] = Address(SENDER_NAME, addr_spec=reply_address(daemon_address, token, plus_addressing))
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(token, daemon_address)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{one_line(in_reply_to)}>"
        msg["References"] = " ".join(f"<{one_line(r)}>" for r in (*references, in_reply_to))
    # RFC 3834: automatic mail; tells vacation responders (Exchange included) not to answer.
    msg["Auto-Submitted"] = "auto-replied" if kind == "confirmation" else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[KEEPWARM_HEADER] = f"{kind}; token={token}"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
