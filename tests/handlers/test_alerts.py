"""Alerts from monitoring over real HTTP: signed or tokened, one incident per alert however
often (and however concurrently) it comes, a resolved alert noted but the incident open."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import Bot, bot_settings, start_bot

SECRET = "pd-webhook-secret-0123"
TOKEN = "am-token-0123456789abcdef"


@pytest.fixture
async def alerted(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        pagerduty_webhook_secret=Secret(SECRET),
        alertmanager_token=Secret(TOKEN),
    )
    running = await start_bot(settings, emulator, http)
    yield running
    await running.stop()


def am_body(status: str = "firing", fingerprint: str = "fp01", severity: str = "critical") -> Any:
    alert = {
        "status": status,
        "labels": {"alertname": "HighErrorRate", "severity": severity, "service": "checkout"},
        "annotations": {"summary": "Checkout 5xx above 5%"},
        "startsAt": "2026-11-30T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-30T10:30:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=rate",
        "fingerprint": fingerprint,
    }
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "warroom",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": [alert],
    }


def pd_body(event_type: str = "incident.triggered", urgency: str = "high", **data: Any) -> Any:
    incident = {
        "id": "Q1ABCDEF",
        "type": "incident",
        "number": 42,
        "title": "Payments gateway timeouts",
        "status": "triggered",
        "urgency": urgency,
        "priority": None,
        "incident_key": "a8f7e6",
        "html_url": "https://acme.pagerduty.com/incidents/Q1ABCDEF",
        **data,
    }
    event = {
        "id": "01ABC",
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2026-11-30T10:00:00Z",
        "data": incident,
    }
    return {"event": event}


async def post_am(bot: Bot, body: Any, token: str = TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with bot.http.post(f"{bot.url}/alerts/alertmanager", data=raw, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def post_pd(bot: Bot, body: Any, signature: str | None = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode()
    if signature is None:
        digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        signature = f"v1=deadbeef, v1={digest}"  # a rotated secret: several signatures
    headers = {"X-PagerDuty-Signature": signature} if signature else {}
    async with bot.http.post(f"{bot.url}/alerts/pagerduty", data=raw, headers=headers) as r:
        return r.status, await r.json(content_type=None)


def incident_channels(bot: Bot) -> list[str]:
    return [
        c.id
        for c in bot.slack.channels.values()
        if c.creator == bot.slack.bot_user_id and c.name.startswith("inc-")
    ]


async def test_alertmanager_critical_alert_declares_an_incident(alerted: Bot) -> None:
    status, body = await post_am(alerted, am_body())
    assert status == 202, body
    assert body["alerts"] == [{"outcome": "declared", "incident": "INC-1"}]
    await alerted.settle()
    [channel] = incident_channels(alerted)
    transcript = alerted.slack.transcript(channel)
    assert "Checkout 5xx above 5%" in transcript
    assert "Alert from Alertmanager firing" in transcript


async def test_alert_repeats_open_one_incident(alerted: Bot) -> None:
    assert (await post_am(alerted, am_body()))[0] == 202
    status, body = await post_am(alerted, am_body())
    assert (status, body["alerts"]) == (202, [{"outcome": "repeat", "incident": "INC-1"}])
    results = await asyncio.gather(*(post_am(alerted, am_body("firing", "fp02")) for _ in range(8)))
    assert [s for s, _ in results] == [202] * 8
    outcomes = sorted(b["alerts"][0]["outcome"] for _, b in results)
    assert outcomes == ["declared"] + ["repeat"] * 7
    await alerted.settle()
    assert len(incident_channels(alerted)) == 2


async def test_resolved_alert_is_noted_and_incident_stays_open(alerted: Bot) -> None:
    await post_am(alerted, am_body())
    await alerted.settle()
    status, body = await post_am(alerted, am_body("resolved"))
    assert (status, body["alerts"]) == (202, [{"outcome": "noted", "incident": "INC-1"}])
    await alerted.settle()
    [channel] = incident_channels(alerted)
    assert "*resolved* (the incident stays open)" in alerted.slack.transcript(channel)
    summary = await alerted.command("U0ALICE", channel, "summary")
    assert "resolved" not in summary.text.split("\n")[0].lower(), summary.text


async def test_alert_below_the_threshold_declares_nothing(alerted: Bot) -> None:
    status, body = await post_am(alerted, am_body(severity="warning"))
    assert (status, body["alerts"]) == (202, [{"outcome": "ignored", "incident": None}])
    resolved_first = await post_am(alerted, am_body("resolved", "fp09"))
    assert resolved_first[1]["alerts"][0]["outcome"] == "ignored"
    await alerted.settle()
    assert incident_channels(alerted) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"not json", "JSON"),
        (json.dumps({"version": "3", "alerts": []}).encode(), "version"),
        (json.dumps({"version": "4", "alerts": {}}).encode(), "alerts"),
        (json.dumps({"version": "4", "alerts": [{"status": "boiling"}]}).encode(), "status"),
        (json.dumps({"version": "4", "alerts": [{"status": "firing"}]}).encode(), "fingerprint"),
    ],
)
async def test_alertmanager_malformed_answers_400(alerted: Bot, raw: bytes, says: str) -> None:
    status, body = await post_am(alerted, raw)
    assert status == 400
    assert says in body["error"]


async def test_alertmanager_without_the_token_answers_401(alerted: Bot) -> None:
    assert (await post_am(alerted, am_body(), token=""))[0] == 401
    assert (await post_am(alerted, am_body(), token="wrong-token-0123456789"))[0] == 401
    await alerted.settle()
    assert incident_channels(alerted) == []


async def test_pagerduty_signed_webhook_declares_once_and_notes_resolve(alerted: Bot) -> None:
    status, body = await post_pd(alerted, pd_body())
    assert (status, body["alerts"]) == (202, [{"outcome": "declared", "incident": "INC-1"}])
    assert (await post_pd(alerted, pd_body()))[1]["alerts"][0]["outcome"] == "repeat"
    ack = await post_pd(alerted, pd_body("incident.acknowledged"))
    assert ack == (202, {"status": "accepted", "alerts": []})
    resolved = await post_pd(alerted, pd_body("incident.resolved"))
    assert resolved[1]["alerts"][0]["outcome"] == "noted"
    await alerted.settle()
    [channel] = incident_channels(alerted)
    assert "Alert from PagerDuty *resolved*" in alerted.slack.transcript(channel)


async def test_pagerduty_priority_and_urgency_map_to_levels(alerted: Bot) -> None:
    low = await post_pd(alerted, pd_body(urgency="low", id="Q2"))
    assert low[1]["alerts"][0]["outcome"] == "ignored"  # low urgency: warning
    p1 = await post_pd(alerted, pd_body(urgency="low", id="Q3", priority={"summary": "P1"}))
    assert p1[1]["alerts"][0]["outcome"] == "declared"


async def test_pagerduty_webhook_about_our_own_page_is_ignored(alerted: Bot) -> None:
    status, body = await post_pd(alerted, pd_body(incident_key="warroom-abc-payments"))
    assert (status, body["alerts"]) == (202, [])


@pytest.mark.parametrize("signature", ["", "v1=0123abcd", "sha256=abc", "v1="])
async def test_pagerduty_wrong_or_missing_signature_answers_401(
    alerted: Bot, signature: str
) -> None:
    status, body = await post_pd(alerted, pd_body(), signature=signature)
    assert status == 401
    assert "X-PagerDuty-Signature" in body["error"]


async def test_alert_routes_are_404_without_their_secrets(bot: Bot) -> None:
    for source in ("alertmanager", "pagerduty"):
        async with bot.http.post(f"{bot.url}/alerts/{source}", data=b"{}") as response:
            assert response.status == 404
