"""Socket Mode: with SLACK_APP_TOKEN set, Slack comes over a WebSocket instead of HTTP."""

from __future__ import annotations

import aiohttp

from bot.config import Secret
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, GENERAL, bot_settings, start_bot
from tests.support import wait_until


async def test_socket_mode_command_is_acked_over_the_socket_and_declares(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    settings = bot_settings(emulator, database_url, slack_app_token=Secret(emulator.app_token))
    bot = await start_bot(settings, emulator, http)
    try:
        await wait_until(lambda: emulator.socket_connected, 10, "the bot connected its socket")
        ack = await emulator.socket_send(
            "slash_commands",
            {
                "command": "/incident",
                "text": "declare sev2 Socket mode works",
                "user_id": ALICE,
                "user_name": "alice",
                "channel_id": GENERAL,
                "team_id": emulator.team_id,
                "response_url": emulator.new_response_url(),
                "trigger_id": emulator.new_trigger_id(),
            },
        )
        assert "Declaring *INC-1* (SEV2)" in str(ack.get("payload"))
        await bot.settle()
        assert emulator.channel_by_name("inc-1-socket-mode-works") is not None
        # No public URL in Socket Mode: the HTTP events endpoint is not served at all.
        async with http.post(f"{bot.url}/slack/events", data=b"x") as response:
            assert response.status in (404, 405)
        async with http.get(f"{bot.url}/healthz") as response:
            assert response.status == 200
    finally:
        await bot.stop()
