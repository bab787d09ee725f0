"""`warroom demo`: the real server, a Slack emulator, and a whole incident played through it."""

from __future__ import annotations

import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import RELAY, create_app
from bot.config import Secret, Settings
from bot.sandbox.slack_driver import SlackDriver
from bot.sandbox.slack_emulator import EmUser, SlackEmulator

GENERAL, ANNOUNCE = "C0GENERAL", "C0ANNOUNCE"
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
PEOPLE = [
    EmUser(ALICE, "alice", "Alice Ng", tz="America/New_York", tz_offset=-18000),
    EmUser(BOB, "bob", "Bob Okafor", tz="Europe/London"),
    EmUser(CAROL, "carol", "Carol Díaz", tz="Europe/Madrid", tz_offset=3600),
    EmUser(DAVE, "dave", "Dave Kim", tz="Asia/Seoul", tz_offset=32400),
]


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Demo:
    """Plays the scripted incident and prints it as people would see it."""

    def __init__(self, driver: SlackDriver, emulator: SlackEmulator, app: web.Application) -> None:
        self.driver, self.emulator, self.app = driver, emulator, app

    async def say(self, user: str, channel: str, text: str) -> None:
        """Type `/incident <text>` (as Slack sends it) as `user` and print the private answer."""
        name = self.emulator.users[user].name
        where = self.emulator.channels[channel].name
        _out(f"  {name} in #{where}: /incident {text}")
        reply = await self.driver.command(user_id=user, channel_id=channel, text=text)
        answer = self.emulator.render_text(reply.text) if reply.text else "(no reply)"
        _out(f"      only {name} sees ({reply.status}, {reply.elapsed * 1000:.0f} ms): {answer}")
        await self.settle()

    async def settle(self) -> None:
        """Wait until every owed Slack call has been delivered."""
        await self.app[RELAY].drain()

    async def play(self) -> str:
        """Run the incident; return the incident channel's ID."""
        _out("=== What people typed, and what only they saw ===")
        await self.say(ALICE, GENERAL, "declare sev2 Checkout API failing: <!channel> 5xx on /pay")
        channel = next(c.id for c in self.emulator.channels.values() if c.name.startswith("inc-"))
        await self.say(ALICE, channel, "role commander me")
        await self.say(ALICE, channel, "role comms <@U0BOB|bob>")
        await self.say(
            BOB,
            channel,
            "update Error rate 38% on /checkout since 14:02; gateway timeouts in eu-west",
        )
        note = self.emulator.add_message(
            channel, CAROL, "Payment gateway p99 went from 200ms to 9s right after config push 4512"
        )
        _out("  carol posts a message in the channel; dave reacts to it with :pushpin:")
        for retry in (None, 1):  # Slack redelivers events: the second copy must change nothing
            await self.driver.event(
                {
                    "type": "reaction_added",
                    "user": DAVE,
                    "reaction": "pushpin",
                    "item": {"type": "message", "channel": channel, "ts": note.ts},
                    "item_user": CAROL,
                    "event_ts": note.ts,
                },
                event_id="Ev0DEMOPIN",
                retry_num=retry,
            )
        await asyncio.sleep(0.2)
        await self.settle()
        await self.say(ALICE, channel, "severity sev1")
        await self.say(BOB, channel, "status identified Bad config push to the payment gateway")
        await self.say(CAROL, channel, "update Rolled back config 4512 in eu-west")
        await self.say(BOB, channel, "status monitoring Fix deployed; error rate back to 0.3%")
        await self.say(DAVE, channel, "severity sev9")
        await self.say(DAVE, GENERAL, "update typed in the wrong channel")
        await self.say(ALICE, channel, "summary")
        await self.say(ALICE, channel, "resolve Checkout healthy for 30 minutes")
        await self.say(CAROL, GENERAL, "list")
        return channel

    def print_channels(self, incident_channel: str) -> None:
        """Print each channel as its members read it."""
        for channel_id in (incident_channel, ANNOUNCE):
            channel = self.emulator.channels[channel_id]
            _out(f"\n=== #{channel.name} (topic: {self.emulator.render_text(channel.topic)})")
            _out(self.emulator.transcript(channel_id))
        for response in self.emulator.responses:
            _out(
                "\n=== only the declarer sees, in #general\n"
                + self.emulator.render_text(str(response.get("text", "")))
            )


async def run_demo(*, port: int, once: bool) -> None:
    """Start emulator and server, play the incident, print it, then serve until Ctrl-C."""
    emulator = SlackEmulator(users=PEOPLE, channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")])
    await emulator.start()
    workdir = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    signing_secret = secrets.token_hex(16)
    settings = Settings(
        slack_bot_token=Secret(emulator.bot_token),
        slack_signing_secret=Secret(signing_secret),
        slack_app_token=None,
        slack_api_url=emulator.api_url,
        database_url=Secret(f"sqlite:///{workdir / 'warroom.db'}"),
        host="127.0.0.1",
        port=port,
        announce_channel=ANNOUNCE,
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, port)
    await site.start()
    bound = runner.addresses[0][1]
    _out(
        f"warroom demo: server on http://127.0.0.1:{bound}, Slack emulator on "
        f"{emulator.base_url}, database {workdir / 'warroom.db'}\n"
    )
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(
                bot_url=f"http://127.0.0.1:{bound}",
                signing_secret=signing_secret,
                session=session,
                emulator=emulator,
            )
            demo = Demo(driver, emulator, app)
            channel = await demo.play()
            demo.print_channels(channel)
        if not once:
            _out(f"\nThe server keeps running: http://127.0.0.1:{bound}/healthz . Ctrl-C stops it.")
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await emulator.stop()
