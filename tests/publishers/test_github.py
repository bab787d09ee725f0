"""Follow-up actions become GitHub issues, over HTTP against the emulator: created once, kept in
step, closed when done; refusals told once; rate limits and outages waited out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.config import Secret, Settings
from sandbox.github_emulator import GithubEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Bot, bot_settings, start_bot


@dataclass
class World:
    slack: SlackEmulator
    gh: GithubEmulator
    settings: Settings
    http: aiohttp.ClientSession

    async def start(self, **overrides: Any) -> Bot:
        return await start_bot(self.settings.model_copy(update=overrides), self.slack, self.http)


@pytest.fixture
async def world(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[World]:
    gh = GithubEmulator()
    await gh.start()
    settings = bot_settings(
        emulator,
        database_url,
        github_token=Secret(gh.token),
        github_repo=gh.full_name,
        github_api_url=gh.api_url,
        action_owners={ALICE: "alice-gh", BOB: "bob-gh", CAROL: "carol-gh"},
    )
    yield World(emulator, gh, settings, http)
    await gh.stop()


def only_issue(gh: GithubEmulator) -> dict[str, Any]:
    assert len(gh.issues) == 1, gh.titles()
    return next(iter(gh.issues.values()))


def notices(slack: SlackEmulator, channel: str, words: str) -> list[str]:
    return [m.text for m in slack.history(channel) if words in m.text]


async def test_action_becomes_issue_kept_in_step_and_closed_when_done(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        reply = await bot.command(BOB, channel, "action Alert on gateway p99 <@U0ALICE> p1 due +7d")
        assert ":warning:" not in reply.text, reply.text
        await bot.settle()
        issue = only_issue(world.gh)
        assert issue["title"] == "Alert on gateway p99"
        assert {label["name"] for label in issue["labels"]} == {"incident", "INC-1"}
        assert [a["login"] for a in issue["assignees"]] == ["alice-gh"]
        body = issue["body"]
        assert "INC-1" in body
        assert f"https://slack.com/app_redirect?channel={channel}" in body
        assert "Priority: P1" in body
        assert "<!-- warroom:action:" in body
        # The action's message in the channel now links its ticket.
        [added] = [m for m in world.slack.history(channel) if "added follow-up action 1" in m.text]
        assert issue["html_url"] in added.text
        assert added.edited

        await bot.command(ALICE, channel, "action 1 owner <@U0BOB|bob>")
        await bot.command(ALICE, channel, "action 1 priority p3")
        await bot.settle()
        issue = only_issue(world.gh)
        assert [a["login"] for a in issue["assignees"]] == ["bob-gh"]
        assert "Priority: P3" in issue["body"]
        assert issue["state"] == "open"

        listed = await bot.command(ALICE, channel, "actions")
        assert issue["html_url"] in listed.text
        assert "p3" in listed.text

        await bot.command(BOB, channel, "action done 1")
        await bot.settle()
        issue = only_issue(world.gh)
        assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
        assert len(world.gh.calls("POST", "/issues")) == 1
    finally:
        await bot.stop()


async def test_lost_create_answer_finds_its_issue_instead_of_a_second(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        # GitHub creates the issue, but its answer never arrives: the try fails unrecorded.
        world.gh.lose_answer(method="POST", path="/issues")
        await bot.command(BOB, channel, "action Add a canary for config pushes")
        await bot.settle()
        issue = only_issue(world.gh)
        assert len(world.gh.calls("POST", "/issues")) == 1
        # The retry found it by its marker, remembered it, and later edits go to it.
        await bot.command(BOB, channel, "action done 1")
        await bot.settle()
        assert only_issue(world.gh)["state"] == "closed"
        assert issue["number"] == 1
    finally:
        await bot.stop()


async def test_outage_then_recovery_makes_exactly_one_issue(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.gh.fail(503, times=4)
        await bot.command(BOB, channel, "action Rotate the gateway certificates")
        await bot.settle()
        assert world.gh.titles() == ["Rotate the gateway certificates"]
        assert notices(world.slack, channel, "not reaching GitHub") == []  # waited out quietly
    finally:
        await bot.stop()


async def test_rate_limit_retry_after_is_honoured(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.gh.limit(2, per=2.0)  # two requests per 2 s; beyond: 429 with Retry-After
        for n in range(1, 4):
            await bot.command(BOB, channel, f"action Follow-up number {n}")
        await bot.settle(limit=40)
        assert world.gh.titles() == [f"Follow-up number {n}" for n in range(1, 4)]
        assert world.gh.limited, "the limit was never reached"
        # After each 429 the bot asked again only once the seconds GitHub named had passed.
        times = world.gh.request_times
        for at, seconds in world.gh.limited:
            later = [t for t in times if t > at]
            assert later, "never asked again"
            assert later[0] - at >= seconds - 0.05, (later[0] - at, seconds)
    finally:
        await bot.stop()


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"github_repo": "acme/nowhere"}, "not found (404)"),
        ({"github_token": Secret("ghp_revoked")}, "refused the token (401)"),
        ({"action_owners": {BOB: "not-a-collaborator"}}, "refused the data (422)"),
    ],
    ids=["404", "401", "422"],
)
async def test_refusal_is_dead_and_told_once_in_the_channel(
    world: World, overrides: dict[str, Any], said: str
) -> None:
    bot = await world.start(**overrides)
    try:
        channel = await bot.declare()
        for n in range(1, 3):
            await bot.command(BOB, channel, f"action Thing {n} <@U0BOB|bob>")
        await bot.settle()
        assert world.gh.issues == {}
        told = notices(world.slack, channel, "not reaching GitHub")
        assert len(told) == 1, told
        assert said in told[0]
    finally:
        await bot.stop()


async def test_edit_keeps_labels_people_added_and_does_not_reopen(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        await bot.command(BOB, channel, "action Rotate the certificates")
        await bot.settle()
        issue = only_issue(world.gh)
        issue["labels"].append({"name": "triaged"})  # someone triaged it, then closed it
        issue["state"], issue["state_reason"] = "closed", "not_planned"
        await bot.command(BOB, channel, "action 1 priority p2")
        await bot.settle()
        issue = only_issue(world.gh)
        assert "triaged" in {label["name"] for label in issue["labels"]}
        assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
        assert "Priority: P2" in issue["body"]
    finally:
        await bot.stop()


async def test_private_incidents_actions_never_become_issues(world: World) -> None:
    bot = await world.start()
    try:
        public = await bot.declare()
        private = await bot.declare("declare private sev2 Leaked signing key")
        reply = await bot.command(ALICE, private, "action Rotate the signing key <@U0BOB>")
        assert reply.text == (
            "Follow-up action 1 added to INC-2. It stays here: a private incident's actions "
            "never become tickets."
        )
        await bot.command(ALICE, private, "action done 1")
        await bot.command(BOB, public, "action Add a canary for config pushes")
        await bot.settle()
        # The public incident's action is the only issue: nothing of INC-2 reached GitHub.
        assert only_issue(world.gh)["title"] == "Add a canary for config pushes"
        assert all("INC-2" not in str(call) for call in world.gh.requests)
    finally:
        await bot.stop()
