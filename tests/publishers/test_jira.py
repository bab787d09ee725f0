"""Follow-up actions become Jira Cloud issues, over HTTP against the emulator: created once
(found again by label after a lost answer), edited, moved to Done; refusals told once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.config import Secret, Settings
from sandbox.jira_emulator import JiraEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot


@dataclass
class World:
    slack: SlackEmulator
    jira: JiraEmulator
    settings: Settings
    http: aiohttp.ClientSession

    async def start(self, **overrides: Any) -> Bot:
        return await start_bot(self.settings.model_copy(update=overrides), self.slack, self.http)


@pytest.fixture
async def world(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[World]:
    jira = JiraEmulator()
    await jira.start()
    settings = bot_settings(
        emulator,
        database_url,
        jira_url=jira.site_url,
        jira_email=jira.email,
        jira_api_token=Secret(jira.token),
        jira_project=jira.project,
    )
    yield World(emulator, jira, settings, http)
    await jira.stop()


def only_issue(jira: JiraEmulator) -> dict[str, Any]:
    assert len(jira.issues) == 1, jira.summaries()
    return next(iter(jira.issues.values()))


async def test_action_becomes_jira_issue_edited_and_done(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        await bot.command(BOB, channel, "action Add a runbook for shard restores p1 due 2026-12-24")
        await bot.settle()
        issue = only_issue(world.jira)
        fields = issue["fields"]
        assert fields["summary"] == "Add a runbook for shard restores"
        assert fields["issuetype"] == {"name": "Task"}
        assert fields["priority"] == {"name": "High"}
        assert fields["duedate"] == "2026-12-24"
        assert {"incident", "INC-1"} <= set(fields["labels"])
        assert any(label.startswith("warroom-") for label in fields["labels"])
        assert fields["description"]["type"] == "doc"
        link = f"{world.jira.site_url}/browse/{issue['key']}"
        [added] = [m for m in world.slack.history(channel) if "added follow-up action 1" in m.text]
        assert link in added.text

        await bot.command(ALICE, channel, "action 1 priority p3")
        await bot.settle()
        assert only_issue(world.jira)["fields"]["priority"] == {"name": "Low"}

        await bot.command(BOB, channel, "action done 1")
        await bot.settle()
        assert world.jira.status(issue["key"]) == "Done"
        assert len(world.jira.calls("POST", "/issue")) == 1
    finally:
        await bot.stop()


async def test_lost_create_answer_finds_its_issue_by_label(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.jira.lose_answer(method="POST", path="/issue")
        await bot.command(BOB, channel, "action Page the database team sooner")
        await bot.settle()
        only_issue(world.jira)
        await bot.command(BOB, channel, "action done 1")
        await bot.settle()
        [key] = world.jira.issues
        assert world.jira.status(key) == "Done"
        assert len(world.jira.calls("POST", "/issue")) == 1
    finally:
        await bot.stop()


async def test_outage_and_rate_limit_are_waited_out(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.jira.fail(503, times=3)
        world.jira.limit(2, per=2.0)
        for n in range(1, 4):
            await bot.command(BOB, channel, f"action Follow-up {n}")
        await bot.settle(limit=40)
        assert world.jira.summaries() == [f"Follow-up {n}" for n in range(1, 4)]
        assert world.jira.limited
    finally:
        await bot.stop()


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"jira_project": "NOPE"}, "project: valid project is required"),
        ({"jira_api_token": Secret("wrong")}, "(401)"),
        ({"jira_done_transition": "Closed"}, "no transition named 'Closed'"),
    ],
    ids=["400", "401", "no-transition"],
)
async def test_refusal_is_dead_and_told_once(
    world: World, overrides: dict[str, Any], said: str
) -> None:
    bot = await world.start(**overrides)
    try:
        channel = await bot.declare()
        for n in range(1, 3):
            await bot.command(BOB, channel, f"action Thing {n}")
            await bot.command(BOB, channel, f"action done {n}")
        await bot.settle()
        told = [m.text for m in world.slack.history(channel) if "not reaching Jira" in m.text]
        assert len(told) == 1, told
        assert said in told[0]
    finally:
        await bot.stop()
