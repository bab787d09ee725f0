"""A public false alarm: its closing message confirmed in a form, then resolved on the built-in
page, left out of the availability bars and durations; a reopen shows it investigating again."""

from __future__ import annotations

import json
from typing import Any

from bot.slack import ids
from bot.slack.response_forms import CLOSING_MESSAGE
from tests.conftest import ALICE, BOB, Bot
from tests.handlers.forms import opened_view

REASON = "SECRET-REASON synthetic probe misfired"
CLOSING = "We found no problem with our services: this was a false alarm."


async def get(bot: Bot, path: str) -> str:
    async with bot.http.get(bot.url + path) as response:
        assert response.status == 200, path
        return await response.text()


async def incidents(bot: Bot) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(await get(bot, "/api/v2/incidents.json"))["incidents"]
    return found


async def public_incident(bot: Bot, channel: str) -> None:
    for user, text in [
        (ALICE, "public-name Checkout errors"),
        (ALICE, "impact API major"),
        (BOB, "status identified We are looking into checkout errors"),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    await bot.settle()


async def test_cancel_public_incident_asks_closing_message_once_then_resolves_page(
    public_bot: Bot,
) -> None:
    bot = public_bot
    channel = await bot.declare()
    await public_incident(bot, channel)

    asked = await bot.command(ALICE, channel, f"cancel {REASON}")
    assert asked.text.startswith("INC-1 is on the status pages: confirm its public closing")
    view = await opened_view(bot)
    assert view["callback_id"] == ids.CANCEL_FORM_CALLBACK
    assert view["title"]["text"] == "Cancel INC-1"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    fields = {b["block_id"]: b["element"].get("initial_value") for b in inputs}
    assert fields[ids.MESSAGE_BLOCK] == CLOSING_MESSAGE
    assert fields[ids.REASON_BLOCK] == REASON
    await bot.settle()
    assert (await incidents(bot))[0]["status"] == "identified"  # nothing changed yet

    blank = {
        ids.MESSAGE_BLOCK: {ids.MESSAGE_ACTION: {"type": "plain_text_input", "value": "   "}},
        ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "plain_text_input", "value": REASON}},
    }
    empty = await bot.driver.view_submission(user_id=ALICE, view=view, values=blank)
    assert empty.json == {
        "response_action": "errors",
        "errors": {ids.MESSAGE_BLOCK: "The public needs a closing message."},
    }
    for _ in range(2):  # Slack may deliver a submission twice: it takes effect once
        sent = await bot.driver.view_submission(
            user_id=ALICE, view=view, fill={ids.MESSAGE_BLOCK: CLOSING}
        )
        assert sent.status == 200
    await bot.settle()

    [incident] = await incidents(bot)
    assert incident["status"] == "resolved"
    assert incident["impact"] == "none"
    assert incident["incident_updates"][0]["status"] == "resolved"
    assert incident["incident_updates"][0]["body"] == CLOSING
    assert len(incident["incident_updates"]) == 2
    summary = json.loads(await get(bot, "/api/v2/summary.json"))
    assert {c["name"]: c["status"] for c in summary["components"]}["API"] == "operational"
    html = await get(bot, "/status")
    assert "100.00% uptime" in html  # the false alarm took nothing off the bars
    assert "% uptime" in html
    assert "after " not in html.split("Past incidents")[1]  # no duration for it
    page = await get(bot, f"/incidents/{incident['id']}")
    assert CLOSING in page
    assert "lasted" not in page
    feeds = [await get(bot, "/history.atom"), await get(bot, "/history.rss")]
    assert CLOSING in feeds[0]
    for body in (html, page, json.dumps(summary), *feeds):
        assert "SECRET-REASON" not in body  # the reason is internal

    posts = [bot.slack.render_text(m.text) for m in bot.slack.history(channel)]
    assert len([t for t in posts if "INC-1 canceled" in t]) == 1
    [post] = [t for t in posts if "INC-1 canceled" in t]
    assert f">{REASON}" in post
    assert f">{CLOSING}" in post
    assert not any("Post-mortem draft" in t for t in posts)


async def test_canceled_incident_is_left_out_of_availability_but_a_resolved_one_counts(
    public_bot: Bot,
) -> None:
    bot = public_bot
    real = await bot.declare("declare sev2 Real outage")
    await bot.command(ALICE, real, "impact Sora major")
    await bot.command(ALICE, real, "resolve Sora is back")
    false_alarm = await bot.declare("declare sev2 False alarm")
    await public_incident(bot, false_alarm)
    await bot.command(ALICE, false_alarm, "cancel probe misfired")
    await bot.driver.view_submission(
        user_id=ALICE, callback_id=ids.CANCEL_FORM_CALLBACK, fill={ids.MESSAGE_BLOCK: CLOSING}
    )
    await bot.settle()

    by_name = {i["name"]: i for i in await incidents(bot)}
    assert by_name["Checkout errors"]["status"] == "resolved"
    assert by_name["Checkout errors"]["impact"] == "none"
    assert by_name["Real outage"]["impact"] == "critical"
    html = await get(bot, "/status")
    bars = {
        name: html.split(f"{name}: ")[1].split("%")[0]
        for name in ("API", "Sora")
        if f"{name}: " in html
    }
    assert bars["API"] == "100.00"  # the false alarm's major outage does not count
    assert float(bars["Sora"]) < 100.0  # the real one does
    past = html.split("Past incidents")[1]
    assert "Checkout errors" in past  # listed, with its closing message, but no duration
    assert past.count(" after ") == 1  # the real outage's duration only


async def test_reopen_public_incident_shows_investigating_again_on_the_page(
    public_bot: Bot,
) -> None:
    bot = public_bot
    channel = await bot.declare()
    await public_incident(bot, channel)
    await bot.command(ALICE, channel, "resolve Checkout is back")
    await bot.settle()
    reply = await bot.command(ALICE, channel, "reopen Checkout errors are back")
    await bot.settle()
    assert reply.text == (
        "INC-1 is reopened: investigating again. Its public incident shows it as "
        "investigating again, with your reason."
    )
    [incident] = await incidents(bot)
    assert incident["status"] == "investigating"
    assert incident["resolved_at"] is None
    assert [u["status"] for u in incident["incident_updates"]] == [
        "investigating",
        "resolved",
        "identified",
    ]
    assert incident["incident_updates"][0]["body"] == "Checkout errors are back"
    html = await get(bot, "/status")
    assert "Checkout errors are back" in html.split("Past incidents")[0]  # active again
