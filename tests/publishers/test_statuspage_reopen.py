"""Cancel and reopen on Atlassian Statuspage, emulated over HTTP: a false alarm resolved with
its closing message, a reopen as a new `investigating` update, and nothing sent twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.slack import ids
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.handlers.forms import opened_view

CLOSING = "No problem found with our services: this was a false alarm."


@pytest.fixture
async def mirrored(
    emulator: SlackEmulator,
    database_url: str,
    http: aiohttp.ClientSession,
    statuspage: StatuspageEmulator,
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        statuspage_api_key=Secret(statuspage.api_key),
        statuspage_page_id=statuspage.page_id,
        statuspage_api_url=statuspage.api_url,
        statuspage_rate=50.0,
    )
    bot = await start_bot(settings, emulator, http)
    yield bot
    await bot.stop()


def only_incident(statuspage: StatuspageEmulator) -> dict[str, Any]:
    assert len(statuspage.incidents) == 1, list(statuspage.incidents)
    return next(iter(statuspage.incidents.values()))


def updates(statuspage: StatuspageEmulator) -> list[tuple[str, str]]:
    """Return the one incident's updates as (status, body), newest first."""
    return [(u["status"], u["body"]) for u in only_incident(statuspage)["incident_updates"]]


def writes(statuspage: StatuspageEmulator) -> int:
    """Return how many incident creates and updates Statuspage was sent."""
    return len([p for method, p, _ in statuspage.requests if method in ("POST", "PATCH")])


async def test_cancel_resolves_statuspage_incident_with_closing_message(
    mirrored: Bot, statuspage: StatuspageEmulator
) -> None:
    channel = await mirrored.declare()
    await mirrored.command(ALICE, channel, "impact API major")
    await mirrored.command(BOB, channel, "status identified We are looking into API errors")
    await mirrored.settle()
    assert only_incident(statuspage)["status"] == "identified"

    await mirrored.command(ALICE, channel, "cancel probe misfired (internal)")
    view = await opened_view(mirrored)
    for _ in range(2):  # delivered twice by Slack: one update on Statuspage
        await mirrored.driver.view_submission(
            user_id=ALICE, view=view, fill={ids.MESSAGE_BLOCK: CLOSING}
        )
    await mirrored.settle()

    incident = only_incident(statuspage)
    assert incident["status"] == "resolved"
    assert updates(statuspage) == [
        ("resolved", CLOSING),
        ("identified", "We are looking into API errors"),
    ]
    assert {c["name"]: c["status"] for c in incident["components"]} == {"API": "operational"}
    assert "internal" not in str(incident)
    posts = [mirrored.slack.render_text(m.text) for m in mirrored.slack.history(channel)]
    assert not any("Post-mortem draft" in t for t in posts)


async def test_reopen_then_resolve_again_updates_statuspage_once_each(
    mirrored: Bot, statuspage: StatuspageEmulator
) -> None:
    channel = await mirrored.declare()
    await mirrored.command(BOB, channel, "status identified We are looking into API errors")
    await mirrored.command(ALICE, channel, "resolve")  # public: the default resolved message
    await mirrored.settle()
    before = writes(statuspage)
    slack_posts = len(mirrored.slack.history(channel))

    reply = await mirrored.command(ALICE, channel, "reopen API errors are back")
    await mirrored.settle()
    assert reply.text.startswith("INC-1 is reopened: investigating again.")
    assert only_incident(statuspage)["status"] == "investigating"
    assert updates(statuspage)[0] == ("investigating", "API errors are back")
    assert writes(statuspage) == before + 1  # the reopen only: the resolve was not sent again
    # The reopen's post, and the resolve's message edited to say it is published: no repost.
    new = mirrored.slack.history(channel)[slack_posts:]
    assert len([m for m in new if "INC-1 resolved" in m.text]) == 0

    await mirrored.command(ALICE, channel, "resolve")  # the same words as the first resolve
    await mirrored.settle()
    assert only_incident(statuspage)["status"] == "resolved"
    assert [status for status, _ in updates(statuspage)] == [
        "resolved",
        "investigating",
        "resolved",
        "identified",
    ]
    assert writes(statuspage) == before + 2
    posts = [mirrored.slack.render_text(m.text) for m in mirrored.slack.history(channel)]
    assert len([t for t in posts if "INC-1 resolved" in t]) == 2
    assert len([t for t in posts if "INC-1 reopened" in t]) == 1
