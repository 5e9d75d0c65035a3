"""CalDAV calendars, read-only, through caldav: the collection's ctag says whether anything
changed at all; ``sync-collection`` (RFC 6578) with the last sync-token lists what changed (or,
without a token, every object with its ETag); ``calendar-multiget`` fetches the changed objects.
TLS is verified and every request has a timeout. Nothing is ever written to the server.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from caldav.collection import Calendar
from caldav.davclient import DAVClient
from caldav.elements.base import ValuedBaseElement
from caldav.lib import error

from keepwarm.calendar.objects import CalendarError, CalendarObject, Changes, changed

_T = TypeVar("_T")
_BATCH = 50
_ETAG = "{DAV:}getetag"


class _GetCtag(ValuedBaseElement):
    """The collection's change tag (CalendarServer's getctag; Radicale, Nextcloud, iCloud, Fastmail)."""

    tag = "{http://calendarserver.org/ns/}getctag"


class CalDavCalendar:
    """One CalDAV calendar collection, with a user and password (or none)."""

    def __init__(self, url: str, user: str | None, password: str | None, timeout: float = 30.0) -> None:
        self._url = url if url.endswith("/") else url + "/"
        self._client = DAVClient(
            url=self._url, username=user, password=password, timeout=int(timeout), ssl_verify_cert=True
        )
        # caldav types its answers as sync-or-async unions; this client is the sync one.
        self._calendar: Any = Calendar(client=self._client, url=self._url)

    def close(self) -> None:
        """Drop the connection."""
        self._guard(self._client.close)

    def probe(self) -> str:
        """Log in and read the calendar's name; returns where it is, for ``keepwarm check``."""
        name = self._guard(self._calendar.get_display_name)
        return f"{self._url} ({name})" if name else self._url

    def changes(self, token: str | None, ctag: str | None, known: dict[str, str]) -> Changes:
        """Objects changed since ``token`` (or, without one, every object whose ETag differs from
        ``known``), the hrefs gone, and the tokens for next time. An unchanged ctag lists nothing."""
        current = self._guard(lambda: self._calendar.get_property(_GetCtag()))
        if ctag and current == ctag and token:
            return Changes(token=token, ctag=ctag, unchanged=True)
        result = self._guard(lambda: self._calendar.get_objects_by_sync_token(sync_token=token))
        listed = {_path(str(o.url)): str((o.props or {}).get(_ETAG, "")) for o in result}
        deleted = {_path(str(u)) for u in getattr(result, "deleted_urls", ()) or ()}
        listed = {h: e for h, e in listed.items() if h not in deleted}
        gone = sorted(set(known) - set(listed)) if token is None else sorted(deleted & set(known))
        wanted = changed(listed, known)
        objects = []
        for start in range(0, len(wanted), _BATCH):
            urls = [self._calendar.url.join(h) for h in wanted[start : start + _BATCH]]
            for item in self._guard(functools.partial(self._calendar.multiget, urls)):
                href = _path(str(item.url))
                if item.data:
                    objects.append(CalendarObject(href, listed.get(href, ""), str(item.data)))
        new_token = getattr(result, "sync_token", None)
        return Changes(objects, gone, str(new_token) if new_token else None, str(current or "") or None)

    def _guard(self, work: Callable[[], _T]) -> _T:
        """Run one request; what fails becomes a CalendarError in one line."""
        host = urlsplit(self._url).netloc
        try:
            return work()
        except error.AuthorizationError:
            raise CalendarError(f"{host} refused the login (401): check the user and password") from None
        except error.NotFoundError:
            raise CalendarError(f"{self._url}: no calendar there (404)") from None
        except error.DAVError as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise CalendarError(f"{self._url}: the server refused ({reason})") from None
        except OSError as exc:  # niquests' and requests' errors are OSErrors: refused, timed out, TLS
            text = str(exc).lower()
            why = "connection refused" if "refused" in text else "cannot connect"
            raise CalendarError(f"{host}: {'timed out' if 'timed out' in text else why}") from None


def _path(url: str) -> str:
    """An object's path (servers give hrefs as paths or as full URLs, quoted or not)."""
    return unquote(urlsplit(url).path)
