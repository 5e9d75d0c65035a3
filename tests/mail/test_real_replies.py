"""45 replies as real mail clients write them (``../shared/replies``): keepwarm reads exactly the
commands the owner typed, and nothing on the prose ones, with the blank lines under the commands
kept and taken out. Read through ``keepwarm explain``'s library function, which applies nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from keepwarm.app.explain import explain
from keepwarm.app.outbox import OwnerMail
from keepwarm.app.settings import Settings
from keepwarm.domain import quotes
from keepwarm.domain.classify import Identity
from keepwarm.domain.commands import CommandError, parse_reply
from keepwarm.mail.reply import body_text
from keepwarm.render.engine import Renderer
from keepwarm.store import Store
from tests.clitools import run_cli
from tests.mail.realreplies import Case, cases, without_blank_lines

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
OWNER = "naomi@example.org"
CASES = cases()
# Without its '>' marks these quotes cannot be told from the reply: one is bottom-posted, the other
# quotes a message whose header block comes after its first lines.
NEEDS_MARKS = {"talon-thunderbird-bottom", "talon-hotmail"}


def _settings() -> Settings:
    return Settings(
        who=Identity(frozenset({OWNER}), "naomi+keepwarm@example.org"),
        owner_name="Naomi Kaufman",
        owner_address=OWNER,
        default_cadence_days=30,
        mail=OwnerMail(
            OWNER, "naomi+keepwarm@example.org", b"real-replies-secret-0123456789", plus_addressing=True
        ),
    )


def _read(tmp_path: Path, raw: bytes) -> dict[str, Any]:
    return explain(Store(tmp_path), Renderer(None), _settings(), raw, NOW)


def _check(case: Case, found: dict[str, Any]) -> None:
    if case.kind == "prose":
        assert found["commands"] == [], (case.id, found["new_text"])
        assert found["no_command"], case.id
    else:
        assert found["commands"] == case.expected, (case.id, found["new_text"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_commands_typed_are_read_exactly(case: Case, tmp_path: Path) -> None:
    _check(case, _read(tmp_path, case.raw))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_commands_typed_are_read_exactly_without_the_blank_lines_under_them(
    case: Case, tmp_path: Path
) -> None:
    squeezed = without_blank_lines(case)
    if case.typed:
        assert squeezed != case.raw or "\n\n" not in body_text(case.raw), "the blank line is gone"
    _check(case, _read(tmp_path, squeezed))


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in NEEDS_MARKS], ids=lambda c: c.id)
@pytest.mark.parametrize("squeeze", [False, True], ids=["blank-kept", "blank-removed"])
def test_no_decoy_is_read_when_the_quote_has_lost_its_marks(case: Case, squeeze: bool) -> None:
    """As an HTML quote reads after conversion: no '>' at all; the attribution, the header block
    or the separator is what remains to find it by."""
    raw = without_blank_lines(case) if squeeze else case.raw
    text = body_text(raw, prune=True).replace("\r\n", "\n")
    unmarked = "\n".join(re.sub(r"^\s*(?:>\s?)+", "", line) for line in text.split("\n"))
    try:
        verbs = [c.verb for c in parse_reply(quotes.new_text(unmarked))]
    except CommandError:
        verbs = []
    assert verbs == [e["verb"] for e in case.expected], case.id


def test_explain_prints_the_commands_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (case,) = [c for c in CASES if c.id == "talon-yahoo"]
    env = tmp_path / "keepwarm.env"
    env.write_text(
        f"KEEPWARM_OWNER_EMAILS={OWNER}\nKEEPWARM_DAEMON_ADDRESS=naomi+keepwarm@example.org\n"
        "KEEPWARM_SECRET=real-replies-cli-3f9Kq2Zx\n"
        f"KEEPWARM_STATE_DIR={tmp_path / 'state'}\nKEEPWARM_TIMEZONE=UTC\n"
    )
    message = tmp_path / "reply.eml"
    message.write_bytes(case.raw)
    result = run_cli(capsys, "--env-file", str(env), "explain", "--json", str(message))

    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert found["commands"] == case.expected
    assert found["new_text"].splitlines()[:2] == ["done coffee", "every 2 months"]
    assert found["authenticated"] is False and found["automatic"] is False
    assert found["reasons"] == ["From xxx@yahoo.com is not one of the owner's addresses"]
    human = run_cli(capsys, "--env-file", str(env), "explain", str(message))
    assert "  done      channel=meeting" in human.out and "nothing would be applied" in human.out
