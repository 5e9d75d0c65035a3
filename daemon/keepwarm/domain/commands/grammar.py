"""Reading commands out of text: which lines hold them, and each line through its verb. Pure.

One command per line, case-insensitive; the first word names the verb (``REGISTRY``). Parsing
stops at a blank line after the first command or at a sign-off ("thanks", "cheers", "--"), so a
signature never turns into an unknown command. Mail to the daemon address may carry its command
in the subject, and ``for Priya`` (subject or first line) makes the whole mail something to share.
"""

from __future__ import annotations

import re

from keepwarm.domain.commands.base import Command, CommandError, NotACommandError, Place, lookup
from keepwarm.domain.commands.share import ForSomeone
from keepwarm.domain.extras import for_whom, parse_thanks

MAX_LINES = 50
# Lines that end the commands: sign-offs, signatures, and lines of only punctuation or underscores
# (Outlook's "____" above its quoted reply).
_SIGN_OFFS = re.compile(
    r"^(?:--\s*|thanks?\b.*|thank you\b.*|cheers\b.*|best\b.*|regards\b.*|kind regards\b.*"
    r"|sent from my .*|get outlook for .*|[\W_]*)$",
    re.IGNORECASE,
)
_THANKS_WORD = re.compile(r"^thanks?\s+\w", re.IGNORECASE)
_HINT = {Place.REPLY: "reply 'help' for the list", Place.DAEMON: "write 'help' for the list"}


def _first_word(line: str) -> str:
    """The verb's word: ``news:we`` is ``news``."""
    word = line.split(maxsplit=1)[0].lower()
    return word.split(":", 1)[0] if ":" in word and word.split(":", 1)[0] else word


def parse_command(line: str, place: Place) -> Command:
    """Parse one command line written in ``place``; raises CommandError with the reason."""
    original = line.strip().split()
    if not original:
        raise CommandError("an empty line is not a command")
    word = _first_word(line)
    verb = lookup(word, place)
    rest = [w.lower() for w in original[1:]]
    try:
        if verb is None:
            raise NotACommandError(line)
        return verb.parse(word, rest, original[1:], line.strip())
    except NotACommandError:
        raise CommandError(f"{line.strip()!r} is not a command ({_HINT[place]})") from None
    except ValueError as exc:  # a DurationError, AddressError or CommandError from the verb
        raise CommandError(f"{line.strip()!r}: {exc}") from None


def parse_line(line: str) -> Command:
    """Parse one line of a reply to a reminder."""
    return parse_command(line, Place.REPLY)


def parse_daemon_line(line: str) -> Command:
    """Parse one line of mail to the daemon address."""
    return parse_command(line, Place.DAEMON)


def command_lines(text: str, *, thanks_is_a_command: bool = False) -> list[str]:
    """The lines that hold commands: from the top, up to a sign-off or the blank line after them.

    In mail to the daemon address, "thanks Lena for …" is a command, not a sign-off.
    """
    lines: list[str] = []
    for raw in text.splitlines()[: MAX_LINES * 4]:
        line = raw.strip()
        if not line:
            if lines:
                break
            continue
        # To the daemon, "thanks Lena …" at the top is a (perhaps malformed) command, not a sign-off.
        thanks = thanks_is_a_command and bool(parse_thanks(line) or (not lines and _THANKS_WORD.match(line)))
        if line.startswith(">") or (_SIGN_OFFS.match(line) and not thanks):
            break
        lines.append(line)
        if len(lines) > MAX_LINES:
            raise CommandError(f"more than {MAX_LINES} command lines: write fewer commands per message")
    return lines


def parse_reply(text: str) -> list[Command]:
    """Every command in a reply's new text; CommandError on the first line that is not one."""
    commands = [parse_line(line) for line in command_lines(text)]
    if not commands:
        raise CommandError(f"no command found ({_HINT[Place.REPLY]})")
    return commands


def parse_daemon_mail(subject: str, text: str) -> list[Command]:
    """Commands sent to the daemon address: the subject if it holds one, else the body's lines.

    ``for Priya`` in the subject or on the first line makes the whole mail an opener to share.
    """
    subject = subject.strip()
    name = for_whom(subject)
    if name is not None:
        return [ForSomeone.from_mail(name, "", text)]
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and (name := for_whom(lines[0])) is not None:
        return [ForSomeone.from_mail(name, subject, "\n".join(lines[1:]))]
    if subject and lookup(_first_word(subject), Place.DAEMON) is not None:
        return [parse_daemon_line(subject)]
    commands = [parse_daemon_line(line) for line in command_lines(text, thanks_is_a_command=True)]
    if not commands:
        raise CommandError(f"no command found ({_HINT[Place.DAEMON]})")
    return commands
