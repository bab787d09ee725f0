"""`warroom demo`: the real server, Slack and Statuspage emulators, and a whole incident."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import RELAY, create_app
from bot.config import Secret, Settings
from bot.slack_blocks import SUMMARY_ACTION, SUMMARY_BLOCK
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import EmUser, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

GENERAL, ANNOUNCE = "C0GENERAL", "C0ANNOUNCE"
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
PEOPLE = [
    EmUser(ALICE, "alice", "Alice Ng", tz="America/New_York", tz_offset=-18000),
    EmUser(BOB, "bob", "Bob Okafor", tz="Europe/London"),
    EmUser(CAROL, "carol", "Carol Díaz", tz="Europe/Madrid", tz_offset=3600),
    EmUser(DAVE, "dave", "Dave Kim", tz="Asia/Seoul", tz_offset=32400),
]
COMPONENTS = ("Checkout", "API", "Dashboard")


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """Plays the scripted incident and prints it as people would see it."""

    def __init__(
        self,
        driver: SlackDriver,
        slack: SlackEmulator,
        statuspage: StatuspageEmulator,
        app: web.Application,
        url: str,
    ) -> None:
        self.driver, self.slack, self.statuspage = driver, slack, statuspage
        self.app, self.url = app, url

    async def say(self, user: str, channel: str, text: str) -> None:
        """Type `/incident <text>` (as Slack sends it) as `user` and print the private answer."""
        name = self.slack.users[user].name
        _out(f"  {name} in #{self.slack.channels[channel].name}: /incident {text}")
        reply = await self.driver.command(user_id=user, channel_id=channel, text=text)
        answer = self.slack.render_text(reply.text) if reply.text else "(nothing: a form opens)"
        _out(f"      only {name} sees ({reply.elapsed * 1000:.0f} ms): {answer}")
        await self.settle()

    async def settle(self) -> None:
        """Wait until every owed Slack and Statuspage call has been delivered."""
        for _ in range(3):  # Statuspage deliveries owe Slack notices in turn
            await self.app[RELAY].drain()
            await asyncio.sleep(0.05)

    async def play(self) -> str:
        """Run the incident; return the incident channel's ID."""
        _out("=== What people typed, and what only they saw ===")
        await self.say(ALICE, GENERAL, "declare sev2 Checkout API failing: <!channel> 5xx on /pay")
        channel = next(
            c.id
            for c in self.slack.channels.values()
            if c.creator == self.slack.bot_user_id and c.name.startswith("inc-1")
        )
        await self.say(ALICE, channel, "role commander me")
        await self.say(ALICE, channel, "role comms <@U0BOB|bob>")
        await self.say(
            BOB,
            channel,
            "update Error rate 38% on /checkout since 14:02; "
            "gateway timeouts in eu-west (internal: shard pay-7)",
        )
        await self.pin(
            channel,
            CAROL,
            "Payment gateway p99 went from 200ms to 9s right after config push 4512",
            by=DAVE,
        )
        await self.say(ALICE, channel, "severity sev1")
        await self.say(BOB, channel, "public-name Checkout errors for some customers")
        await self.say(BOB, channel, "impact Checkout,API partial")
        await self.say(
            BOB,
            channel,
            "status identified We found the cause of checkout errors "
            "and are rolling back a configuration change",
        )
        await self.say(CAROL, channel, "update Rolled back config 4512 in eu-west")
        await self.say(BOB, channel, "impact Checkout,API degraded")
        await self.say(
            BOB,
            channel,
            "status monitoring A fix is in place; error rates are "
            "back to normal and we are watching closely",
        )
        await self.say(ALICE, channel, "milestone started -35m")
        await self.say(ALICE, channel, "milestone detected -20m")
        await self.say(CAROL, channel, "action Alert on payment gateway p99 <@U0CAROL|carol>")
        await self.say(BOB, channel, "action Canary config pushes region by region")
        await self.say(DAVE, channel, "severity sev9")
        await self.say(DAVE, channel, "milestone mitigated yesterday-ish")
        await self.say(DAVE, channel, "impact Billing major")
        await self.say(DAVE, GENERAL, "update typed in the wrong channel")
        await self.say(ALICE, channel, "summary")
        await self.show_public("while the incident is being monitored")
        await self.say(ALICE, channel, "resolve Checkout has been healthy for 30 minutes")
        await self.say(CAROL, channel, "action done 1")
        await self.say(BOB, channel, "actions")
        await self.publish_summary(channel)
        await self.say(CAROL, GENERAL, "list")
        return channel

    async def publish_summary(self, channel: str) -> None:
        """Open the publish form as Bob and submit the prefilled public summary."""
        await self.say(BOB, channel, "postmortem publish")
        for _ in range(100):
            if self.slack.views:
                break
            await asyncio.sleep(0.02)
        view = self.slack.views[-1]["view"]
        text = view["blocks"][1]["element"]["initial_value"]
        _out("  bob reviews the prefilled public summary in the form and presses Publish:")
        _out("      " + text.replace("\n", "\n      "))
        values = {SUMMARY_BLOCK: {SUMMARY_ACTION: {"type": "plain_text_input", "value": text}}}
        await self.driver.view_submission(user_id=BOB, view=view, values=values)
        await asyncio.sleep(0.2)
        await self.settle()

    async def pin(self, channel: str, author: str, text: str, *, by: str) -> None:
        """Post a message as `author` and have `by` react with :pushpin:, delivered twice."""
        note = self.slack.add_message(channel, author, text)
        _out(
            f"  {self.slack.users[author].name} posts in the channel; "
            f"{self.slack.users[by].name} reacts with :pushpin: (Slack delivers it twice)"
        )
        event = {
            "type": "reaction_added",
            "user": by,
            "reaction": "pushpin",
            "item": {"type": "message", "channel": channel, "ts": note.ts},
            "item_user": author,
            "event_ts": note.ts,
        }
        for retry in (None, 1):
            await self.driver.event(event, event_id="Ev0DEMOPIN", retry_num=retry)
        await asyncio.sleep(0.2)
        await self.settle()

    async def show_public(self, moment: str) -> None:
        """Print what the public status page says now."""
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.url}/api/v2/summary.json") as response,
        ):
            summary = json.loads(await response.text())
        _out(f"\n=== The public status page {self.url}/status, {moment} ===")
        _out(f"  {summary['status']['description']}")
        for component in summary["components"]:
            _out(f"  {component['name']:10} {component['status']}")
        for incident in summary["incidents"]:
            _out(
                f"  Incident: {incident['name']} ({incident['status']}, impact "
                f"{incident['impact']})"
            )
            for update in incident["incident_updates"]:
                _out(f"    {update['status']:13} {update['body']}")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.url}/api/v2/incidents.json") as response,
        ):
            history = json.loads(await response.text())["incidents"]
        for incident in history:
            if incident["resolved_at"]:
                _out(f"  Past incident: {incident['name']} (resolved)")
                if incident.get("postmortem_body"):
                    summary = incident["postmortem_body"].replace("\n", "\n      ")
                    _out(f"    post-incident summary:\n      {summary}")
        _out()

    def print_channels(self, incident_channel: str) -> None:
        """Print each channel as its members read it, then Statuspage's copy."""
        for channel_id in (incident_channel, ANNOUNCE):
            channel = self.slack.channels[channel_id]
            _out(f"\n=== #{channel.name} (topic: {self.slack.render_text(channel.topic)})")
            _out(self.slack.transcript(channel_id))
        for response in self.slack.responses:
            _out(
                "\n=== only the declarer sees, in #general\n"
                + self.slack.render_text(str(response.get("text", "")))
            )
        for message in self.slack.history(incident_channel):
            for file in message.files:
                content = self.slack.files[file["id"]]["content"].decode()
                _out(f"\n=== {file['name']}, the post-mortem draft posted in the channel ===")
                _out(content)
        for incident in self.statuspage.incidents.values():
            _out(
                f"\n=== Atlassian Statuspage (emulated): {incident['name']} "
                f"[{incident['status']}, impact {incident['impact']}]"
            )
            for update in reversed(incident["incident_updates"]):
                _out(f"  {update['created_at'][11:16]} {update['status']:13} {update['body']}")
            states = ", ".join(
                f"{c['name']}: {c['status']}" for c in self.statuspage.components.values()
            )
            _out(f"  components now: {states}")
            if incident.get("postmortem_body"):
                _out(f"  postmortem (published): {incident['postmortem_body']}")


async def run_demo(*, port: int, once: bool) -> None:
    """Start emulators and server, play the incident, print it, then serve until Ctrl-C."""
    slack = SlackEmulator(users=PEOPLE, channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")])
    statuspage = StatuspageEmulator(components=COMPONENTS, page_name="Example Status")
    await slack.start()
    await statuspage.start()
    workdir = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    signing_secret = secrets.token_hex(16)
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        slack_bot_token=Secret(slack.bot_token),
        slack_signing_secret=Secret(signing_secret),
        slack_app_token=None,
        slack_api_url=slack.api_url,
        database_url=Secret(f"sqlite:///{workdir / 'warroom.db'}"),
        host="127.0.0.1",
        port=port,
        announce_channel=ANNOUNCE,
        status_page_title="Example Status",
        public_base_url=url,
        status_components=COMPONENTS,
        statuspage_api_key=Secret(statuspage.api_key),
        statuspage_page_id=statuspage.page_id,
        statuspage_api_url=statuspage.api_url,
        statuspage_rate=20.0,
        display_timezone="America/New_York",
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.host, port).start()
    _out(
        f"warroom demo: server on {url}, Slack emulator on {slack.base_url}, Statuspage "
        f"emulator on {statuspage.base_url}\n"
    )
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(
                bot_url=url, signing_secret=signing_secret, session=session, emulator=slack
            )
            demo = Demo(driver, slack, statuspage, app, url)
            channel = await demo.play()
            demo.print_channels(channel)
            await demo.show_public("after resolution")
        if not once:
            _out(
                f"The server keeps running: open {url}/status in a browser, or {url}/healthz."
                " Ctrl-C stops it."
            )
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await statuspage.stop()
        await slack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
