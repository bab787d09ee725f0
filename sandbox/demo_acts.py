"""What people do in the demo's Slack (type, press, fill forms), printed with what came of it."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.keys import RELAY
from bot.slack import ids
from sandbox.demo_channels import Watch
from sandbox.demo_print import out, seen
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import SlackEmulator


class Acts:
    """What people do in the demo: each act printed, with what only they saw and what it posted."""

    def __init__(
        self, driver: SlackDriver, slack: SlackEmulator, app: web.Application, url: str
    ) -> None:
        self.driver, self.slack, self.app, self.url = driver, slack, app, url
        self.published: str | None = None  # the public summary, once bob has published it
        self.channel: str | None = None  # the incident's channel, once declared
        self.watch: Watch | None = None  # what it gets, printed under what caused it

    async def say(self, user: str, channel: str, text: str, *, opens: str = "") -> None:
        """Type `/incident <text>` (as Slack sends it) as `user`; print it and the answer."""
        name = self.slack.users[user].name
        before = len(self.slack.responses)
        where = "" if channel == self.channel else f" in #{self.slack.channels[channel].name}"
        reply = await self.driver.command(user_id=user, channel_id=channel, text=text)
        typed = f"  {name}{where}: /incident {text} → "
        if reply.text:
            answer = self.slack.render_text(reply.text)
            seen(f"{typed}only {name} sees ({reply.elapsed * 1000:.0f} ms): {answer}", at="")
        else:
            out(f"{typed}{opens or 'a form opens'}")
        await self.settle()
        self.later(name, before, "then ")
        self.news()

    def follow(self, channel: str) -> None:
        """From now on, print under each act what the incident's channel got of it."""
        self.channel, self.watch = channel, Watch(self.slack, channel)
        self.news()

    def news(self, *, echo: bool = True) -> list[str]:
        """Print what the incident's channel got since the last look (see `Watch.news`)."""
        lines = self.watch.news(echo=echo) if self.watch else []
        for line in lines:
            seen(line)
        return lines

    def later(self, name: str, before: int, then: str = "") -> None:
        """Print the private messages that came to `name` since `before` (by response_url)."""
        for response in self.slack.responses[before:]:
            seen(f"{then}only {name} sees: {self.slack.render_text(str(response.get('text')))}")

    async def settle(self) -> None:
        """Wait until every owed Slack and Statuspage call has been delivered."""
        for _ in range(3):  # Statuspage deliveries owe Slack notices in turn
            await self.app[RELAY].drain()
            await asyncio.sleep(0.05)

    async def reminder(self, channel: str) -> str:
        """Wait for the update reminder in the channel and return its text."""
        for _ in range(500):
            found = [m for m in self.slack.history(channel) if m.text.startswith(":alarm_clock:")]
            if found:
                await self.settle()
                return found[0].text
            await asyncio.sleep(0.02)
        raise RuntimeError("no reminder came")

    async def press(self, user: str, channel: str, action_id: str, where: str) -> None:
        """Press a button as `user` and print what only they then see."""
        name = self.slack.users[user].name
        before = len(self.slack.responses)
        await self.driver.block_action(user_id=user, channel_id=channel, action_id=action_id)
        label = _label(self.slack, channel, action_id)
        await self.settle()
        answers = [self.slack.render_text(str(r["text"])) for r in self.slack.responses[before:]]
        answer = f"only {name} sees: {answers[0]}" if answers else "nothing changes for them"
        seen(f"  {name} presses [{label}] on {where} → {answer}", at="")
        self.later(name, before + 1, "then ")
        self.news()

    async def post_update(self, user: str, channel: str, where: str, text: str) -> None:
        """Press [Post update] as `user`, type `text` into the form it opens, and submit it."""
        name = self.slack.users[user].name
        await self.driver.block_action(
            user_id=user, channel_id=channel, action_id=ids.POST_UPDATE_BUTTON
        )
        label = _label(self.slack, channel, ids.POST_UPDATE_BUTTON)
        await self.settle()  # the form opens after the button's answer
        out(
            f"  {name} presses [{label}] on {where} → a form opens; {name} types “{text}” and "
            "submits it"
        )
        await self.driver.view_submission(
            user_id=user,
            callback_id=ids.UPDATE_FORM_CALLBACK,
            fill={(ids.UPDATE_BLOCK, ids.UPDATE_ACTION): text},
        )
        await self.settle()
        self.news()


def _label(slack: SlackEmulator, channel: str, action_id: str) -> str:
    """Return the text of the newest button `action_id` in the channel."""
    for message in reversed(slack.history(channel)):
        for block in message.blocks or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return str(element["text"]["text"])
    return action_id
