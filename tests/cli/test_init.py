"""keepwarm init: presets, quoting, logins tried on the test bed, a 0600 env file written only when sound."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from keepwarm import config
from keepwarm.config import onboarding
from keepwarm.errors import UsageError
from tests.clitools import SYSTEMD_VARIABLES
from tests.testbed.fixtures import Account, AccountFactory, Testbed

EX_USAGE = 64


@dataclass(frozen=True)
class Done:
    """What one ``python -m keepwarm`` run did."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def marked(self, status: str) -> list[str]:
        return [line for line in self.lines if line.startswith(f"{status}  ")]


def keepwarm(cwd: Path, *argv: str) -> Done:
    """Run keepwarm as a user would: a fresh process, stdin closed, no KEEPWARM_ variables."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_") and k not in SYSTEMD_VARIABLES
    }
    done = subprocess.run(
        [sys.executable, "-m", "keepwarm", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)


def init_argv(
    testbed: Testbed,
    account: Account,
    output: Path,
    state_dir: Path,
    *,
    imap_port: int | None = None,
    password: str | None = None,
) -> list[str]:
    ca = str(testbed.ca_file)
    return [
        "init",
        "--non-interactive",
        "--output",
        str(output),
        "--email",
        account.address,
        "--imap-host",
        testbed.host,
        "--imap-port",
        str(imap_port or testbed.imaps_port),
        "--imap-security",
        "ssl",
        "--imap-user",
        account.user,
        # "=" form: a generated password may begin with "-", which argparse would take for an option.
        f"--imap-password={password or account.password}",
        "--imap-ca-file",
        ca,
        "--smtp-host",
        testbed.host,
        "--smtp-port",
        str(testbed.smtp_starttls_port),
        "--smtp-security",
        "starttls",
        "--smtp-ca-file",
        ca,
        "--state-dir",
        str(state_dir),
        "--timezone",
        "UTC",
    ]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


_HELD: list[socket.socket] = []


def closed_port() -> int:
    """A loopback port that refuses connections: bound here but never listening, so no other
    process can take it while the test runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


# -- on the test bed -------------------------------------------------------------------------------


def test_init_writes_a_private_env_file_that_check_then_passes(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    target = tmp_path / "keepwarm.env"

    done = keepwarm(tmp_path, *init_argv(testbed, account, target, tmp_path / "state"))

    assert done.code == 0, done.out + done.err
    assert done.marked("FAIL") == []
    assert {line.split(":")[0] for line in done.marked("PASS")} >= {"PASS  IMAP", "PASS  SMTP"}
    assert f"wrote {target} (mode 0600)" in done.out
    assert account.password not in done.out + done.err
    assert mode_of(target) == 0o600
    text = target.read_text()
    assert f"KEEPWARM_DAEMON_ADDRESS={account.user}+keepwarm@example.com\n" in text
    loaded = config.load(target, environ={})
    assert loaded.secret is not None and len(loaded.secret.reveal()) >= 32
    assert f"KEEPWARM_SECRET={loaded.secret.reveal()}\n" in text
    assert loaded.daemon_address == f"{account.user}+keepwarm@example.com"
    assert loaded.owner_emails == (account.address,)
    assert (loaded.smtp.user, loaded.smtp.port) == (account.user, testbed.smtp_starttls_port)
    assert loaded.timezone.key == "UTC"

    check = keepwarm(tmp_path, "--env-file", str(target), "check")

    assert check.code == 0, check.out + check.err
    assert check.lines and all(line.startswith("PASS  ") for line in check.lines), check.out


def _add_argv(testbed: Testbed, work: Account, target: Path, *, password: str | None = None) -> list[str]:
    return [
        "init",
        "--non-interactive",
        "--output",
        str(target),
        "--add-account",
        "work",
        "--email",
        work.address,
        "--imap-host",
        testbed.host,
        "--imap-port",
        str(testbed.imaps_port),
        "--imap-user",
        work.user,
        f"--imap-password={password or work.password}",
        "--imap-ca-file",
        str(testbed.ca_file),
    ]


def test_init_adds_a_second_mailbox_to_the_file_and_check_logs_in_to_both(
    testbed: Testbed, account: Account, account_factory: AccountFactory, tmp_path: Path
) -> None:
    work = account_factory("work")
    target = tmp_path / "keepwarm.env"
    assert keepwarm(tmp_path, *init_argv(testbed, account, target, tmp_path / "state")).code == 0
    before = target.read_text()

    wrong = keepwarm(tmp_path, *_add_argv(testbed, work, target, password="not-it"))
    unchanged = target.read_text()
    done = keepwarm(tmp_path, *_add_argv(testbed, work, target))
    again = keepwarm(tmp_path, *_add_argv(testbed, work, target))
    check = keepwarm(tmp_path, "--env-file", str(target), "check")

    assert wrong.code == 1 and wrong.marked("FAIL")[0].startswith("FAIL  IMAP work:"), wrong.out
    assert unchanged == before
    assert done.code == 0, done.out + done.err
    assert done.marked("PASS") and done.marked("PASS")[0].startswith("PASS  IMAP work:")
    assert work.password not in done.out + done.err
    loaded = config.load(target, environ={})
    assert loaded.account_names == ("main", "work")
    assert loaded.owner_emails == (account.address, work.address)
    assert loaded.accounts[1].imap.user == work.user
    assert mode_of(target) == 0o600
    # The first mailbox's lines are kept as they were; OWNER_EMAILS is rewritten in place.
    kept = [line for line in before.splitlines() if not line.startswith("KEEPWARM_OWNER_EMAILS=")]
    assert [line for line in target.read_text().splitlines() if line in kept] == kept
    assert target.read_text().count("KEEPWARM_OWNER_EMAILS=") == 1
    assert again.code == EX_USAGE and "already set up" in again.err
    assert check.code == 0, check.out
    assert [line.split(":")[0] for line in check.marked("PASS") if "IMAP" in line] == [
        "PASS  IMAP main",
        "PASS  IMAP work",
    ]


def test_an_unreachable_imap_server_fails_and_writes_nothing(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    target = tmp_path / "keepwarm.env"
    port = closed_port()

    done = keepwarm(tmp_path, *init_argv(testbed, account, target, tmp_path / "state", imap_port=port))

    assert done.code == 1
    [failed] = done.marked("FAIL")
    assert failed.startswith("FAIL  IMAP: ")
    assert "nothing written" in done.out
    assert not target.exists()


def test_force_writes_the_file_despite_a_failed_check(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    target = tmp_path / "keepwarm.env"
    port = closed_port()

    done = keepwarm(
        tmp_path, *init_argv(testbed, account, target, tmp_path / "state", imap_port=port), "--force"
    )

    assert done.code == 0, done.out + done.err
    assert [line.split(":")[0] for line in done.marked("FAIL")] == ["FAIL  IMAP"]
    assert mode_of(target) == 0o600
    assert config.load(target, environ={}).imap.port == port


def test_a_wrong_password_fails_the_imap_login_and_writes_nothing(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    target = tmp_path / "keepwarm.env"
    wrong = "not-" + account.password

    done = keepwarm(tmp_path, *init_argv(testbed, account, target, tmp_path / "state", password=wrong))

    assert done.code == 1
    assert any(line.startswith("FAIL  IMAP: ") for line in done.marked("FAIL")), done.out
    assert "nothing written" in done.out
    assert not target.exists()
    assert wrong not in done.out + done.err


# -- without the test bed --------------------------------------------------------------------------


def test_an_existing_file_is_refused_without_force_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "keepwarm.env"
    target.write_text("KEEPWARM_OWNER_NAME=Already Here\n")
    target.chmod(0o640)

    done = keepwarm(
        tmp_path,
        "init",
        "--non-interactive",
        "--no-test",
        "--output",
        str(target),
        "--email",
        "n@example.com",
    )

    assert done.code == EX_USAGE
    assert done.err.splitlines() == [f"keepwarm: {target} exists; use --force to replace it"]
    assert done.out == ""
    assert target.read_text() == "KEEPWARM_OWNER_NAME=Already Here\n"
    assert mode_of(target) == 0o640


def test_force_replaces_an_existing_file_with_a_private_one(tmp_path: Path) -> None:
    target = tmp_path / "keepwarm.env"
    target.write_text("KEEPWARM_OWNER_NAME=Old\n")
    target.chmod(0o644)

    done = keepwarm(
        tmp_path,
        "init",
        "--non-interactive",
        "--no-test",
        "--force",
        "--output",
        str(target),
        "--email",
        "naomi@example.org",
        "--owner-name",
        "Naomi Example",
        "--timezone",
        "UTC",
    )

    assert done.code == 0, done.err
    assert mode_of(target) == 0o600
    loaded = config.load(target, environ={})
    assert loaded.owner_name == "Naomi Example"
    assert loaded.imap.host == "imap.example.org"


def test_init_without_an_address_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "keepwarm.env"

    done = keepwarm(tmp_path, "init", "--non-interactive", "--no-test", "--output", str(target))

    assert done.code == EX_USAGE
    assert "--email" in done.err
    assert not target.exists()


def test_no_test_uses_the_providers_preset_and_a_fresh_secret_each_time(tmp_path: Path) -> None:
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    argv = (
        "init",
        "--non-interactive",
        "--no-test",
        "--email",
        "naomi@fastmail.com",
        "--imap-password",
        "pw",
    )

    done = keepwarm(tmp_path, *argv, "--output", str(first), "--timezone", "UTC")
    keepwarm(tmp_path, *argv, "--output", str(second), "--timezone", "UTC")

    assert done.code == 0, done.err
    assert "app password" in done.out  # the provider's note
    loaded = config.load(first, environ={})
    assert (loaded.imap.host, loaded.imap.port, loaded.imap.security) == ("imap.fastmail.com", 993, "ssl")
    assert (loaded.smtp.host, loaded.smtp.port, loaded.smtp.security) == ("smtp.fastmail.com", 465, "ssl")
    assert loaded.imap.user == loaded.smtp.user == "naomi@fastmail.com"
    assert loaded.daemon_address == "naomi+keepwarm@fastmail.com"
    other = config.load(second, environ={})
    assert loaded.secret is not None and other.secret is not None
    assert loaded.secret.reveal() != other.secret.reveal()
    # The safe default: the provider's stamp is checked from the first day.
    assert loaded.auth_servid == ".messagingengine.com" and not loaded.trust_from
    assert "stamped by *.messagingengine.com" in done.out


@pytest.mark.parametrize(
    ("address", "servid"),
    [
        ("naomi@gmail.com", "mx.google.com"),
        ("naomi@outlook.com", "microsoft"),
        ("naomi@icloud.com", ".icloud.com"),
        ("naomi@fastmail.com", ".messagingengine.com"),
        ("naomi@yahoo.com", ".yahoo.com"),
        ("naomi@proton.me", None),
        ("naomi@example.org", None),
    ],
)
def test_init_sets_the_authserv_id_it_knows_and_says_it_learns_the_rest(
    tmp_path: Path, address: str, servid: str | None
) -> None:
    target = tmp_path / "keepwarm.env"
    argv = ("init", "--non-interactive", "--no-test", "--email", address, "--imap-password", "pw")

    done = keepwarm(tmp_path, *argv, "--output", str(target), "--timezone", "UTC")

    assert done.code == 0, done.err
    assert config.load(target, environ={}).auth_servid == servid
    if servid is None:
        assert "learns your provider's authentication stamp from your first reply" in done.out


def test_init_takes_an_authserv_id_and_refuses_a_malformed_one(tmp_path: Path) -> None:
    argv = ("init", "--non-interactive", "--no-test", "--email", "naomi@example.org", "--imap-password", "pw")
    good, bad = tmp_path / "good.env", tmp_path / "bad.env"

    keepwarm(tmp_path, *argv, "--output", str(good), "--timezone", "UTC", "--auth-servid", "mx.example.org")
    assert config.load(good, environ={}).auth_servid == "mx.example.org"
    refused = keepwarm(tmp_path, *argv, "--output", str(bad), "--timezone", "UTC", "--auth-servid", "not one")
    assert refused.code == 1
    assert refused.marked("FAIL") == [
        "FAIL  configuration: KEEPWARM_AUTH_SERVID: 'not one' is not an authserv-id: "
        "write a host name (mx.google.com), .suffix for any name ending so (.icloud.com), or microsoft"
    ]
    assert "nothing written" in refused.out and not bad.exists()


# -- presets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "imap", "smtp"),
    [
        ("naomi@gmail.com", ("imap.gmail.com", 993, "ssl"), ("smtp.gmail.com", 465, "ssl")),
        (
            "naomi@outlook.com",
            ("outlook.office365.com", 993, "ssl"),
            ("smtp-mail.outlook.com", 587, "starttls"),
        ),
        ("naomi@icloud.com", ("imap.mail.me.com", 993, "ssl"), ("smtp.mail.me.com", 587, "starttls")),
        ("naomi@fastmail.com", ("imap.fastmail.com", 993, "ssl"), ("smtp.fastmail.com", 465, "ssl")),
        ("naomi@yahoo.com", ("imap.mail.yahoo.com", 993, "ssl"), ("smtp.mail.yahoo.com", 465, "ssl")),
        ("naomi@proton.me", ("127.0.0.1", 1143, "starttls"), ("127.0.0.1", 1025, "starttls")),
        ("naomi@Example.ORG", ("imap.example.org", 993, "ssl"), ("smtp.example.org", 465, "ssl")),
        ("Naomi@GMail.com", ("imap.gmail.com", 993, "ssl"), ("smtp.gmail.com", 465, "ssl")),
    ],
    ids=["gmail", "outlook", "icloud", "fastmail", "yahoo", "proton", "custom", "mixed-case"],
)
def test_preset_for_an_address(address: str, imap: tuple[str, int, str], smtp: tuple[str, int, str]) -> None:
    preset = onboarding.preset_for(address)

    assert (preset.imap, preset.smtp) == (imap, smtp)


@pytest.mark.parametrize(
    ("address", "note"),
    [
        ("naomi@gmail.com", "app password"),
        ("naomi@outlook.com", "keepwarm auth microsoft"),
        ("naomi@proton.me", "Proton Mail Bridge"),
    ],
)
def test_presets_say_how_to_log_in(address: str, note: str) -> None:
    assert note in onboarding.preset_for(address).note


def test_a_custom_domain_has_no_note() -> None:
    assert onboarding.preset_for("naomi@example.org").note == ""


@pytest.mark.parametrize(
    ("address", "provider", "name", "smtp_host"),
    [
        ("naomi@company.example", "google", "Google Workspace", "smtp.gmail.com"),
        ("naomi@gmail.com", "google", "Google Workspace", "smtp.gmail.com"),
        ("naomi@company.example", "microsoft", "Microsoft 365", "smtp.office365.com"),
        ("naomi@outlook.com", "microsoft", "Microsoft 365", "smtp.office365.com"),
    ],
)
def test_provider_overrides_the_domain(address: str, provider: str, name: str, smtp_host: str) -> None:
    preset = onboarding.preset_for(address, provider)

    assert preset.name == name
    assert preset.smtp[0] == smtp_host
    assert f"keepwarm auth {provider}" in preset.note


def test_an_unknown_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown provider 'aol'"):
        onboarding.preset_for("naomi@aol.com", "aol")


def test_the_daemon_address_is_a_plus_address_of_the_first() -> None:
    assert onboarding.daemon_address_for("naomi@example.com") == "naomi+keepwarm@example.com"


# -- quoting ---------------------------------------------------------------------------------------


def load_back(tmp_path: Path, values: dict[str, str]) -> config.Config:
    env = tmp_path / "quoted.env"
    env.write_text(onboarding.render_env(values))
    return config.load(env, environ={})


ROUND_TRIP = [
    "two words",
    "it's",
    'say "hi"',
    "both ' and \"",
    "a#b",
    "# leading hash",
    "$HOME",
    "${HOME}",
    "pay $5 # now",
    "mixed 'q' \"d\" #h $v",
    "x=y,z:w/v@u+t",
    "Zoë Ñandú",
]


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_render_env_values_read_back_unchanged(tmp_path: Path, value: str) -> None:
    loaded = load_back(tmp_path, {"OWNER_NAME": value, "IMAP_PASSWORD": value})

    assert loaded.owner_name == value
    assert loaded.imap.password is not None and loaded.imap.password.value is not None
    assert loaded.imap.password.value.reveal() == value


@pytest.mark.parametrize(
    "value",
    ["C:\\\\share\\\\mail", "ends with a backslash\\", "back\\'tick"],
    ids=["double", "trailing", "quote"],
)
def test_render_env_values_with_backslashes_read_back_unchanged(tmp_path: Path, value: str) -> None:
    """Passwords can hold backslashes; python-dotenv decodes \\\\ and \\' even inside '...'."""
    loaded = load_back(tmp_path, {"IMAP_PASSWORD": value})

    assert loaded.imap.password is not None and loaded.imap.password.value is not None
    assert loaded.imap.password.value.reveal() == value


def test_render_env_has_a_header_and_leaves_out_empty_values() -> None:
    text = onboarding.render_env({"OWNER_NAME": "Naomi", "IMAP_CA_FILE": "", "TIMEZONE": "UTC"})

    lines = text.splitlines()
    assert all(line.startswith("# ") for line in lines[:2])
    assert lines[2:] == ["KEEPWARM_OWNER_NAME=Naomi", "KEEPWARM_TIMEZONE=UTC"]
    assert text.endswith("\n")


def test_write_env_refuses_to_replace_without_force(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "keepwarm.env"
    onboarding.write_env(target, "A=1\n", force=False)

    with pytest.raises(UsageError, match="exists"):
        onboarding.write_env(target, "A=2\n", force=False)
    assert target.read_text() == "A=1\n"

    target.chmod(0o644)
    onboarding.write_env(target, "A=3\n", force=True)
    assert target.read_text() == "A=3\n"
    assert mode_of(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["keepwarm.env"]  # no temp file left


def test_interactive_init_offers_only_the_choices_it_accepts_and_asks_the_smtp_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Typed answers, as at a terminal: "none" for the security is refused and asked again, and
    the SMTP login is a question of its own (the IMAP login is its default)."""
    import argparse
    import builtins

    from keepwarm.cli import asking

    typed = iter(["none", "ssl", "", "", "work-login@example.com"])
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return next(typed)

    monkeypatch.setattr(builtins, "input", answer)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda question: "pw-" + question.split()[0].lower())
    args = argparse.Namespace(
        non_interactive=False,
        imap_security=None,
        imap_user=None,
        imap_ca_file=None,
        imap_password=None,
        imap_password_command=None,
        smtp_host=None,
        smtp_port=None,
        smtp_security=None,
        smtp_user=None,
        smtp_ca_file=None,
        smtp_password=None,
        smtp_password_command=None,
        imap_host="imap.example.com",
        imap_port="993",
    )
    ask = asking.Asker(args)

    imap = asking.server(ask, "imap", ("imap.example.com", 993, "ssl"), "naomi@example.com")
    smtp_user = ask("smtp_user", "SMTP login", imap["IMAP_USER"])

    assert imap["IMAP_SECURITY"] == "ssl"
    assert asked[:2] == ["IMAP security (ssl, starttls) [ssl]: "] * 2
    assert smtp_user == "work-login@example.com"
    assert asked[-1] == "SMTP login [naomi@example.com]: "


def test_init_offers_saving_drafts_and_leaves_it_off_unless_asked(tmp_path: Path) -> None:
    loaded = {}
    for name, extra in (("off", ()), ("on", ("--save-drafts", "yes"))):
        target = tmp_path / f"{name}.env"
        argv = ("init", "--non-interactive", "--no-test", "--output", str(target), *extra)
        done = keepwarm(tmp_path, *argv, "--email", "naomi@example.org", "--timezone", "UTC")
        assert done.code == 0, done.err
        loaded[name] = config.load(target, environ={}).save_drafts
    assert loaded == {"off": False, "on": True}
