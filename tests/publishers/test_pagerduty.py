"""Paging through PagerDuty, emulated over HTTP: one alert per incident and service, exactly
once through retries, resolved with the incident."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.config import Secret, Settings
from sandbox.pagerduty_emulator import PagerDutyEmulator
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.support import wait_until

PAYMENTS, CORE = "p" * 32, "c" * 32


@dataclass
class World:
    slack: SlackEmulator
    pd: PagerDutyEmulator
    settings: Settings
    http: aiohttp.ClientSession

    async def start(self, **overrides: Any) -> Bot:
        settings = self.settings.model_copy(update=overrides)
        return await start_bot(settings, self.slack, self.http)


@pytest.fixture
async def world(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[World]:
    pd = PagerDutyEmulator()
    await pd.start()
    settings = bot_settings(
        emulator,
        database_url,
        pagerduty_routing_keys=Secret(f"payments={PAYMENTS},core={CORE}"),
        pagerduty_events_url=pd.events_url,
    )
    yield World(emulator, pd, settings, http)
    await pd.stop()


def only_key(pd: PagerDutyEmulator) -> str:
    assert len(pd.alerts) == 1, list(pd.alerts)
    return next(iter(pd.alerts))


def texts(bot: Bot, channel: str) -> list[str]:
    return [m.text for m in bot.slack.history(channel)]


async def test_page_triggers_one_alert_linked_to_the_channel(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev2 Checkout API failing")
        reply = await bot.command(BOB, channel, "page payments Please join, checkout is down")
        assert "Paging *payments*" in reply.text, reply.text
        await bot.settle()
        key = only_key(world.pd)
        assert key.startswith("warroom-")
        assert key.endswith("-payments")
        [alert] = world.pd.alerts[key]
        assert alert.routing_key == PAYMENTS
        assert alert.severity == "error"  # sev2
        assert "Checkout API failing" in alert.summary
        assert "Please join" in alert.summary
        hrefs = [link["href"] for link in alert.links]
        assert f"https://slack.com/app_redirect?channel={channel}" in hrefs
        assert any(h.endswith("/status") for h in hrefs)
        assert any(":pager:" in t and "*payments*" in t for t in texts(bot, channel))
        timeline = await bot.command(BOB, channel, "timeline")
        assert "paged payments" in timeline.text
    finally:
        await bot.stop()


async def test_page_after_outage_and_throttle_is_sent_exactly_once(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev1 Checkout API failing")
        world.pd.fail(503, times=2)
        world.pd.fail(429, retry_after=1)
        await bot.command(BOB, channel, "page core")
        await bot.settle()
        [alert] = world.pd.alerts[only_key(world.pd)]
        assert alert.severity == "critical"
        assert len(world.pd.events) == 1  # three refusals, one event accepted
        statuses = [status for _, status in world.pd.answers]
        assert statuses == [503, 503, 429, 202]
        throttled_at, retried_at = world.pd.answers[2][0], world.pd.answers[3][0]
        assert retried_at - throttled_at >= 0.95  # Retry-After: 1 was honoured
        warned = [t for t in texts(bot, channel) if "Not yet able to page" in t]
        assert len(warned) == 1, texts(bot, channel)  # said once, on the first failure
    finally:
        await bot.stop()


async def test_page_again_lands_on_the_same_alert(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev2 Checkout API failing")
        await bot.command(BOB, channel, "page payments")
        await bot.command(BOB, channel, "page payments still down")
        await bot.settle()
        key = only_key(world.pd)
        assert len(world.pd.alerts[key]) == 1
        assert len(world.pd.alerts[key][0].events) == 2
    finally:
        await bot.stop()


async def test_resolve_resolves_every_page(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev2 Checkout API failing")
        await bot.command(BOB, channel, "page payments")
        await bot.command(BOB, channel, "page core")
        await bot.settle()
        assert {a.status for a in world.pd.alerts_open()} == {"triggered"}
        await bot.command(ALICE, channel, "resolve Fixed")
        await bot.settle()
        assert len(world.pd.alerts) == 2
        assert world.pd.alerts_open() == []
    finally:
        await bot.stop()


async def test_page_refused_as_invalid_is_dead_with_one_notice(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev2 Checkout API failing")
        world.pd.fail(400)
        await bot.command(BOB, channel, "page payments")
        await bot.settle()
        assert world.pd.events == []
        loud = [t for t in texts(bot, channel) if "Could not page" in t]
        assert len(loud) == 1, texts(bot, channel)
        assert "routing_key" in loud[0]
    finally:
        await bot.stop()


async def test_page_without_service_lists_the_services(world: World) -> None:
    bot = await world.start()
    try:
        channel = await bot.declare("declare sev3 Slow dashboards")
        reply = await bot.command(BOB, channel, "page")
        assert "`payments`, `core`" in reply.text, reply.text
        unknown = await bot.command(BOB, channel, "page billing")
        assert "no service `billing`" in unknown.text, unknown.text
        await bot.settle()
        assert world.pd.events == []
    finally:
        await bot.stop()


async def test_page_on_sev1_pages_on_declare_and_on_escalation(world: World) -> None:
    bot = await world.start(page_on_sev1="core")
    try:
        await bot.declare("declare sev1 Checkout API failing")
        channel = await bot.declare("declare sev3 Slow dashboards")
        await bot.settle()
        assert len(world.pd.alerts) == 1  # the SEV1 only
        await bot.command(ALICE, channel, "severity sev1")
        await bot.settle()
        assert len(world.pd.alerts) == 2
        assert all(key.endswith("-core") for key in world.pd.alerts)
    finally:
        await bot.stop()


async def test_page_on_sev1_never_pages_for_a_private_incident(world: World) -> None:
    bot = await world.start(page_on_sev1="core")
    try:
        channel = await bot.declare("declare private sev1 Payroll data leaked")
        await bot.command(ALICE, channel, "severity sev2")
        await bot.command(ALICE, channel, "severity sev1")
        await bot.settle()
        assert world.pd.events == []  # its people are the ones its members add
        reply = await bot.command(ALICE, channel, "page core")  # asked for: paged
        assert ":warning:" not in reply.text
        await bot.settle()
        assert len(world.pd.alerts) == 1
    finally:
        await bot.stop()


async def test_page_link_waits_for_the_channel_but_not_for_long(world: World) -> None:
    bot = await world.start(page_on_sev1="payments")
    try:
        channel = await bot.declare("declare sev1 Checkout API failing")
        await wait_until(lambda: world.pd.events, 10, "the page")
        [event] = world.pd.events
        hrefs = [link["href"] for link in event["links"]]
        assert f"https://slack.com/app_redirect?channel={channel}" in hrefs
    finally:
        await bot.stop()
