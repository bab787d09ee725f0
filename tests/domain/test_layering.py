"""`bot.domain` stays pure: it imports the standard library and itself, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"
PACKAGE = "bot.domain"
DOMAIN_FILES = sorted(DOMAIN.rglob("*.py"))


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under bot/domain."""
    parts = path.relative_to(DOMAIN).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Return every module `source` imports, relative imports resolved, dynamic ones included."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{anchor}.{node.module}" if node.module else anchor
                found.append(target.strip("."))
            else:
                found.append(node.module or "")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                found.append(str(first.value))
    return found


def allowed(name: str) -> bool:
    """Return whether the domain may import `name`."""
    if name == PACKAGE or name.startswith(PACKAGE + "."):
        return True
    top = name.split(".")[0]
    return bool(top) and top in sys.stdlib_module_names


def test_domain_files_found() -> None:
    names = {path.name for path in DOMAIN_FILES}
    assert {"__init__.py", "grammar.py", "model.py", "text.py", "errors.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_imports_only_stdlib_and_domain(path: Path) -> None:
    module = module_name(path)
    names = imported_modules(
        path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
    )
    outside = [name for name in names if not allowed(name)]
    assert outside == [], f"{module} imports {outside}: bot.domain must stay stdlib-only"


@pytest.mark.parametrize(
    "source",
    [
        "import aiohttp",
        "import slack_sdk.web",
        "from slack_bolt.async_app import AsyncApp",
        "from sqlmodel import SQLModel",
        "import sqlalchemy as sa",
        "from storage.db import Database",
        "import handlers.commands",
        "from bot import config",
        "from bot.slack_blocks import topic",
        "from bot.service import Service",
        "from .. import config",
        "from ..publishers import base",
        "import importlib\nimportlib.import_module('sqlalchemy')",
        "__import__('aiohttp')",
        "def f():\n    import dotenv",
    ],
)
def test_import_checker_outside_import_is_caught(source: str) -> None:
    names = imported_modules(source, "bot.domain.example")
    assert names
    assert not all(allowed(name) for name in names)


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import re, unicodedata",
        "import os.path",
        "from collections.abc import Callable",
        "from bot.domain.model import Severity",
        "from . import model",
        "from .errors import UsageError",
        "import bot.domain.text",
    ],
)
def test_import_checker_stdlib_or_domain_import_is_allowed(source: str) -> None:
    names = imported_modules(source, "bot.domain.example")
    assert names
    assert all(allowed(name) for name in names), names
