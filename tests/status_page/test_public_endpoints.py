"""The built-in status page over HTTP: what the public reads, and what it must never read."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from tests.conftest import ALICE, BOB, Bot

SECRET_WORDS = ("SECRET-INTERNAL-NOTE", "U0ALICE", "U0BOB", "alice", "Checkout DB shard 7")


async def get(bot: Bot, path: str) -> tuple[int, str, dict[str, str]]:
    async with bot.http.get(bot.url + path) as response:
        return response.status, await response.text(), dict(response.headers)


async def run_incident(bot: Bot) -> str:
    channel = await bot.declare("declare sev1 Checkout DB shard 7 corrupt")
    for user, text in [
        (ALICE, "role commander me"),
        (BOB, "update SECRET-INTERNAL-NOTE: restoring shard 7 from backup"),
        (ALICE, "public-name Elevated checkout errors"),
        (ALICE, "impact API,ChatGPT partial"),
        (BOB, "status identified We found the cause <b>and</b> are fixing it"),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    await bot.settle()
    return channel


async def test_json_endpoints_have_statuspage_shape(public_bot: Bot) -> None:
    await run_incident(public_bot)
    status, body, headers = await get(public_bot, "/api/v2/summary.json")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    summary = json.loads(body)
    assert set(summary) >= {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert summary["page"]["name"] == "Example Status"
    # The banner follows the components the incident set, not its severity (sev1).
    assert summary["status"] == {
        "indicator": "major",
        "description": "Partial outage: API, ChatGPT",
    }
    states = {c["name"]: c["status"] for c in summary["components"]}
    assert states == {"API": "partial_outage", "ChatGPT": "partial_outage", "Sora": "operational"}
    [incident] = summary["incidents"]
    assert incident["name"] == "Elevated checkout errors"
    assert incident["status"] == "identified"
    assert incident["impact"] == "major"
    assert incident["shortlink"] == f"https://status.example.com/incidents/{incident['id']}"
    # The component change is no update of its own: it rides with the next message.
    [update] = incident["incident_updates"]
    assert update["body"] == "We found the cause <b>and</b> are fixing it"
    assert [(c["name"], c["new_status"]) for c in update["affected_components"]] == [
        ("API", "partial_outage"),
        ("ChatGPT", "partial_outage"),
    ]
    for key in ("id", "status", "body", "created_at", "display_at", "affected_components"):
        assert key in incident["incident_updates"][0]
    for path in (
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
    ):
        code, _, _ = await get(public_bot, path)
        assert code == 200


async def test_internal_updates_never_reach_public_endpoints(public_bot: Bot) -> None:
    await run_incident(public_bot)
    for path in (
        "/status",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/history.atom",
        "/history.rss",
    ):
        _, body, headers = await get(public_bot, path)
        for word in SECRET_WORDS:
            assert word not in body, (path, word)
        assert "default-src 'none'" in headers["Content-Security-Policy"]


async def test_feeds_parse_and_page_escapes_user_text(public_bot: Bot) -> None:
    channel = await run_incident(public_bot)
    await public_bot.command(ALICE, channel, "resolve All clear <script>alert(1)</script>")
    await public_bot.settle()
    _, atom, _ = await get(public_bot, "/history.atom")
    _, rss, _ = await get(public_bot, "/history.rss")
    feed = ET.fromstring(atom)
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries] == [
        "Elevated checkout errors"
    ]
    assert "All clear <script>" in entries[0].findtext("{http://www.w3.org/2005/Atom}content", "")
    items = ET.fromstring(rss).findall("./channel/item")
    assert len(items) == 1
    _, html, _ = await get(public_bot, "/status")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Past incidents" in html


async def test_incident_without_public_message_is_not_public(public_bot: Bot) -> None:
    channel = await public_bot.declare("declare sev2 Quiet internal thing")
    await public_bot.command(BOB, channel, "update only internal")
    await public_bot.command(ALICE, channel, "resolve")
    await public_bot.settle()
    _, body, _ = await get(public_bot, "/api/v2/incidents.json")
    assert json.loads(body)["incidents"] == []
    _, html, _ = await get(public_bot, "/status")
    assert "Quiet internal thing" not in html
    assert "All Systems Operational" in html


async def test_resolve_returns_components_to_operational_unless_held(public_bot: Bot) -> None:
    first = await public_bot.declare("declare sev2 First")
    second = await public_bot.declare("declare sev3 Second")
    await public_bot.command(ALICE, first, "impact API major")
    await public_bot.command(ALICE, second, "impact API,Sora degraded")
    await public_bot.command(ALICE, first, "resolve Fixed")
    await public_bot.settle()
    _, body, _ = await get(public_bot, "/api/v2/components.json")
    states = {c["name"]: c["status"] for c in json.loads(body)["components"]}
    assert states == {
        "API": "degraded_performance",
        "ChatGPT": "operational",
        "Sora": "degraded_performance",
    }


async def test_unknown_component_lists_known_ones(public_bot: Bot) -> None:
    channel = await public_bot.declare()
    reply = await public_bot.command(ALICE, channel, "impact Billing major")
    assert "Unknown component: Billing. Known components: API, ChatGPT, Sora." in reply.text


async def test_channel_is_told_where_public_update_went(public_bot: Bot) -> None:
    channel = await run_incident(public_bot)
    posted = [m.text for m in public_bot.slack.history(channel) if "Status is now" in m.text]
    assert "Published on <https://status.example.com/status|the status page>" in posted[0]
