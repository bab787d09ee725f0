"""Atlassian Statuspage, emulated over HTTP: created once, updated in order, never duplicated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.config import Secret, Settings
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.handlers.forms import opened_view
from tests.support import wait_until


@dataclass
class World:
    slack: SlackEmulator
    sp: StatuspageEmulator
    settings: Settings
    http: aiohttp.ClientSession

    async def start(self) -> Bot:
        return await start_bot(self.settings, self.slack, self.http)


@pytest.fixture
async def world(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[World]:
    sp = StatuspageEmulator(components=("API", "ChatGPT", "Sora"))
    await sp.start()
    settings = bot_settings(
        emulator,
        database_url,
        statuspage_api_key=Secret(sp.api_key),
        statuspage_page_id=sp.page_id,
        statuspage_api_url=sp.api_url,
        statuspage_rate=50.0,
    )
    yield World(emulator, sp, settings, http)
    await sp.stop()


def only_incident(sp: StatuspageEmulator) -> dict[str, Any]:
    assert len(sp.incidents) == 1, list(sp.incidents)
    return next(iter(sp.incidents.values()))


async def test_whole_incident_is_mirrored_on_statuspage(world: World) -> None:
    bot = await world.start()
    try:
        # Components come from Statuspage's API when STATUS_COMPONENTS is not set.
        await wait_until(
            lambda: any(path.endswith("/components") for _, path, _ in world.sp.requests),
            10,
            "the components were asked for",
        )
        channel = await bot.declare("declare sev1 Shard 7 corrupt (internal)")
        steps = [
            (BOB, "update internal only: restore from backup"),
            (ALICE, "public-name Elevated error rates"),
            (ALICE, "impact api,chatgpt major"),
            (BOB, "status identified We identified the cause"),
            (BOB, "status monitoring A fix is deployed"),
            (ALICE, "resolve Error rates are back to normal"),
        ]
        for user, text in steps:
            reply = await bot.command(user, channel, text)
            assert ":warning:" not in reply.text, reply.text
        await bot.settle()
        incident = only_incident(world.sp)
        assert incident["name"] == "Elevated error rates"
        assert incident["status"] == "resolved"
        assert incident["impact_override"] == "critical"
        assert incident["metadata"]["warroom"]["uid"]
        updates = incident["incident_updates"][::-1]
        bodies = [u["body"] for u in updates]
        # The component change is no update of its own: it rode with the next message.
        assert bodies == [
            "We identified the cause",
            "A fix is deployed",
            "Error rates are back to normal",
        ]
        assert all("internal" not in b for b in bodies)
        affected = {(c["name"], c["new_status"]) for c in updates[0]["affected_components"]}
        assert affected == {("API", "major_outage"), ("ChatGPT", "major_outage")}
        api = world.sp.component_by_name("API")
        assert api is not None
        assert api["status"] == "operational"
        # Each public entry's own message now says where it went; no notice of its own.
        page, shortlink = bot.settings.public_url, incident["shortlink"]
        places = f"<{page}|the status page> and <{shortlink}|Atlassian Statuspage>"
        posted = world.slack.history(channel)[1:]  # after the pinned summary
        draft = posted.pop()
        assert draft.text.startswith(":memo: *Post-mortem draft for INC-1* (SEV1)")
        globe = f"\n:globe_with_meridians: Published on {places}."
        assert [(m.text.split("\n")[0], m.text.endswith(globe), m.edited) for m in posted] == [
            (f":memo: *Update* from <@{BOB}>", False, False),
            (f":label: <@{ALICE}> set the public name to “Elevated error rates”", False, False),
            (
                f":bar_chart: <@{ALICE}> set API, ChatGPT to *Major outage* on the public status",
                False,  # on the built-in page at once; on Statuspage with the next message
                False,
            ),
            (f":bulb: Status is now *identified* (was investigating), set by <@{BOB}>", True, True),
            (f":eyes: Status is now *monitoring* (was identified), set by <@{BOB}>", True, True),
            (f":white_check_mark: *INC-1 resolved* by <@{ALICE}>", True, True),
        ]
        assert sum("globe_with_meridians" in m.text for m in posted) == 4  # and no notice
        assert not [m for m in posted if "Public update published" in m.text]
    finally:
        await bot.stop()


async def test_rate_limit_and_outage_delay_but_keep_order(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.sp.fail(420, method="POST", path="/incidents", retry_after=1)
        world.sp.fail(503, method="*", path="*", times=6)
        for n in range(1, 5):
            await bot.command(BOB, channel, f"status investigating Public note {n}")
        await bot.settle()
        incident = only_incident(world.sp)
        bodies = [u["body"] for u in incident["incident_updates"]][::-1]
        assert bodies == [f"Public note {n}" for n in range(1, 5)]
        warned = [m.text for m in world.slack.history(channel) if "not on Statuspage yet" in m.text]
        assert len(warned) >= 1
    finally:
        await bot.stop()


async def test_revoked_key_is_reported_not_retried_forever(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare()
        world.sp.api_key = "rotated"
        await bot.command(BOB, channel, "status identified Cause found")
        await bot.settle()
        loud = [m.text for m in world.slack.history(channel) if "NOT published" in m.text]
        assert len(loud) == 1
        assert "refused the API key (401)" in loud[0]
        refused = len(world.sp.requests)
        await bot.settle()  # a retry would be a pending row, and settle would wait for it
        assert len(world.sp.requests) == refused
        assert world.sp.incidents == {}
    finally:
        await bot.stop()


async def test_crash_between_remote_create_and_local_commit_makes_no_duplicate(
    world: World,
) -> None:
    bot = await world.start()
    channel = await bot.declare()
    world.sp.delay(1.0, method="POST", path="/incidents")
    await bot.command(BOB, channel, "status identified Cause found")

    def creating() -> bool:
        return any(m == "POST" and p.endswith("/incidents") for m, p, _ in world.sp.requests)

    await wait_until(creating, 10, "Statuspage was asked to create the incident")
    await bot.stop()  # stopped while Statuspage is still creating the incident
    await wait_until(lambda: len(world.sp.incidents) == 1, 10, "Statuspage created it")

    restarted = await world.start()
    try:
        await restarted.command(BOB, channel, "status monitoring Fix deployed")
        await restarted.settle()  # waits out a lease the stopped process may still hold
        incident = only_incident(world.sp)
        bodies = [u["body"] for u in incident["incident_updates"]][::-1]
        assert bodies == ["Cause found", "Fix deployed"]
    finally:
        await restarted.stop()


async def test_published_summary_becomes_the_statuspage_postmortem(world: World) -> None:
    from bot.slack import ids

    bot = await world.start()
    try:
        channel = await bot.declare()
        await bot.command(BOB, channel, "status identified Found it")
        await bot.command(ALICE, channel, "resolve Fixed")
        await bot.settle()
        await bot.command(ALICE, channel, "postmortem publish")
        view = await opened_view(bot)
        values = {
            ids.SUMMARY_BLOCK: {
                ids.SUMMARY_ACTION: {
                    "type": "plain_text_input",
                    "value": "A bad config broke checkout for 20 minutes.",
                }
            }
        }
        await bot.driver.view_submission(user_id=ALICE, view=view, values=values)
        await bot.settle()
        incident = only_incident(world.sp)
        assert incident["postmortem_body"] == "A bad config broke checkout for 20 minutes."
        assert incident["postmortem_published_at"] is not None
        # The summary's own message says where it went; no notice of its own.
        [told] = [m for m in world.slack.history(channel) if m.text.startswith(":newspaper:")]
        assert told.edited
        assert told.text == (
            f":newspaper: <@{ALICE}> published the public post-incident summary\n"
            f":globe_with_meridians: Published on <{incident['shortlink']}|Atlassian Statuspage>."
        )
        assert not [
            m for m in world.slack.history(channel) if "as the incident's postmortem" in m.text
        ]
    finally:
        await bot.stop()


async def test_rate_limit_pauses_every_delivery_for_the_time_asked(world: World) -> None:
    bot = await world.start()
    try:
        first = await bot.declare("declare sev2 Checkout errors")
        second = await bot.declare("declare sev2 Search slow")
        await bot.settle()
        before = len(world.sp.requests)
        world.sp.fail(429, retry_after=1)  # the key's limit: one answer for everyone
        await bot.command(BOB, first, "status investigating Checkout note")
        await bot.command(BOB, second, "status investigating Search note")
        await bot.settle()
        times = world.sp.request_times[before:]
        refused_at = times[0]
        # Both incidents' deliveries waited out the one 429: nothing came within its second.
        assert all(t - refused_at >= 0.95 for t in times[1:]), [t - refused_at for t in times]
        notes = {u["body"] for i in world.sp.incidents.values() for u in i["incident_updates"]}
        assert {"Checkout note", "Search note"} <= notes
    finally:
        await bot.stop()
