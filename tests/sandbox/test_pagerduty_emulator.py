"""Tests for the PagerDuty Events API v2 emulator, driven over HTTP with aiohttp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.pagerduty_emulator import PagerDutyEmulator

KEY = "a" * 32
OTHER_KEY = "b" * 32


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDutyEmulator]:
    em = PagerDutyEmulator()
    await em.start()
    yield em
    await em.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


def trigger(dedup: str | None = "k1", key: str = KEY, **payload: Any) -> dict[str, Any]:
    body = {"summary": "Checkout failing", "source": "warroom", "severity": "critical"}
    event: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {**body, **payload},
    }
    if dedup is not None:
        event["dedup_key"] = dedup
    return event


async def send(
    http: aiohttp.ClientSession, em: PagerDutyEmulator, event: Any
) -> tuple[int, dict[str, Any], aiohttp.typedefs.LooseHeaders]:
    async with http.post(em.events_url, json=event) as response:
        return response.status, await response.json(content_type=None), response.headers


async def test_trigger_accepted_opens_one_alert(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    status, body, _ = await send(http, pagerduty, trigger())
    assert status == 202
    assert body == {"status": "success", "message": "Event processed", "dedup_key": "k1"}
    await send(http, pagerduty, trigger())  # the same key: the same alert
    assert len(pagerduty.alerts["k1"]) == 1
    alert = pagerduty.alert("k1")
    assert alert is not None
    assert (alert.status, len(alert.events)) == ("triggered", 2)


async def test_trigger_without_dedup_key_gets_a_new_key_each_time(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    _, first, _ = await send(http, pagerduty, trigger(None))
    _, second, _ = await send(http, pagerduty, trigger(None))
    assert first["dedup_key"] != second["dedup_key"]
    assert len(pagerduty.alerts) == 2


@pytest.mark.parametrize(
    ("event", "word"),
    [
        (trigger(key="short"), "routing_key"),
        ({**trigger(), "event_action": "page"}, "event_action"),
        (trigger("x" * 256), "dedup_key"),
        (trigger(summary="s" * 1025), "payload.summary"),
        (trigger(source=""), "payload.source"),
        (trigger(severity="sev1"), "payload.severity"),
        ({**trigger(), "images": [{"src": "http://insecure"}]}, "images"),
        ({"routing_key": KEY, "event_action": "resolve"}, "dedup_key"),
        ([1, 2], "Event object"),
    ],
)
async def test_malformed_event_answers_400_with_errors(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator, event: Any, word: str
) -> None:
    status, body, _ = await send(http, pagerduty, event)
    assert status == 400
    assert body["status"] == "invalid event"
    assert any(word in error for error in body["errors"]), body
    assert pagerduty.events == []


async def test_resolve_closes_then_trigger_opens_a_new_alert(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    await send(http, pagerduty, trigger())
    resolve = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k1"}
    assert (await send(http, pagerduty, resolve))[0] == 202
    assert pagerduty.alert("k1").status == "resolved"  # type: ignore[union-attr]
    await send(http, pagerduty, resolve)  # dropped: no open alert
    await send(http, pagerduty, trigger())
    assert [a.status for a in pagerduty.alerts["k1"]] == ["resolved", "triggered"]


async def test_event_with_another_routing_key_does_not_apply(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    await send(http, pagerduty, trigger())
    resolve = {"routing_key": OTHER_KEY, "event_action": "resolve", "dedup_key": "k1"}
    await send(http, pagerduty, resolve)
    assert pagerduty.alert("k1").status == "triggered"  # type: ignore[union-attr]


async def test_rate_per_key_answers_429_with_retry_after(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.rate_per_minute, pagerduty.retry_after = 1, 7
    assert (await send(http, pagerduty, trigger("a")))[0] == 202
    status, _, headers = await send(http, pagerduty, trigger("b"))
    assert (status, headers["Retry-After"]) == (429, "7")  # type: ignore[index]
    assert (await send(http, pagerduty, trigger("c", key=OTHER_KEY)))[0] == 202


async def test_injected_outage_answers_5xx_then_recovers(
    http: aiohttp.ClientSession, pagerduty: PagerDutyEmulator
) -> None:
    pagerduty.fail(503, times=2)
    async with http.post(pagerduty.events_url, json=trigger()) as response:
        assert response.status == 503
    async with http.post(pagerduty.events_url, json=trigger()) as response:
        assert response.status == 503
    assert (await send(http, pagerduty, trigger()))[0] == 202
    assert len(pagerduty.events) == 1
