"""A calendar read whole: an iCalendar address (Google's secret ``….ics`` link, ``webcal://``)
fetched with requests — TLS verified, a timeout, a size limit, and the server's ETag or
Last-Modified so an unchanged calendar is not fetched again — or a local ``.ics`` file, unchanged
while its time and size are. Either is split into one object per UID.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import requests

from keepwarm.calendar.ical import split
from keepwarm.calendar.objects import MAX_BYTES, CalendarError, Changes, changed


def _whole(text: str, where: str, token: str | None, known: dict[str, str]) -> Changes:
    objects = split(text, where)
    listed = {o.href: o.etag for o in objects}
    wanted = set(changed(listed, known))
    return Changes([o for o in objects if o.href in wanted], sorted(set(known) - set(listed)), token)


class IcsFile:
    """A local .ics file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def close(self) -> None:
        """Nothing to close."""

    def probe(self) -> str:
        """Read the file and count its events, for ``keepwarm check``."""
        changes = self.changes(None, None, {})
        return f"{self._path} ({len(changes.objects)} events)"

    def changes(self, token: str | None, ctag: str | None, known: dict[str, str]) -> Changes:
        """The events changed since the file was last read (its time and size say whether it was)."""
        try:
            info = self._path.stat()
            stamp = f"{info.st_mtime_ns}:{info.st_size}"
            if token == stamp:
                return Changes(token=token, unchanged=True)
            if info.st_size > MAX_BYTES:
                size, limit = info.st_size // 2**20, MAX_BYTES // 2**20
                raise CalendarError(f"{self._path}: {size} MB, bigger than the {limit} MB a calendar may be")
            text = self._path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CalendarError(f"{self._path}: {exc.strerror or exc}") from None
        return _whole(text, str(self._path), stamp, known)


class IcsUrl:
    """An iCalendar file on a web server, with an optional login (basic auth)."""

    def __init__(self, url: str, user: str | None, password: str | None, timeout: float = 30.0) -> None:
        scheme, _, rest = url.partition("://")
        self._url = ("https" if scheme in {"webcals", "webcal"} else scheme) + "://" + rest
        self._http = requests.Session()
        if user:
            self._http.auth = (user, password or "")
        self._timeout = timeout

    def close(self) -> None:
        """Drop the connection."""
        self._http.close()

    def probe(self) -> str:
        """Fetch the calendar and count its events, for ``keepwarm check``."""
        changes = self.changes(None, None, {})
        return f"{urlsplit(self._url).netloc} ({len(changes.objects)} events)"

    def changes(self, token: str | None, ctag: str | None, known: dict[str, str]) -> Changes:
        """The events changed since the last fetch (a 304 to the last ETag: none)."""
        host = urlsplit(self._url).netloc
        headers = {"If-None-Match": token} if token and not token.startswith("date:") else {}
        if token and token.startswith("date:"):
            headers = {"If-Modified-Since": token[5:]}
        try:
            with self._http.get(self._url, headers=headers, timeout=self._timeout, stream=True) as answer:
                if answer.status_code == 304:
                    return Changes(token=token, unchanged=True)
                if answer.status_code in (401, 403):
                    raise CalendarError(f"{host} refused the login ({answer.status_code})")
                if answer.status_code != 200:
                    raise CalendarError(f"{host}: the server answered {answer.status_code} {answer.reason}")
                body = b""
                for chunk in answer.iter_content(65536):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise CalendarError(f"{host}: the calendar is bigger than {MAX_BYTES // 2**20} MB")
                etag = answer.headers.get("ETag")
                modified = answer.headers.get("Last-Modified")
        except requests.Timeout:
            raise CalendarError(f"{host}: timed out") from None
        except requests.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
            raise CalendarError(f"{host}: {reason}") from None
        new_token = etag or (f"date:{modified}" if modified else None)
        return _whole(body.decode("utf-8", errors="replace"), host, new_token, known)
