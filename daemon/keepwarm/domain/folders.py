"""Which of the mailbox's folders hold the owner's mail, and why: the choice behind ``auto``.

Every folder that can hold a message the owner exchanged is watched: INBOX, the ``\\Sent`` and
``\\Archive`` folders and ``\\All`` (RFC 6154 SPECIAL-USE roles), found by their usual names in a
dozen languages when the server gives no flags. ``\\Junk``, ``\\Trash`` and ``\\Drafts`` never
are: spam is not a touch, a deleted message is not one any more, and a draft was never sent. On
Gmail (``X-GM-EXT-1``) ``\\All`` alone holds every message in both directions, so it is watched
alone. A message found in several folders, or moved between them, is still one touch: the
message keys see to that.
"""

from __future__ import annotations

from dataclasses import dataclass

INBOX = "INBOX"
WATCHED_ROLES = ("\\Sent", "\\Archive", "\\All")
NEVER_ROLES = ("\\Junk", "\\Trash", "\\Drafts")

# The names servers without SPECIAL-USE give these folders, by role; tried in this order.
USUAL_NAMES: dict[str, tuple[str, ...]] = {
    "\\Sent": (
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Sent Mail",
        "[Gmail]/Sent Mail",
        "Gesendet",
        "Gesendete Elemente",
        "Gesendete Objekte",
        "Envoyés",
        "Éléments envoyés",
        "Messages envoyés",
        "Enviados",
        "Elementos enviados",
        "Posta inviata",
        "Inviati",
        "Elementi inviati",
        "Verzonden",
        "Verzonden items",
        "Skickat",
        "Skickade objekt",
        "Sendt",
        "Sendte elementer",
        "Lähetetyt",
        "Wysłane",
        "Odeslané",
        "Отправленные",
        "Itens enviados",
    ),
    "\\Archive": ("Archive", "Archives", "Archiv", "Archivio", "Archivo", "Archief", "Arkiv", "Arquivo"),
    "\\Junk": ("Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail", "Spam-Verdacht", "Pourriel"),
    "\\Trash": (
        "Trash",
        "Deleted Items",
        "Deleted Messages",
        "Papierkorb",
        "Corbeille",
        "Papelera",
        "Cestino",
    ),
    "\\Drafts": ("Drafts", "Entwürfe", "Brouillons", "Borradores", "Bozze", "Concepten"),
}
# Courier-style servers keep every folder under INBOX.
_PREFIXES = ("", "INBOX.", "INBOX/")


@dataclass(frozen=True)
class Folder:
    """A folder as the server lists it: its name and its SPECIAL-USE role, if it has one."""

    name: str
    special_use: str | None


@dataclass(frozen=True)
class Choice:
    """Whether a folder is watched, and the reason ``keepwarm folders`` gives."""

    name: str
    watched: bool
    why: str
    role: str | None = None  # flagged, or guessed from the name


def role_by_name(name: str) -> str | None:
    """The role a folder's usual name suggests (case-insensitive, under any INBOX prefix)."""
    bare = name
    for prefix in _PREFIXES[1:]:
        if name.upper().startswith(prefix.upper()):
            bare = name[len(prefix) :]
    folded = bare.casefold()
    for role, names in USUAL_NAMES.items():
        if any(folded == n.casefold() for n in names):
            return role
    return None


def choose(folders: list[Folder], *, gmail: bool, setting: tuple[str, ...] = ("auto",)) -> list[Choice]:
    """One Choice per folder, in the server's order: what ``IMAP_FOLDERS`` (``auto`` or a list)
    means on this mailbox."""
    if setting != ("auto",):
        listed = set(setting)
        return [
            Choice(
                f.name, f.name in listed, "IMAP_FOLDERS lists it" if f.name in listed else "", f.special_use
            )
            for f in folders
        ]
    flagged = {f.special_use for f in folders if f.special_use}
    if gmail and "\\All" in flagged:
        return [_gmail(f) for f in folders]
    return [_choice(f) for f in folders]


def drafts_folder(folders: list[Folder]) -> str | None:
    """Where the owner keeps her drafts (SAVE_DRAFTS): the folder flagged ``\\Drafts``, else the
    first with a usual drafts name (``Drafts``, ``Entwürfe``, ``Brouillons``…); None if neither."""
    flagged = [f.name for f in folders if f.special_use == "\\Drafts"]
    named = [f.name for f in folders if f.special_use is None and role_by_name(f.name) == "\\Drafts"]
    return next(iter(flagged + named), None)


def sees_outgoing(choices: list[Choice]) -> bool:
    """Whether a watched folder holds the owner's sent mail (a \\Sent or \\All folder)."""
    return any(c.watched and c.role in ("\\Sent", "\\All") for c in choices)


def watched(choices: list[Choice]) -> list[str]:
    """The watched folders' names: INBOX first (mail to the daemon arrives there), then Sent,
    Archive and All, each group in the server's order."""
    rank: dict[str | None, int] = {role: i + 1 for i, role in enumerate(WATCHED_ROLES)}
    picked = [c for c in choices if c.watched]
    return [c.name for c in sorted(picked, key=lambda c: (c.name.upper() != INBOX, rank.get(c.role, 9)))]


def _gmail(folder: Folder) -> Choice:
    if folder.special_use == "\\All":
        return Choice(folder.name, True, "\\All: on Gmail it holds every message, sent and received", "\\All")
    return Choice(folder.name, False, "Gmail: its messages are in All Mail too")


def _choice(folder: Folder) -> Choice:
    if folder.name.upper() == INBOX:
        return Choice(folder.name, True, "where mail arrives")
    role = folder.special_use
    if role in WATCHED_ROLES:
        return Choice(folder.name, True, f"{role} folder", role)
    if role in NEVER_ROLES:
        return Choice(folder.name, False, f"{role}: never a touch")
    if role is not None:
        return Choice(folder.name, False, f"{role}: its messages are in other folders too")
    guess = role_by_name(folder.name)
    if guess in WATCHED_ROLES:
        # Watched even beside a flagged one: a folder left by another client or a migration.
        return Choice(folder.name, True, f"named like a {guess} folder (no SPECIAL-USE flag)", guess)
    if guess in NEVER_ROLES:
        return Choice(folder.name, False, f"named like a {guess} folder: never a touch")
    return Choice(folder.name, False, "not a folder keepwarm reads (name it in IMAP_FOLDERS to add it)")
