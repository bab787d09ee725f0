"""Only correctly signed, fresh requests are served; the rest change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.conftest import ALICE, GENERAL, Bot


def command_body(text: str) -> bytes:
    return urlencode(
        {
            "command": "/incident",
            "text": text,
            "user_id": ALICE,
            "channel_id": GENERAL,
            "team_id": "T0EMULATOR",
            "response_url": "http://127.0.0.1:9/x",
            "trigger_id": "1.2.3",
        }
    ).encode()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef"},
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
    ],
    ids=["unsigned", "wrong-signature", "non-numeric-timestamp"],
)
async def test_events_bad_signature_is_401_and_changes_nothing(
    bot: Bot, headers: dict[str, str]
) -> None:
    reply = await bot.driver.raw(
        command_body("declare sev1 fake"),
        {"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    await bot.settle()
    assert reply.status == 401
    assert not [c for c in bot.slack.channels.values() if c.name.startswith("inc-")]


async def test_events_stale_timestamp_is_401(bot: Bot) -> None:
    body = command_body("declare sev1 replayed")
    headers = bot.driver.sign(body, timestamp=int(time.time()) - 6 * 60)
    reply = await bot.driver.raw(
        body, {"Content-Type": "application/x-www-form-urlencoded", **headers}
    )
    assert reply.status == 401


async def test_events_body_changed_after_signing_is_401(bot: Bot) -> None:
    headers = bot.driver.sign(command_body("declare sev4 harmless"))
    reply = await bot.driver.raw(
        command_body("declare sev1 tampered"),
        {"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert reply.status == 401


async def test_healthz_answers_once_database_answers(bot: Bot) -> None:
    async with bot.http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "database": True}
