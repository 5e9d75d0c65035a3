"""OAuth2 end to end: device-code and loopback flows against a stand-in authority, then XOAUTH2
logins to the real Dovecot and SMTP servers, refreshing, and "re-authorisation needed"."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from keepwarm.config import Config
from keepwarm.errors import AuthError
from keepwarm.mail import oauth
from keepwarm.runtime import wiring
from keepwarm.runtime.loop import Daemon
from keepwarm.store import Store
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed


@pytest.fixture
def oauth_config(
    testbed: Testbed, account: Account, make_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> Config:
    """Microsoft-style OAuth against the stand-in authority; no passwords at all."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(testbed.ca_file))  # requests trusts the test CA
    testbed.oauth.authority.user_for_next_grant = account.user
    return make_config(
        imap_password="",
        smtp_password="",
        oauth_provider="microsoft",
        oauth_client_id="keepwarm-test-client",
        oauth_authority=testbed.oauth.base_url,
    )


def _provider(config: Config) -> oauth.Provider:
    assert config.oauth is not None
    return oauth.provider(config.oauth.provider, config.oauth.tenant, config.oauth.authority)


def _authorise(config: Config) -> list[str]:
    said: list[str] = []
    path = oauth.token_path(config.state_dir, "microsoft")
    config.state_dir.mkdir(parents=True, exist_ok=True)
    oauth.device_flow(
        _provider(config), "keepwarm-test-client", None, path, say=said.append, sleep=lambda _: None
    )
    return said


def test_device_flow_then_xoauth2_logins(oauth_config: Config, testbed: Testbed) -> None:
    said = _authorise(oauth_config)
    assert any("KWTEST" in line for line in said)
    path = oauth.token_path(oauth_config.state_dir, "microsoft")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "refresh_token" in json.loads(path.read_text())

    mailbox = wiring.open_mailbox(oauth_config)
    try:
        assert mailbox.watched_folders(("auto",)) == ["INBOX", "Sent", "Archive"]
    finally:
        mailbox.close()
    wiring.sender(oauth_config).check_login()


def test_expired_access_token_is_refreshed(oauth_config: Config) -> None:
    _authorise(oauth_config)
    path = oauth.token_path(oauth_config.state_dir, "microsoft")
    token = json.loads(path.read_text())
    token["expires_at"] = time.time() - 10
    path.write_text(json.dumps(token))
    tokens = wiring.access_tokens(oauth_config)
    assert tokens is not None
    fresh = tokens()
    assert fresh != token["access_token"]
    assert json.loads(path.read_text())["access_token"] == fresh
    assert json.loads(path.read_text())["refresh_token"]  # kept when the provider resends none
    mailbox = wiring.open_mailbox(oauth_config)
    mailbox.close()


def test_revoked_refresh_token_needs_reauthorisation(oauth_config: Config, testbed: Testbed) -> None:
    _authorise(oauth_config)
    path = oauth.token_path(oauth_config.state_dir, "microsoft")
    token = json.loads(path.read_text())
    token["expires_at"] = time.time() - 10
    path.write_text(json.dumps(token))
    testbed.oauth.authority.revoked.add(token["refresh_token"])
    tokens = wiring.access_tokens(oauth_config)
    assert tokens is not None
    with pytest.raises(AuthError, match="re-authorisation needed"):
        tokens()

    daemon = Daemon(lambda: oauth_config)
    daemon.poll_job()
    store = Store(oauth_config.state_dir)
    errors = store.runs.get()["errors"]
    assert any("re-authorisation needed" in e["error"] for e in errors)
    notices = [i for i in store.outbox.items() if i.kind == "notice"]
    assert len(notices) == 1 and "re-authorisation needed" in notices[0].subject
    daemon.poll_job()  # backing off: no second notice the same day
    assert len([i for i in store.outbox.items() if i.kind == "notice"]) == 1


def test_loopback_flow_with_pkce(
    testbed: Testbed, account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(testbed.ca_file))
    testbed.oauth.authority.user_for_next_grant = account.user
    prov = oauth.provider("google", authority=testbed.oauth.base_url)
    path = tmp_path / "oauth-google.json"
    urls: list[str] = []
    done = threading.Event()

    def run() -> None:
        oauth.loopback_flow(prov, "client", "client-secret", path, say=urls.append, timeout=20)
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not any("code_challenge=" in u for u in urls) and time.monotonic() < deadline:
        time.sleep(0.05)
    url = next(u for u in urls if "code_challenge=" in u).splitlines()[-1]
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert query["code_challenge_method"] == "S256" and query["scope"] == "https://mail.google.com/"
    code = testbed.oauth.authority.authorize(query["redirect_uri"], query["code_challenge"])
    with urllib.request.urlopen(
        f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
    ) as r:
        assert r.status == 200
    thread.join(20)
    assert done.is_set()
    assert json.loads(path.read_text())["access_token"].startswith("at-")


def test_auth_command_runs_the_device_flow(oauth_config: Config, testbed: Testbed, tmp_path: Path) -> None:
    env_file = tmp_path / "kw.env"
    env_file.write_text(
        "\n".join(
            f"KEEPWARM_{k}={v}"
            for k, v in {
                "STATE_DIR": oauth_config.state_dir,
                "OAUTH_PROVIDER": "microsoft",
                "OAUTH_CLIENT_ID": "keepwarm-test-client",
                "OAUTH_AUTHORITY": testbed.oauth.base_url,
            }.items()
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env_file), "auth", "microsoft"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "REQUESTS_CA_BUNDLE": str(testbed.ca_file)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "KWTEST" in done.stdout
    assert oauth.token_path(oauth_config.state_dir, "microsoft").exists()
