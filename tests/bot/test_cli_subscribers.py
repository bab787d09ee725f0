"""`warroom subscribers add | list | remove`, run as operators run it, with only DATABASE_URL."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot.test_cli import run_cli


def test_subscribers_add_list_remove_with_only_database_url(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'subs.db'}"}
    added = run_cli(["subscribers", "add", "https://hooks.example.com/warroom?x=1"], tmp_path, env)
    assert added.returncode == 0, added.stderr
    secret = re.search(r"^[0-9a-f]{64}$", added.stdout, re.MULTILINE)
    assert secret, added.stdout
    assert "Added webhook 1: https://hooks.example.com/warroom?x=1" in added.stdout
    second = run_cli(["subscribers", "add", "http://127.0.0.1:9000/hook"], tmp_path, env)
    assert second.returncode == 0, second.stderr

    listed = run_cli(["subscribers", "list"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    assert "https://hooks.example.com/warroom?x=1" in listed.stdout
    assert "http://127.0.0.1:9000/hook" in listed.stdout
    assert secret.group(0) not in listed.stdout  # shown once, at add

    by_id = run_cli(["subscribers", "remove", "1"], tmp_path, env)
    by_url = run_cli(["subscribers", "remove", "http://127.0.0.1:9000/hook"], tmp_path, env)
    assert by_id.returncode == 0, by_id.stderr
    assert by_url.returncode == 0, by_url.stderr
    assert "No webhook subscribers." in run_cli(["subscribers", "list"], tmp_path, env).stdout


def test_subscribers_add_bad_url_one_line_and_nothing_added(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'subs.db'}"}
    assert run_cli(["migrate"], tmp_path, env).returncode == 0
    for url in ("ftp://example.com/x", "/relative/path", "https://user:pw@example.com/x", ""):
        result = run_cli(["subscribers", "add", url], tmp_path, env)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("warroom: ")
    assert "No webhook subscribers." in run_cli(["subscribers", "list"], tmp_path, env).stdout


def test_subscribers_remove_unknown_says_so(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'subs.db'}"}
    assert run_cli(["migrate"], tmp_path, env).returncode == 0
    result = run_cli(["subscribers", "remove", "42"], tmp_path, env)
    assert result.returncode == 1
    assert "no webhook subscriber '42'" in result.stderr
