"""Connection security against the real server: STARTTLS, untrusted certificates, wrong passwords."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.app import poll
from keepwarm.errors import AuthError, TransientError
from keepwarm.mail.imap import ImapMailbox
from keepwarm.store import Store
from tests.sync.support import identity, mail, server_config
from tests.testbed.fixtures import Account, Testbed

NOW = datetime.now(UTC).replace(microsecond=0)


def _login_lines(testbed: Testbed, account: Account) -> list[str]:
    log = testbed.dovecot.log_file.read_text(errors="replace")
    return [line for line in log.splitlines() if "imap-login: Info: Login:" in line and account.user in line]


def test_starttls_on_the_plain_port_reads_mail_over_tls(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    testbed.append(
        account,
        "INBOX",
        mail("Alice <alice@example.org>", account.address, "Hi", "st1@x", NOW - timedelta(days=1)),
    )
    config = server_config(testbed, account, security="starttls")
    assert config.port == testbed.imap_port

    mailbox = ImapMailbox(config, connect_timeout=5, read_timeout=10)
    try:
        report = poll.poll(
            mailbox, Store(tmp_path), identity(account), ["INBOX"], NOW, backfill=timedelta(days=30)
        )
    finally:
        mailbox.close()

    assert report.touches == Counter({"alice@example.org": 1})
    logins = _login_lines(testbed, account)
    assert logins and all(", TLS," in line for line in logins)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_certificate_from_an_untrusted_ca_is_a_transient_error_naming_the_certificate(
    testbed: Testbed, account: Account, security: str
) -> None:
    # Without IMAP_CA_FILE only the system CAs are trusted, and they never signed the test CA.
    config = server_config(testbed, account, security=security, ca_file=False)

    with pytest.raises(TransientError) as caught:
        ImapMailbox(config, connect_timeout=5, read_timeout=5)

    assert "certificate" in str(caught.value)
    assert _login_lines(testbed, account) == []  # the password never left the client


def test_a_wrong_password_is_an_auth_error_without_the_password(testbed: Testbed, account: Account) -> None:
    wrong = "not-the-Password-42"
    started = time.monotonic()

    with pytest.raises(AuthError) as caught:
        ImapMailbox(server_config(testbed, account, password=wrong), connect_timeout=5, read_timeout=5)

    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert account.user in message and "password" in message
    assert wrong not in message and account.password not in message
