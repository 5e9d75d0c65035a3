"""CardDAV address books, read-only: find the address book, list what changed, fetch those cards.

Plain WebDAV over ``requests`` (no maintained CardDAV client library exists for Python): a
PROPFIND to find the address book (the URL given, or discovered from a server root through
current-user-principal and addressbook-home-set, as iCloud needs), ``sync-collection`` (RFC 6578)
with the last sync-token so that only changed cards travel, a PROPFIND of every card's ETag where
the server has no sync-collection (or forgot the token), and ``addressbook-multiget`` (RFC 6352)
to fetch the cards. Nothing is ever written to the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import requests
from defusedxml import ElementTree

_NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:carddav"}
_BATCH = 50
_PROP = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="{c}">'
    "<d:prop>{p}</d:prop></d:propfind>"
)
_SYNC = (
    '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}'
    "</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
)
_MULTIGET = (
    '<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget xmlns:d="DAV:" xmlns:c="{c}">'
    "<d:prop><d:getetag/><c:address-data/></d:prop>{hrefs}</c:addressbook-multiget>"
)


class AddressBookError(Exception):
    """The address book cannot be read now (login refused, unreachable, not an address book); the
    message is one line for the owner. The next sync tries again."""


@dataclass(frozen=True)
class Card:
    """One card: its path on the server, its ETag and its vCard text."""

    href: str
    etag: str
    text: str


@dataclass
class Changes:
    """What changed since the last sync: cards new or changed, hrefs gone, the next sync-token."""

    cards: list[Card] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    token: str | None = None


class CardDavBook:
    """One CardDAV address book, reached with a user and password (basic auth over HTTPS)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 30.0) -> None:
        self._url = url if url.endswith("/") else url + "/"
        self._http = requests.Session()
        self._http.auth = (user, password)
        self._timeout = timeout
        self._book: str | None = None

    def close(self) -> None:
        """Drop the connection."""
        self._http.close()

    def changes(self, token: str | None, known: Mapping[str, str]) -> Changes:
        """Cards changed since ``token`` (or, without one, every card whose ETag differs from
        ``known``, href to ETag), the hrefs gone, and the token for next time."""
        book = self.book()
        answer = self._request("REPORT", book, _SYNC.format(token=_escape(token or "")), depth="1")
        if answer.status_code in (400, 403, 409) and token:
            answer = self._request("REPORT", book, _SYNC.format(token=""), depth="1")  # token forgotten
            token = None
        if answer.status_code == 207:
            root = _xml(answer, book)
            found, gone = _sync_members(root, book)
            new_token = root.findtext("d:sync-token", None, _NS)
            if token is None:  # a full listing: whatever is not in it is gone
                gone = sorted(set(known) - set(found))
            changed = [h for h, etag in found.items() if known.get(h) != etag]
        else:
            listed = self._etags(book)
            gone, new_token = sorted(set(known) - set(listed)), None
            changed = [h for h, etag in listed.items() if known.get(h) != etag]
        return Changes(self._fetch(book, changed), gone, new_token)

    def probe(self) -> str:
        """Log in and find the address book; returns its URL, for ``keepwarm check``."""
        return self.book()

    def book(self) -> str:
        """The address book's URL: the one given, or the first found under the user's home."""
        if self._book is None:
            self._book = self._find()
        return self._book

    def _find(self) -> str:
        root = self._propfind(self._url, "<d:resourcetype/><d:current-user-principal/>", "0")
        if root.find(".//d:resourcetype/c:addressbook", _NS) is not None:
            return self._url
        principal = root.findtext(".//d:current-user-principal/d:href", None, _NS)
        if not principal:
            raise AddressBookError(f"{self._url} is not an address book, and names no principal to look in")
        principal = urljoin(self._url, principal)
        home_root = self._propfind(principal, "<c:addressbook-home-set/>", "0")
        home = home_root.findtext(".//c:addressbook-home-set/d:href", None, _NS)
        if not home:
            raise AddressBookError(f"{principal} has no addressbook-home-set")
        home = urljoin(principal, home)
        listing = self._propfind(home, "<d:resourcetype/>", "1")
        for response in listing.findall("d:response", _NS):
            if response.find(".//d:resourcetype/c:addressbook", _NS) is not None:
                return urljoin(home, response.findtext("d:href", "", _NS))
        raise AddressBookError(f"no address book under {home}")

    def _etags(self, book: str) -> dict[str, str]:
        root = self._propfind(book, "<d:getetag/>", "1")
        found = {}
        for response in root.findall("d:response", _NS):
            href = _path(book, response.findtext("d:href", "", _NS))
            etag = response.findtext(".//d:getetag", None, _NS)
            if etag is not None and href != _path(book, book):
                found[href] = etag
        return found

    def _fetch(self, book: str, hrefs: list[str]) -> list[Card]:
        cards = []
        for start in range(0, len(hrefs), _BATCH):
            batch = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs[start : start + _BATCH])
            answer = self._request("REPORT", book, _MULTIGET.format(c=_NS["c"], hrefs=batch), depth="1")
            if answer.status_code != 207:
                raise AddressBookError(f"{book}: the server refused to hand out cards ({answer.status_code})")
            for response in _xml(answer, book).findall("d:response", _NS):
                text = response.findtext(".//c:address-data", None, _NS)
                etag = response.findtext(".//d:getetag", "", _NS)
                if text is not None:
                    cards.append(Card(_path(book, response.findtext("d:href", "", _NS)), etag, text))
        return cards

    def _propfind(self, url: str, props: str, depth: str) -> Element:
        answer = self._request("PROPFIND", url, _PROP.format(c=_NS["c"], p=props), depth=depth)
        if answer.status_code != 207:
            raise AddressBookError(f"{url}: the server answered {answer.status_code} {answer.reason}")
        return _xml(answer, url)

    def _request(self, method: str, url: str, body: str, *, depth: str) -> requests.Response:
        headers = {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}
        try:
            answer = self._http.request(
                method, url, data=body.encode("utf-8"), headers=headers, timeout=self._timeout
            )
        except requests.Timeout:
            raise AddressBookError(f"{_host(url)}: timed out") from None
        except requests.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
            raise AddressBookError(f"{_host(url)}: {reason}") from None
        if answer.status_code == 401 or (answer.status_code == 403 and method == "PROPFIND"):
            raise AddressBookError(
                f"{_host(url)} refused the login ({answer.status_code}): check the user and password"
            )
        return answer


def _sync_members(root: Element, book: str) -> tuple[dict[str, str], list[str]]:
    found: dict[str, str] = {}
    gone: list[str] = []
    for response in root.findall("d:response", _NS):
        href = _path(book, response.findtext("d:href", "", _NS))
        status = response.findtext("d:status", "", _NS)
        etag = response.findtext(".//d:getetag", None, _NS)
        if " 404" in status:
            gone.append(href)
        elif etag is not None and href != _path(book, book):
            found[href] = etag
    return found, gone


def _xml(answer: requests.Response, url: str) -> Element:
    try:
        root: Element = ElementTree.fromstring(answer.content)
    except ElementTree.ParseError:
        raise AddressBookError(f"{url}: the server's answer is not XML") from None
    return root


def _path(base: str, href: str) -> str:
    """A member's path (as servers give hrefs either as paths or as full URLs)."""
    return urlsplit(urljoin(base, href)).path


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
