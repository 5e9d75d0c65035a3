"""The command language the owner writes by email, parsed into typed commands. Pure.

Replies to a reminder: ``done [call|video|coffee|…] [note]``, ``snooze 2w``, ``snooze until
2027-01-10``, ``snooze``, ``later``, ``every 3 weeks``, ``cadence monthly``, ``pause``, ``resume``,
``stop``, ``note <text>``, ``group <name>``, ``birthday <date>``, ``undo``, ``help``. In a digest a
command takes the entry's number: ``done 2``, ``snooze 1 3w``.

Mail to the daemon address: ``add Name <addr> [every 3w] [group friends]``, ``log call with
<addr> [note]``, ``due`` / ``status``, ``list``, ``help``, ``news: …``, ``thanks Lena for …``,
``drop opener 3``, and ``for Priya`` (subject or first line) on something to share with her.

One command per line, case-insensitive. Parsing stops at a blank line after the first command or
at a sign-off ("thanks", "cheers", "--"), so a signature never turns into an unknown command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from keepwarm.domain.addresses import AddressError, normalize_address, parse_mailbox
from keepwarm.domain.durations import DurationError, parse_cadence, parse_duration
from keepwarm.domain.extras import first_link, for_whom, opener_title, parse_thanks
from keepwarm.domain.model import Birthday, Channel, parse_birthday

MAX_LINES = 50
MAX_SNOOZE = timedelta(days=365)
DEFAULT_SNOOZE = timedelta(days=7)
LATER = timedelta(days=3)

# Words for how a manual touch happened, mapped to the channels touches record.
CHANNELS = {
    "call": Channel.CALL,
    "phone": Channel.CALL,
    "video": Channel.VIDEO,
    "zoom": Channel.VIDEO,
    "facetime": Channel.VIDEO,
    "coffee": Channel.MEETING,
    "lunch": Channel.MEETING,
    "dinner": Channel.MEETING,
    "drinks": Channel.MEETING,
    "meeting": Channel.MEETING,
    "visit": Channel.MEETING,
    "met": Channel.MEETING,
    "message": Channel.MESSAGE,
    "text": Channel.MESSAGE,
    "chat": Channel.MESSAGE,
    "sms": Channel.MESSAGE,
    "whatsapp": Channel.MESSAGE,
    "signal": Channel.MESSAGE,
    "email": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "other": Channel.OTHER,
}
# Lines that end the commands: sign-offs, signatures, and lines of only punctuation or underscores
# (Outlook's "____" above its quoted reply).
_SIGN_OFFS = re.compile(
    r"^(?:--\s*|thanks?\b.*|thank you\b.*|cheers\b.*|best\b.*|regards\b.*|kind regards\b.*"
    r"|sent from my .*|get outlook for .*|[\W_]*)$",
    re.IGNORECASE,
)


_THANKS_WORD = re.compile(r"^thanks?\s+\w", re.IGNORECASE)


class CommandError(ValueError):
    """A line the owner wrote that is not a command we understand; says which line and why."""


@dataclass(frozen=True)
class Command:
    """One parsed command. ``entry`` is the digest entry number it names, if any."""

    verb: str
    entry: int | None = None
    channel: Channel | None = None
    text: str = ""
    cadence_days: int | None = None
    snooze: timedelta | None = None
    until: date | None = None
    birthday: Birthday | None = None
    address: str | None = None
    name: str = ""
    group: str | None = None
    clamped: str | None = None
    title: str = ""
    link: str = ""


def _entry_and_rest(words: list[str], *, duration: bool = False) -> tuple[int | None, list[str]]:
    """Split off a digest entry number. For durations, "every 3 weeks" means three weeks, not
    entry 3: the number is an entry only if what follows it is a duration on its own."""
    if not (words and words[0].isascii() and words[0].isdigit() and len(words[0]) <= 3):
        return None, words
    if len(words) > 1 and words[1] == "until":
        return int(words[0]), words[1:]  # "snooze 2 until 2027-01-10"
    if duration and (
        len(words) == 1 or _is_duration(" ".join(words)) or not _is_duration(" ".join(words[1:]))
    ):
        return None, words
    return int(words[0]), words[1:]


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except DurationError:
        return False
    return True


def _snooze(verb: str, rest: list[str], entry: int | None) -> Command:
    if verb == "later" or not rest:
        return Command("snooze", entry, snooze=LATER if verb == "later" else DEFAULT_SNOOZE)
    if rest[0] == "until":
        text = " ".join(rest[1:])
        try:
            until = date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"snooze until {text!r}: write the date as 2027-01-10") from None
        return Command("snooze", entry, until=until)
    amount = parse_duration(" ".join(rest).removeprefix("for "))
    if amount > MAX_SNOOZE:
        return Command("snooze", entry, snooze=MAX_SNOOZE, clamped="a snooze lasts at most a year")
    return Command("snooze", entry, snooze=amount)


def _done(rest: list[str], original_rest: list[str], entry: int | None) -> Command:
    channel = Channel.OTHER
    skip = 0
    if rest and rest[0] in CHANNELS:
        channel, skip = CHANNELS[rest[0]], 1
    # The note keeps the owner's own case: "done coffee Met Bob at the Museum".
    return Command("done", entry, channel=channel, text=" ".join(original_rest[skip:]))


def parse_line(line: str) -> Command:
    """Parse one command line; raises CommandError with the reason."""
    original = line.strip().split()
    words = [w.lower() for w in original]
    verb = words[0]
    duration = verb in ("snooze", "every", "cadence")
    entry, rest = _entry_and_rest(words[1:], duration=duration)
    original_rest = original[len(original) - len(rest) :]
    text = " ".join(original_rest)
    try:
        if verb in ("done", "did", "talked"):
            return _done(rest, original_rest, entry)
        if verb in ("snooze", "later"):
            return _snooze(verb, rest, entry)
        if verb in ("every", "cadence") and rest:
            return Command("every", entry, cadence_days=parse_cadence(" ".join(rest)))
        if verb in ("pause", "resume", "stop", "undo", "help") and not rest:
            return Command(verb, entry)
        if verb == "birthday" and rest:
            return Command("birthday", entry, birthday=parse_birthday(text))
        if verb in ("note", "group") and rest:
            return Command(verb, entry, text=text)
    except (DurationError, ValueError) as exc:
        raise CommandError(f"{line.strip()!r}: {exc}") from None
    raise CommandError(f"{line.strip()!r} is not a command (reply 'help' for the list)")


def parse_daemon_line(line: str) -> Command:
    """Parse a command sent to the daemon address (not a reply): add, log, due, status, list, help."""
    original = line.strip()
    words = original.lower().split()
    verb = words[0]
    try:
        if verb in ("due", "status", "list", "help") and len(words) == 1:
            return Command(verb)
        if verb == "add":
            return _add(original)
        if verb == "log":
            return _log(original)
    except (AddressError, DurationError, ValueError) as exc:
        raise CommandError(f"{original!r}: {exc}") from None
    raise CommandError(f"{original!r} is not a command (write 'help' for the list)")


_ADD = re.compile(
    r"^add\s+(?P<who>.+?)(?:\s+every\s+(?P<every>.+?))?(?:\s+group\s+(?P<group>.+?))?\s*$", re.IGNORECASE
)
_LOG = re.compile(r"^log\s+(?:(?P<channel>\w+)\s+)?with\s+(?P<addr>\S+)(?:\s+(?P<note>.*))?$", re.IGNORECASE)


def _add(original: str) -> Command:
    match = _ADD.match(original)
    if not match:
        raise CommandError("write: add Name <address> [every 3w] [group friends]")
    name, address = parse_mailbox(match.group("who"))
    every = parse_cadence(match.group("every")) if match.group("every") else None
    group = " ".join(match.group("group").split()) if match.group("group") else None
    return Command("add", address=address, name=name, cadence_days=every, group=group)


def _log(original: str) -> Command:
    match = _LOG.match(original)
    if not match:
        raise CommandError("write: log call with alice@example.org [a note]")
    word = (match.group("channel") or "other").lower()
    if word not in CHANNELS:
        raise CommandError(f"{word!r} is not a kind of contact (call, video, coffee, message, …)")
    address = normalize_address(match.group("addr").strip("<>"))
    return Command("log", channel=CHANNELS[word], address=address, text=(match.group("note") or "").strip())


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
        raise CommandError("no command found (reply 'help' for the list)")
    return commands


def _opener(who: str, subject: str, body: str) -> Command:
    link, link_text = first_link(body)
    title = opener_title(subject, link_text, body)
    if not title and not link:
        raise CommandError(f"for {who}: there is nothing to share (forward a mail, or add a link)")
    return Command("opener", name=who, title=title or link, link=link)


def _special(line: str) -> Command | None:
    """news, thanks and drop-opener lines; None if the line is none of them."""
    words = line.lower().split()
    if not words:
        return None
    if words[0] in ("news", "news:") or words[0].startswith("news:"):
        return Command("news", text=line.strip())
    if words[0] in ("thanks", "thank"):
        parsed = parse_thanks(line)
        if parsed is None:
            raise CommandError(f"{line.strip()!r}: write 'thanks Lena for The Overstory'")
        return Command("thanks", name=parsed[0], text=parsed[1])
    if words[:2] == ["drop", "opener"]:
        if len(words) != 3 or not (words[2].isascii() and words[2].isdigit()):
            raise CommandError(f"{line.strip()!r}: write 'drop opener 3' (the number keepwarm showed)")
        return Command("drop-opener", entry=int(words[2]))
    return None


def parse_daemon_mail(subject: str, text: str) -> list[Command]:
    """Commands sent to the daemon address: the subject if it holds one, else the body's lines.

    ``for Priya`` in the subject or on the first line makes the whole mail an opener to share.
    """
    subject = subject.strip()
    who = for_whom(subject)
    if who is not None:
        return [_opener(who, "", text)]
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and (who := for_whom(lines[0])) is not None:
        return [_opener(who, subject, "\n".join(lines[1:]))]
    special = _special(subject)
    if special is not None:
        return [special]
    if subject and subject.split()[0].lower() in ("add", "log", "due", "status", "list", "help"):
        return [parse_daemon_line(subject)]
    commands = [
        _special(line) or parse_daemon_line(line) for line in command_lines(text, thanks_is_a_command=True)
    ]
    if not commands:
        raise CommandError("no command found (write 'help' for the list)")
    return commands
