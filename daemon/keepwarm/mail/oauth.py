"""OAuth2 for IMAP and SMTP (XOAUTH2), for providers that refuse passwords (Google Workspace,
Microsoft 365). authlib speaks the protocol; this module keeps the refresh token in STATE_DIR
(mode 0600) and hands out fresh access tokens.

- ``keepwarm auth google``: the loopback-redirect flow with PKCE (Google's device flow does not
  allow the mail scope); the browser is sent back to a one-shot server on 127.0.0.1.
- ``keepwarm auth microsoft``: the device-code flow, which suits a headless machine.
A refresh that fails raises ReauthorisationNeeded (an AuthError, "re-authorisation needed"), which
status and the owner's mail report.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from requests import RequestException

from keepwarm.errors import AuthError, ReauthorisationNeeded, StoreError, TransientError
from keepwarm.store.atomic import write_atomically

log = logging.getLogger("keepwarm.oauth")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_LEEWAY = 120  # refresh this many seconds before the access token expires


@dataclass(frozen=True)
class Provider:
    """One OAuth provider's endpoints and the scope that covers IMAP and SMTP."""

    name: str
    auth_url: str
    token_url: str
    device_url: str | None
    scope: str


def provider(name: str, tenant: str = "common", authority: str | None = None) -> Provider:
    """Google or Microsoft; ``authority`` replaces the endpoints' base (national clouds, tests)."""
    if name == "google":
        base = authority or "https://oauth2.googleapis.com"
        auth = f"{authority}/auth" if authority else "https://accounts.google.com/o/oauth2/v2/auth"
        return Provider("google", auth, f"{base}/token", None, "https://mail.google.com/")
    if name == "microsoft":
        base = f"{authority or 'https://login.microsoftonline.com'}/{tenant}/oauth2/v2.0"
        scope = "offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send"
        return Provider("microsoft", f"{base}/authorize", f"{base}/token", f"{base}/devicecode", scope)
    raise AuthError(f"unknown OAuth provider {name!r} (google or microsoft)")


def token_path(state_dir: Path, name: str) -> Path:
    """Where a provider's tokens are kept."""
    return state_dir / f"oauth-{name}.json"


def _session(client_id: str, client_secret: str | None, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(client_id, client_secret, default_timeout=30, **kwargs)


def _save(path: Path, token: dict[str, Any]) -> None:
    if "expires_at" not in token and "expires_in" in token:
        token["expires_at"] = int(time.time()) + int(token["expires_in"])
    write_atomically(path, json.dumps(token, indent=1, sort_keys=True) + "\n")


def device_flow(
    prov: Provider,
    client_id: str,
    client_secret: str | None,
    path: Path,
    *,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 900,
) -> None:
    """Show the user a code to enter at the provider's page; wait for them; keep the tokens."""
    if prov.device_url is None:
        raise AuthError(f"{prov.name} does not offer the device flow for mail; use the browser flow")
    session = _session(client_id, client_secret, scope=prov.scope)
    try:
        answer = session.post(
            prov.device_url, data={"client_id": client_id, "scope": prov.scope}, withhold_token=True
        ).json()
    except (RequestException, ValueError) as exc:
        raise TransientError(f"cannot reach {prov.device_url}: {exc}") from None
    if "device_code" not in answer:
        raise AuthError(f"{prov.name} refused the device flow: {answer.get('error_description') or answer}")
    say(f"Open {answer['verification_uri']} and enter the code {answer['user_code']}")
    interval = float(answer.get("interval", 5))
    deadline = time.monotonic() + min(timeout, float(answer.get("expires_in", timeout)))
    while time.monotonic() < deadline:
        sleep(interval)
        try:
            token = session.fetch_token(
                prov.token_url, grant_type=DEVICE_GRANT, device_code=answer["device_code"]
            )
        except (OAuth2Error, OAuthError) as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += 5
                continue
            raise AuthError(f"{prov.name} refused: {exc.description or exc.error}") from None
        except RequestException as exc:
            raise TransientError(f"cannot reach {prov.token_url}: {exc}") from None
        _save(path, dict(token))
        say(f"Authorised. Tokens kept in {path} (mode 0600).")
        return
    raise AuthError("the code was not entered in time; run the command again")


class _Redirect(BaseHTTPRequestHandler):
    """Receives the browser's one redirect on 127.0.0.1 and remembers its query."""

    query: ClassVar[dict[str, list[str]] | None] = None

    def do_GET(self) -> None:
        type(self).query = parse_qs(urlparse(self.path).query)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"keepwarm is authorised. You can close this tab.\n")

    def log_message(self, format: str, *args: Any) -> None:
        return


def loopback_flow(
    prov: Provider,
    client_id: str,
    client_secret: str | None,
    path: Path,
    *,
    say: Callable[[str], None],
    timeout: float = 600,
) -> None:
    """Send the user to the provider's page; take the code from the redirect to 127.0.0.1."""

    class Handler(_Redirect):
        """This flow's own handler class, so its remembered query is this flow's alone."""

    handler = Handler
    server = HTTPServer(("127.0.0.1", 0), handler)
    redirect = f"http://127.0.0.1:{server.server_port}/"
    verifier = secrets.token_urlsafe(64)
    session = _session(
        client_id, client_secret, scope=prov.scope, redirect_uri=redirect, code_challenge_method="S256"
    )
    url, state = session.create_authorization_url(
        prov.auth_url, code_verifier=verifier, access_type="offline", prompt="consent"
    )
    say(f"Open this address in a browser on this machine and allow access:\n{url}")
    server.timeout = 1
    deadline = time.monotonic() + timeout
    while handler.query is None and time.monotonic() < deadline:
        server.handle_request()
    server.server_close()
    query = handler.query
    if query is None:
        raise AuthError("no answer from the browser in time; run the command again")
    if query.get("state", [""])[0] != state or "code" not in query:
        raise AuthError(f"the authorisation failed: {query.get('error', ['state mismatch'])[0]}")
    try:
        token = session.fetch_token(prov.token_url, code=query["code"][0], code_verifier=verifier)
    except OAuth2Error as exc:
        raise AuthError(f"{prov.name} refused: {exc.description or exc.error}") from None
    except RequestException as exc:
        raise TransientError(f"cannot reach {prov.token_url}: {exc}") from None
    _save(path, dict(token))
    say(f"Authorised. Tokens kept in {path} (mode 0600).")


class AccessTokens:
    """Fresh access tokens from the stored refresh token, refreshed shortly before they expire."""

    def __init__(self, prov: Provider, client_id: str, client_secret: str | None, path: Path) -> None:
        self._provider = prov
        self._client_id = client_id
        self._client_secret = client_secret
        self._path = path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text())
        except FileNotFoundError:
            raise ReauthorisationNeeded(
                f"re-authorisation needed: no tokens yet; run 'keepwarm auth {self._provider.name}'"
            ) from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {self._path}: {exc}") from None
        if not isinstance(data, dict):
            raise StoreError(f"{self._path} is not a token file")
        return data

    def __call__(self) -> str:
        """A valid access token (refreshing and saving it when needed)."""
        token = self._load()
        if token.get("access_token") and float(token.get("expires_at", 0)) - _LEEWAY > time.time():
            return str(token["access_token"])
        if not token.get("refresh_token"):
            raise ReauthorisationNeeded(f"re-authorisation needed: run 'keepwarm auth {self._provider.name}'")
        session = _session(self._client_id, self._client_secret, scope=self._provider.scope)
        try:
            fresh = dict(
                session.refresh_token(self._provider.token_url, refresh_token=token["refresh_token"])
            )
        except (OAuth2Error, OAuthError) as exc:
            raise ReauthorisationNeeded(
                f"re-authorisation needed ({exc.error}): run 'keepwarm auth {self._provider.name}'"
            ) from None
        except RequestException as exc:
            raise TransientError(f"cannot refresh the access token: {exc}") from None
        fresh.setdefault("refresh_token", token["refresh_token"])  # providers may not resend it
        _save(self._path, fresh)
        log.info(
            "OAuth access token refreshed (valid until %s)", datetime.fromtimestamp(fresh["expires_at"], UTC)
        )
        return str(fresh["access_token"])
