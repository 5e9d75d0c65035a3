"""``keepwarm overview --preview`` and ``--send``: the weekly overview on demand, with one-tap
links beside each slipping person that work through the real reply path."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.checkins.test_rhythm_and_overview import _seed_groups
from tests.clitools import run_cli
from tests.mailtext import unflow
from tests.reminders.support import (
    LISBON,
    Outgoing,
    clean_environment,
    env_settings,
    html_of,
    write_env_file,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def test_overview_preview_then_send_and_a_one_tap_done_from_it(
    testbed: Testbed,
    account: Account,
    smtp_server: SmtpServer,
    make_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment(monkeypatch, tmp_path)
    now = datetime.now(LISBON)
    state = tmp_path / "state"
    _seed_groups(Store(state), now)
    env = str(write_env_file(tmp_path / "keepwarm.env", env_settings(testbed, account, state)))
    store_file = next(state.glob("*.json"))
    before = store_file.read_bytes()
    outgoing = Outgoing(smtp_server)
    page = tmp_path / "overview.html"

    preview = run_cli(capsys, "--env-file", env, "overview", "--preview", "--html", str(page))
    assert preview.code == 0, preview.err
    assert preview.out.startswith(f"To: {account.address}\nSubject: Your week in touch — ")
    assert "Slipping furthest past their cadence:" in preview.out
    # Printed as a terminal client shows the mail: wrapped at 72 with soft breaks (format=flowed).
    body = preview.out.split("\n\n", 1)[1].split("\nthe HTML part written to", 1)[0]
    assert max(len(line) for line in body.splitlines() if "mailto:" not in line) <= 73
    assert re.search(r"1\. \w+: .*\n +Done +<mailto:", unflow(preview.out))
    assert "<mailto:" in preview.out and "Content-Transfer-Encoding" not in preview.out
    assert "One tap:" in page.read_text(encoding="utf-8")
    assert outgoing.envelopes == []
    assert store_file.read_bytes() == before

    sent = run_cli(capsys, "--env-file", env, "overview", "--send")
    assert sent.code == 0, sent.err
    assert sent.out == f"the overview is sent to {account.address}\n"
    (overview,) = outgoing.messages()
    links = re.findall(
        r'<li><strong>([^<]+)</strong>.*?<a href="(mailto:[^"]+)"[^>]*>Done</a>', html_of(overview)
    )
    first, url = links[0]
    parts = urlsplit(unescape(url))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["body"] == "done 1"

    # The owner taps Done beside the first slipping person, then Send.
    raw = (
        f"From: Naomi Owner <{account.address}>\r\nTo: {unquote(parts.path)}\r\n"
        f"Subject: {query['subject']}\r\n"
        f"Message-ID: <tap-overview@mail.example>\r\n\r\n{query['body']}\r\n"
    ).encode()
    testbed.deliver(unquote(parts.path), raw, mail_from=account.address)
    config = make_config(state_dir=str(state))
    report = build_service(config, Store(state)).poll(now + timedelta(minutes=1))
    assert report.commands == {"applied": 1}
    person = next(c for c in Store(state).contacts() if c.name == first)
    latest = max(t.at for t in Store(state).touches_for(person.emails))
    assert latest > now - timedelta(minutes=5)
