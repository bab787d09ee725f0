"""The driver clicks buttons the bot posted and submits forms the bot opened, as Slack would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.interactions import NotSubmittable
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB

Json = dict[str, Any]


@dataclass
class FakeBot:
    """Records interaction payloads and answers each with `reply`."""

    payloads: list[Json] = field(default_factory=list)
    reply: Json | None = None

    async def handle(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode())
        self.payloads.append(json.loads(form["payload"][0]))
        return web.json_response(self.reply) if self.reply else web.Response(text="")


@pytest.fixture
async def bot() -> AsyncIterator[tuple[str, FakeBot]]:
    fake = FakeBot()
    app = web.Application()
    app.router.add_post("/slack/events", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", fake
    await runner.cleanup()


@pytest.fixture
async def driver(emulator: SlackEmulator, bot: tuple[str, FakeBot]) -> AsyncIterator[SlackDriver]:
    async with aiohttp.ClientSession() as session:
        yield SlackDriver(bot_url=bot[0], signing_secret="s", session=session, emulator=emulator)


def buttons(*pairs: tuple[str, str], style: str | None = None) -> Json:
    elements = [
        {"type": "button", "action_id": a, "value": v, "text": {"type": "plain_text", "text": a}}
        for a, v in pairs
    ]
    if style:
        elements[0]["style"] = style
    return {"type": "actions", "block_id": "summary_actions", "elements": elements}


async def test_driver_block_action_clicks_newest_message_carrying_the_button(
    client: AsyncWebClient, driver: SlackDriver, bot: tuple[str, FakeBot]
) -> None:
    old = await client.chat_postMessage(
        channel="C0GENERAL", text="old", blocks=[buttons(("take", "1"))]
    )
    new = await client.chat_postMessage(
        channel="C0GENERAL", text="new", blocks=[buttons(("update", "2"), ("take", "2"))]
    )
    await client.chat_postMessage(  # the newest message carries a button whose id only contains it
        channel="C0GENERAL", text="other", blocks=[buttons(("take_more", "3"))]
    )
    await driver.block_action(user_id=BOB, channel_id="C0GENERAL", action_id="take")
    await driver.block_action(
        user_id=BOB, channel_id="C0GENERAL", action_id="take", message_ts=old["ts"]
    )
    first, second = bot[1].payloads
    assert first["container"]["message_ts"] == first["message"]["ts"] == new["ts"]
    assert first["actions"][0] | {"action_ts": ""} == {
        "type": "button",
        "action_id": "take",
        "block_id": "summary_actions",
        "value": "2",  # the button's own value
        "text": {"type": "plain_text", "text": "take", "emoji": True},
        "action_ts": "",
    }
    assert first["message"]["blocks"] == new["message"]["blocks"]
    assert first["user"]["id"] == BOB
    assert second["container"]["message_ts"] == old["ts"]
    assert second["actions"][0]["value"] == "1"


async def test_driver_block_action_accessory_and_value_override_are_sent(
    client: AsyncWebClient, driver: SlackDriver, bot: tuple[str, FakeBot]
) -> None:
    button = {"type": "button", "action_id": "ack", "value": "7", "style": "danger"}
    button["text"] = {"type": "plain_text", "text": "Ack"}
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}, "accessory": button}
    await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[section])
    await driver.block_action(user_id=BOB, channel_id="C0GENERAL", action_id="ack", value="8")
    [action] = bot[1].payloads[0]["actions"]
    assert (action["block_id"], action["value"], action["style"]) == ("b0", "8", "danger")


async def test_driver_block_action_missing_button_raises_lookup_error(
    client: AsyncWebClient, driver: SlackDriver, bot: tuple[str, FakeBot]
) -> None:
    posted = await client.chat_postMessage(
        channel="C0GENERAL", text="x", blocks=[buttons(("take", "1"))]
    )
    with pytest.raises(LookupError):
        await driver.block_action(user_id=BOB, channel_id="C0GENERAL", action_id="resolve")
    with pytest.raises(LookupError):
        await driver.block_action(
            user_id=BOB, channel_id="C0ANNOUNCE", action_id="take", message_ts=posted["ts"]
        )
    assert bot[1].payloads == []


SEVERITIES = [
    {"text": {"type": "plain_text", "text": f"SEV{n}"}, "value": f"sev{n}"} for n in (1, 2, 3)
]


def declare_view(title_max: int = 200) -> Json:
    return {
        "type": "modal",
        "callback_id": "declare",
        "private_metadata": "C0GENERAL",
        "title": {"type": "plain_text", "text": "Declare"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "title_input",
                    "max_length": title_max,
                },
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {
                    "type": "static_select",
                    "action_id": "severity_select",
                    "options": SEVERITIES,
                    "initial_option": SEVERITIES[1],
                },
            },
            {
                "type": "input",
                "block_id": "notes",
                "optional": True,
                "label": {"type": "plain_text", "text": "Notes"},
                "element": {"type": "plain_text_input", "action_id": "notes_input"},
            },
        ],
    }


async def _open(emulator: SlackEmulator, client: AsyncWebClient, user: str, view: Json) -> Json:
    opened = await client.views_open(trigger_id=emulator.new_trigger_id(user), view=view)
    result: Json = opened["view"]
    return result


async def test_driver_view_submission_fills_the_users_opened_view(
    emulator: SlackEmulator,
    client: AsyncWebClient,
    driver: SlackDriver,
    bot: tuple[str, FakeBot],
) -> None:
    mine = await _open(emulator, client, ALICE, declare_view(title_max=100))
    await _open(emulator, client, BOB, declare_view())  # Bob's form is newer, not Alice's
    await client.views_update(view_id=mine["id"], view=declare_view(title_max=150))
    fill = {"title": "Checkout down", ("severity", "severity_select"): "sev1"}
    reply = await driver.view_submission(user_id=ALICE, callback_id="declare", fill=fill)
    assert reply.status == 200
    assert reply.json is None  # an empty ack closes the form
    submitted = bot[1].payloads[0]["view"]
    assert submitted["id"] == mine["id"]
    assert submitted["private_metadata"] == "C0GENERAL"
    assert submitted["blocks"][0]["element"]["max_length"] == 150  # as updated
    assert submitted["state"]["values"] == {
        "title": {"title_input": {"type": "plain_text_input", "value": "Checkout down"}},
        "severity": {
            "severity_select": {"type": "static_select", "selected_option": SEVERITIES[0]}
        },
        "notes": {"notes_input": {"type": "plain_text_input", "value": None}},
    }
    assert emulator.opened_view(user_id=BOB)["id"] != mine["id"]


async def test_driver_view_submission_returns_the_bots_errors_body(
    emulator: SlackEmulator,
    client: AsyncWebClient,
    driver: SlackDriver,
    bot: tuple[str, FakeBot],
) -> None:
    await _open(emulator, client, ALICE, declare_view())
    bot[1].reply = {"response_action": "errors", "errors": {"title": "Needs a title."}}
    reply = await driver.view_submission(user_id=ALICE, fill={"title": "  "})
    assert reply.json == {"response_action": "errors", "errors": {"title": "Needs a title."}}
    state = bot[1].payloads[0]["view"]["state"]["values"]
    assert state["severity"]["severity_select"]["selected_option"] == SEVERITIES[1]  # initial


@pytest.mark.parametrize(
    "fill",
    [
        {},  # the required title left empty
        {"title": "x" * 201},  # over max_length
        {"title": "x", "severity": "sev9"},  # not one of the options
        {"title": "x", "nope": "y"},  # no such input
        {"title": "x", ("severity", "wrong_action"): "sev1"},
    ],
)
async def test_driver_view_submission_form_slack_would_not_send_raises(
    emulator: SlackEmulator,
    client: AsyncWebClient,
    driver: SlackDriver,
    bot: tuple[str, FakeBot],
    fill: dict[Any, str],
) -> None:
    await _open(emulator, client, ALICE, declare_view())
    with pytest.raises(NotSubmittable):
        await driver.view_submission(user_id=ALICE, callback_id="declare", fill=fill)
    with pytest.raises(LookupError):
        await driver.view_submission(user_id=BOB, callback_id="declare", fill=fill)
    assert bot[1].payloads == []
