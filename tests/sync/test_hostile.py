"""Hostile messages through the real server: huge, crowded, sender-less, 8-bit, broken; never fatal."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keepwarm.app import poll
from keepwarm.store import Store
from tests.sync.support import (
    CountingSource,
    Header,
    append_all,
    build,
    identity,
    mail,
    open_mailbox,
    rfc_date,
)
from tests.testbed.fixtures import Account, Testbed

NOW = datetime.now(UTC).replace(microsecond=0)
BACKFILL = timedelta(days=730)
MB = 1024 * 1024


def _poll(
    testbed: Testbed, account: Account, store: Store, folders: list[str]
) -> tuple[poll.PollReport, CountingSource]:
    source = CountingSource(open_mailbox(testbed, account))
    try:
        return poll.poll(source, store, identity(account), folders, NOW, backfill=BACKFILL), source
    finally:
        source.close()


def test_a_20_mb_message_is_read_by_its_headers_only_and_quickly(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    line = b"All work and no play makes Jack a dull boy, all work and no play, really.\r\n"
    body = line * (20 * MB // len(line) + 1)
    raw = mail(
        "Alice <alice@example.org>",
        account.address,
        "Holiday video",
        "big@x",
        NOW - timedelta(days=1),
        body=body,
    )
    assert len(raw) > 20 * MB
    with testbed.imap_client(account) as client:
        client.create_folder("Big")
    testbed.append(account, "Big", raw)
    store = Store(tmp_path)

    started = time.monotonic()
    report, source = _poll(testbed, account, store, ["Big"])
    elapsed = time.monotonic() - started

    assert report.touches == Counter({"alice@example.org": 1})
    assert [len(r.headers) < 1024 for _, r in source.returned] == [True]
    assert elapsed < 1.5, f"polling one 20 MB message took {elapsed:.2f}s"


def test_broken_messages_are_each_counted_or_skipped_with_a_reason(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    owner = account.address
    when = NOW - timedelta(days=2)
    crowd = ", ".join(f"person{i}@crowd.example" for i in range(5000))

    def msg(
        frm: str | bytes | None, subject: str | bytes, msgid: str, *extra: Header, to: str = owner
    ) -> bytes:
        head: list[Header] = [] if frm is None else [("From", frm)]
        return build([*head, ("To", to), ("Subject", subject), *extra, ("Message-ID", msgid)])

    dated: Header = ("Date", rfc_date(when))
    # (raw message, expected outcome: the address touched, or the skip reason)
    appended: list[tuple[bytes, str]] = [
        (
            msg("Crowd <crowd@example.org>", "Hi all", "<crowd@x>", dated, to=f"{owner}, {crowd}"),
            "too-many-recipients",
        ),
        (msg(None, "Who am I", "<nofrom@x>", dated), "no-from"),
        (msg("Just A Name", "Nameless", "<noaddr@x>", dated), "no-from"),
        (msg("a@example.org, b@example.org", "Two of us", "<twofrom@x>", dated), "bad-from"),
        (msg("a@example.org", "Twice", "<twofromlines@x>", ("From", "b@example.org"), dated), "bad-from"),
        # Message-ID: <> on two different messages: both count (each keyed by a header hash).
        (msg("Bob <bob@example.net>", "Empty id one", "<>", dated), "bob@example.net"),
        (msg("Bob <bob@example.net>", "Empty id two", "<>", dated), "bob@example.net"),
        # Raw 8-bit headers: Latin-1 from an old client, and unencoded UTF-8.
        (msg(b"Jos\xe9 Mart\xednez <jose@example.org>", b"Ol\xe1", "<latin1@x>", dated), "jose@example.org"),
        (
            msg("Zoë Ångström <zoe@example.org>".encode(), "Grüße 🎉".encode(), "<utf8@x>", dated),
            "zoe@example.org",
        ),
        # "To: <" without the owner anywhere: not addressed to them.
        (msg("Carl <carl@example.org>", "Broken to", "<brokento@x>", dated, to="<"), "not-to-owner"),
        # An unknown charset, bad base64 and an impossible Date: still a touch, dated by its arrival.
        (
            msg(
                "=?x-unknown?q?Dana?= <dana@example.org>",
                "=?utf-8?b?!!notbase64?=",
                "<badwords@x>",
                ("Date", "32 Foo 99999 99:99:99"),
            ),
            "dana@example.org",
        ),
        (msg("Eve <eve@example.org>", "x" * 10000, "<longsubject@x>", dated), "eve@example.org"),
        # No Date, and no blank line before the (missing) body.
        (
            msg("Finn <finn@example.org>", "no body", "<headersonly@x>").removesuffix(b"\r\nHello.\r\n"),
            "finn@example.org",
        ),
    ]
    append_all(testbed, account, (("INBOX", raw, (), when) for raw, _ in appended))
    # The same "To: <" delivered by the server: Delivered-To says it was for the owner.
    testbed.deliver(
        owner, msg("Gus <gus@example.org>", "Broken to", "<brokento2@x>", dated, to="<"), "gus@example.org"
    )
    store = Store(tmp_path)

    report, _ = _poll(testbed, account, store, ["INBOX"])

    outcomes = [*(expected for _, expected in appended), "gus@example.org"]
    assert report.messages == len(outcomes)
    assert report.skipped == Counter(o for o in outcomes if "@" not in o)
    assert report.touches == Counter(o for o in outcomes if "@" in o)
    names = {t.address: t.name for t in store.touches()}
    assert names["jose@example.org"] == "José Martínez"
    assert names["zoe@example.org"] == "Zoë Ångström"
    subjects = {t.address: t.subject for t in store.touches()}
    assert subjects["zoe@example.org"] == "Grüße 🎉"
    assert subjects["jose@example.org"] == "Olá"
    assert len(subjects["eve@example.org"]) <= 300
    times = {t.address: t.at for t in store.touches()}
    assert times["dana@example.org"] == when  # unreadable Date: the server's arrival time
    assert times["finn@example.org"] == when
