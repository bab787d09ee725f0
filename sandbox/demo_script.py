"""The demo's script: four people declare, run and close an incident; what each of them saw."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.slack import ids
from bot.slack.ids import SUMMARY_ACTION, SUMMARY_BLOCK
from sandbox.demo_acts import Acts
from sandbox.demo_channels import print_channels
from sandbox.demo_crowd import crowd
from sandbox.demo_print import out, seen, show_public
from sandbox.github_emulator import GithubEmulator
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import EmUser, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

GENERAL, ANNOUNCE = "C0GENERAL", "C0ANNOUNCE"
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
ONCALL = "S0ONCALL"  # the Slack user group of SEV1 responders
PEOPLE = [
    EmUser(ALICE, "alice", "Alice Ng", tz="America/New_York", tz_offset=-18000),
    EmUser(BOB, "bob", "Bob Okafor", tz="Europe/London"),
    EmUser(CAROL, "carol", "Carol Díaz", tz="Europe/Madrid", tz_offset=3600),
    EmUser(DAVE, "dave", "Dave Kim", tz="Asia/Seoul", tz_offset=32400),
]
COMPONENTS = ("Checkout", "API", "Dashboard")
# Slack's limits, enforced by the emulator on a clock 20x faster (the bot paces to match).
DEMO_RATE_SCALE = 0.05


@dataclass(frozen=True)
class Stage:
    """What the story plays on: the emulators and the bot's server, started."""

    slack: SlackEmulator
    statuspage: StatuspageEmulator
    app: web.Application
    url: str
    signing_secret: str
    github: GithubEmulator


async def tell(stage: Stage, *, full: bool) -> None:
    """Play the incident, then print the channels, Statuspage and the public page."""
    slack = stage.slack
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(
            bot_url=stage.url, signing_secret=stage.signing_secret, session=session, emulator=slack
        )
        demo = Demo(driver, slack, stage.app, stage.url)
        channel = await demo.play()
        published = demo.published
        print_channels(slack, stage.statuspage, (channel, ANNOUNCE), full=full, published=published)
        if full:  # else the story showed their links, under the actions
            out(f"\n=== GitHub (emulated): INC-1's actions became issues {stage.github.numbers()}")
        await show_public(stage.url, "after resolution", published=published, full=full)


class Demo(Acts):
    """Plays the scripted incident, printing what each person typed and saw."""

    async def play(self) -> str:
        """Run the incident; return the incident channel's ID."""
        out(
            "=== What people typed or pressed (in the incident's channel unless another is "
            "named), what only they saw, and what the channel got besides each change's own "
            "message ==="
        )
        channel = await self.declare()
        await self.respond(channel)
        await self.stumble(channel)
        await self.beside()
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
        self.follow(channel)
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
        await self.post_update(
            CAROL, channel, "the pinned summary", "Rolled back config 4512 in eu-west"
        )
        await self.say(BOB, channel, "impact Checkout,API degraded")
        await self.say(
            BOB,
            channel,
            "status monitoring A fix is in place; error rates are "
            "back to normal and we are watching closely",
        )
        await crowd(self.driver, self.slack, self.settle, channel, (ALICE, BOB, CAROL, DAVE))
        self.news()
        await self.nudged(channel)
        await self.say(ALICE, channel, "milestone started -35m")
        await self.say(ALICE, channel, "milestone detected -20m")
        await self.say(CAROL, channel, "action Alert on payment gateway p99 <@U0CAROL|carol>")
        await self.say(BOB, channel, "action Canary config pushes region by region")

    async def nudged(self, channel: str) -> None:
        """Let an update fall due (a 2-second cadence, for the demo), and answer the reminder."""
        await self.say(ALICE, channel, "cadence 2s")
        await self.reminder(channel)
        assert self.watch
        reminder, *more = self.watch.news(echo=False)
        out(f"  (nobody posts an update for 2 seconds) → {reminder}")
        for line in more:
            seen(line)
        await self.post_update(
            BOB, channel, "the reminder", "Error rates normal for 10 minutes; still watching"
        )
        await self.say(ALICE, channel, "cadence 30m")

    async def stumble(self, channel: str) -> None:
        """Type the mistakes people make, to show the answers they get."""
        await self.say(DAVE, channel, "severity sev9")
        await self.say(DAVE, channel, "milestone mitigated yesterday-ish")
        await self.say(DAVE, channel, "impact Billing major")
        await self.say(DAVE, GENERAL, "update typed in the wrong channel")
        await self.say(DAVE, GENERAL, "INC-1 update Support macros updated for failed payments")

    async def beside(self) -> None:
        """A private incident beside the public one: who sees it (list, the Home tab), and
        how it ends as a false alarm."""
        await self.say(DAVE, GENERAL, "declare private sev2 Suspicious logins to the admin console")
        private = next(c.id for c in self.slack.channels.values() if c.name.startswith("inc-2"))
        await self.say(CAROL, GENERAL, "list")
        await self.say(DAVE, GENERAL, "list")
        await self.home(BOB)
        await self.home(DAVE, only="INC-2")
        await self.say(DAVE, private, "cancel The logins were our own red-team exercise")

    async def home(self, user: str, *, only: str = "") -> None:
        """Open `user`'s Home tab in Slack; print what it shows (or only the lines naming
        `only`)."""
        name = self.slack.users[user].name
        await self.driver.open_home(user)
        for _ in range(250):
            if only in self.slack.home_text(user) and self.slack.home_text(user):
                break
            await asyncio.sleep(0.02)
        home = self.slack.home_text(user).replace("*", "")  # read as people see it: no bold marks
        shown = [line for line in home.splitlines() if line.strip()]
        if only:
            at = next(i for i, line in enumerate(shown) if only in line)
            out(f"  {name} opens warroom's Home tab → among its open incidents: " + shown[at])
            return
        out(f"  {name} opens warroom's Home tab in Slack → it shows:")
        for line in shown:
            out("        " + line)

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
        await self.say(
            BOB,
            channel,
            "postmortem publish",
            opens="a form opens, prefilled with the public summary; bob reviews it and presses "
            "Publish:",
        )
        for _ in range(100):
            if self.slack.views:
                break
            await asyncio.sleep(0.02)
        view = self.slack.views[-1]["view"]
        text = view["blocks"][1]["element"]["initial_value"]
        out("        " + text.replace("\n", "\n        "))
        self.published = text
        values = {SUMMARY_BLOCK: {SUMMARY_ACTION: {"type": "plain_text_input", "value": text}}}
        await self.driver.view_submission(user_id=BOB, view=view, values=values)
        await asyncio.sleep(0.2)
        await self.settle()
        self.news()

    async def pin(self, channel: str, author: str, text: str, *, by: str) -> None:
        """Reply in a thread as `author`, have `by` pin it (delivered twice), then fix a typo."""
        parent = self.slack.add_message(channel, BOB, "Looking at the gateway dashboards")
        note = self.slack.add_message(channel, author, text, parent.ts)
        who, pinner = self.slack.users[author].name, self.slack.users[by].name
        out(
            f"  {who} replies in a thread; {pinner} reacts with :pushpin: (Slack delivers it "
            f"twice); {who} then edits the reply: the timeline follows"
        )
        for retry in (None, 1):
            await self.driver.reaction_added(
                by, channel, note.ts, event_id="Ev0DEMOPIN", retry_num=retry
            )
        await self.settle()
        before = self.slack.message_json(channel, note.ts)
        self.slack.edit_message(channel, note.ts, text + " (eu-west only)")
        after = self.slack.message_json(channel, note.ts)
        await self.driver.message_changed(channel, before, after, event_id="Ev0DEMOEDIT")
        await self.settle()
        self.news()

    async def keep_from_elsewhere(self, channel: str) -> None:
        """Add a message from #general with the message shortcut, picking the incident."""
        note = self.slack.add_message(GENERAL, DAVE, "Support: customers report failed payments")
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
        out(
            "  dave uses the message shortcut “Add to incident timeline” on a post in #general → "
            f"a form asks which open incident; dave picks INC-{number}"
        )
        await self.driver.view_submission(
            user_id=DAVE,
            view=view,
            fill={(ids.PICK_INCIDENT_BLOCK, ids.PICK_INCIDENT_ACTION): number},
        )
        await self.settle()
        self.news()
