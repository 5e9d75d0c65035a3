"""A vdir: a folder of ``.vcf`` files, one card each, as vdirsyncer keeps them (and khard reads).

Each file's version is its modification time and size, so a sync reads only the files that
changed since the last one, as a CardDAV sync reads only changed cards. Read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from keepwarm.addressbook.carddav import AddressBookError, Card, Changes


class VdirBook:
    """A vdir address book, with the same face as a CardDAV one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def probe(self) -> str:
        """Check the folder can be read; returns how it was reached, for ``keepwarm check``."""
        count = len(vdir_changes(self.folder, {}).cards)
        return f"{self.folder}: {count} cards"

    def changes(self, token: str | None, known: Mapping[str, str]) -> Changes:
        """See ``vdir_changes`` (a vdir has no sync-token)."""
        return vdir_changes(self.folder, known)

    def close(self) -> None:
        """Nothing to close."""


def vdir_changes(folder: Path, known: Mapping[str, str]) -> Changes:
    """The cards in ``folder`` whose version differs from ``known`` (file name to version), and
    the names of the files gone. A folder that cannot be read is an AddressBookError naming it."""
    try:
        files = {p.name: p for p in folder.iterdir() if p.suffix.lower() == ".vcf" and p.is_file()}
    except OSError as exc:
        raise AddressBookError(f"{folder}: cannot read the folder ({exc.strerror})") from None
    changes = Changes(gone=sorted(set(known) - set(files)))
    for name, path in sorted(files.items()):
        try:
            stat = path.stat()
            version = f"{stat.st_mtime_ns}-{stat.st_size}"
            if known.get(name) != version:
                changes.cards.append(Card(name, version, path.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            if name in known:  # vanished while being read: gone
                changes.gone.append(name)
    return changes
