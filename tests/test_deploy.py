"""What a platform deploys from stays in step with the project: the pinned requirements, the
Python version, the Procfile, and `.env.example` beside the README's configuration table."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from bot.config import Settings

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins() -> dict[str, str]:
    """Return {package: version} pinned in requirements.txt."""
    found = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\],]+)==(\S+)", line.strip())
        if match:
            found[canonicalize_name(match.group(1).split("[")[0])] = match.group(2)
    return found


def test_requirements_pin_every_dependency_within_its_range() -> None:
    pinned = pins()
    for text in PYPROJECT["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in requirements.txt: regenerate it (see its header)"
        assert requirement.specifier.contains(pinned[name]), (name, pinned[name])


def test_requirements_install_the_project_for_the_procfile() -> None:
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "."  # so that `warroom`, the Procfile's command, exists
    procfile = (REPO / "Procfile").read_text(encoding="utf-8")
    assert "web: warroom serve" in procfile
    assert "warroom" in PYPROJECT["scripts"]


def test_python_version_file_meets_requires_python() -> None:
    version = (REPO / ".python-version").read_text(encoding="utf-8").strip()
    assert SpecifierSet(PYPROJECT["requires-python"]).contains(f"{version}.0")
    assert f"Python {version} or newer" in (REPO / "README.md").read_text(encoding="utf-8")


def variables() -> set[str]:
    return {field.alias or name for name, field in Settings.model_fields.items()}


def readme_groups() -> list[tuple[str, list[str]]]:
    """Return the README's configuration table as (group, variables) in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    groups: list[tuple[str, list[str]]] = []
    for row in table.splitlines():
        group = re.fullmatch(r"\| \*\*(.+?)\*\* \|\s*\|\s*\|", row)
        if group:
            groups.append((group.group(1), []))
        elif row.startswith("| `") and groups:
            groups[-1][1].extend(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return groups


def example_groups() -> list[tuple[str, list[str]]]:
    """Return `.env.example` as (group, variables) in order."""
    groups: list[tuple[str, list[str]]] = []
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"# --- (.+) ---", line)
        if heading:
            groups.append((heading.group(1), []))
            continue
        variable = re.match(r"#? ?([A-Z][A-Z0-9_]+)=", line)
        if variable and groups and variable.group(1) not in groups[-1][1]:
            groups[-1][1].append(variable.group(1))
    return groups


def test_env_example_lists_every_variable_grouped_as_the_readme() -> None:
    assert example_groups() == readme_groups()
    listed = {v for _, group in example_groups() for v in group}
    assert listed == variables()


def test_env_example_shows_each_default() -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields.values():
        default = field.default
        if isinstance(default, bool):
            shown = str(default).lower()
        elif isinstance(default, float):
            shown = f"{default:g}"
        elif isinstance(default, (int, str)):
            shown = str(default)
        else:  # required, unset by default, or a mapping the README spells out
            continue
        assert f"# {field.alias}={shown}\n" in text, (field.alias, shown)
