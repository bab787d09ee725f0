"""The README's commands are the ones CI and newcomers run."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shell_blocks(text: str) -> list[str]:
    blocks = text.split("```sh\n")[1:]
    return [block.split("\n```")[0].strip() for block in blocks]


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    demo, tests = shell_blocks(readme)[:2]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines
    assert demo.endswith("warroom demo")
    assert demo.startswith("python3 -m venv .venv && ")
