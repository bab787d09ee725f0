"""Fixtures for the Slack emulator tests: a running emulator and a real slack_sdk client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_emulator import EmUser, SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, CAROL, TOKEN


@pytest.fixture
async def emulator() -> AsyncIterator[SlackEmulator]:
    em = SlackEmulator(
        users=[
            EmUser(ALICE, "alice", "Alice Liddell", tz="Europe/London"),
            EmUser(BOB, "bob", "Bob Builder"),
            EmUser(CAROL, "carol", "Carol Danvers"),
        ],
        channels=[("C0GENERAL", "general"), ("C0ANNOUNCE", "incidents")],
    )
    await em.start()
    yield em
    await em.stop()


@pytest.fixture
def client(emulator: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emulator.api_url, retry_handlers=[])
