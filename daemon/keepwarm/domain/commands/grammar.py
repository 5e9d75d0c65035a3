"""Reading commands out of the new text of a message. Pure.

Every line is read on its own: a line is a command only if the whole of it reads as one (the
first word names a verb in ``REGISTRY``; a trailing ``.`` or ``!`` is allowed). Anything else is
prose and is left alone, so a sentence never turns into a command: "Later this week maybe, I'm
swamped." changes nothing. A line that is plainly meant as a command (a verb and a few words, no
sentence punctuation) but does not read is an error that names it, and then nothing of the
message is applied. Reading stops at a signature delimiter (``--``).

Mail to the daemon address may carry its command in the subject, which counts only when it is a
whole command and the body has none; ``for Priya`` (subject or first line) makes the whole mail
something to share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from keepwarm.domain.commands.base import (
    SENTENCE_WORDS,
    Command,
    CommandError,
    NotACommandError,
    Place,
    Verb,
    lookup,
)
from keepwarm.domain.commands.share import ForSomeone
from keepwarm.domain.extras import for_whom
from keepwarm.domain.quotes import visible

MAX_LINES = 50
# Lines read at most: a message is short, a hostile one must not cost more.
MAX_READ = MAX_LINES * 8
# A line longer than this, or with sentence punctuation, is prose unless it reads as a command.
MAX_COMMAND_WORDS = 8
# No command is longer than this: a longer line is prose, never parsed (its cost stays bounded).
MAX_LINE_CHARS = 1000
# Dashes and quotes are written as escapes: en dash, em dash, right single quotation mark.
_SENTENCE = re.compile("[,;!?]|\\.\\s|\\s[-\u2013\u2014]\\s|\\w['\u2019]\\w")
_SIGNATURE = re.compile(r"^--\s*$")
# "Done, thanks!" and "Help please": verbs that change nothing lasting may carry a pleasantry.
_PLEASANTRY = re.compile("^(?P<head>[^,;!\u2013\u2014]+?)\\s*(?:[,;!\u2013\u2014]|\\s-\\s).*$")
_HINT = {Place.REPLY: "reply 'help' for the list", Place.DAEMON: "write 'help' for the list"}


class NoCommandError(CommandError):
    """The message holds no command at all (only prose): it gets a short answer, not the manual."""


@dataclass
class Reading:
    """A text read line by line: its commands, the lines meant as commands that did not read
    (each with why), and the prose around them."""

    commands: list[Command] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)

    def result(self, place: Place) -> list[Command]:
        """The commands, or CommandError: the first bad line, else NoCommandError."""
        if self.errors:
            raise CommandError(self.errors[0])
        if not self.commands:
            raise NoCommandError(f"no command found ({_HINT[place]})")
        return self.commands


def _words(line: str) -> list[str]:
    return line.strip().split()


def _first_word(line: str) -> str:
    """The verb's word: ``news:we`` is ``news``, ``Done!`` is ``done``."""
    word = line.split(maxsplit=1)[0].lower().rstrip(".!")
    head = word.partition(":")[0]
    return head if ":" in word and head else word


def _parse(verb: Verb, word: str, line: str) -> Command:
    original = _words(line)
    return verb.parse(word, [w.lower() for w in original[1:]], original[1:], line.strip())


def parse_command(line: str, place: Place) -> Command:
    """Parse one command line written in ``place``; raises CommandError with the reason."""
    text = line.strip()
    # "Pause." and "Done!" are commands too.
    text = text.rstrip(".!").rstrip() or text
    if not text:
        raise CommandError("an empty line is not a command")
    word = _first_word(text)
    verb = lookup(word, place)
    try:
        if verb is None:
            raise NotACommandError(text)
        return _parse(verb, word, text)
    except NotACommandError:
        raise CommandError(f"{line.strip()!r} is not a command ({_HINT[place]})") from None
    except ValueError as exc:  # a DurationError, DateError, AddressError or CommandError
        raise CommandError(f"{line.strip()!r}: {exc}") from None


def parse_line(line: str) -> Command:
    """Parse one line of a reply to a reminder."""
    return parse_command(line, Place.REPLY)


def parse_daemon_line(line: str) -> Command:
    """Parse one line of mail to the daemon address."""
    return parse_command(line, Place.DAEMON)


def _meant_as_command(line: str, place: Place) -> bool:
    """A verb and a few words without sentence punctuation: an attempt at a command, not prose."""
    words = _words(line)
    return (
        lookup(_first_word(line), place) is not None
        and len(words) <= MAX_COMMAND_WORDS
        and not _SENTENCE.search(line.strip().rstrip(".!"))
        and not any(w.lower() in SENTENCE_WORDS for w in words[1:])
    )


# A reply verb written to the daemon address: say where it belongs. (The other way round it is
# left as prose: "Thanks Alex for the reminder" under a reply is a sign-off, not a command.)
_REPLY_ONLY = "is for a reply to a reminder (or to a confirmation) about the person"


def read_line(line: str, place: Place) -> Command | str | None:
    """A command; a string saying why a line meant as a command does not read; or None (prose)."""
    try:
        return parse_command(line, place)
    except CommandError as exc:
        if (
            place is Place.DAEMON
            and lookup(_first_word(line), place) is None
            and _reads_in(line, Place.REPLY)
        ):
            return f"{line.strip()!r} {_REPLY_ONLY}"
        if _meant_as_command(line, place):
            return str(exc)
    pleasantry = _PLEASANTRY.match(line.strip())
    if pleasantry is not None:
        verb = lookup(_first_word(pleasantry.group("head")), place)
        if verb is not None and verb.harmless:
            try:
                return parse_command(pleasantry.group("head"), place)
            except CommandError:
                return None
    return None


def _reads_in(line: str, place: Place) -> bool:
    try:
        parse_command(line, place)
    except CommandError:
        return False
    return True


def read(text: str, place: Place) -> Reading:
    """Read every line of ``text`` (up to a signature delimiter)."""
    reading = Reading()
    for raw in text.splitlines()[:MAX_READ]:
        line = visible(raw).strip()
        if _SIGNATURE.match(line):
            break
        if not line or line.startswith(">"):
            continue
        if len(line) > MAX_LINE_CHARS:
            reading.prose.append(line[:MAX_LINE_CHARS])
            continue
        found = read_line(line, place)
        if isinstance(found, Command):
            reading.commands.append(found)
            if len(reading.commands) > MAX_LINES:
                raise CommandError(f"more than {MAX_LINES} command lines: write fewer commands per message")
        elif found is not None:
            reading.errors.append(found)
        else:
            reading.prose.append(line)
    return reading


def best_of(readings: list[Reading]) -> int:
    """Of the readings of one reply's parts (plain first, then HTML), which to act on: the plain
    one, unless the HTML one shows that the plain one read quoted lines (fewer commands, all among
    the plain one's, in order) or that the plain part wrapped a long line (the same commands,
    their text longer)."""
    if len(readings) < 2 or not readings[1].commands:
        return 0
    plain, html = readings[0], readings[1]
    if plain.errors and not html.errors:
        return 1
    keys = [(c.verb, c.entry) for c in plain.commands]
    html_keys = [(c.verb, c.entry) for c in html.commands]
    remaining = iter(keys)
    if len(html_keys) < len(keys) and all(k in remaining for k in html_keys):
        return 1
    if html_keys == keys and any(
        len(h.text) > len(p.text) and h.text.startswith(p.text)
        for p, h in zip(plain.commands, html.commands, strict=True)
    ):
        return 1
    return 0


def command_lines(text: str) -> list[str]:
    """The lines of ``text`` that read as commands (a reply's)."""
    lines = []
    for raw in text.splitlines()[:MAX_READ]:
        if _SIGNATURE.match(raw.strip()):
            break
        if raw.strip() and isinstance(read_line(raw, Place.REPLY), Command):
            lines.append(raw.strip())
    return lines


def parse_reply(text: str) -> list[Command]:
    """Every command in a reply's new text; CommandError for a line meant as a command that does
    not read, NoCommandError when there is none."""
    return read(text, Place.REPLY).result(Place.REPLY)


def parse_daemon_mail(subject: str, text: str) -> list[Command]:
    """Commands sent to the daemon address: the body's, else the subject if it is a whole command.

    ``for Priya`` in the subject or on the first line makes the whole mail an opener to share.
    """
    subject = subject.strip()
    name = for_whom(subject)
    if name is not None:
        return [ForSomeone.from_mail(name, "", text)]
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and (name := for_whom(lines[0])) is not None:
        return [ForSomeone.from_mail(name, subject, "\n".join(lines[1:]))]
    reading = read(text, Place.DAEMON)
    if not reading.commands and not reading.errors and subject and len(subject) <= MAX_LINE_CHARS:
        found = read_line(subject, Place.DAEMON)
        if isinstance(found, Command):
            return [found]
        if found is not None:
            raise CommandError(found)  # meant as a command, and nothing else to go by
    return reading.result(Place.DAEMON)
