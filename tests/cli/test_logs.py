"""keepwarm.logs.setup: journald priority prefixes, timestamps elsewhere, and secrets never logged."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator

import pytest

from keepwarm import logs

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
PLAIN_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (?P<level>[A-Z]+) keepwarm\.test: ")


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """logs.setup replaces the root logger's handlers (pytest's capture among them): restore them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def capture_stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Where the handler that logs.setup creates writes: it binds sys.stderr when created.

    Called in the test body: pytest puts its own sys.stderr back between fixture set-up and the call.
    """
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def installed_handler(root: logging.Logger) -> logging.Handler:
    [handler] = root.handlers
    return handler


def formatted(root: logging.Logger, level: int, msg: str, *args: object) -> str:
    record = logging.LogRecord("keepwarm.test", level, __file__, 1, msg, args, None)
    return installed_handler(root).format(record)


@pytest.mark.parametrize(
    ("level", "prefix"),
    [
        (logging.CRITICAL, "<2>"),
        (logging.ERROR, "<3>"),
        (logging.WARNING, "<4>"),
        (logging.INFO, "<6>"),
        (logging.DEBUG, "<7>"),
    ],
    ids=["critical", "error", "warning", "info", "debug"],
)
def test_under_journald_a_line_starts_with_its_syslog_priority(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, level: int, prefix: str
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:4242")
    logs.setup(logging.DEBUG)

    line = formatted(root_logger, level, "poll: %d messages", 3)

    assert line == f"{prefix}keepwarm.test: poll: 3 messages"
    assert not TIMESTAMP.search(line)
    assert logging.getLevelName(level) not in line


def test_under_journald_every_line_of_a_multi_line_message_carries_the_priority(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:4242")
    stderr = capture_stderr(monkeypatch)
    logs.setup(logging.INFO)

    logging.getLogger("keepwarm.test").warning("first\nsecond")
    logging.getLogger("keepwarm.test").debug("below the level: not written")

    assert stderr.getvalue() == "<4>keepwarm.test: first\n<4>second\n"


@pytest.mark.parametrize(
    "level", [logging.ERROR, logging.WARNING, logging.INFO], ids=["error", "warning", "info"]
)
def test_outside_journald_a_line_has_a_timestamp_and_level_name(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, level: int
) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    logs.setup(logging.INFO)

    line = formatted(root_logger, level, "poll: %d messages", 3)

    match = PLAIN_LINE.match(line)
    assert match is not None, line
    assert match.group("level") == logging.getLevelName(level)
    assert line.endswith("keepwarm.test: poll: 3 messages")
    assert not line.startswith("<")


def test_an_empty_journal_stream_counts_as_no_journal(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "")
    logs.setup(logging.INFO)

    assert PLAIN_LINE.match(formatted(root_logger, logging.WARNING, "hello"))


def test_setup_replaces_the_handlers_instead_of_adding_one_each_time(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    stderr = capture_stderr(monkeypatch)
    logs.setup(logging.INFO)
    logs.setup(logging.WARNING)

    logging.getLogger("keepwarm.test").warning("once")
    logging.getLogger("keepwarm.test").info("filtered by the new level")

    assert len(root_logger.handlers) == 1
    assert stderr.getvalue().count("once") == 1
    assert "filtered" not in stderr.getvalue()


@pytest.mark.parametrize("journal", ["8:4242", None], ids=["journal", "plain"])
def test_a_registered_secret_never_appears_in_a_log_line(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, journal: str | None
) -> None:
    if journal is None:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    else:
        monkeypatch.setenv("JOURNAL_STREAM", journal)
    secret = "hunter2-logs-test-5517"
    longer = secret + "-and-more"
    logs.register_secret(secret)
    logs.register_secret(longer)
    stderr = capture_stderr(monkeypatch)
    logs.setup(logging.INFO)
    log = logging.getLogger("keepwarm.test")

    log.error("login as naomi with %s refused", secret)
    log.warning("token %s", longer)
    log.info(f"formatted into the message itself: {secret}")
    try:
        raise RuntimeError(f"server said: bad password {secret}")
    except RuntimeError:
        log.exception("IMAP failed")

    text = stderr.getvalue()
    assert "hunter2" not in text
    assert "login as naomi with *** refused" in text
    assert "token ***" in text and "-and-more" not in text  # the longer secret is masked whole
    assert "formatted into the message itself: ***" in text
    assert "RuntimeError: server said: bad password ***" in text
    if journal is not None:
        assert all(line.startswith(("<3>", "<4>", "<6>")) for line in text.splitlines())


def test_a_secret_too_short_to_be_safe_is_not_masked(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Masking every 'abc' in every line would garble the logs; such values are not registered."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    logs.register_secret("abc")
    logs.setup(logging.INFO)

    assert formatted(root_logger, logging.INFO, "abcdef").endswith("keepwarm.test: abcdef")
