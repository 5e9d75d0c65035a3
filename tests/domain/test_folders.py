"""Which folders ``auto`` watches, and the reason ``keepwarm folders`` gives for each."""

from __future__ import annotations

import pytest

from keepwarm.domain.folders import Folder, choose, role_by_name, sees_outgoing, watched


def _names(folders: list[Folder], *, gmail: bool = False) -> list[str]:
    return watched(choose(folders, gmail=gmail))


def test_flagged_folders_of_the_owners_mail_are_watched_and_junk_trash_drafts_never() -> None:
    folders = [
        Folder("Spam", "\\Junk"),
        Folder("All", "\\All"),
        Folder("Old", "\\Archive"),
        Folder("INBOX", None),
        Folder("Outbox", "\\Sent"),
        Folder("Bin", "\\Trash"),
        Folder("Unsent", "\\Drafts"),
        Folder("Starred", "\\Flagged"),
        Folder("Receipts", None),
    ]
    choices = {c.name: c for c in choose(folders, gmail=False)}
    assert _names(folders) == ["INBOX", "Outbox", "Old", "All"]
    assert choices["Spam"].why == "\\Junk: never a touch"
    assert not choices["Starred"].watched and not choices["Receipts"].watched
    assert "IMAP_FOLDERS" in choices["Receipts"].why


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Gesendet", "\\Sent"),
        ("Gesendete Elemente", "\\Sent"),
        ("Envoyés", "\\Sent"),
        ("Éléments envoyés", "\\Sent"),
        ("Elementos enviados", "\\Sent"),
        ("Posta inviata", "\\Sent"),
        ("Verzonden", "\\Sent"),
        ("Verzonden items", "\\Sent"),
        ("INBOX.Sent", "\\Sent"),
        ("INBOX/Skickat", "\\Sent"),
        ("sent items", "\\Sent"),
        ("Archiv", "\\Archive"),
        ("INBOX.Archives", "\\Archive"),
        ("Spam", "\\Junk"),
        ("Papierkorb", "\\Trash"),
        ("Entwürfe", "\\Drafts"),
        ("Receipts", None),
        ("INBOX", None),
    ],
)
def test_usual_names_in_many_languages_give_the_role(name: str, role: str | None) -> None:
    assert role_by_name(name) == role


def test_without_flags_the_usual_names_decide() -> None:
    folders = [
        Folder("INBOX", None),
        Folder("INBOX.Gesendet", None),
        Folder("INBOX.Spam", None),
        Folder("Archiv", None),
    ]
    choices = choose(folders, gmail=False)
    assert watched(choices) == ["INBOX", "INBOX.Gesendet", "Archiv"]
    assert sees_outgoing(choices)
    assert "named like a \\Sent folder" in choices[1].why


def test_with_no_sent_folder_at_all_the_owners_outgoing_mail_is_said_to_be_missed() -> None:
    assert not sees_outgoing(choose([Folder("INBOX", None), Folder("Receipts", None)], gmail=False))


def test_gmail_watches_all_mail_alone() -> None:
    folders = [
        Folder("INBOX", None),
        Folder("[Gmail]/All Mail", "\\All"),
        Folder("[Gmail]/Sent Mail", "\\Sent"),
        Folder("[Gmail]/Spam", "\\Junk"),
    ]
    assert _names(folders, gmail=True) == ["[Gmail]/All Mail"]
    # A server that is not Gmail but has \\All: every folder of the owner's mail is read.
    assert _names(folders, gmail=False) == ["INBOX", "[Gmail]/Sent Mail", "[Gmail]/All Mail"]


def test_an_explicit_list_is_taken_as_it_is() -> None:
    folders = [Folder("INBOX", None), Folder("Spam", "\\Junk")]
    choices = choose(folders, gmail=False, setting=("Spam",))
    assert [(c.name, c.watched, c.why) for c in choices] == [
        ("INBOX", False, ""),
        ("Spam", True, "IMAP_FOLDERS lists it"),
    ]
