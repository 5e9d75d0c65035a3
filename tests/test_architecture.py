"""The layout keeps its promises: the README's architecture table names every package and what it
may import, the code imports nothing else, no import cycle exists, and the root stays small."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import keepwarm

PACKAGE_DIR = Path(keepwarm.__file__).resolve().parent
README = PACKAGE_DIR.parents[1] / "README.md"
KERNEL = frozenset({"errors", "logs", "ports"})
_ROW = re.compile(r"^\| (?P<names>[^|]+) \| (?P<what>[^|]+) \| (?P<may>[^|]+) \|$")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}


def _imports(path: Path) -> Iterator[str]:
    """Every keepwarm module a file imports, wherever the import statement is."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "keepwarm":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield candidate if candidate in MODULES else node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "keepwarm")


def _layer(module: str) -> str:
    """``app`` for keepwarm.app.poll, ``errors`` for keepwarm.errors, ``keepwarm`` for the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "keepwarm"


def _table() -> dict[str, set[str]]:
    """Package (or kernel module) -> the packages it may import, from the README."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    rules: dict[str, set[str]] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if not match or match.group("names").strip() in ("package", "---"):
            continue
        names = [n.strip(" `/").removesuffix(".py") for n in match.group("names").split(",")]
        may = match.group("may").strip()
        allowed = set(re.findall(r"[a-z]+", may.split("(")[0])) - {"nothing", "of", "keepwarm", "s"}
        if may == "everything":
            allowed = {_layer(m) for m in MODULES}
        for name in names:
            rules[name] = allowed
    return rules


def test_the_readme_table_names_every_package_and_kernel_module() -> None:
    rules = _table()
    packages = {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages.discard("templates")  # data only, installed beside the code
    kernel = {p.stem for p in PACKAGE_DIR.glob("*.py")} - {"__init__", "__main__"}
    assert packages | kernel <= set(rules), (
        f"missing from the README's table: {(packages | kernel) - set(rules)}"
    )
    assert set(rules) <= packages | kernel, (
        f"in the README's table but not in the code: {set(rules) - packages - kernel}"
    )


def test_every_package_imports_only_what_its_readme_line_allows() -> None:
    rules = _table()
    problems = []
    for module, path in sorted(MODULES.items()):
        layer = _layer(module)
        if layer in ("keepwarm", "__main__"):
            continue
        allowed = rules[layer] | KERNEL | {layer, "keepwarm"}
        for target in _imports(path):
            if _layer(target) not in allowed:
                problems.append(f"{module} imports {target}")
    assert problems == []


def test_no_import_cycle_anywhere() -> None:
    graph = {m: {t for t in _imports(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_root_holds_only_the_kernel() -> None:
    root = sorted(p.name for p in PACKAGE_DIR.glob("*.py"))
    assert len(root) - 2 <= 5, root  # besides __init__ and __main__
    assert {p.removesuffix(".py") for p in root} - {"__init__", "__main__"} == KERNEL


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The rule above can fail: an import of the CLI from a use case is what it reports."""
    probe = tmp_path / "probe.py"
    probe.write_text("from keepwarm.cli import main\nfrom keepwarm.app import poll\n")
    assert [_layer(t) for t in _imports(probe)] == ["cli", "app"]
    assert "cli" not in _table()["app"]
