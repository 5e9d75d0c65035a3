"""A stand-in OAuth2 authorisation server on 127.0.0.1, so XOAUTH2 is tested end to end.

It plays what no local mail server ships: the provider's device-code, authorisation-code (with
PKCE) and refresh-token grants over HTTPS (the test CA), and the token introspection endpoint
Dovecot's oauth2 passdb asks, over plain HTTP on loopback. The aiosmtpd server asks it too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.testbed.dovecot import HOST


@dataclass
class _Grant:
    user: str
    access: str
    refresh: str
    expires_at: float


@dataclass
class Authority:
    """Issued tokens and the switches tests flip (who authorises, revoked refresh tokens)."""

    user_for_next_grant: str = ""
    pending_polls: int = 1
    access_lifetime: int = 3600
    grants: list[_Grant] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    device_codes: dict[str, int] = field(default_factory=dict)
    auth_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _issue(self) -> dict[str, Any]:
        grant = _Grant(
            self.user_for_next_grant,
            "at-" + secrets.token_urlsafe(16),
            "rt-" + secrets.token_urlsafe(16),
            time.time() + self.access_lifetime,
        )
        self.grants.append(grant)
        return {
            "access_token": grant.access,
            "refresh_token": grant.refresh,
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
        }

    def user_of(self, access_token: str) -> str | None:
        """Whose valid access token this is (None if unknown or expired)."""
        with self.lock:
            for grant in self.grants:
                if grant.access == access_token and grant.expires_at > time.time():
                    return grant.user
        return None

    def authorize(self, redirect_uri: str, challenge: str) -> str:
        """What the user's browser does: consent, and get a code for the redirect."""
        code = "ac-" + secrets.token_urlsafe(12)
        with self.lock:
            self.auth_codes[code] = (redirect_uri, challenge)
        return code

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint's answer to one request."""
        grant_type = form.get("grant_type", "")
        with self.lock:
            if grant_type == "urn:ietf:params:oauth:grant-type:device_code":
                polls = self.device_codes.get(form.get("device_code", ""))
                if polls is None:
                    return 400, {"error": "invalid_grant"}
                if polls < self.pending_polls:
                    self.device_codes[form["device_code"]] = polls + 1
                    return 400, {"error": "authorization_pending"}
                return 200, self._issue()
            if grant_type == "authorization_code":
                redirect, challenge = self.auth_codes.pop(form.get("code", ""), ("", ""))
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if not redirect or expected != challenge or form.get("redirect_uri") != redirect:
                    return 400, {"error": "invalid_grant", "error_description": "PKCE or redirect mismatch"}
                return 200, self._issue()
            if grant_type == "refresh_token":
                refresh = form.get("refresh_token", "")
                old = next((g for g in self.grants if g.refresh == refresh), None)
                if old is None or refresh in self.revoked:
                    return 400, {"error": "invalid_grant", "error_description": "token expired or revoked"}
                self.user_for_next_grant = old.user
                return 200, self._issue()
        return 400, {"error": "unsupported_grant_type"}


def _handler(authority: Authority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path.endswith("/devicecode"):
                code = "dc-" + secrets.token_urlsafe(12)
                with authority.lock:
                    authority.device_codes[code] = 0
                self._send(
                    200,
                    {
                        "device_code": code,
                        "user_code": "KWTEST",
                        "interval": 0,
                        "verification_uri": "https://example.invalid/devicelogin",
                        "expires_in": 60,
                    },
                )
            elif self.path.endswith("/token"):
                self._send(*authority.token(form))
            elif self.path.endswith("/introspect"):
                user = authority.user_of(form.get("token", ""))
                self._send(200, {"active": "true", "username": user} if user else {"active": "false"})
            else:
                self._send(404, {"error": "not_found"})

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class AuthorityServer:
    """The HTTPS token endpoints and the plain-HTTP introspection endpoint, in threads."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        self.authority = Authority()
        self._https = ThreadingHTTPServer((HOST, 0), _handler(self.authority))
        self._https.socket = tls.wrap_socket(self._https.socket, server_side=True)
        self._http = ThreadingHTTPServer((HOST, 0), _handler(self.authority))
        self.base_url = f"https://{HOST}:{self._https.server_port}"
        self.introspection_url = f"http://{HOST}:{self._http.server_port}/introspect"
        self._threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in (self._https, self._http)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        for server in (self._https, self._http):
            server.shutdown()
            server.server_close()
