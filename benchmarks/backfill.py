"""The backfill: ``keepwarm poll`` over a fresh mailbox, against a bare imapclient fetch of the same
header fields measured in the same run (and a lean ``email`` parse of them, for reference); the
same over a mailbox of mostly multipart mail with invitations in it; its peak memory, at the
benchmark's size and at five times it; and idle polls at two sizes."""

from __future__ import annotations

import sys
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from pathlib import Path

from benchmarks.mailbox import INVITATIONS, MULTIPART, fill
from benchmarks.measure import best, run_child
from benchmarks.scenarios import IdlePoller, Result, env_file
from keepwarm.app import poll
from keepwarm.mail.message import HEADER_FIELDS
from keepwarm.store.repository import FILE_NAME
from tests.testbed.fixtures import Account, Testbed

# The larger count is this many times the benchmark's: memory that grows with the messages read,
# rather than with what the store keeps of them, shows there.
LARGER = 5


def bare_fetch(bed: Testbed, account: Account, *, parse: bool = False) -> int:
    """The baseline: imapclient fetches the same header fields, in the same batches, and nothing is
    done with them; with ``parse``, the email package's lean parser (compat32) reads each block and
    its addresses, the least any reader of these headers does."""
    peek = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"
    parser = BytesHeaderParser(policy=compat32)
    count = 0
    with bed.imap_client(account) as client:
        for folder in ("INBOX", "Sent"):
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            for start in range(0, len(uids), poll.BATCH_SIZE):
                fetched = client.fetch(uids[start : start + poll.BATCH_SIZE], [peek, "INTERNALDATE"])
                for data in fetched.values():
                    if parse:
                        headers = next(v for k, v in data.items() if k.startswith(b"BODY[HEADER"))
                        msg = parser.parsebytes(headers)
                        getaddresses(msg.get_all("From", []) + msg.get_all("To", []) + msg.get_all("Cc", []))
                    count += 1
    return count


def _keepwarm(args: list[str], env: Path) -> tuple[float, float]:
    """(seconds, peak MB) of one ``keepwarm`` command, a new process."""
    return run_child([sys.executable, "-m", "keepwarm", "--env-file", str(env), *args])


def _backfill_once(bed: Testbed, account: Account, run_dir: Path) -> tuple[float, float, float]:
    """One ``keepwarm poll`` into a new state directory: (seconds, peak MB, store file MB)."""
    run_dir.mkdir()
    env = env_file(run_dir, bed, account)
    seconds, peak = _keepwarm(["poll", "--quiet"], env)
    return seconds, peak, (run_dir / "state" / FILE_NAME).stat().st_size / 1e6


def backfill(bed: Testbed, messages: int, work: Path) -> list[Result]:
    """keepwarm poll over a fresh mailbox, against the bare fetch; its memory at this size and at
    LARGER times it; then idle polls at two sizes."""
    big = bed.new_account("bench")
    fill(bed, big, messages)
    assert bare_fetch(bed, big) == messages  # also warms Dovecot's index and the page cache
    bare = best(lambda: bare_fetch(bed, big), repeat=2)
    lean = best(lambda: bare_fetch(bed, big, parse=True), repeat=2)
    runs = [_backfill_once(bed, big, work / f"backfill-{attempt}") for attempt in range(2)]
    took, peak = min(r[0] for r in runs), max(r[1] for r in runs)
    results = [
        Result(
            "backfill", took, "s", bare, "bare imapclient fetch, same fields", "<= 1.3x", took / bare <= 1.3
        ),
        Result(
            "backfill against a lean parse",
            took,
            "s",
            lean,
            "same fetch + email compat32 parse",
            "<= 1x",
            took <= lean,
        ),
        Result("backfill peak memory", peak, "MB", 150, "target", "<= 150 MB", peak <= 150),
    ]
    results += _modern(bed, messages, work)
    results += _larger(bed, messages * LARGER, work)
    return results + _idle(bed, big, messages, work)


def _modern(bed: Testbed, messages: int, work: Path) -> list[Result]:
    """The backfill of mail as today's clients write it (mostly text and HTML, an invitation in a
    hundred), where invitations must be looked for, against the bare fetch of that mailbox."""
    account = bed.new_account("benchmodern")
    fill(bed, account, messages, modern=True)
    assert bare_fetch(bed, account) == messages
    bare = best(lambda: bare_fetch(bed, account), repeat=2)
    took = min(_backfill_once(bed, account, work / f"modern-{attempt}")[0] for attempt in range(2))
    name = f"backfill of modern mail ({MULTIPART:.0%} multipart, {INVITATIONS:.0%} invites)"
    # Looking for invitations is work the bare fetch does not do (a body search by the server,
    # then each calendar parsed): its budget is 2x, not the plain backfill's 1.3x.
    return [Result(name, took, "s", bare, "bare imapclient fetch, same fields", "<= 2x", took / bare <= 2)]


def _larger(bed: Testbed, messages: int, work: Path) -> list[Result]:
    """Peak memory of a backfill of ``messages``, and against the daemon's with the store it wrote
    open (an idle poll): a backfill should hold no more than what it keeps."""
    account = bed.new_account("benchlarge")
    fill(bed, account, messages)
    bare_fetch(bed, account)  # warm, as for the benchmark's size
    _, peak, _ = _backfill_once(bed, account, work / "larger")
    _, opened = _keepwarm(["poll", "--quiet"], work / "larger" / "keepwarm.env")
    return [
        Result(f"backfill peak memory at {messages:,}", peak, "MB", 150, "target", "<= 150 MB", peak <= 150),
        Result(
            f"backfill peak memory at {messages:,}, against its store",
            peak,
            "MB",
            opened,
            "idle poll with that store",
            "<= 1x",
            peak <= opened,
        ),
    ]


def _idle(bed: Testbed, big: Account, messages: int, work: Path) -> list[Result]:
    """The daemon's steady state, store open and nothing new, at the benchmark's size and a twentieth."""
    small = bed.new_account("benchsmall")
    fill(bed, small, max(1, messages // 20))
    small_dir = work / "idle-small"
    small_dir.mkdir()
    small_env = env_file(small_dir, bed, small)
    _keepwarm(["poll", "--quiet"], small_env)
    idle_big = best(IdlePoller(work / "backfill-0" / "keepwarm.env").poll, repeat=5)
    idle_small = best(IdlePoller(small_env).poll, repeat=5)
    return [
        Result(
            f"idle poll at {messages}",
            idle_big,
            "s",
            idle_small,
            f"idle poll at {messages // 20}",
            "<= 1.3x",
            idle_big / idle_small <= 1.3,
        )
    ]
