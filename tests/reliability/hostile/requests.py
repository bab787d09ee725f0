"""Requests as Slack sends them (or as an attacker would), and what people then see in Slack.

Every hostile-input test ends by reading what people would see (replies, the Slack emulator, the
public pages) and what warroom recorded (the database).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import APP_ID, EmMessage, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, GENERAL, USERS, Bot, bot_settings, start_bot
from tests.support import RATE_SCALE, manifest_scopes

FORM = "application/x-www-form-urlencoded"
# Any Slack special token but a date (<!date^...>) notifies or links someone when posted.
SPECIAL = re.compile(r"<!(?!date\^)")
BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam\^)", re.IGNORECASE)
HOSTILE = "Checkout down <!channel> <!here> <!everyone> <!subteam^S123|@oncall> <<!x>!channel> end"


def command_fields(text: str, user: str = ALICE, channel: str = GENERAL) -> dict[str, str]:
    """Return a slash command form as Slack sends it."""
    return {
        "token": "emulator-verification-token",
        "team_id": "T0EMULATOR",
        "team_domain": "emulator",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/incident",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": "1.2.3",
    }


async def post_signed(bot: Bot, body: bytes, content_type: str) -> DriverReply:
    """POST a body to /slack/events, correctly signed."""
    return await bot.driver.raw(body, {"Content-Type": content_type, **bot.driver.sign(body)})


def created_channels(slack: SlackEmulator) -> list[str]:
    """Return the names of channels the bot asked Slack to create (successfully or not)."""
    return [str(p.get("name")) for m, p in slack.calls if m == "conversations.create"]


def markup(message: EmMessage) -> list[str]:
    """Return every text of a message that Slack parses for mentions (text and mrkdwn)."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return found


def specials_posted(slack: SlackEmulator) -> list[str]:
    """Return every bot-posted Slack text (messages, topics, ephemerals, responses) that holds
    a special token other than a date."""
    texts = [t for m in slack.messages if m.user == slack.bot_user_id for t in markup(m)]
    texts += [text for c in slack.channels.values() for text in (c.topic, c.purpose)]
    texts += [str(e.get("text")) for e in slack.ephemerals]
    texts += [str(r.get("text")) for r in slack.responses]
    return [t for t in texts if SPECIAL.search(t)]


def opens_form(text: str) -> bool:
    """Return whether `/incident <text>` is one of the forms answered by opening a modal."""
    words = [w.lower() for w in text.split()]
    return words in ([], ["declare"]) or words == ["postmortem", "publish"]


@dataclass
class FuzzTarget:
    """A real server on a private event loop that runs only while a request is in flight."""

    bot: Bot
    channel: str
    runner: asyncio.Runner

    def post(self, body: bytes, content_type: str) -> DriverReply:
        """POST a correctly signed body and return the answer."""
        return self.runner.run(asyncio.wait_for(post_signed(self.bot, body, content_type), 60))


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


@contextmanager
def fuzz_target(database_url: str) -> Iterator[FuzzTarget]:
    """Start one server (and Slack emulator) for a whole property, with an incident open.

    Hypothesis draws examples synchronously between requests, so no server code (which uses
    `random` for retry jitter) runs while an example is generated.
    """
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        slack = SlackEmulator(
            users=USERS,
            channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
            rate_scale=RATE_SCALE,
            scopes=manifest_scopes(),  # exactly what slack-manifest.yml asks for
        )
        runner.run(slack.start())
        http = runner.run(_session())
        bot = runner.run(start_bot(bot_settings(slack, database_url), slack, http))
        try:
            channel = runner.run(bot.declare("declare sev2 Fuzzing target"))
            yield FuzzTarget(bot=bot, channel=channel, runner=runner)
        finally:
            runner.run(bot.stop())
            runner.run(http.close())
            runner.run(slack.stop())


def never_5xx(reply: DriverReply, what: object) -> None:
    """Check the answer is a 200 or a 4xx (Slack shows the user an error for anything else)."""
    assert reply.status == 200 or 400 <= reply.status < 500, (reply.status, reply.body[:300], what)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return Slack's v0 request signature (hex) of body sent at timestamp."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
