"""`warroom actions [--open] [--owner ...]`: actions across incidents, from the database only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bot.test_cli import run_cli
from tests.conftest import ALICE, BOB, Bot


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_actions_listed_across_incidents_filtered(
    bot: Bot, database_url: str, tmp_path: Path
) -> None:
    first = await bot.declare("declare sev2 Search is slow")
    second = await bot.declare("declare sev3 Uploads fail")
    await bot.command(ALICE, first, "action Add a search canary <@U0BOB|bob> p1 due 2026-12-24")
    await bot.command(ALICE, first, "action Write the runbook")
    await bot.command(BOB, second, "action Retry uploads <@U0ALICE|alice>")
    await bot.command(BOB, first, "action done 2")
    await bot.command(ALICE, first, "resolve Fixed")  # its draft learns people's names
    await bot.settle()
    env = {"DATABASE_URL": database_url}

    every = await asyncio.to_thread(run_cli, ["actions"], tmp_path, env)
    assert every.returncode == 0, every.stderr
    lines = every.stdout.splitlines()
    assert lines[0].split() == ["incident", "#", "state", "prio", "due", "owner", "action"]
    assert [line.split()[0] for line in lines[1:]] == ["INC-2", "INC-1", "INC-1"]
    assert "2026-12-24" in every.stdout
    assert "Bob Okafor" in every.stdout  # names, as Slack last told them (else IDs)

    open_only = await asyncio.to_thread(run_cli, ["actions", "--open"], tmp_path, env)
    assert "Write the runbook" not in open_only.stdout
    assert "Add a search canary" in open_only.stdout

    for owner in (f"<@{BOB}>", BOB, "Bob Okafor"):
        mine = await asyncio.to_thread(run_cli, ["actions", "--owner", owner], tmp_path, env)
        assert mine.returncode == 0, mine.stderr
        assert "Add a search canary" in mine.stdout
        assert "Retry uploads" not in mine.stdout

    nobody = await asyncio.to_thread(run_cli, ["actions", "--owner", "zed"], tmp_path, env)
    assert nobody.stdout == "No follow-up actions owned by zed.\n"
