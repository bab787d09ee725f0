"""`warroom demo`: the real server, Slack and Statuspage emulators, and a whole incident."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import create_app
from bot.config import Secret, Settings
from bot.keys import RELAY
from bot.slack import ids
from bot.slack.ids import SUMMARY_ACTION, SUMMARY_BLOCK
from sandbox.demo_crowd import crowd
from sandbox.demo_print import out, print_channels, show_public
from sandbox.pagerduty_emulator import PagerDutyEmulator
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
# Slack's limits, enforced by the emulator on a clock 20x faster (the bot paces to match).
DEMO_RATE_SCALE = 0.05


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """Plays the scripted incident, printing what each person typed and saw."""

    def __init__(
        self, driver: SlackDriver, slack: SlackEmulator, app: web.Application, url: str
    ) -> None:
        self.driver, self.slack, self.app, self.url = driver, slack, app, url

    async def say(self, user: str, channel: str, text: str) -> None:
        """Type `/incident <text>` (as Slack sends it) as `user` and print the private answer."""
        name = self.slack.users[user].name
        out(f"  {name} in #{self.slack.channels[channel].name}: /incident {text}")
        reply = await self.driver.command(user_id=user, channel_id=channel, text=text)
        answer = self.slack.render_text(reply.text) if reply.text else "(nothing: a form opens)"
        out(f"      only {name} sees ({reply.elapsed * 1000:.0f} ms): {answer}")
        await self.settle()

    async def settle(self) -> None:
        """Wait until every owed Slack and Statuspage call has been delivered."""
        for _ in range(3):  # Statuspage deliveries owe Slack notices in turn
            await self.app[RELAY].drain()
            await asyncio.sleep(0.05)

    async def play(self) -> str:
        """Run the incident; return the incident channel's ID."""
        out("=== What people typed, and what only they saw ===")
        channel = await self.declare()
        await self.respond(channel)
        await self.stumble(channel)
        await self.close(channel)
        return channel

    async def declare(self) -> str:
        """Declare the incident, staff it, and pin a first clue; return its channel's ID."""
        await self.say(ALICE, GENERAL, "declare sev2 Checkout API failing: <!channel> 5xx on /pay")
        channel = next(
            c.id
            for c in self.slack.channels.values()
            if c.creator == self.slack.bot_user_id and c.name.startswith("inc-1")
        )
        await self.press(ALICE, channel, ids.TAKE_COMMAND_BUTTON, "the pinned summary")
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
        await self.keep_from_elsewhere(channel)
        return channel

    async def respond(self, channel: str) -> None:
        """Escalate, tell the public, find the cause, mitigate, and note follow-ups."""
        await self.say(ALICE, channel, "severity sev1")
        await self.say(BOB, channel, "public-name Checkout errors for some customers")
        await self.say(BOB, channel, "impact Checkout,API partial")
        await self.say(
            BOB,
            channel,
            "status identified We found the cause of checkout errors "
            "and are rolling back a configuration change",
        )
        await self.press(CAROL, channel, ids.POST_UPDATE_BUTTON, "the pinned summary")
        await self.submit(
            CAROL,
            ids.UPDATE_FORM_CALLBACK,
            ids.UPDATE_BLOCK,
            ids.UPDATE_ACTION,
            "Rolled back config 4512 in eu-west",
        )
        await self.say(BOB, channel, "impact Checkout,API degraded")
        await self.say(
            BOB,
            channel,
            "status monitoring A fix is in place; error rates are "
            "back to normal and we are watching closely",
        )
        await crowd(self.driver, self.slack, self.settle, channel, (ALICE, BOB, CAROL, DAVE))
        await self.nudged(channel)
        await self.say(ALICE, channel, "milestone started -35m")
        await self.say(ALICE, channel, "milestone detected -20m")
        await self.say(CAROL, channel, "action Alert on payment gateway p99 <@U0CAROL|carol>")
        await self.say(BOB, channel, "action Canary config pushes region by region")

    async def nudged(self, channel: str) -> None:
        """Let an update fall due (a 2-second cadence, for the demo), and answer the reminder."""
        await self.say(ALICE, channel, "cadence 2s")
        out("  (nobody posts an update for 2 seconds)")
        reminder = await self.reminder(channel)
        out(f"      warroom posts in the channel: {self.slack.render_text(reminder)}")
        await self.press(BOB, channel, ids.POST_UPDATE_BUTTON, "the reminder")
        await self.submit(
            BOB,
            ids.UPDATE_FORM_CALLBACK,
            ids.UPDATE_BLOCK,
            ids.UPDATE_ACTION,
            "Error rates normal for 10 minutes; still watching",
        )
        await self.say(ALICE, channel, "cadence 30m")

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
        """Press a button as `user` and print what only they then see, if anything."""
        name = self.slack.users[user].name
        before = len(self.slack.responses)
        await self.driver.block_action(user_id=user, channel_id=channel, action_id=action_id)
        label = _label(self.slack, channel, action_id)
        out(f"  {name} presses [{label}] on {where}")
        await self.settle()
        for response in self.slack.responses[before:]:
            out(f"      only {name} sees: {self.slack.render_text(str(response.get('text')))}")

    async def submit(self, user: str, callback: str, block: str, action: str, text: str) -> None:
        """Type `text` into the form the last button opened for `user`, and submit it."""
        name = self.slack.users[user].name
        out(f"      a form opens; {name} types “{text}” and submits it")
        await self.driver.view_submission(
            user_id=user, callback_id=callback, fill={(block, action): text}
        )
        await self.settle()

    async def stumble(self, channel: str) -> None:
        """Type the mistakes people make, to show the answers they get."""
        await self.say(DAVE, channel, "severity sev9")
        await self.say(DAVE, channel, "milestone mitigated yesterday-ish")
        await self.say(DAVE, channel, "impact Billing major")
        await self.say(DAVE, GENERAL, "update typed in the wrong channel")
        await self.say(DAVE, GENERAL, "INC-1 update Support macros updated for failed payments")

    async def close(self, channel: str) -> None:
        """Summarise, resolve, follow up, publish the public summary, and list incidents."""
        await self.say(ALICE, channel, "summary")
        await show_public(self.url, "while the incident is being monitored")
        await self.say(ALICE, channel, "resolve Checkout has been healthy for 30 minutes")
        await self.say(CAROL, channel, "action done 1")
        await self.say(BOB, channel, "actions")
        await self.publish_summary(channel)
        await self.say(CAROL, GENERAL, "list")

    async def publish_summary(self, channel: str) -> None:
        """Open the publish form as Bob and submit the prefilled public summary."""
        await self.say(BOB, channel, "postmortem publish")
        for _ in range(100):
            if self.slack.views:
                break
            await asyncio.sleep(0.02)
        view = self.slack.views[-1]["view"]
        text = view["blocks"][1]["element"]["initial_value"]
        out("  bob reviews the prefilled public summary in the form and presses Publish:")
        out("      " + text.replace("\n", "\n      "))
        values = {SUMMARY_BLOCK: {SUMMARY_ACTION: {"type": "plain_text_input", "value": text}}}
        await self.driver.view_submission(user_id=BOB, view=view, values=values)
        await asyncio.sleep(0.2)
        await self.settle()

    async def pin(self, channel: str, author: str, text: str, *, by: str) -> None:
        """Reply in a thread as `author`, have `by` pin it (delivered twice), then fix a typo."""
        parent = self.slack.add_message(channel, BOB, "Looking at the gateway dashboards")
        note = self.slack.add_message(channel, author, text, parent.ts)
        who, pinner = self.slack.users[author].name, self.slack.users[by].name
        out(
            f"  {who} replies in a thread; {pinner} reacts with :pushpin: (Slack delivers it twice)"
        )
        for retry in (None, 1):
            await self.driver.reaction_added(
                by, channel, note.ts, event_id="Ev0DEMOPIN", retry_num=retry
            )
        await self.settle()
        before = self.slack.message_json(channel, note.ts)
        self.slack.edit_message(channel, note.ts, text + " (eu-west only)")
        out(f"  {who} edits the pinned reply: the timeline follows")
        after = self.slack.message_json(channel, note.ts)
        await self.driver.message_changed(channel, before, after, event_id="Ev0DEMOEDIT")
        await self.settle()

    async def keep_from_elsewhere(self, channel: str) -> None:
        """Add a message from #general with the message shortcut, picking the incident."""
        note = self.slack.add_message(GENERAL, DAVE, "Support: customers report failed payments")
        out("  dave uses the message shortcut “Add to incident timeline” on a post in #general")
        await self.driver.message_shortcut(
            DAVE, GENERAL, note.ts, callback_id=ids.ADD_TO_TIMELINE_SHORTCUT
        )
        for _ in range(100):
            if any(
                v["view"].get("callback_id") == ids.PICK_INCIDENT_CALLBACK for v in self.slack.views
            ):
                break
            await asyncio.sleep(0.02)
        view = self.slack.opened_view(callback_id=ids.PICK_INCIDENT_CALLBACK, user_id=DAVE)
        number = str(view["blocks"][0]["element"]["options"][0]["value"])
        out(f"      a form asks which open incident; dave picks INC-{number}")
        await self.driver.view_submission(
            user_id=DAVE,
            view=view,
            fill={(ids.PICK_INCIDENT_BLOCK, ids.PICK_INCIDENT_ACTION): number},
        )
        await self.settle()


def _settings(
    slack: SlackEmulator,
    statuspage: StatuspageEmulator,
    pagerduty: PagerDutyEmulator,
    workdir: Path,
    signing_secret: str,
    port: int,
) -> Settings:
    url = f"http://127.0.0.1:{port}"
    return Settings(
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
        reminder_poll=0.2,
        slack_post_interval=DEMO_RATE_SCALE,
        pagerduty_routing_keys=Secret("payments=" + "0" * 32),
        pagerduty_events_url=pagerduty.events_url,
        page_on_sev1="payments",
    )


async def run_demo(*, port: int, once: bool) -> None:
    """Start emulators and server, play the incident, print it, then serve until Ctrl-C."""
    slack = SlackEmulator(
        users=PEOPLE,
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
        rate_scale=DEMO_RATE_SCALE,
    )
    statuspage = StatuspageEmulator(components=COMPONENTS, page_name="Example Status")
    pagerduty = PagerDutyEmulator()
    await slack.start()
    await statuspage.start()
    await pagerduty.start()
    workdir = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    signing_secret = secrets.token_hex(16)
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = _settings(slack, statuspage, pagerduty, workdir, signing_secret, port)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.host, port).start()
    out(
        f"warroom demo: server on {url}, Slack emulator on {slack.base_url}, Statuspage "
        f"emulator on {statuspage.base_url}\n"
    )
    try:
        async with aiohttp.ClientSession() as session:
            driver = SlackDriver(
                bot_url=url, signing_secret=signing_secret, session=session, emulator=slack
            )
            demo = Demo(driver, slack, app, url)
            channel = await demo.play()
            print_channels(slack, statuspage, (channel, ANNOUNCE))
            await show_public(url, "after resolution")
        if not once:
            out(
                f"The server keeps running: open {url}/status in a browser, or {url}/healthz."
                " Ctrl-C stops it."
            )
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await statuspage.stop()
        await pagerduty.stop()
        await slack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _label(slack: SlackEmulator, channel: str, action_id: str) -> str:
    """Return the text of the newest button `action_id` in the channel."""
    for message in reversed(slack.history(channel)):
        for block in message.blocks or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return str(element["text"]["text"])
    return action_id
