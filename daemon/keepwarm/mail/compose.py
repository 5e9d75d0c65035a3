"""Build keepwarm's own messages (reminders, digests, confirmations): headers that thread,
authenticate replies, stop auto-responders, and let keepwarm recognise its own mail.

Pure: strings in, an EmailMessage out. Every header value is collapsed to one line first, so a
contact's display name carrying CR/LF can never smuggle a header in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from keepwarm.mail.flowed import flowed
from keepwarm.mail.message import KEEPWARM_HEADER

SENDER_NAME = "keepwarm"
# Marks the drafts keepwarm puts in the owner's Drafts folder (``contact=<id>``): the only ones it
# ever replaces or removes. Not X-Keepwarm, which makes a message keepwarm's own mail to the owner
# and so no touch: a client that keeps the header when she sends the draft must not hide her mail.
DRAFT_HEADER = "X-Keepwarm-Draft"


@dataclass(frozen=True)
class DraftText:
    """A check-in draft as a message from the owner to the contact: what may reach the contact."""

    from_name: str
    from_address: str
    to_name: str
    to_address: str
    subject: str
    body: str
    in_reply_to: str | None = None

    @property
    def label(self) -> str:
        """How the attached copy is named: ``Draft to Alice Example``."""
        return one_line(f"Draft to {self.to_name or self.to_address}")


def one_line(text: str) -> str:
    """Collapse all whitespace, CR and LF included, to single spaces."""
    return " ".join(text.split())


def header_text(text: str) -> str:
    """Text safe in a header: one line, with no RFC 2047 word left for the email package to decode.

    The email package decodes ``=?utf-8?q?…?=`` words in values it is given; one hiding an encoded
    CR LF would become a header of its own. So words are decoded here (nested ones too) and what
    still looks like one is broken with an invisible space.
    """
    for _ in range(4):
        text = one_line(text)
        if "=?" not in text:
            return text
        try:
            decoded = one_line(str(make_header(decode_header(text))))
        except Exception:  # CharsetError, LookupError, UnicodeError…: leave it to the breaker below
            break
        if decoded == text:
            break
        text = decoded
    return text.replace("=?", "=\u200b?")


_MSGID_TEXT = re.compile(r"^[!-;=?-~]+$")  # printable ASCII without spaces, '<' or '>'


def _msgid(value: str) -> str | None:
    """A message id fit to be quoted back, or None: anything odd is left out, not repaired."""
    value = value.strip().strip("<>")
    return value if _MSGID_TEXT.match(value) and "=?" not in value else None


def reply_address(daemon_address: str, token: str, plus_addressing: bool) -> str:
    """Where replies go: the daemon address with the token as a plus tag, when the server allows."""
    if not plus_addressing:
        return daemon_address
    local, _, domain = daemon_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def message_id(token: str, daemon_address: str) -> str:
    """A Message-ID carrying the token, so In-Reply-To and References authenticate a reply too.

    The random part keeps it unique beyond this store (a token repeats when a new store with the
    same SECRET numbers its messages from 1 again within the minute): delivery looks a message up
    by its Message-ID to know whether an interrupted send went through, and mail clients merge
    messages that share one."""
    return f"<kw-{token}.{secrets.token_hex(6)}@{daemon_address.rpartition('@')[2]}>"


def mailto(address: str, subject: str, body: str, *, in_reply_to: str | None = None) -> str:
    """An RFC 6068 mailto: URL that opens a new message with subject and body filled in (and, to
    answer a mail, its In-Reply-To: RFC 6068 allows any header field)."""
    crlf_body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    query = f"subject={quote(subject, safe='')}&body={quote(crlf_body, safe='')}"
    if in_reply_to:
        query = f"in-reply-to={quote(in_reply_to, safe='')}&" + query
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
    drafts: tuple[DraftText, ...] = (),
) -> EmailMessage:
    """A message from keepwarm to the owner (never anyone else: the SMTP adapter checks again).

    Each of ``drafts`` travels as an attached message (message/rfc822) holding only the draft:
    forwarded, or sent again ("Edit as New", "Send Again"), it carries nothing else of the reminder."""
    msg = EmailMessage()
    msg["From"] = Address(SENDER_NAME, addr_spec=daemon_address)
    msg["To"] = Address(addr_spec=owner_address)
    msg["Reply-To"] = Address(SENDER_NAME, addr_spec=reply_address(daemon_address, token, plus_addressing))
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(token, daemon_address)
    parent = _msgid(in_reply_to) if in_reply_to else None
    if parent:
        chain = [m for m in (_msgid(r) for r in references) if m]
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = " ".join(f"<{m}>" for m in (*chain, parent))
    # RFC 3834: automatic mail; tells vacation responders (Exchange included) not to answer.
    msg["Auto-Submitted"] = "auto-replied" if kind == "confirmation" else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[KEEPWARM_HEADER] = f"{kind}; token={token}"
    # Wrapped at 72 columns for terminal clients; flowed, so others rejoin it (mail.flowed).
    msg.set_content(flowed(text), params={"format": "flowed"})
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for draft in drafts:
        msg.add_attachment(draft_message(draft, now), disposition="attachment", filename=f"{draft.label}.eml")
    return msg


def draft_message(
    draft: DraftText, now: datetime, *, message_id: str | None = None, marker: str | None = None
) -> EmailMessage:
    """The draft as the owner's own message to the contact (From her, To them, the draft's subject,
    In-Reply-To and References when it answers their mail). ``message_id`` and ``marker`` (the
    value of DRAFT_HEADER) are given for the copy kept in the owner's Drafts folder only."""
    msg = EmailMessage()
    msg["From"] = _mailbox(draft.from_name, draft.from_address)
    msg["To"] = _mailbox(draft.to_name, draft.to_address)
    msg["Subject"] = header_text(draft.subject)
    msg["Date"] = format_datetime(now)
    if message_id is not None:
        msg["Message-ID"] = message_id
    parent = _msgid(draft.in_reply_to) if draft.in_reply_to else None
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
        msg["References"] = f"<{parent}>"
    if marker is not None:
        msg[DRAFT_HEADER] = marker
    msg.set_content(draft.body)
    return msg


def _mailbox(name: str, address: str) -> Address | str:
    """``Name <address>``; an address the email package will not build (a non-ASCII local part,
    which SMTPUTF8 allows) is written as text, for the mail client to read as it can."""
    try:
        return Address(header_text(name), addr_spec=address)
    except ValueError:  # the email package's header defects are ValueErrors
        shown = header_text(name).replace("\\", "").replace('"', "")
        return f'"{shown}" <{one_line(address)}>' if shown else f"<{one_line(address)}>"
