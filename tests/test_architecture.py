"""The shape of the house holds: module and function sizes, and who may import the emulators."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "sandbox")
SOURCES = sorted(
    path
    for package in PACKAGES
    for path in (REPO / package).rglob("*.py")
    if "migrations" not in path.parts
)
DEMO_ENTRY = REPO / "bot" / "demo.py"


def p90(values: list[int]) -> int:
    """Return the 90th percentile (nearest rank below)."""
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def functions(path: Path) -> list[tuple[str, int]]:
    """Return (name, length in lines) of every function in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def test_sources_found() -> None:
    assert len(SOURCES) > 50


def test_modules_small_p90_at_most_200_none_over_350() -> None:
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in SOURCES}
    too_big = {str(p.relative_to(REPO)): n for p, n in sizes.items() if n > 350}
    assert too_big == {}
    assert p90(list(sizes.values())) <= 200


def test_functions_short_p90_at_most_30_none_over_60() -> None:
    found = {
        f"{path.relative_to(REPO)}:{name}": length
        for path in SOURCES
        for name, length in functions(path)
    }
    too_long = {where: n for where, n in found.items() if n > 60}
    assert too_long == {}
    assert p90(list(found.values())) <= 30


def imports_of(path: Path) -> set[str]:
    """Return the top-level names of every module the file imports, nested imports included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path",
    [p for p in SOURCES if p.parts[len(REPO.parts)] in {"bot", "handlers", "storage"}],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_bot_never_imports_the_emulators_except_the_demo_entry(path: Path) -> None:
    emulators = {n for n in imports_of(path) if n == "sandbox" or n.startswith("sandbox.")}
    if path == DEMO_ENTRY:
        assert emulators == {"sandbox.demo"}
    else:
        assert emulators == set()


def test_import_reader_sees_nested_imports() -> None:
    assert "sandbox.demo" in imports_of(DEMO_ENTRY)
