"""One long-lived IMAP connection for the daemon: lent to every poll, idling in between.

A fresh TLS login per poll is what providers throttle; a reply to a reminder should be answered
in seconds, not at the next poll. So the daemon keeps one connection: each poll borrows it (its
``close`` gives it back instead of logging out), and between polls it sits in IDLE on the folder
where mail to the daemon arrives, so new mail there is polled at once. IDLE is re-issued every
``refresh`` (servers drop it after about 30 minutes), which also proves the connection alive; a
connection that fails is dropped, and the next poll, with its backoff, logs in again. A server
without IDLE is simply polled on the interval, over the same connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta

from keepwarm.errors import TransientError
from keepwarm.mail.imap import ImapMailbox
from keepwarm.ports import FolderInfo, FolderStatus, RawMail

log = logging.getLogger("keepwarm.watch")

REFRESH = timedelta(minutes=10)
# "Not idling yet": monotonic time starts near 0 at boot, so 0.0 would read as "just now" on a
# machine up for less than REFRESH, and IDLE would never begin there.
NEVER = float("-inf")


class Watcher:
    """The daemon's IMAP connection, and the IDLE on it between polls."""

    def __init__(
        self,
        connect: Callable[[], ImapMailbox],
        folders: Sequence[str],
        refresh: timedelta = REFRESH,
        *,
        idle: bool = True,
    ) -> None:
        self._connect = connect
        self._idle = idle  # False: only kept, for a mailbox polled on the interval
        self._setting = tuple(folders)
        self._refresh = refresh.total_seconds()
        self._mailbox: ImapMailbox | None = None
        self._folder: str | None = None
        self._idle_since = NEVER
        self._seen: dict[str, int] = {}  # folder -> the UIDNEXT the last poll saw
        self.idle_supported: bool | None = None

    def borrow(self) -> _Lent:
        """The connection for one poll (logging in if there is none): its ``close`` keeps it."""
        if self._mailbox is None:
            self._mailbox = self._connect()
            self.idle_supported = self._idle and self._mailbox.can_idle
            if self._idle and not self.idle_supported:
                log.info("the IMAP server has no IDLE: polling on the interval")
        return _Lent(self._mailbox, self)

    @property
    def folder(self) -> str | None:
        """The folder IDLE watches: the first watched one (INBOX, or Gmail's All Mail), where
        mail to the daemon arrives; None until a poll has logged in."""
        if self._folder is None and self._mailbox is not None:
            watched = self._mailbox.watched_folders(self._setting)
            self._folder = watched[0] if watched else None
        return self._folder

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if mail arrived in the watched folder meanwhile.

        Without a connection, a folder or IDLE this is a plain sleep. A failure drops the
        connection (the next poll logs in again) and counts as news, so that poll comes soon."""
        mailbox = self._mailbox
        try:
            folder = self.folder if self.idle_supported else None
            if mailbox is None or folder is None:
                time.sleep(seconds)
                return False
            if time.monotonic() - self._idle_since >= self._refresh:
                mailbox.idle_end()
                opened = mailbox.idle_begin(folder)
                self._idle_since = time.monotonic()
                # IDLE announces only what arrives from now on: mail that came after the last
                # poll looked, and before IDLE began, shows as a higher UIDNEXT.
                if opened.uidnext > self._seen.get(folder, opened.uidnext):
                    return True
            return mailbox.idle_wait(seconds)
        except TransientError as exc:
            log.warning("IMAP connection lost while idling (%s): logging in again", exc)
            self.drop()
            return True

    def drop(self) -> None:
        """Forget the connection (after an error): log out if it still answers."""
        mailbox, self._mailbox = self._mailbox, None
        self._idle_since = NEVER
        self._folder = None
        self._seen.clear()
        if mailbox is not None:
            mailbox.close()

    def returned(self) -> None:
        """A poll is done with the connection: idle again at the next ``wait``."""
        self._idle_since = NEVER

    def saw(self, folder: str, status: FolderStatus) -> FolderStatus:
        """Note how far a poll saw ``folder`` (its UIDNEXT when it looked)."""
        self._seen[folder] = status.uidnext
        return status


class _Lent:
    """The kept connection as a MailSource for one poll; ``close`` hands it back."""

    def __init__(self, mailbox: ImapMailbox, owner: Watcher) -> None:
        self._mailbox = mailbox
        self._owner = owner

    def folders(self) -> list[FolderInfo]:
        return self._mailbox.folders()

    def watched_folders(self, setting: Sequence[str]) -> list[str]:
        return self._mailbox.watched_folders(setting)

    def status(self, folder: str) -> FolderStatus:
        return self._owner.saw(folder, self._mailbox.status(folder))

    def open(self, folder: str) -> FolderStatus:
        return self._owner.saw(folder, self._mailbox.open(folder))

    def uids_after(self, last_uid: int, since: date | None) -> list[int]:
        return self._mailbox.uids_after(last_uid, since)

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[RawMail]:
        return self._mailbox.fetch_headers(uids)

    def fetch_message(self, uid: int, max_bytes: int) -> bytes:
        return self._mailbox.fetch_message(uid, max_bytes)

    def invitations(self, uids: Sequence[int]) -> dict[int, list[bytes]]:
        return self._mailbox.invitations(uids)

    def has_message(self, folder: str, message_id: str) -> bool:
        return self._mailbox.has_message(folder, message_id)

    def close(self) -> None:
        self._owner.returned()
