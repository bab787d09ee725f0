"""Block Kit limits (API-RULES 1.4): messages refuse with invalid_blocks, views with
invalid_arguments; a message holds 50 blocks, a view 100."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import error_of

Block = dict[str, Any]


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def button(text: str = "Go", **extra: Any) -> Block:
    return {"type": "button", "action_id": "go", "text": plain(text), "value": "1", **extra}


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def section(text: str = "hi", **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def field(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def context(n: int) -> Block:
    return {"type": "context", "elements": [field("c")] * n}


def text_input(**element: Any) -> Block:
    return {
        "type": "input",
        "block_id": "title",
        "label": plain("Title"),
        "element": {"type": "plain_text_input", "action_id": "title", **element},
    }


def select(options: int = 3, text: str = "SEV1", label: str = "Severity") -> Block:
    opts = [{"text": plain(text), "value": f"v{i}"} for i in range(options)]
    return {
        "type": "input",
        "block_id": "sev",
        "label": plain(label),
        "element": {"type": "static_select", "action_id": "sev", "options": opts},
    }


def modal(blocks: list[Block], **extra: Any) -> Block:
    return {
        "type": "modal",
        "callback_id": "declare",
        "title": plain("Declare"),
        "submit": plain("Declare"),
        "blocks": blocks,
        **extra,
    }


MESSAGE_OVER_LIMITS = {
    "51 blocks": [section()] * 51,
    "actions 26 elements": [actions(*[button()] * 26)],
    "button text 76": [actions(button("x" * 76))],
    "button text mrkdwn": [actions({**button(), "text": field("Go")})],
    "button action_id 256": [actions(button(action_id="a" * 256))],
    "button value 2001": [actions(button(value="v" * 2001))],
    "button style secondary": [actions(button(style="secondary"))],
    "section accessory style": [section(accessory=button(style="blue"))],
    "context 11 elements": [context(11)],
    "section text 3001": [section("x" * 3001)],
    "section 11 fields": [section(fields=[field("f")] * 11)],
    "section field 2001": [section(fields=[field("f" * 2001)])],
    "header text 151": [{"type": "header", "text": plain("h" * 151)}],
    "header text mrkdwn": [{"type": "header", "text": field("h")}],
    "block_id 256": [section(block_id="b" * 256)],
    "input block in a message": [text_input()],
}


@pytest.mark.parametrize("blocks", MESSAGE_OVER_LIMITS.values(), ids=MESSAGE_OVER_LIMITS.keys())
async def test_chat_post_message_blocks_over_limit_returns_invalid_blocks(
    client: AsyncWebClient, blocks: list[Block]
) -> None:
    err = await error_of(client.chat_postMessage(channel="C0GENERAL", text="x", blocks=blocks))
    assert err.response["error"] == "invalid_blocks"
    assert err.response["response_metadata"]["messages"][0].startswith("[ERROR] ")


async def test_chat_update_blocks_over_limit_returns_invalid_blocks(
    client: AsyncWebClient,
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="x")
    call = client.chat_update(
        channel="C0GENERAL", ts=posted["ts"], text="x", blocks=[actions(*[button()] * 26)]
    )
    assert (await error_of(call)).response["error"] == "invalid_blocks"


async def test_chat_post_message_blocks_at_limits_are_accepted(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    full_button = button("x" * 75, action_id="a" * 255, value="v" * 2000, style="danger")
    blocks = [
        {"type": "header", "block_id": "b" * 255, "text": plain("h" * 150)},
        actions(*[full_button] * 24, button(style="primary")),
        context(10),
        section("x" * 3000, fields=[field("f" * 2000)] * 10, accessory=button()),
        *[section()] * 46,
    ]
    assert len(blocks) == 50
    await client.chat_postMessage(channel="C0GENERAL", text="x", blocks=blocks)
    assert emulator.messages[-1].blocks == blocks


VIEW_OVER_LIMITS = {
    "101 blocks": modal([section()] * 101),
    "max_length 3001": modal([text_input(max_length=3001)]),
    "max_length 0": modal([text_input(max_length=0)]),
    "min_length 3001": modal([text_input(min_length=3001)]),
    "action_id 256": modal([text_input(action_id="a" * 256)]),
    "101 options": modal([select(options=101)]),
    "option text 76": modal([select(text="o" * 76)]),
    "label 2001": modal([select(label="l" * 2001)]),
    "input without element": modal([{"type": "input", "label": plain("Title")}]),
    "block_id 256": modal([{**text_input(), "block_id": "b" * 256}]),
    "button text 76": modal([actions(button("x" * 76))]),
    "input without submit": {**modal([text_input()]), "submit": None},
    "callback_id 256": modal([section()], callback_id="c" * 256),
}


@pytest.mark.parametrize("view", VIEW_OVER_LIMITS.values(), ids=VIEW_OVER_LIMITS.keys())
async def test_views_open_blocks_over_limit_returns_invalid_arguments(
    emulator: SlackEmulator, client: AsyncWebClient, view: Block
) -> None:
    call = client.views_open(trigger_id=emulator.new_trigger_id(), view=view)
    assert (await error_of(call)).response["error"] == "invalid_arguments"


async def test_views_open_and_update_hundred_blocks_with_inputs_are_accepted(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    inputs = [
        text_input(max_length=3000, min_length=0),
        select(options=100, text="o" * 75, label="l" * 2000),
    ]
    view = modal([*inputs, *[section()] * 98])
    assert len(view["blocks"]) == 100  # more than a message's 50: views get 100
    opened = await client.views_open(trigger_id=emulator.new_trigger_id(), view=view)
    updated = await client.views_update(view_id=opened["view"]["id"], view=view)
    assert updated["view"]["blocks"] == view["blocks"]
