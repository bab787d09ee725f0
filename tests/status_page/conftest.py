"""The public page's fixture: a bot with components, a title, a public address and a support
link, as a deployment with a status page has them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox.slack_emulator import SlackEmulator
from tests.conftest import Bot, bot_settings, start_bot

COMPONENTS = ("API", "ChatGPT", "Sora")
SUPPORT_URL = "https://help.example.com/contact"


@pytest.fixture
async def public_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        status_components=COMPONENTS,
        status_page_title="Example Status",
        public_base_url="https://status.example.com",
        status_support_url=SUPPORT_URL,
    )
    bot = await start_bot(settings, emulator, http)
    yield bot
    await bot.stop()
