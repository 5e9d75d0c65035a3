"""The text part of keepwarm's mail as format=flowed (RFC 3676), wrapped at 72 columns.

Terminal clients (NeoMutt, Alpine) show a text part as its lines are; a paragraph written on one
line runs to 120 columns and more. Flowed text wraps those lines with *soft* breaks (a line that
ends in a space continues on the next), so an old reader sees 72 columns while a flowed-aware
one (Thunderbird, Apple Mail, NeoMutt with text_flowed) joins the lines again and reflows them
to its window, and nothing is lost either way: joining gives back exactly the line written.

Left as they are: the check-in draft, which the owner copies or forwards as written (a reminder's
lines between two rulers of dashes, a digest entry's lines behind "| "), lines already short
enough, and lines whose overflow is one word that no break would shorten (a one-tap link). A
row of a table (indented, its columns two or more spaces apart: the commands) is broken with
*hard* breaks and a hanging indent under its second column, which reads right in every client,
where soft breaks would rejoin the row in one kind of client and leave its continuation at
column 0 in the other. A line
that starts with a space, ">" or "From " is space-stuffed, as the RFC asks, and a hard line's
trailing spaces are dropped so that it cannot read as soft; the signature separator "-- " is the
one exception.
"""

from __future__ import annotations

import re

WIDTH = 72
# Breaks only at ASCII spaces: the one character a flowed reader takes for a soft break.
_WORDS = re.compile(r"[^ ]+ *")
_SIGNATURE = "-- "
_DRAFT_LINE = re.compile(r"\s*\| ")


def _is_ruler(line: str) -> bool:
    return len(line) >= 20 and set(line) == {"-"}


def _stuffed(line: str) -> str:
    return " " + line if line.startswith((" ", ">", "From ")) else line


def _soft_lines(line: str, width: int) -> list[str]:
    """One long line as soft-broken pieces: each but the last ends in the space it broke at."""
    lead = line[: len(line) - len(line.lstrip(" "))]
    words = _WORDS.findall(line[len(lead) :])
    if not words:
        return [line]
    words[0] = lead + words[0]
    pieces, current = [], ""
    for word in words:
        # A word longer than the width (a link) stays whole on a line of its own.
        # Never a piece that is just "-- ": a reader would take it for a signature separator.
        if current and current != _SIGNATURE and len(current) + len(word.rstrip(" ")) > width:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    return pieces


# A row's second column starts after two or more spaces (its first may hold single ones).
_COLUMN = re.compile(r"( *\S+(?: \S+)* {2,})\S")


def _table_lines(line: str, width: int) -> list[str] | None:
    """An indented row broken with hard breaks under its second column (None: not worth it)."""
    column = _COLUMN.match(line)
    if column is None:
        return None  # an indented item, not a row: soft breaks keep it one line where flowed is read
    hang = " " * len(column.group(1))
    pieces = _soft_lines(line, width)
    if len(hang) > width // 2 or any(len(p.rstrip(" ")) > width for p in pieces):
        return None
    rows = [pieces[0].rstrip(" ")]
    for piece in pieces[1:]:
        rows += [r.rstrip(" ") for r in _soft_lines(hang + piece.rstrip(" "), width)]
    return rows


def _unbreakable(line: str, width: int) -> bool:
    """Whether the line is too long only for a word that would be too long on any line."""
    return any(len(word) > width - 20 for word in line.split())


def flowed(text: str, width: int = WIDTH) -> str:
    """``text`` as a format=flowed body (LF line ends, as the email package wants them)."""
    out: list[str] = []
    in_draft = False
    for written in text.replace("\r\n", "\n").split("\n"):
        line = written if written == _SIGNATURE else written.rstrip(" ")
        if _is_ruler(line):
            in_draft = not in_draft
        kept = in_draft or len(line) <= width or line == _SIGNATURE or _DRAFT_LINE.match(line)
        if kept or _unbreakable(line, width):
            out.append(_stuffed(line))
        elif line.startswith(" ") and (rows := _table_lines(line, width)) is not None:
            out.extend(_stuffed(row) for row in rows)
        else:
            out.extend(_stuffed(piece) for piece in _soft_lines(line, width - 1))
    return "\n".join(out)
