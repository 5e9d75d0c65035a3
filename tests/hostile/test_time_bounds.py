"""Every parser of hostile input costs time linear in its input: generated inputs of growing
size, each parser's time per kilobyte held under a bound (measured against the same parser on a
small input in the same run, since these machines are noisy), and never an exception."""

# Parser probes read best one per line.

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepwarm.domain.authres import parse as parse_stamp
from keepwarm.domain.commands import CommandError, Place, parse_daemon_mail, read
from keepwarm.domain.quotes import new_text as cut_quote
from keepwarm.mail.message import parse_headers
from keepwarm.mail.reply import new_text
from tests.hostile.support import hostile_settings

# Shapes that have made parsers super-linear before: runs of one character, nesting, repetition.
_UNITS = ["(", ")", " ", "\t", "<", "On ", "=?utf-8?q?a?=", '"', ";", "\\", "a@b.", "-", ">", "\r\n ", ":"]
# Seconds a kilobyte may cost at the sizes tried (well above any linear parser here, far below
# the seconds per kilobyte the quadratic and cubic ones took).
PER_KB = 0.02
SIZES = (1024, 32 * 1024)


def _timed(parse: Callable[[str], object], text: str) -> float:
    started = time.monotonic()
    with contextlib.suppress(CommandError):  # the one exception a command parser may raise
        parse(text)
    return time.monotonic() - started


def _header_block(text: str) -> None:
    parse_headers(
        f"From: {text}\r\nTo: {text}\r\nSubject: {text}\r\nAuthentication-Results: {text}\r\n\r\n".encode(
            "utf-8", "surrogateescape"
        )
    )


PARSERS: dict[str, Callable[[str], object]] = {
    "headers": _header_block,
    "authentication-results": lambda t: parse_stamp(f"mx.example.com; {t}"),
    "quote-cut": cut_quote,
    "reply": lambda t: new_text(
        f"From: a@b.co\r\nContent-Type: text/plain\r\n\r\ndone\r\n{t}".encode("utf-8", "surrogateescape")
    ),
    "html-reply": lambda t: new_text(
        f"From: a@b.co\r\nContent-Type: text/html\r\n\r\n<div>done</div>{t}".encode(
            "utf-8", "surrogateescape"
        )
    ),
    "command-lines": lambda t: read(f"done\n{t}\nadd {t}\nlog call with {t}", Place.REPLY),
    "daemon-mail": lambda t: parse_daemon_mail(f"add {t}", f"add {t} <{t}>\nthanks {t} for {t}\nnews: {t}"),
}


@pytest.mark.parametrize("name", PARSERS)
@hostile_settings(share=0.1)
@given(unit=st.sampled_from(_UNITS), tail=st.text(max_size=8))
def test_each_parser_costs_linear_time(name: str, unit: str, tail: str) -> None:
    parse = PARSERS[name]
    small, large = ((unit * (size // max(1, len(unit))))[:size] + tail for size in SIZES)
    base = max(_timed(parse, small), 0.001)
    spent = _timed(parse, large)
    # Linear: 32 times the input may cost 32 times (and some slack); never the square of it.
    assert spent <= max(PER_KB * len(large) / 1024, 64 * base), (name, repr(unit), spent, base)
