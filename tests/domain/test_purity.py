"""The domain stays pure: standard library only, no I/O modules, no clock reads."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import keepwarm.domain

DOMAIN_DIR = Path(keepwarm.domain.__file__).resolve().parent
FORBIDDEN_MODULES = frozenset({"os", "subprocess", "socket", "pathlib", "logging", "random", "time"})
CLOCK_TEXT = ("datetime.now", "date.today", "utcnow")
CLOCK_ATTRIBUTES = frozenset({"now", "utcnow", "today"})


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every import; a relative import is reported as ``.`` plus its module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.append((node.lineno, "." * node.level + module))
    return found


def import_problems(source: str, filename: str) -> list[str]:
    """What a domain module must not import."""
    problems = []
    for line, module in imported_modules(ast.parse(source, filename)):
        top = module.split(".")[0]
        where = f"{filename}:{line}: {module}"
        if module.startswith("."):
            problems.append(f"{where}: relative import")
        elif top in FORBIDDEN_MODULES:
            problems.append(f"{where}: I/O or clock module")
        elif (
            module != "keepwarm.domain"
            and not module.startswith("keepwarm.domain.")
            and top not in sys.stdlib_module_names
        ):
            problems.append(f"{where}: neither standard library nor keepwarm.domain")
    return problems


def clock_problems(source: str, filename: str) -> list[str]:
    """Clock reads, by text and by attribute access."""
    problems = [f"{filename}: mentions {text}" for text in CLOCK_TEXT if text in source]
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRIBUTES:
            problems.append(f"{filename}:{node.lineno}: reads the clock (.{node.attr})")
    return problems


DOMAIN_FILES = sorted(DOMAIN_DIR.rglob("*.py"))


def test_the_domain_has_the_expected_modules() -> None:
    names = {path.name for path in DOMAIN_FILES}
    assert {"durations.py", "model.py", "addresses.py", "book.py", "due.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_imports_only_stdlib_and_itself(path: Path) -> None:
    assert import_problems(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_reads_no_clock(path: Path) -> None:
    assert clock_problems(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "import os.path\n",
        "from pathlib import Path\n",
        "import logging\n",
        "from random import choice\n",
        "import time\n",
        "import subprocess\n",
        "import socket\n",
        "import tinydb\n",
        "from keepwarm.store import Store\n",
        "from keepwarm import config\n",
        "from . import model\n",
    ],
)
def test_the_import_check_catches_impure_imports(source: str) -> None:
    assert import_problems(source, "sample.py") != []


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime\nx = datetime.now()\n",
        "import datetime\nx = datetime.date.today()\n",
        "import datetime as dt\nx = dt.datetime.utcnow()\n",
        "from datetime import date as d\nx = d.today()\n",
    ],
)
def test_the_clock_check_catches_clock_reads(source: str) -> None:
    assert clock_problems(source, "sample.py") != []


def test_the_checks_accept_pure_code() -> None:
    source = (
        "from __future__ import annotations\n"
        "import re\n"
        "from datetime import datetime, timedelta\n"
        "from keepwarm.domain.model import Contact\n"
        "def later(now: datetime) -> datetime:\n"
        "    return now + timedelta(days=1)\n"
    )
    assert import_problems(source, "sample.py") == []
    assert clock_problems(source, "sample.py") == []
