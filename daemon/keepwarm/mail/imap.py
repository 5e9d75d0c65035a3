"""The IMAP adapter: a read-only view of the owner's mailbox through imapclient.

The connection is opened by ``mail.connect`` (TLS verified, the login's errors mapped); folders
are opened with EXAMINE and headers are fetched with BODY.PEEK, so the owner's mail is never
marked read, moved or deleted. A command's failure on the wire is a TransientError (retry
later). The one exception to read-only is ``mail.drafts`` (SAVE_DRAFTS), which writes keepwarm's
own drafts over ``writer()``.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError
from imapclient.response_parser import parse_fetch_response

from keepwarm.config import ServerConfig
from keepwarm.domain.folders import Choice, Folder, choose, sees_outgoing, watched
from keepwarm.errors import ConfigError, TransientError, plain
from keepwarm.mail.connect import DEAD_CONNECTION, WIRE_ERRORS, connect, quietly_close
from keepwarm.mail.fetched import Headers, from_imapclient, read_fetch
from keepwarm.mail.message import HEADER_FIELDS
from keepwarm.mail.structure import calendar_parts, decoded, sequence_set
from keepwarm.ports import FolderInfo, FolderStatus, RawMail

log = logging.getLogger("keepwarm.imap")
_IMAPLIB_TRACE = logging.getLogger("imapclient.imaplib")

FETCH_BATCH = 500
# From this many candidates on, a batch's invitations are first looked for with SEARCH BODY.
SEARCH_FROM = 20
_PEEK = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"
_SPECIAL = ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")


class ImapMailbox:
    """One logged-in IMAP connection to the owner's mailbox (a MailSource)."""

    def __init__(
        self,
        server: ServerConfig,
        *,
        token: Callable[[], str] | None = None,
        connect_timeout: float = 15,
        read_timeout: float = 30,
    ) -> None:
        if server.host is None or server.user is None or (server.password is None and token is None):
            raise ConfigError(["KEEPWARM_IMAP_HOST, _USER and a password (or OAuth) are needed to read mail"])
        self._server = server
        self._token = token
        self._selected: str | None = None
        self._idling = False
        self._read_timeout = read_timeout
        self._client = connect(server, SocketTimeout(connect=connect_timeout, read=read_timeout), token)

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.idle_end()  # in IDLE only DONE may be sent: any other command ends it first
        try:
            return func(*args, **kwargs)
        except WIRE_ERRORS as exc:
            raise TransientError(f"IMAP {what} failed: {plain(exc)}") from None

    @property
    def capabilities(self) -> tuple[bytes, ...]:
        """What the server says it can do."""
        return tuple(self._call("CAPABILITY", self._client.capabilities))

    def folders(self) -> list[FolderInfo]:
        """Every folder with its flags and SPECIAL-USE role."""
        found = []
        for flags, _delimiter, name in self._call("LIST", self._client.list_folders):
            texts = tuple(f.decode() if isinstance(f, bytes) else str(f) for f in flags)
            special = next((f for f in texts if f in _SPECIAL), None)
            found.append(FolderInfo(str(name), texts, special))
        return found

    def folder_choices(self, setting: Sequence[str]) -> list[Choice]:
        """Every folder, whether it is watched and why (``auto``: see ``keepwarm.domain.folders``)."""
        listed = [Folder(f.name, f.special_use) for f in self.folders()]
        return choose(listed, gmail=b"X-GM-EXT-1" in self.capabilities, setting=tuple(setting))

    def watched_folders(self, setting: Sequence[str]) -> list[str]:
        """The folders to read: the names given, or for ``auto`` every folder of the owner's mail."""
        if tuple(setting) != ("auto",):
            return list(setting)
        choices = self.folder_choices(setting)
        if not sees_outgoing(choices):
            log.warning("no Sent folder found (no \\Sent flag, no usual name): outgoing mail is missed")
        return watched(choices)

    def writer(self) -> IMAPClient:
        """The connection itself, for ``mail.drafts`` alone: the one module that writes to the
        mailbox, and only keepwarm's own drafts. IDLE ends, and the selected folder is forgotten."""
        self.idle_end()
        self._selected = None
        return self._client

    def status(self, folder: str) -> FolderStatus:
        """STATUS: a fraction of a millisecond, where EXAMINE of a big folder takes tens."""
        if folder == self._selected:
            # Dovecot answers STATUS of the selected folder from the connection's own view, which
            # moves only with a command that syncs it: without this NOOP a kept connection would
            # not see mail moved into the folder it last read.
            self._call("NOOP", self._client.noop)
        info = self._call(
            f"STATUS {folder}", self._client.folder_status, folder, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        )
        return FolderStatus(
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(info.get(b"UIDNEXT", 0)),
            exists=int(info.get(b"MESSAGES", 0)),
        )

    def open(self, folder: str) -> FolderStatus:
        """EXAMINE the folder: read-only, so flags cannot change through this connection."""
        self._selected = None
        info = self._call(f"EXAMINE {folder}", self._client.select_folder, folder, readonly=True)
        self._selected = folder
        return FolderStatus(
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(info.get(b"UIDNEXT", 0)),
            exists=int(info.get(b"EXISTS", 0)),
        )

    def uids_after(self, last_uid: int, since: date | None) -> list[int]:
        """UIDs above ``last_uid``; ``n:*`` always matches the highest UID, so filter."""
        criteria: list[Any] = ["UID", f"{last_uid + 1}:*"]
        if since is not None:
            criteria += ["SINCE", since]
        uids = self._call("SEARCH", self._client.search, criteria)
        return sorted(int(u) for u in uids if int(u) > last_uid)

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[RawMail]:
        """Header fields only, BODY.PEEK (never \\Seen). A message the server cannot serve is skipped."""
        wanted = list(uids)
        self.idle_end()
        try:
            fetched = self._fetch_headers(wanted)
        except DEAD_CONNECTION as exc:
            # Checked first: imaplib's abort is a kind of IMAPClientError, and a dropped connection
            # must stop the poll, not be mistaken for a batch of unreadable messages.
            raise TransientError(f"IMAP FETCH failed: {plain(exc)}") from None
        except IMAPClientError as exc:
            if len(wanted) == 1:
                log.warning("UID %s cannot be fetched, skipped: %s", wanted[0], exc)
                return
            # One bad message must not stall the rest: fetch them one by one.
            for uid in wanted:
                yield from self.fetch_headers([uid])
            return
        except WIRE_ERRORS as exc:
            raise TransientError(f"IMAP FETCH failed: {plain(exc)}") from None
        for uid in wanted:
            found = fetched.get(uid)
            if found is not None:  # None: expunged meanwhile
                yield RawMail(uid, *found)

    def _fetch_headers(self, wanted: list[int]) -> dict[int, Headers]:
        """The UID FETCH of the header fields, sent through imaplib and read by ``fetched`` when
        the answer has the usual shape; otherwise (or if imapclient's internals ever change) read
        by imapclient, so that the result never depends on the fast reader."""
        client = self._client
        # imapclient keeps its imaplib connection in ``_imap`` (3.x and 4.x; the test bed's tests
        # fail loudly if that goes). imapclient itself sends FETCH through it the same way.
        imap = getattr(client, "_imap", None)
        if not isinstance(imap, imaplib.IMAP4) or not client.use_uid or client.normalise_times:
            return from_imapclient(client.fetch(wanted, [_PEEK, "INTERNALDATE"]))
        with _untraced(imap):
            typ, data = imap.uid("FETCH", ",".join(map(str, wanted)), f"({_PEEK} INTERNALDATE)")
        if typ != "OK":
            # What imapclient raises for a NO, so one bad message still falls back the same way.
            raise IMAPClientError(f"fetch failed: {_text(data)}")
        read = read_fetch(data)
        if read is None:
            log.debug("FETCH answer of an unusual shape: read by imapclient")
            return from_imapclient(parse_fetch_response(data, normalise_times=False, uid_is_key=True))
        return read

    def fetch_message(self, uid: int, max_bytes: int) -> bytes:
        """A partial BODY.PEEK[] of one message: commands are short, a hostile one may not be."""
        data = self._call("FETCH", self._client.fetch, [uid], [f"BODY.PEEK[]<0.{max_bytes}>"])
        item = data.get(uid, {})
        return next((v for k, v in item.items() if k.startswith(b"BODY[]")), b"") or b""

    def invitations(self, uids: Sequence[int]) -> dict[int, list[bytes]]:
        """The text/calendar parts of these messages, each read alone (BODYSTRUCTURE says where),
        never the rest of the body; messages the server cannot describe are left out."""
        found: dict[int, list[bytes]] = {}
        if not uids:
            return found
        self.idle_end()
        try:
            for uid, data in self._client.fetch(self._naming_a_calendar(uids), ["BODYSTRUCTURE"]).items():
                parts = calendar_parts(data.get(b"BODYSTRUCTURE"))
                if parts:
                    item = self._client.fetch([uid], [f"BODY.PEEK[{p.section}]" for p in parts]).get(uid, {})
                    texts = (decoded(p, item.get(f"BODY[{p.section}]".encode()) or b"") for p in parts)
                    found[uid] = [t for t in texts if t]
        except DEAD_CONNECTION as exc:
            raise TransientError(f"IMAP FETCH failed: {plain(exc)}") from None
        except (IMAPClientError, ValueError) as exc:  # a NO, or a structure imapclient cannot read
            log.warning("calendar parts of UIDs %s..%s could not be read: %s", uids[0], uids[-1], exc)
        return found

    def _naming_a_calendar(self, uids: Sequence[int]) -> list[int]:
        """Of a batch of many, the messages whose text holds "VCALENDAR", by the server's SEARCH
        BODY (which decodes base64 and quoted-printable): for a backfill of today's mostly
        multipart mail it is four times cheaper than describing each message's structure. A few
        are described without asking; a server that refuses the search gets them all described."""
        if len(uids) < SEARCH_FROM:
            return list(uids)
        try:
            hits = set(self._client.search(["UID", sequence_set(uids), "BODY", "VCALENDAR"]))
        except IMAPClientError as exc:
            log.info("SEARCH BODY refused (%s): reading the structure of every candidate", plain(exc))
            return list(uids)
        return [uid for uid in uids if uid in hits]

    def has_message(self, folder: str, message_id: str) -> bool:
        """Whether ``folder`` holds a message with this Message-ID (SEARCH HEADER, read-only)."""
        self.open(folder)
        return bool(self._call("SEARCH", self._client.search, ["HEADER", "Message-ID", message_id]))

    def message_count(self, folder: str) -> int:
        """How many messages a folder holds (STATUS, which does not select it)."""
        status = self._call(f"STATUS {folder}", self._client.folder_status, folder, [b"MESSAGES"])
        return int(status.get(b"MESSAGES", 0))

    # -- IDLE (RFC 2177) -------------------------------------------------------------------------

    @property
    def can_idle(self) -> bool:
        """Whether the server announces IDLE (without it, the daemon polls on its interval)."""
        return b"IDLE" in self.capabilities

    def idle_begin(self, folder: str) -> FolderStatus:
        """Open ``folder`` read-only and start IDLE on it: the server then tells of new mail.
        Returns the folder's state as opened (mail that came before IDLE is not announced)."""
        status = self.open(folder)
        self._call("IDLE", self._client.idle)
        self._idling = True
        return status

    def idle_wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` in IDLE; True when the server says mail arrived or left.

        imapclient reports a closed connection as "no news", at once: a wait that ends early with
        nothing is therefore checked with DONE and NOOP, which raise if the connection is gone."""
        started = time.monotonic()
        try:
            responses = self._client.idle_check(timeout=seconds)
        except WIRE_ERRORS as exc:
            self._idling = False
            raise TransientError(f"IMAP IDLE failed: {plain(exc)}") from None
        finally:
            # idle_check leaves the socket blocking with no timeout; a later read on a dead
            # connection would then hang for ever (imapclient #234, #349).
            with contextlib.suppress(OSError):
                self._client.socket().settimeout(self._read_timeout)
        if any(r[1] in (b"EXISTS", b"EXPUNGE") for r in responses if len(r) > 1):
            return True
        if not responses and time.monotonic() - started < seconds * 0.9:
            self.noop()  # early and empty: EOF looks like this
        return False

    def idle_end(self) -> None:
        """Leave IDLE (DONE) if in it; harmless otherwise."""
        if not self._idling:
            return
        self._idling = False
        try:
            self._client.idle_done()
        except WIRE_ERRORS as exc:
            raise TransientError(f"IMAP DONE failed: {plain(exc)}") from None

    def noop(self) -> None:
        """NOOP: proves the connection alive (it raises TransientError if not)."""
        self._call("NOOP", self._client.noop)

    def close(self) -> None:
        """Log out politely; a dead connection is simply dropped."""
        with contextlib.suppress(TransientError):
            self.idle_end()
        quietly_close(self._client)


@contextlib.contextmanager
def _untraced(imap: imaplib.IMAP4) -> Iterator[None]:
    """imaplib's trace off for one command unless it is read: imapclient sets imaplib's ``debug``
    to 5 and sends it to the "imapclient.imaplib" logger, so imaplib formats every line and literal
    it reads (a tenth of a backfill's time), to be thrown away unless that logger shows DEBUG."""
    level = imap.debug
    if not _IMAPLIB_TRACE.isEnabledFor(logging.DEBUG):
        imap.debug = 0
    try:
        yield
    finally:
        imap.debug = level


def _text(data: list[Any]) -> str:
    first = data[0] if data else b""
    return first.decode(errors="replace") if isinstance(first, bytes) else str(first)
