"""Several mailboxes, one history, on the real Dovecot: a personal and a work account, both read
into the one store, each with its own folder state; a friend written to from work is in touch at
home; a BCC through either works; a further mailbox that fails does not stop the first."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm import config
from keepwarm.domain.model import Contact, Direction
from keepwarm.errors import ConfigError
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.cli.test_init import Done, keepwarm
from tests.sync.support import mail
from tests.testbed.config import settings_for
from tests.testbed.fixtures import Account, AccountFactory, Testbed
from tests.testbed.smtp import SmtpServer

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE = "Alice Example <alice@example.org>"


def _work_keys(testbed: Testbed, work: Account, **extra: str) -> dict[str, str]:
    return {
        "accounts": "personal,work",
        "work_imap_host": testbed.host,
        "work_imap_port": str(testbed.imaps_port),
        "work_imap_user": work.user,
        "work_imap_password": work.password,
        "work_imap_ca_file": str(testbed.ca_file),
        **extra,
    }


def _load(testbed: Testbed, home: Account, state: Path, **overrides: str) -> config.Config:
    empty = state.parent / "empty.env"
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_text("")
    return config.load(env_file=empty, environ=settings_for(testbed, home, state, **overrides))


@pytest.fixture
def two(
    testbed: Testbed, account: Account, account_factory: AccountFactory, tmp_path: Path
) -> Callable[..., config.Config]:
    work = account_factory("work")

    def build(**extra: str) -> config.Config:
        owners = f"{account.address},{work.address}"
        return _load(
            testbed, account, tmp_path / "state", owner_emails=owners, **_work_keys(testbed, work, **extra)
        )

    build.work = work  # type: ignore[attr-defined]
    return build


def test_a_friend_written_to_from_work_is_in_touch_at_home_and_each_mailbox_keeps_its_state(
    testbed: Testbed, account: Account, two: Callable[..., config.Config], smtp_server: SmtpServer
) -> None:
    work: Account = two.work  # type: ignore[attr-defined]
    cfg = two()
    store = Store(cfg.state_dir)
    store.add_contact(
        Contact("Alice Example", ("alice@example.org",), NOW - timedelta(days=90), cadence_days=30)
    )
    testbed.append(
        account, "INBOX", mail(ALICE, account.address, "Hi from home", "home1@x", NOW - timedelta(days=40))
    )
    testbed.append(work, "Sent", mail(work.address, ALICE, "Lunch?", "work1@x", NOW - timedelta(days=2)))
    # The same message in both mailboxes (she wrote to both addresses): one touch.
    both = mail(
        ALICE, f"{account.address}, {work.address}", "To you both", "both1@x", NOW - timedelta(days=1)
    )
    testbed.append(account, "INBOX", both)
    testbed.append(work, "INBOX", both)

    report = build_service(cfg, store).poll(NOW)
    again = build_service(cfg, store).poll(NOW)

    assert [a.name for a in cfg.accounts] == ["personal", "work"]
    touches = sorted((t.message_id, t.direction, t.source) for t in store.touches())
    assert touches == [
        ("both1@x", Direction.IN, "imap:INBOX"),
        ("home1@x", Direction.IN, "imap:INBOX"),
        ("work1@x", Direction.OUT, "imap:work:Sent"),
    ]
    assert report.folders["work:Sent"] == 1 and report.folders["work:INBOX"] == 1
    assert report.skipped["already-seen"] == 1
    states = store.folder_states()
    assert {"INBOX", "Sent", "work:INBOX", "work:Sent"} <= set(states)
    assert again.messages == 0
    # Her last touch is the work mail: she is not overdue at home.
    latest = max(t.at for t in store.touches_for(["alice@example.org"]) if t.direction is Direction.OUT)
    assert latest == NOW - timedelta(days=2)


def test_a_bcc_from_the_work_mailbox_tracks_the_person_once(
    testbed: Testbed, account: Account, two: Callable[..., config.Config], smtp_server: SmtpServer
) -> None:
    work: Account = two.work  # type: ignore[attr-defined]
    cfg = two()
    bcc = mail(work.address, "Bob Builder <bob@example.net>", "Welcome", "bcc1@x", NOW - timedelta(hours=1))
    bcc = bcc.replace(b"\r\n\r\n", f"\r\nBcc: {account.plus('keepwarm+3w')}\r\n\r\n".encode(), 1)
    testbed.append(work, "Sent", bcc)
    testbed.deliver(account.plus("keepwarm+3w"), bcc)  # the daemon's copy lands in the first mailbox

    store = Store(cfg.state_dir)
    report = build_service(cfg, store).poll(NOW)

    bob = [c for c in store.contacts() if "bob@example.net" in c.emails]
    assert len(bob) == 1 and bob[0].cadence_days == 21, report
    assert len(store.touches_for(["bob@example.net"])) == 1


def test_a_further_mailbox_that_fails_is_reported_and_the_first_is_read(
    testbed: Testbed, account: Account, two: Callable[..., config.Config], smtp_server: SmtpServer
) -> None:
    cfg = two(work_imap_password="wrong")
    testbed.append(account, "INBOX", mail(ALICE, account.address, "Hi", "h1@x", NOW - timedelta(days=1)))
    store = Store(cfg.state_dir)

    report = build_service(cfg, store).poll(NOW)

    assert report.touches == {"alice@example.org": 1}
    assert len(report.problems) == 1 and report.problems[0].startswith("mailbox work: IMAP")
    assert "refused the login" in report.problems[0]
    assert "wrong" not in report.problems[0]
    assert any("mailbox work" in e["error"] for e in store.runs.get().get("errors", []))


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"work_imap_host": ""}, "KEEPWARM_WORK_IMAP_HOST is not set (KEEPWARM_ACCOUNTS names work)"),
        ({"work_imap_port": "imap"}, "KEEPWARM_WORK_IMAP_PORT:"),
        ({"work_imap_password": ""}, "KEEPWARM_WORK_IMAP_PASSWORD (or _COMMAND or _FILE) is not set"),
        ({"accounts": "personal,Work Mail"}, "KEEPWARM_ACCOUNTS: 'work mail' is not a mailbox name"),
        ({"accounts": "personal,work,work"}, "KEEPWARM_ACCOUNTS: names a mailbox twice"),
    ],
)
def test_a_bad_mailbox_setting_is_one_line_naming_the_key(
    two: Callable[..., config.Config], extra: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        two(**extra)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(problem), caught.value.problems


def test_keys_of_an_undeclared_mailbox_and_an_owner_address_left_out_are_warned_about(
    testbed: Testbed, account: Account, account_factory: AccountFactory, tmp_path: Path
) -> None:
    work = account_factory("work")
    undeclared = _load(testbed, account, tmp_path / "a" / "state", work_imap_host="imap.work.example")
    left_out = _load(
        testbed, account, tmp_path / "b" / "state", **_work_keys(testbed, work, work_imap_user=work.address)
    )

    assert any(w.startswith("unknown setting KEEPWARM_WORK_IMAP_HOST") for w in undeclared.warnings)
    assert [w for w in left_out.warnings if "OWNER_EMAILS" in w] == [
        f"KEEPWARM_WORK_IMAP_USER: {work.address} is not in KEEPWARM_OWNER_EMAILS, so mail you send "
        "from it would count as mail from someone else: add it there"
    ]


def test_check_folders_and_status_speak_of_each_mailbox(
    testbed: Testbed,
    account: Account,
    account_factory: AccountFactory,
    tmp_path: Path,
    smtp_server: SmtpServer,
) -> None:
    work = account_factory("work")
    settings = settings_for(
        testbed,
        account,
        tmp_path / "state",
        owner_emails=f"{account.address},{work.address}",
        **_work_keys(testbed, work),
    )
    env_file = tmp_path / "keepwarm.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    testbed.append(work, "Sent", mail(work.address, ALICE, "Lunch?", "w1@x", NOW - timedelta(days=2)))

    def run(*args: str) -> Done:
        return keepwarm(tmp_path, "--env-file", str(env_file), *args)

    check = run("check")
    polled = run("poll")
    folders = json.loads(run("folders", "--json").out)
    status = run("status")

    assert check.code == 0, check.out + check.err
    imap_lines = [line for line in check.lines if " IMAP " in f" {line} "]
    assert [line.split()[:3] for line in imap_lines] == [
        ["PASS", "IMAP", "personal:"],
        ["PASS", "IMAP", "work:"],
    ]
    assert f"logged in as {work.user}" in imap_lines[1]
    assert polled.code == 0, polled.err
    assert {(f["account"], f["name"]) for f in folders if f["watched"]} == {
        (name, folder) for name in ("personal", "work") for folder in ("INBOX", "Sent", "Archive")
    }
    work_sent = next(f for f in folders if (f["account"], f["name"]) == ("work", "Sent"))
    assert work_sent["last_uid"] == 1
    lines = status.lines
    assert any(line.startswith("mailbox personal:") and "INBOX" in line for line in lines), status.out
    assert any(line.startswith("mailbox work:") and "Sent" in line for line in lines), status.out
