"""Meeting invitations shaped as the big calendar services send them, for the test bed.

Google Calendar: multipart/mixed holding multipart/alternative (text/plain, text/html, text/calendar
with METHOD:REQUEST, base64) and the same calendar again as an ``invite.ics`` attachment
(application/ics). Outlook: multipart/alternative of text/plain, text/html and text/calendar in
quoted-printable. Each event has an ORGANIZER, ATTENDEEs with PARTSTAT and, for Google, a Meet link.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime


def ics(
    uid: str,
    start: datetime,
    organizer: str,
    attendees: Sequence[tuple[str, str]],
    *,
    method: str = "REQUEST",
    summary: str = "Coffee",
    link: str = "",
    status: str = "CONFIRMED",
) -> str:
    """A one-event VCALENDAR; ``attendees`` are (address, PARTSTAT)."""
    stamp = start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    people = "".join(
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={state};CN={address}:mailto:{address}\r\n"
        for address, state in attendees
    )
    where = f"LOCATION:{link}\r\nDESCRIPTION:Join: {link}\r\n" if link else "LOCATION:Cafe Central\r\n"
    return (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        f"CALSCALE:GREGORIAN\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n"
        f"DTSTART:{stamp}\r\nDTEND:{end}\r\nDTSTAMP:{stamp}\r\n"
        f"ORGANIZER;CN={organizer}:mailto:{organizer}\r\nUID:{uid}\r\n{people}"
        f"CREATED:{stamp}\r\n{where}SEQUENCE:0\r\nSTATUS:{status}\r\nSUMMARY:{summary}\r\n"
        "TRANSP:OPAQUE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _wrapped(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def google(sender: str, to: str, sent: datetime, calendar: str, msgid: str, subject: str) -> bytes:
    """An invitation as Google Calendar mails it."""
    body = _wrapped(calendar.encode())
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Invitation: {subject}\r\n"
        f"Date: {format_datetime(sent)}\r\nMessage-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n"
        "Sender: Google Calendar <calendar-notification@google.com>\r\n"
        'Content-Type: multipart/mixed; boundary="mixed"\r\n\r\n'
        '--mixed\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        '--alt\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\nYou have been invited.\r\n'
        '--alt\r\nContent-Type: text/html; charset="UTF-8"\r\n\r\n<p>You have been invited.</p>\r\n'
        '--alt\r\nContent-Type: text/calendar; charset="UTF-8"; method=REQUEST\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--alt--\r\n"
        '--mixed\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--mixed--\r\n"
    ).encode()


def outlook(sender: str, to: str, sent: datetime, calendar: str, msgid: str, subject: str) -> bytes:
    """An invitation as Outlook mails it."""
    body = quopri.encodestring(calendar.encode()).decode()
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(sent)}\r\nMessage-ID: <{msgid}>\r\nMIME-Version: 1.0\r\n"
        "Content-Class: urn:content-classes:calendarmessage\r\n"
        'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        '--alt\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\nWhen: soon\r\n'
        '--alt\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n<p>When: soon</p>\r\n'
        '--alt\r\nContent-Type: text/calendar; charset="utf-8"; method=REQUEST\r\n'
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{body}\r\n--alt--\r\n"
    ).encode()
