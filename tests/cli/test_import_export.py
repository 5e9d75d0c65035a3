"""keepwarm contacts import (vCard 3/4, Google and Outlook CSV) and export (vCard, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keepwarm.addressbook import exchange
from keepwarm.domain.model import Birthday, Contact, Direction, Touch
from keepwarm.store import Store
from tests.clitools import CliRun as Run
from tests.clitools import Runner, ok

VCARD4 = """\
BEGIN:VCARD
VERSION:4.0
FN:Alice Example
N:Example;Alice;;;
EMAIL;TYPE=home:alice@example.org
EMAIL;TYPE=work:Alice.Work@Example.COM
BDAY:--0517
CATEGORIES:Friends,Climbing
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Bob Builder
N:Builder;Bob;;;
EMAIL;PREF=1:bob@example.net
EMAIL:bob@home.example
EMAIL:bob@work.example
BDAY:19900517
END:VCARD
"""
VCARD3 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Carol Singer\r\n"
    "N:Singer;Carol;;;\r\n"
    "EMAIL;TYPE=INTERNET:carol@example.org\r\n"
    "EMAIL;TYPE=INTERNET,WORK:carol.singer@work.example\r\n"
    "BDAY:1990-05-17\r\n"
    "CATEGORIES:Family\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Dan Dale\r\n"
    "N:Dale;Dan;;;\r\n"
    "EMAIL;TYPE=INTERNET:dan@example.org\r\n"
    "END:VCARD\r\n"
)
# (name, emails, birthday, group) as each file should import.
EXPECTED_V4 = [
    ("Alice Example", ("alice@example.org", "alice.work@example.com"), "--05-17", "Friends"),
    ("Bob Builder", ("bob@example.net", "bob@home.example", "bob@work.example"), "1990-05-17", None),
]
EXPECTED_V3 = [
    ("Carol Singer", ("carol@example.org", "carol.singer@work.example"), "1990-05-17", "Family"),
    ("Dan Dale", ("dan@example.org",), None, None),
]
GOOGLE_CSV = """\
Name,Given Name,Family Name,E-mail 1 - Value,E-mail 2 - Value,Birthday,Group Membership
Alice Example,Alice,Example,alice@example.org,alice@work.example,1990-05-17,* myContacts ::: Friends
,Bob,Builder,bob@example.net ::: bob@home.example,,--05-17,* myContacts
Carol Singer,Carol,Singer,carol@example.org,,,* myContacts ::: * starred ::: Family
"""
OUTLOOK_CSV = """\
First Name,Last Name,E-mail Address,E-mail 2 Address,Birthday,Categories
Alice,Example,alice@example.org,alice@work.example,1990-05-17,Friends;Work
Bob,Builder,BOB@Example.NET,,,
Carol,,carol@example.org,carol@home.example,--12-24,Family
"""
# Line 4 repeats the first column of the header, line 2 is fine, line 3 has a broken address.
BROKEN_CSV = """\
Name,E-mail 1 - Value,Birthday
Alice Example,alice@example.org,
Bob Builder,bob@@example.net,1990-13-45
Erin Example,erin@example.org,
Dan Nobody,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def summary(result: Run) -> str:
    """The one summary line an import prints."""
    [line] = [row for row in result.lines if row.startswith(("added ", "would add "))]
    return line


def problems(result: Run) -> list[str]:
    return [row.removeprefix("  problem: ") for row in result.lines if row.startswith("  problem: ")]


def people(state: Path) -> list[tuple[str, tuple[str, ...], str | None, str | None]]:
    """(name, emails, birthday, group) of every stored contact, in the order they were added."""
    return [
        (c.name, c.emails, str(c.birthday) if c.birthday else None, c.group) for c in Store(state).contacts()
    ]


def by_address(state: Path, address: str) -> Contact:
    [found] = [c for c in Store(state).contacts() if address in c.emails]
    return found


# -- vCard -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [(VCARD4, EXPECTED_V4), (VCARD3, EXPECTED_V3)], ids=["vcard4", "vcard3"]
)
def test_vcards_import_with_names_every_address_birthday_and_group(
    run: Runner,
    state: Path,
    tmp_path: Path,
    text: str,
    expected: list[tuple[str, tuple[str, ...], str | None, str | None]],
) -> None:
    book = write(tmp_path, "book.vcf", text)

    result = ok(run("contacts", "import", str(book)))

    assert summary(result) == f"added {len(expected)}, updated 0, unchanged 0, problems 0"
    assert people(state) == expected
    assert all(c.cadence_days is None and c.notes == () for c in Store(state).contacts())


def test_importing_the_same_file_again_changes_nothing(run: Runner, state: Path, tmp_path: Path) -> None:
    book = write(tmp_path, "book.vcf", VCARD4 + VCARD3)
    ok(run("contacts", "import", str(book)))
    before = (state / "keepwarm.json").read_bytes()

    result = ok(run("contacts", "import", str(book)))

    assert summary(result) == "added 0, updated 0, unchanged 4, problems 0"
    assert (state / "keepwarm.json").read_bytes() == before


def test_a_card_for_a_tracked_person_updates_but_never_overwrites_what_the_owner_set(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    ok(
        run(
            "contacts",
            "add",
            "Alice E. <alice@example.org>",
            "--every",
            "3w",
            "--group",
            "Climbing",
            "--note",
            "met at the crag",
        )
    )
    before = by_address(state, "alice@example.org")
    book = write(tmp_path, "book.vcf", VCARD4)

    result = ok(run("contacts", "import", str(book)))

    assert summary(result) == "added 1, updated 1, unchanged 0, problems 0"
    assert "  ~ Alice E. <alice@example.org>" in result.lines
    alice = by_address(state, "alice@example.org")
    assert alice.id == before.id
    assert alice.emails == ("alice@example.org", "alice.work@example.com")  # the second address
    assert alice.birthday == Birthday(5, 17)  # filled in
    assert alice.name == "Alice E."
    assert alice.cadence_days == 21
    assert [n.text for n in alice.notes] == ["met at the crag"]
    assert alice.group == "Climbing"  # not the card's Friends
    assert len(Store(state).contacts()) == 2


def test_an_existing_birthday_is_not_overwritten(run: Runner, state: Path, tmp_path: Path) -> None:
    ok(run("contacts", "add", "bob@example.net"))
    ok(run("contacts", "edit", "bob@example.net", "--birthday", "1985-01-02"))
    book = write(tmp_path, "book.vcf", VCARD4)

    ok(run("contacts", "import", str(book)))

    bob = by_address(state, "bob@example.net")
    assert bob.birthday == Birthday(1, 2, 1985)
    assert bob.name == "Bob Builder"  # a missing name is filled in
    assert bob.emails == ("bob@example.net", "bob@home.example", "bob@work.example")


def test_dry_run_changes_nothing_and_prints_the_summary(run: Runner, state: Path, tmp_path: Path) -> None:
    ok(run("contacts", "add", "Alice <alice@example.org>"))
    before = (state / "keepwarm.json").read_bytes()
    book = write(tmp_path, "book.vcf", VCARD4 + VCARD3)

    result = ok(run("contacts", "import", str(book), "--dry-run", "--every", "2w", "--group", "New"))

    assert summary(result) == "would add 3, would update 1, unchanged 0, problems 0"
    assert "  + Bob Builder <bob@example.net>" in result.lines
    assert "  ~ Alice <alice@example.org>" in result.lines
    assert (state / "keepwarm.json").read_bytes() == before
    assert people(state) == [("Alice", ("alice@example.org",), None, None)]


BROKEN_VCARDS = """\
BEGIN:VCARD
VERSION:3.0
FN:Dan Broken
EMAIL:dan@example.org
NOTE:this note was folded
without the leading space a continuation line needs
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Eve Invalid
EMAIL:not-an-email
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Frank Fine
EMAIL:frank@example.org
EMAIL:frank@@example.org
END:VCARD
"""


def test_malformed_cards_are_reported_by_card_and_name_while_the_rest_imports(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    book = write(tmp_path, "book.vcf", BROKEN_VCARDS)

    result = ok(run("contacts", "import", str(book)))

    found = problems(result)
    assert any(p.startswith("card 1 (Dan Broken): not a valid vCard") for p in found), found
    assert "card 2 (Eve Invalid): 'not-an-email' is not a valid email address" in found
    assert "card 2 (Eve Invalid): Eve Invalid has no email address: skipped" in found
    assert "card 3 (Frank Fine): 'frank@@example.org' is not a valid email address" in found
    assert summary(result) == f"added 1, updated 0, unchanged 0, problems {len(found)}"
    assert people(state) == [("Frank Fine", ("frank@example.org",), None, None)]


def test_a_card_that_cannot_be_parsed_is_reported_with_its_name(run: Runner, tmp_path: Path) -> None:
    """Card 1's FN line precedes the broken fold: the report should say whose card it is."""
    book = write(tmp_path, "book.vcf", BROKEN_VCARDS)

    result = ok(run("contacts", "import", str(book)))

    [broken] = [p for p in problems(result) if "not a valid vCard" in p]
    assert broken.startswith("card 1 (Dan Broken): "), broken


def test_lower_case_card_delimiters_do_not_lose_the_following_cards() -> None:
    """vCard names are case-insensitive (RFC 6350 3.3): 'end:vcard' ends a card like 'END:VCARD'."""
    text = (
        "begin:vcard\nversion:3.0\nfn:Ann\nemail:ann@example.org\nend:vcard\n"
        "begin:vcard\nversion:3.0\nfn:Ben\nemail:ben@example.org\nend:vcard\n"
    )

    records, found = exchange.read_vcards(text)

    assert found == []
    assert [(r.name, r.emails) for r in records] == [
        ("Ann", ("ann@example.org",)),
        ("Ben", ("ben@example.org",)),
    ]


def test_apple_grouped_emails_import_and_an_omitted_year_is_no_year() -> None:
    """Apple Contacts and iCloud write item1.EMAIL, and a birthday without a year as year 1604."""
    text = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Example;Alice;;;\r\nFN:Alice Example\r\n"
        "item1.EMAIL;type=INTERNET;type=pref:alice@example.org\r\n"
        "item1.X-ABLabel:_$!<Other>!$_\r\n"
        "EMAIL;type=INTERNET;type=HOME:alice@home.example\r\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17\r\n"
        "END:VCARD\r\n"
    )

    [record], found = exchange.read_vcards(text)

    assert found == []
    assert record.emails == ("alice@example.org", "alice@home.example")
    assert record.birthday == Birthday(5, 17)


# -- CSV -------------------------------------------------------------------------------------------


def test_google_contacts_csv_imports(run: Runner, state: Path, tmp_path: Path) -> None:
    book = write(tmp_path, "google.csv", "\ufeff" + GOOGLE_CSV)

    result = ok(run("contacts", "import", str(book)))

    assert summary(result) == "added 3, updated 0, unchanged 0, problems 0"
    assert people(state) == [
        ("Alice Example", ("alice@example.org", "alice@work.example"), "1990-05-17", "Friends"),
        ("Bob Builder", ("bob@example.net", "bob@home.example"), "--05-17", None),
        ("Carol Singer", ("carol@example.org",), None, "Family"),
    ]


def test_outlook_csv_imports(run: Runner, state: Path, tmp_path: Path) -> None:
    book = write(tmp_path, "outlook.csv", OUTLOOK_CSV)

    result = ok(run("contacts", "import", str(book)))

    assert summary(result) == "added 3, updated 0, unchanged 0, problems 0"
    assert people(state) == [
        ("Alice Example", ("alice@example.org", "alice@work.example"), "1990-05-17", "Friends"),
        ("Bob Builder", ("bob@example.net",), None, None),
        ("Carol", ("carol@example.org", "carol@home.example"), "--12-24", "Family"),
    ]


def test_a_csv_file_is_read_as_csv_whatever_its_name_with_format(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    book = write(tmp_path, "export.txt", OUTLOOK_CSV)

    ok(run("contacts", "import", str(book), "--format", "csv"))

    assert len(people(state)) == 3


def test_bad_csv_lines_are_reported_by_line_number_and_the_rest_imports(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    book = write(tmp_path, "book.csv", BROKEN_CSV)

    result = ok(run("contacts", "import", str(book)))

    found = problems(result)
    assert "line 3: 'bob@@example.net' is not a valid email address" in found
    assert any(p.startswith("line 3: birthday ignored: '1990-13-45'") for p in found), found
    assert "line 3: Bob Builder has no email address: skipped" in found
    assert "line 5: Dan Nobody has no email address: skipped" in found
    assert len(found) == 4
    assert summary(result) == "added 2, updated 0, unchanged 0, problems 4"
    assert [p[0] for p in people(state)] == ["Alice Example", "Erin Example"]


def test_every_and_group_apply_to_new_contacts_only(run: Runner, state: Path, tmp_path: Path) -> None:
    ok(run("contacts", "add", "Alice <alice@example.org>"))
    book = write(tmp_path, "google.csv", GOOGLE_CSV)

    result = ok(run("contacts", "import", str(book), "--every", "2w", "--group", "Imported"))

    assert summary(result) == "added 2, updated 1, unchanged 0, problems 0"
    alice = by_address(state, "alice@example.org")
    assert alice.cadence_days is None
    assert alice.group == "Friends"  # her own label filled a missing group, not --group
    bob = by_address(state, "bob@example.net")
    assert (bob.cadence_days, bob.group) == (14, "Imported")
    carol = by_address(state, "carol@example.org")
    assert (carol.cadence_days, carol.group) == (14, "Family")  # the file's label wins over --group


def test_a_file_that_cannot_be_read_is_a_one_line_error(run: Runner, tmp_path: Path) -> None:
    result = run("contacts", "import", str(tmp_path / "missing.vcf"))

    assert result.code != 0
    assert result.out == ""
    assert result.err.splitlines() == [
        f"keepwarm: cannot read {tmp_path / 'missing.vcf'}: No such file or directory"
    ]


# -- export ----------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def seed(state: Path) -> Store:
    """Three contacts with the awkward bits an export must carry: commas, accents, no name."""
    store = Store(state)
    store.add_contact(
        Contact(
            "Smith, John",
            ("john@example.org", "john@work.example"),
            NOW,
            group="Friends",
            birthday=Birthday(5, 17),
            cadence_days=21,
        )
    )
    store.add_contact(Contact("Zoë Ñandú", ("zoe@example.org",), NOW, birthday=Birthday(2, 29, 1992)))
    store.add_contact(Contact("Bob Builder", ("bob@example.net",), NOW, group="Work"))
    return store


def test_vcard_export_reads_back_as_the_same_contacts(run: Runner, state: Path, tmp_path: Path) -> None:
    contacts = seed(state).contacts()
    out = tmp_path / "all.vcf"

    result = ok(run("contacts", "export", "--format", "vcard", "-o", str(out)))

    assert result.lines == [f"wrote 3 contacts to {out}"]
    records, found = exchange.read_vcards(out.read_text(encoding="utf-8"))
    assert found == []
    assert [(r.name, r.emails, r.birthday, r.group) for r in records] == [
        (c.name, c.emails, c.birthday, c.group) for c in contacts
    ]
    # And importing the export into the same store is a no-op.
    assert summary(ok(run("contacts", "import", str(out)))) == "added 0, updated 0, unchanged 3, problems 0"


def test_vcard_export_into_a_fresh_store_recreates_the_contacts(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(state)
    out = tmp_path / "all.vcf"
    ok(run("contacts", "export", "--format", "vcard", "-o", str(out)))
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("KEEPWARM_STATE_DIR", str(fresh))

    ok(run("contacts", "import", str(out)))

    assert people(fresh) == people(state)


def test_a_contact_without_a_name_survives_a_vcard_round_trip(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    """vCard 3 needs an FN, so the export writes the address there; reading it back is no name."""
    ok(run("contacts", "add", "nameless@example.org"))
    out = tmp_path / "all.vcf"
    ok(run("contacts", "export", "--format", "vcard", "-o", str(out)))

    [record], _ = exchange.read_vcards(out.read_text(encoding="utf-8"))
    result = ok(run("contacts", "import", str(out)))

    assert summary(result) == "added 0, updated 0, unchanged 1, problems 0"
    assert by_address(state, "nameless@example.org").name == ""
    assert record.name == ""


def test_a_group_with_a_comma_survives_a_vcard_round_trip(run: Runner, state: Path, tmp_path: Path) -> None:
    ok(run("contacts", "add", "Ann <ann@example.org>", "--group", "Friends, old"))
    out = tmp_path / "all.vcf"
    ok(run("contacts", "export", "--format", "vcard", "-o", str(out)))

    [record], _ = exchange.read_vcards(out.read_text(encoding="utf-8"))

    assert record.group == "Friends, old"


def test_csv_export_has_a_header_and_one_row_per_contact(run: Runner, state: Path) -> None:
    seed(state)

    result = ok(run("contacts", "export", "--format", "csv"))

    rows = list(csv.reader(io.StringIO(result.out)))
    # Google's names first, then keepwarm's own columns (empty here: nothing of that was set).
    assert rows[0][:6] == [
        "Name",
        "E-mail 1 - Value",
        "Group Membership",
        "Birthday",
        "Cadence Days",
        "Notes",
    ]
    assert rows[0][6:] == [
        *("Max Days", "Priority", "Paused", "Snoozed Until", "Dates", "Keepwarm Notes", "Language")
    ]
    assert [r[:6] for r in rows[1:]] == [
        ["Smith, John", "john@example.org ::: john@work.example", "Friends", "--05-17", "21", ""],
        ["Zoë Ñandú", "zoe@example.org", "", "1992-02-29", "", ""],
        ["Bob Builder", "bob@example.net", "Work", "", "", ""],
    ]
    assert all(r[6:] == [""] * 7 for r in rows[1:])
    # The CSV reads back as the same people, too.
    records, found = exchange.read_csv(result.out)
    assert found == []
    assert [(r.name, r.emails) for r in records] == [(r[0], tuple(r[1].split(" ::: "))) for r in rows[1:]]


def test_json_export_carries_every_contacts_history(run: Runner, state: Path) -> None:
    store = seed(state)
    store.add_touches(
        [
            Touch("john@work.example", datetime(2026, 2, 1, 9, tzinfo=UTC), Direction.IN, subject="Lunch?"),
            Touch("john@example.org", datetime(2026, 1, 5, 9, tzinfo=UTC), Direction.OUT, subject="Hi"),
            Touch("stranger@example.com", datetime(2026, 1, 6, 9, tzinfo=UTC), Direction.IN, subject="Ad"),
            Touch("bob@example.net", datetime(2026, 2, 2, 9, tzinfo=UTC), Direction.MANUAL),
        ]
    )

    result = ok(run("contacts", "export", "--format", "json"))

    data = json.loads(result.out)
    by_name = {c["name"]: c for c in data["contacts"]}
    assert list(by_name) == ["Smith, John", "Zoë Ñandú", "Bob Builder"]
    john = by_name["Smith, John"]
    assert john["emails"] == ["john@example.org", "john@work.example"]
    assert (john["group"], john["cadence_days"], john["birthday"]) == ("Friends", 21, "--05-17")
    assert [(t["address"], t["direction"], t["subject"]) for t in john["history"]] == [
        ("john@example.org", "out", "Hi"),
        ("john@work.example", "in", "Lunch?"),
    ]
    assert john["history"][0]["at"].startswith("2026-01-05T09:00")
    assert by_name["Zoë Ñandú"]["history"] == []
    assert [t["direction"] for t in by_name["Bob Builder"]["history"]] == ["manual"]
    # Someone not tracked is in nobody's history, but the backup keeps their touch too.
    assert all(t["address"] != "stranger@example.com" for c in data["contacts"] for t in c["history"])
    assert "stranger@example.com" in {t["address"] for t in data["store"]["touches"].values()}


def test_an_anniversary_on_a_card_is_a_yearly_date_both_ways(
    run: Runner, state: Path, tmp_path: Path
) -> None:
    card4 = "\r\n".join(
        ["BEGIN:VCARD", "VERSION:4.0", "FN:Dana Example", "EMAIL:dana@example.org", "ANNIVERSARY:20160611"]
    )
    card3 = "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", "FN:Eli Example", "N:Example;Eli;;;", "EMAIL:eli@example.org"]
    )
    card4 += "\r\nEND:VCARD\r\n"
    card3 += "\r\nX-ANNIVERSARY:2010-09-04\r\nEND:VCARD\r\n"
    ok(run("contacts", "import", str(write(tmp_path, "book.vcf", card4 + card3))))

    dana, eli = by_address(state, "dana@example.org"), by_address(state, "eli@example.org")
    exported = ok(run("contacts", "export", "--format", "vcard")).out

    assert [(d.label, str(d.date)) for d in dana.dates] == [("anniversary", "2016-06-11")]
    assert [(d.label, str(d.date)) for d in eli.dates] == [("anniversary", "2010-09-04")]
    assert "X-ANNIVERSARY:2016-06-11" in exported and "X-ANNIVERSARY:2010-09-04" in exported
