"""Test bed: a Radicale CardDAV and CalDAV server on 127.0.0.1, one per test session (per xdist
worker).

Radicale runs as its own process with htpasswd authentication (plain passwords: a test bed) and
its storage in a temporary directory. Tests make their address books and cards, calendars and
events over the protocol (MKCOL, MKCALENDAR, PUT, DELETE), as a phone or another client would,
never by writing Radicale's files.

Load the fixtures with ``pytest_plugins`` (tests/conftest.py does): ``radicale`` (session) is the
server; ``addressbook`` and ``calendar`` (function) are a fresh, uniquely named address book and
calendar on it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

HOST = "127.0.0.1"
USER = "naomi"
PASSWORD = "radicale-secret"
_MKCOL = """<?xml version="1.0" encoding="utf-8"?>
<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <set><prop>
    <resourcetype><collection/><CR:addressbook/></resourcetype>
    <displayname>{name}</displayname>
  </prop></set>
</mkcol>
"""
_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>
"""
_numbers = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class RadicaleServer:
    """A running Radicale; ``url`` is its root, ``user``/``password`` its one account."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.user, self.password = USER, PASSWORD
        (directory / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
        (directory / "config").write_text(
            "[server]\n"
            f"hosts = {HOST}:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {directory / 'users'}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[storage]\n"
            f"filesystem_folder = {directory / 'collections'}\n"
            "[logging]\n"
            "level = warning\n",
            encoding="utf-8",
        )
        self._log = (directory / "radicale.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(directory / "config")],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        log = (self.directory / "radicale.log").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"Radicale did not start on {self.url}:\n{log}")

    def stop(self) -> None:
        """Stop the server (and close its log)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def session(self) -> requests.Session:
        """An HTTP session logged in as the one user."""
        http = requests.Session()
        http.auth = (self.user, self.password)
        return http

    def make_addressbook(self, name: str) -> AddressBook:
        """A new address book ``/naomi/NAME/``, made with an extended MKCOL (RFC 5689)."""
        url = f"{self.url}/{self.user}/{name}/"
        with self.session() as http:
            http.request("PROPFIND", f"{self.url}/{self.user}/", headers={"Depth": "0"}, timeout=10)
            answer = http.request("MKCOL", url, data=_MKCOL.format(name=name).encode(), timeout=10)
        answer.raise_for_status()
        return AddressBook(self, url)

    def make_calendar(self, name: str) -> Calendar:
        """A new calendar ``/naomi/NAME/``, made with MKCALENDAR (RFC 4791)."""
        url = f"{self.url}/{self.user}/{name}/"
        with self.session() as http:
            http.request("PROPFIND", f"{self.url}/{self.user}/", headers={"Depth": "0"}, timeout=10)
            answer = http.request("MKCALENDAR", url, data=_MKCALENDAR.format(name=name).encode(), timeout=10)
        answer.raise_for_status()
        return Calendar(self, url)


@dataclass(frozen=True)
class AddressBook:
    """One address book on the test server; cards are put and deleted over CardDAV."""

    server: RadicaleServer
    url: str

    def put(self, uid: str, card: str) -> str:
        """Create or replace the card ``UID.vcf``; returns its URL."""
        url = f"{self.url}{uid}.vcf"
        with self.server.session() as http:
            answer = http.put(
                url, data=card.encode("utf-8"), headers={"Content-Type": "text/vcard"}, timeout=10
            )
        answer.raise_for_status()
        return url

    def delete(self, uid: str) -> None:
        """Remove the card ``UID.vcf``."""
        with self.server.session() as http:
            http.delete(f"{self.url}{uid}.vcf", timeout=10).raise_for_status()


@dataclass(frozen=True)
class Calendar:
    """One calendar on the test server; events are put and deleted over CalDAV."""

    server: RadicaleServer
    url: str

    def put(self, uid: str, text: str) -> str:
        """Create or replace the event ``UID.ics`` (a whole VCALENDAR); returns its URL."""
        url = f"{self.url}{uid}.ics"
        with self.server.session() as http:
            answer = http.put(
                url, data=text.encode("utf-8"), headers={"Content-Type": "text/calendar"}, timeout=10
            )
        answer.raise_for_status()
        return url

    def delete(self, uid: str) -> None:
        """Remove the event ``UID.ics``."""
        with self.server.session() as http:
            http.delete(f"{self.url}{uid}.ics", timeout=10).raise_for_status()


def event(uid: str, start: datetime, *lines: str, minutes: int = 60) -> str:
    """A VCALENDAR with one VEVENT: this UID, start (UTC) and length, and any further lines
    (ORGANIZER, ATTENDEE;PARTSTAT=…, RRULE, STATUS, LOCATION…)."""
    stamp = "%Y%m%dT%H%M%SZ"
    utc = start.astimezone(UTC)
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//keepwarm tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc:{stamp}}",
        f"DTSTART:{utc:{stamp}}",
        f"DTEND:{utc + timedelta(minutes=minutes):{stamp}}",
        *lines,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(body) + "\r\n"


def card(uid: str, name: str, *lines: str) -> str:
    """A vCard 3.0 with this UID and FN, and any further property lines."""
    body = "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *lines, "END:VCARD"])
    return body + "\r\n"


@pytest.fixture(scope="session")
def radicale() -> Iterator[RadicaleServer]:
    """A Radicale server for the whole session (skipped, or failed under CI, if it cannot start)."""
    directory = Path(tempfile.mkdtemp(prefix="keepwarm-radicale-"))
    try:
        server = RadicaleServer(directory)
    except (RuntimeError, OSError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Radicale cannot start: {str(exc).splitlines()[0]}")
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def addressbook(radicale: RadicaleServer) -> AddressBook:
    """A fresh address book, uniquely named, so tests never see each other's cards."""
    return radicale.make_addressbook(f"book{os.getpid()}-{next(_numbers)}")


@pytest.fixture
def calendar(radicale: RadicaleServer) -> Calendar:
    """A fresh calendar, uniquely named, so tests never see each other's events."""
    return radicale.make_calendar(f"cal{os.getpid()}-{next(_numbers)}")
