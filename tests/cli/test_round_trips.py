"""Exports read back without loss: vCard and CSV carry everything keepwarm keeps about a contact
and import back into a fresh store as the same contacts; the JSON backup restores a whole store,
record for record, into an empty one, and refuses bad input with one line, applying nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from keepwarm.domain.extras import Dated
from keepwarm.domain.model import Birthday, Contact, Direction, Note, Priority, Touch, YearlyDate
from keepwarm.domain.reminders import Entry, EntryState
from keepwarm.store import Store
from tests.clitools import CliRun, Runner, ok

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
HELD = "3 contacts, 3 touches, 1 dated reminder, 1 reminder entry, 1 folder position, 1 group"
AWKWARD_NOTE = 'met at the "museum"; she said:\nbring the map, the red one\\ and coffee'


def seed(state: Path) -> Store:
    """A store with every kind of thing a backup must carry."""
    store = Store(state)
    zoe = store.add_contact(
        Contact(
            "Zoë Ñandú-Łukasiewicz",
            ("zoe@example.org", "zoe@work.example", "zoe@old.example"),
            NOW,
            group="Old friends, Berlin",
            cadence_days=21,
            max_days=42,
            priority=Priority.HIGH,
            notes=(Note(NOW, AWKWARD_NOTE), Note(datetime(2026, 3, 2, 10, tzinfo=UTC), "second; note, too")),
            birthday=Birthday(2, 29),
            dates=(
                YearlyDate("anniversary", Birthday(6, 12, 2016)),
                YearlyDate("Mia's birthday", Birthday(2, 29)),
            ),
            language="de",
        )
    )
    store.add_contact(
        Contact(
            "王小明",
            ("wang@example.cn",),
            NOW,
            paused=True,
            snoozed_until=None,
            priority=Priority.LOW,
            language="fr",
        )
    )
    store.add_contact(
        Contact("", ("nameless@example.org",), NOW, snoozed_until=datetime(2026, 4, 1, 8, tzinfo=UTC))
    )
    store.add_touches(
        [
            Touch("zoe@work.example", datetime(2026, 2, 1, 9, tzinfo=UTC), Direction.IN, subject="Lunch?"),
            Touch("stranger@example.com", datetime(2026, 1, 6, 9, tzinfo=UTC), Direction.IN, subject="Ad"),
            Touch("wang@example.cn", datetime(2026, 2, 2, 9, tzinfo=UTC), Direction.MANUAL, name="Wang"),
        ]
    )
    store.set_group_cadence("Old friends, Berlin", 30)
    store.set_group_limits("Old friends, Berlin", 60, Priority.HIGH)
    store.set_group_language("Old friends, Berlin", "fr")
    store.extras.add_dated(Dated(zoe.id, date(2027, 3, 11), "ask how the move went", NOW, True))
    store.reminders.add_entry(Entry(0, zoe.id, NOW, 2, EntryState.OPEN))
    store.set_folder_state("INBOX", 7, 123)
    store.runs.note("poll", NOW)
    return store


def exported(run: Runner, state: Path, tmp_path: Path, kind: str, name: str) -> Path:
    """Seed the store and export it to tmp_path/name."""
    seed(state)
    out = tmp_path / name
    ok(run("contacts", "export", "--format", kind, "-o", str(out)))
    return out


def fields(contact: Contact) -> tuple[object, ...]:
    """Everything of a contact but its id and when it was added (an import adds it now)."""
    return (
        contact.name,
        contact.emails,
        contact.group,
        contact.cadence_days,
        contact.max_days,
        contact.priority,
        contact.notes,
        contact.paused,
        contact.snoozed_until,
        contact.birthday,
        contact.dates,
        contact.language,
    )


def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "fresh") -> Path:
    """Point keepwarm at a new, empty state directory."""
    path = tmp_path / name
    monkeypatch.setenv("KEEPWARM_STATE_DIR", str(path))
    return path


@pytest.mark.parametrize(("kind", "suffix"), [("vcard", "vcf"), ("csv", "csv")])
def test_vcard_and_csv_exports_import_into_a_fresh_store_without_loss(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, suffix: str
) -> None:
    before = [fields(c) for c in seed(state).contacts()]
    out = tmp_path / f"all.{suffix}"
    ok(run("contacts", "export", "--format", kind, "-o", str(out)))
    target = fresh(tmp_path, monkeypatch)

    result = ok(run("contacts", "import", str(out)))

    assert "problems 0" in result.out
    assert [fields(c) for c in Store(target).contacts()] == before
    # Importing it again, into the store it now fills, changes nothing.
    again = ok(run("contacts", "import", str(out)))
    assert "added 0, updated 0, unchanged 3, problems 0" in again.out


def test_a_vcard_export_uses_standard_properties_and_documented_keepwarm_ones(
    run: Runner, state: Path
) -> None:
    seed(state)

    text = ok(run("contacts", "export", "--format", "vcard")).out.replace("\r\n ", "")

    for line in (
        "BDAY:--02-29",
        "ANNIVERSARY:2016-06-12",
        "CATEGORIES:Old friends\\, Berlin",
        "X-KEEPWARM-CADENCE:21d",
        "X-KEEPWARM-MAX:42d",
        "X-KEEPWARM-PRIORITY:high",
        "X-KEEPWARM-PAUSED:yes",
        "X-KEEPWARM-SNOOZED-UNTIL:2026-04-01T08:00:00+00:00",
        "X-KEEPWARM-DATE:--02-29 Mia's birthday",
        "LANG:de",
        'X-KEEPWARM-NOTE;DATE="2026-03-02T10:00:00+00:00":second\\; note\\, too',
    ):
        assert line in text.splitlines(), line
    assert "NOTE:met at the" in text


def test_importing_into_a_contact_keeps_what_the_owner_set_and_adds_missing_notes(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    out = exported(run, state, tmp_path, "vcard", "all.vcf")
    ok(run("contacts", "edit", "zoe@example.org", "--every", "5w", "--resume"))
    ok(run("contacts", "edit", "wang@example.cn", "--resume"))

    result = ok(run("contacts", "import", str(out)))

    assert "problems 0" in result.out
    store = Store(state)
    [zoe, wang, _] = store.contacts()
    assert zoe.cadence_days == 35  # the owner's newer choice, not the file's 21 days
    assert not wang.paused  # resumed since the export: the import does not pause again
    assert [n.text for n in zoe.notes] == [AWKWARD_NOTE, "second; note, too"]


def test_a_plain_note_on_a_foreign_card_becomes_one_note(run: Runner, state: Path, tmp_path: Path) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nEMAIL:ann@example.org\r\n"
    card += "NOTE:likes tea\\, not coffee\r\nEND:VCARD\r\n"
    path = tmp_path / "ann.vcf"
    path.write_text(card, encoding="utf-8")

    ok(run("contacts", "import", str(path)))
    ok(run("contacts", "import", str(path)))

    [ann] = Store(state).contacts()
    assert [n.text for n in ann.notes] == ["likes tea, not coffee"]


def imported(run: Runner, tmp_path: Path, cards: str) -> CliRun:
    """Import ``cards`` (vCard text) from a file; the command's result."""
    path = tmp_path / "book.vcf"
    path.write_text(cards, encoding="utf-8")
    return ok(run("contacts", "import", str(path)))


def test_a_card_without_an_address_is_named_and_the_others_import(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Mail\r\nX-KEEPWARM-CADENCE:3w\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Has Mail\r\nEMAIL:has@example.org\r\nX-KEEPWARM-CADENCE:3w\r\n"
        "X-KEEPWARM-CADENCE:3w\r\nEND:VCARD\r\n"
    )
    result = imported(run, tmp_path, cards)

    assert "  problem: card 1 (No Mail): No Mail has no email address: skipped" in result.lines
    [has] = Store(state).contacts()
    assert (has.name, has.cadence_days) == ("Has Mail", 21)


def test_a_cards_lang_sets_the_language_of_her_drafts_and_an_unknown_one_is_named(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    anna = ["FN:Anna", "EMAIL:anna@example.at", "LANG;PREF=2:en", "LANG;PREF=1:de-AT"]
    lucia = ["FN:Lucía", "EMAIL:lucia@example.es", "LANG:es"]
    cards = "".join("\r\n".join(["BEGIN:VCARD", "VERSION:4.0", *c, "END:VCARD", ""]) for c in (anna, lucia))
    result = imported(run, tmp_path, cards)

    problem = (
        "  problem: card 2 (Lucía): language ignored: language es: no drafts in es yet; available: de, en, fr"
    )
    assert problem in result.lines
    assert [(c.name, c.language) for c in Store(state).contacts()] == [("Anna", "de"), ("Lucía", None)]


# -- the JSON backup -------------------------------------------------------------------------------


def test_a_backup_restores_the_whole_store_record_for_record(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = seed(state)
    backup = tmp_path / "backup.json"
    ok(run("contacts", "export", "--format", "json", "-o", str(backup)))
    target = fresh(tmp_path, monkeypatch)

    result = ok(run("contacts", "import", str(backup)))

    assert result.lines == [f"restored {HELD} from {backup}"]
    restored = Store(target)
    # Field by field: every table, every record, every id, as it was.
    assert restored.backup.dump() == original.backup.dump()
    assert restored.contacts() == original.contacts()
    assert restored.touches() == original.touches()
    assert restored.extras.dated() == original.extras.dated()
    assert restored.reminders.entries() == original.reminders.entries()
    assert (restored.group_cadences(), restored.group_limits(), restored.group_languages()) == (
        original.group_cadences(),
        original.group_limits(),
        original.group_languages(),
    )
    assert restored.runs.get() == original.runs.get()
    # And exporting again gives the same file.
    again = tmp_path / "again.json"
    ok(run("contacts", "export", "--format", "json", "-o", str(again)))
    assert again.read_text(encoding="utf-8") == backup.read_text(encoding="utf-8")


def test_a_backup_is_not_restored_into_a_store_that_holds_something(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    backup = exported(run, state, tmp_path, "json", "backup.json")
    before = (state / "keepwarm.json").read_bytes()

    result = run("contacts", "import", str(backup))

    assert result.code == 64
    assert result.err_lines == [
        f"keepwarm: {backup}: not restored: the store {state / 'keepwarm.json'} is not empty "
        f"({HELD}); restore into a new KEEPWARM_STATE_DIR"
    ]
    assert (state / "keepwarm.json").read_bytes() == before


def test_a_dry_run_checks_the_backup_and_restores_nothing(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = exported(run, state, tmp_path, "json", "backup.json")
    target = fresh(tmp_path, monkeypatch)

    result = ok(run("contacts", "import", str(backup), "--dry-run"))

    assert result.lines[0].startswith("would restore 3 contacts, ")
    assert Store(target).backup.held() == {}


def _damaged(data: dict[str, object]) -> None:
    store = data["store"]
    assert isinstance(store, dict)
    del store["contacts"]["2"]["emails"]


def _future(data: dict[str, object]) -> None:
    data["version"] = 2


def _newer_store(data: dict[str, object]) -> None:
    store = data["store"]
    assert isinstance(store, dict)
    store["meta"]["1"]["schema"] = 99


def _bad_dated(data: dict[str, object]) -> None:
    store = data["store"]
    assert isinstance(store, dict)
    store["dated"]["1"]["on"] = "someday"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_damaged, "record 2 of table 'contacts' is damaged: KeyError('emails')"),
        (_future, "backup version 2; this keepwarm reads version 1"),
        (_newer_store, "its store has schema 99; this keepwarm reads schemas 1 to 2"),
        (_bad_dated, "a record the store cannot read (ValueError: Invalid isoformat string: 'someday')"),
    ],
    ids=["damaged-contact", "wrong-version", "newer-store", "damaged-dated"],
)
def test_a_bad_backup_is_one_line_and_nothing_is_restored(
    run: Runner,
    state: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: object,
    message: str,
) -> None:
    backup = exported(run, state, tmp_path, "json", "backup.json")
    data = json.loads(backup.read_text(encoding="utf-8"))
    assert callable(change)
    change(data)
    backup.write_text(json.dumps(data), encoding="utf-8")
    target = fresh(tmp_path, monkeypatch)

    result = run("contacts", "import", str(backup))

    assert result.code == 64
    assert result.err_lines == [f"keepwarm: {backup}: not restored: {message}"]
    assert Store(target).backup.held() == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "keepwarm backup", ', "not valid JSON (line 1, column 31: Expecting property name"),
        ('{"contacts": []}', "not a keepwarm backup (make one with keepwarm contacts export --format json)"),
        ("[]", "not a keepwarm backup"),
    ],
    ids=["truncated", "contacts-only", "not-an-object"],
)
def test_a_file_that_is_not_a_backup_is_one_line(
    run: Runner, state: Path, tmp_path: Path, text: str, message: str
) -> None:
    backup = tmp_path / "backup.json"
    backup.write_text(text, encoding="utf-8")

    result = run("contacts", "import", str(backup))

    assert result.code == 64
    [line] = result.err_lines
    assert line.startswith(f"keepwarm: {backup}: not restored: {message}")
    assert not (state / "keepwarm.json").exists()
