"""Rate limits as Slack documents them (API-RULES 1.1): per method by tier, posts per channel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.limits import retry_after
from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import ALICE, error_of


def refusal(err: SlackApiError) -> tuple[int, str, str]:
    """Return a 429's status, error and Retry-After header."""
    return err.response.status_code, err.response["error"], err.response.headers["Retry-After"]


async def test_conversations_create_21st_within_a_minute_returns_429_with_retry_after(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    for n in range(20):  # Tier 2: 20 per minute
        await client.conversations_create(name=f"inc-{n}")
    err = await error_of(client.conversations_create(name="inc-20"))
    status, error, after = refusal(err)
    assert (status, error) == (429, "ratelimited")
    assert after in ("2", "3")  # a token is back 3 s after the burst began: 60 s / 20
    assert [(m, c) for m, c, _ in emulator.rate_limited] == [("conversations.create", None)]
    assert emulator.channel_by_name("inc-20") is None  # the refused call did nothing
    assert (await client.conversations_info(channel="C0GENERAL"))["ok"]  # other methods: own bucket


async def test_post_message_fourth_fast_post_to_one_channel_is_429_other_channel_passes(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    for n in range(3):  # a short burst is allowed
        await client.chat_postMessage(channel="C0GENERAL", text=f"post {n}")
    err = await error_of(client.chat_postMessage(channel="general", text="by name: same channel"))
    assert refusal(err) == (429, "ratelimited", "1")
    assert (await client.chat_postMessage(channel="C0ANNOUNCE", text="elsewhere"))["ok"]
    assert [(m, c) for m, c, _ in emulator.rate_limited] == [("chat.postMessage", "C0GENERAL")]
    assert [m.text for m in emulator.history("C0GENERAL")] == ["post 0", "post 1", "post 2"]


async def test_post_message_dm_by_user_id_and_dm_id_share_one_limit(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel=ALICE, text="dm 0")
    for n in (1, 2):
        await client.chat_postMessage(channel=first["channel"], text=f"dm {n}")
    err = await error_of(client.chat_postMessage(channel=ALICE, text="dm 3"))
    assert err.response.status_code == 429
    assert emulator.rate_limited[0][:2] == ("chat.postMessage", first["channel"])


async def test_post_message_has_no_tier_limit_beyond_its_channel_limit(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.rate_scale = 0.01  # a post per 10 ms per channel
    names = [f"c{n}" for n in range(60)]
    ids = [(await client.conversations_create(name=n))["channel"]["id"] for n in names[:20]]
    await asyncio.sleep(0.6)  # the Tier 2 bucket of conversations.create refills
    ids += [(await client.conversations_create(name=n))["channel"]["id"] for n in names[20:40]]
    for channel in ids:  # 40 channels, 3 posts each: far more than any tier floor per window
        for n in range(3):
            await client.chat_postMessage(channel=channel, text=str(n))
    assert [m for m, _, _ in emulator.rate_limited] == []


async def test_scaled_window_refills_and_retry_after_is_decimal(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.rate_scale = 0.01  # 100 times faster: 20 per 0.6 s, a post per 10 ms
    # Called until refused (a slow machine may let a token back in between), never forever.
    err = await first_refusal(lambda: client.chat_postMessage(channel="C0GENERAL", text="post"))
    wait = float(err.response.headers["Retry-After"])
    assert 0 < wait <= 0.010
    await asyncio.sleep(wait)
    assert (await client.chat_postMessage(channel="C0GENERAL", text="after the wait"))["ok"]
    names = (f"scaled-{n}" for n in range(100))
    err = await first_refusal(lambda: client.conversations_create(name=next(names)))
    wait = float(err.response.headers["Retry-After"])
    assert 0 < wait <= 0.030
    await asyncio.sleep(wait)
    assert (await client.conversations_create(name="scaled-after"))["ok"]


async def first_refusal(call: Callable[[], Awaitable[Any]], tries: int = 60) -> SlackApiError:
    """Call until Slack refuses with `ratelimited`; return that error."""
    for _ in range(tries):
        try:
            await call()
        except SlackApiError as err:
            if err.response["error"] != "ratelimited":
                raise
            return err
    raise AssertionError(f"{tries} calls in a row and no rate limit")


async def test_retry_after_waited_out_means_the_retry_is_answered(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.rate_scale = 0.01
    outcomes: list[str] = []
    waits: list[float] = []
    while outcomes.count("ok") < 12:  # a client that waits out each Retry-After, then retries
        try:
            await client.chat_postMessage(channel="C0GENERAL", text="post")
            outcomes.append("ok")
        except SlackApiError as err:
            outcomes.append("429")
            waits.append(float(err.response.headers["Retry-After"]))
            await asyncio.sleep(waits[-1])
    assert outcomes[:3] == ["ok"] * 3  # the burst
    assert "429" in outcomes
    assert "429,429" not in ",".join(outcomes)  # a retry after the wait is never refused
    times = emulator.call_times
    assert len(times) == len(emulator.calls) == len(outcomes)
    retried = [t for t, before in zip(times[1:], outcomes, strict=False) if before == "429"]
    refused = emulator.rate_limited
    assert len(refused) == len(retried) == len(waits)
    for (_, _, refused_at), retried_at, wait in zip(refused, retried, waits, strict=True):
        assert retried_at - refused_at >= wait  # what a test of a client checks: it waited


async def test_rate_scale_zero_never_limits(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.rate_scale = 0
    for n in range(30):
        await client.chat_postMessage(channel="C0GENERAL", text=f"post {n}")
    for n in range(25):
        await client.conversations_create(name=f"fast-{n}")
    assert emulator.rate_limited == []
    assert len(emulator.history("C0GENERAL")) == 30


async def test_limits_apply_after_auth_and_before_queued_faults(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=emulator.api_url, retry_handlers=[])
    for _ in range(5):  # refused calls with a bad token spend nothing
        await error_of(wrong.chat_postMessage(channel="C0GENERAL", text="x"))
    for n in range(3):
        await client.chat_postMessage(channel="C0GENERAL", text=str(n))
    emulator.fail("chat.postMessage", "channel_not_found")
    err = await error_of(client.chat_postMessage(channel="C0GENERAL", text="limited first"))
    assert err.response.status_code == 429
    err = await error_of(client.chat_postMessage(channel="C0ANNOUNCE", text="fault still queued"))
    assert err.response["error"] == "channel_not_found"


async def test_apps_connections_open_is_tier_1(emulator: SlackEmulator) -> None:
    headers = {"Authorization": "Bearer xapp-emulator"}
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(
                emulator.api_url + "apps.connections.open", headers=headers
            ) as r:
                statuses.append((r.status, (await r.json())["ok"], r.headers.get("Retry-After")))
    assert statuses[0] == (200, True, None)
    assert statuses[1][:2] == (429, False)
    assert int(statuses[1][2] or 0) in (59, 60)  # one call per minute


def test_retry_after_rounds_up_to_whole_seconds_or_to_milliseconds_when_scaled() -> None:
    assert [retry_after(s, 1.0) for s in (0.0, 0.2, 1.0, 2.01)] == ["1", "1", "1", "3"]
    assert retry_after(30.5, 2.0) == "31"
    assert [retry_after(s, 0.01) for s in (0.0, 0.0123, 0.6)] == ["0.001", "0.013", "0.600"]
