"""keepwarm's drafts in the owner's Drafts folder, over an ImapMailbox's connection: the one
place keepwarm writes to her mailbox.

It writes only there, and only messages it wrote: a draft is appended with keepwarm's draft
header (``compose.DRAFT_HEADER``) and a Message-ID of its own, and is removed only when the
message at its UID still carries both exactly (SEARCH narrows, the fetched header fields decide).
Removal is UID STORE \\Deleted, then UID EXPUNGE of that UID alone (UIDPLUS, RFC 4315); a plain
EXPUNGE, or CLOSE, would also remove whatever the owner marked \\Deleted there, so without UIDPLUS
the draft is only marked. Leaving the folder is an EXAMINE, which expunges nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from email import message_from_bytes
from email.policy import compat32
from typing import Any

from keepwarm.domain.folders import Folder, drafts_folder
from keepwarm.errors import TransientError, plain
from keepwarm.mail.compose import DRAFT_HEADER
from keepwarm.mail.connect import WIRE_ERRORS
from keepwarm.mail.imap import ImapMailbox
from keepwarm.ports import DraftPlace

log = logging.getLogger("keepwarm.drafts")

_FIELDS = f"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID {DRAFT_HEADER.upper()})]"
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_DRAFT, _SEEN, _DELETED = b"\\Draft", b"\\Seen", b"\\Deleted"


class ImapDrafts:
    """A DraftsFolder over one logged-in ImapMailbox (closed with it)."""

    def __init__(self, mailbox: ImapMailbox) -> None:
        self._mailbox = mailbox
        self._client = mailbox.writer()

    @property
    def can_expunge_one(self) -> bool:
        """Whether UID EXPUNGE exists here (UIDPLUS): without it nothing is ever expunged."""
        return b"UIDPLUS" in self._mailbox.capabilities

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WIRE_ERRORS as exc:
            raise TransientError(f"IMAP {what} in the Drafts folder failed: {plain(exc)}") from None

    def find_folder(self) -> str | None:
        """The folder flagged \\Drafts, else one with a usual drafts name."""
        return drafts_folder([Folder(f.name, f.special_use) for f in self._mailbox.folders()])

    def _own(self, message_id: str, marker: str, only: set[int] | None = None) -> list[int]:
        """UIDs in the selected folder whose Message-ID and draft header are exactly these."""
        found = self._call("SEARCH", self._client.search, ["HEADER", "Message-ID", message_id])
        candidates = sorted(int(u) for u in found if only is None or int(u) in only)
        if not candidates:
            return []
        own = []
        for uid, item in self._call("FETCH", self._client.fetch, candidates, [_FIELDS]).items():
            raw = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"") or b""
            headers = message_from_bytes(raw, policy=compat32)
            ids = [str(v).strip() for v in headers.get_all("Message-ID") or []]
            marks = [str(v).strip() for v in headers.get_all(DRAFT_HEADER) or []]
            if ids == [message_id] and marks == [marker]:
                own.append(int(uid))
        return sorted(own)

    def find_own(self, folder: str, message_id: str, marker: str) -> DraftPlace | None:
        """The draft keepwarm appended with this Message-ID, if the folder holds it."""
        info = self._call("EXAMINE", self._client.select_folder, folder, readonly=True)
        own = self._own(message_id, marker)
        return DraftPlace(folder, int(info.get(b"UIDVALIDITY", 0)), own[0]) if own else None

    def append(self, folder: str, raw: bytes, message_id: str, marker: str, when: datetime) -> DraftPlace:
        """APPEND the draft (\\Draft, \\Seen); its UID from APPENDUID, else found by Message-ID."""
        answer = self._call("APPEND", self._client.append, folder, raw, flags=(_DRAFT, _SEEN), msg_time=when)
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
        if match:
            return DraftPlace(folder, int(match.group(1)), int(match.group(2)))
        return self.find_own(folder, message_id, marker) or DraftPlace(folder, 0, None)

    def remove_own(self, place: DraftPlace, message_id: str, marker: str) -> bool:
        """Delete keepwarm's draft at ``place`` if it is still there as keepwarm wrote it."""
        info = self._call("SELECT", self._client.select_folder, place.folder)
        try:
            same = int(info.get(b"UIDVALIDITY", 0)) == place.uidvalidity and place.uid is not None
            own = self._own(message_id, marker, {place.uid} if same and place.uid is not None else None)
            if not own:
                return False
            self._call("STORE", self._client.add_flags, own, [_DELETED])
            if self.can_expunge_one:
                self._call("UID EXPUNGE", self._client.uid_expunge, own)
            else:
                log.info(
                    "no UIDPLUS: keepwarm's old draft in %s is marked deleted, not expunged", place.folder
                )
            return True
        finally:
            # Leave the folder without CLOSE, which would expunge the owner's \Deleted messages too.
            self._call("EXAMINE", self._client.select_folder, place.folder, readonly=True)

    def close(self) -> None:
        """Log out (LOGOUT expunges nothing)."""
        self._mailbox.close()
