"""keepwarm init at a terminal, typed answers scripted: each login is tried on the test bed right
after its questions, a failure is one line, only the likely wrong answers are asked again, and
the run ends with one next step."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path

import pytest

from keepwarm import config
from tests.cli.test_init import closed_port
from tests.clitools import CliRun, clear_environment, run_cli
from tests.testbed.fixtures import Account, Testbed


class Terminal:
    """The user at the keyboard: each prompt must begin as the script says, and gets its answer."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = list(script)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        assert self.script, f"asked {prompt!r} after the script ended"
        expected, answer = self.script.pop(0)
        assert prompt.startswith(expected), f"asked {prompt!r}, expected {expected!r}"
        return answer


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[Terminal]]:
    """Install a scripted Terminal (append one) as input() and getpass() at a tty."""
    clear_environment(monkeypatch)
    monkeypatch.chdir(tmp_path)
    holder: list[Terminal] = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": holder[0](prompt))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": holder[0](prompt))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    yield holder
    assert not holder or holder[0].script == [], f"not asked: {holder[0].script}"


def flags(testbed: Testbed, account: Account, target: Path, **override: str) -> list[str]:
    """Every answer but the passwords given by flag; ``override`` replaces (or, "", drops) one."""
    given = {
        "output": str(target),
        "email": account.address,
        "owner-name": "Naomi Example",
        "daemon-address": account.plus("keepwarm"),
        "imap-host": testbed.host,
        "imap-port": str(testbed.imaps_port),
        "imap-security": "ssl",
        "imap-user": account.user,
        "imap-ca-file": str(testbed.ca_file),
        "smtp-user": account.user,
        "smtp-host": testbed.host,
        "smtp-port": str(testbed.smtp_starttls_port),
        "smtp-security": "starttls",
        "smtp-ca-file": str(testbed.ca_file),
        "state-dir": str(target.parent / "state"),
        "timezone": "UTC",
        "reminder-time": "08:30",
        "save-drafts": "no",
        "auth-servid": "mx.example.com",
    } | override
    return ["init", *(f"--{key}={value}" for key, value in given.items() if value)]


class Typed:
    """keepwarm init run at the (scripted) terminal on the test bed, writing ``target``."""

    def __init__(
        self,
        testbed: Testbed,
        account: Account,
        target: Path,
        terminal: list[Terminal],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.testbed, self.account, self.target = testbed, account, target
        self._terminal, self._capsys = terminal, capsys

    def __call__(self, script: list[tuple[str, str]], *extra: str, **override: str) -> CliRun:
        self._terminal.append(Terminal(script))
        argv = [*flags(self.testbed, self.account, self.target, **override), *extra]
        return run_cli(self._capsys, *argv)


@pytest.fixture
def typed(
    testbed: Testbed,
    account: Account,
    tmp_path: Path,
    terminal: list[Terminal],
    capsys: pytest.CaptureFixture[str],
) -> Typed:
    return Typed(testbed, account, tmp_path / "keepwarm.env", terminal, capsys)


def test_a_wrong_password_is_one_line_and_only_the_password_is_asked_again(typed: Typed) -> None:
    testbed, account, target = typed.testbed, typed.account, typed.target
    wrong = "not-" + account.password

    done = typed([("IMAP password: ", wrong), ("IMAP password again (blank to skip): ", account.password)])

    assert done.code == 0, done.out + done.err
    assert [line for line in done.lines if line.startswith("FAIL")] == [
        f"FAIL  IMAP: IMAP {testbed.host}:{testbed.imaps_port} refused the login for {account.user}: "
        "check the password"
    ]
    assert [line.split(":")[0] for line in done.lines if line.startswith("PASS")] == [
        "PASS  IMAP",
        "PASS  SMTP",
    ]
    assert "Traceback" not in done.out + done.err and "Errno" not in done.out
    assert wrong not in done.out and account.password not in done.out
    assert done.lines[-1] == (
        f"Next: keepwarm --env-file {target} poll  (reads your mail for the first time; takes a few minutes)"
    )
    assert sum(line.startswith("Next:") for line in done.lines) == 1
    loaded = config.load(target, environ={})
    # The SMTP login is the IMAP one, so it takes the corrected password, not the first one.
    for server in (loaded.imap, loaded.smtp):
        assert server.password is not None and server.password.value is not None
        assert server.password.value.reveal() == account.password


def test_a_skipped_password_writes_the_file_untested_and_says_what_to_run(typed: Typed) -> None:
    target = typed.target

    done = typed(
        [
            ("IMAP password: ", "wrong"),
            ("IMAP password again (blank to skip): ", ""),
            ("SMTP password again (blank to skip): ", "skip"),
        ]
    )

    assert done.code == 0, done.out + done.err
    assert "  IMAP skipped: its settings are written untested" in done.lines
    assert f"wrote {target} (mode 0600) (untested: a login did not work)" in done.lines
    assert done.lines[-1] == (
        f"Next: keepwarm --env-file {target} check  (tries the logins again, once you have fixed them "
        f"in {target})"
    )
    assert target.exists()


def test_a_server_that_cannot_be_reached_asks_host_port_and_security_again(typed: Typed) -> None:
    testbed, target = typed.testbed, typed.target
    port = closed_port()
    script = [
        ("IMAP password: ", typed.account.password),
        (f"IMAP server [{testbed.host}]: ", ""),
        (f"IMAP port [{port}]: ", "not-a-port"),
        (f"IMAP port [{port}]: ", str(testbed.imaps_port)),
        ("IMAP security (ssl, starttls) [ssl]: ", "none"),
        ("IMAP security (ssl, starttls) [ssl]: ", ""),
    ]

    done = typed(script, **{"imap-port": str(port)})

    assert done.code == 0, done.out + done.err
    assert [line for line in done.lines if line.startswith("FAIL")] == [
        f"FAIL  IMAP: IMAP {testbed.host}:{port}: cannot connect: connection refused"
    ]
    assert "  'not-a-port' is not a port number" in done.lines
    assert "  please answer ssl or starttls" in done.lines
    assert config.load(target, environ={}).imap.port == testbed.imaps_port
    assert done.lines[-1].startswith(f"Next: keepwarm --env-file {target} poll")


def test_an_untrusted_certificate_asks_for_the_ca_file(typed: Typed) -> None:
    """The SMTP server's certificate is from the test CA: without its file, STARTTLS fails."""
    testbed, target = typed.testbed, typed.target
    missing = target.parent / "missing.pem"
    script = [
        ("IMAP password: ", typed.account.password),
        ("SMTP extra CA file (blank for none): ", ""),
        ("SMTP extra CA file (blank for none): ", str(missing)),
        ("SMTP extra CA file (blank for none): ", str(testbed.ca_file)),
        (f"SMTP server [{testbed.host}]: ", ""),
    ]

    done = typed(script, **{"smtp-ca-file": ""})

    assert done.code == 0, done.out + done.err
    assert [line for line in done.lines if line.startswith("FAIL")] == [
        f"FAIL  SMTP: SMTP {testbed.host}:{testbed.smtp_starttls_port}: certificate not trusted "
        "(unable to get local issuer certificate)"
    ]
    assert f"  {missing} does not exist or is not a file" in done.lines
    assert config.load(target, environ={}).smtp.ca_file == testbed.ca_file


def test_unattended_a_failed_login_asks_nothing_and_writes_nothing(typed: Typed) -> None:
    done = typed([], "--non-interactive", "--imap-password=wrong")

    assert done.code == 1
    assert [line.split(":")[0] for line in done.lines if line[:4] in ("PASS", "FAIL")] == [
        "FAIL  IMAP",
        "FAIL  SMTP",
    ]
    assert done.lines[-1].startswith("nothing written")
    assert not typed.target.exists()


def test_tls_asked_of_a_starttls_port_says_so_in_words_and_asks_the_security_again(typed: Typed) -> None:
    testbed = typed.testbed
    script = [
        ("IMAP password: ", typed.account.password),
        (f"SMTP server [{testbed.host}]: ", ""),
        (f"SMTP port [{testbed.smtp_starttls_port}]: ", ""),
        ("SMTP security (ssl, starttls) [ssl]: ", "starttls"),
    ]

    done = typed(script, **{"smtp-security": "ssl"})

    assert done.code == 0, done.out + done.err
    [failed] = [line for line in done.lines if line.startswith("FAIL")]
    assert failed.startswith(f"FAIL  SMTP: SMTP {testbed.host}:{testbed.smtp_starttls_port}: "), failed
    assert "TLS failed (" in failed and "_ssl.c" not in failed and "[SSL" not in failed
    assert config.load(typed.target, environ={}).smtp.security == "starttls"
