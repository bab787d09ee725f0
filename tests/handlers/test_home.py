"""The Home tab over real HTTP: app_home_opened in, views.publish out, kept current."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.slack.ids import DECLARE_MODAL_CALLBACK, HOME_DECLARE_BUTTON
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, GENERAL, Bot, bot_settings, start_bot
from tests.support import wait_until

REFRESH = 0.5  # HOME_REFRESH_SECONDS in these tests


@pytest.fixture
async def home_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """A bot whose Homes refresh at most every half second per viewer."""
    running = await start_bot(
        bot_settings(emulator, database_url, home_refresh=REFRESH), emulator, http
    )
    yield running
    await running.stop()


def publishes(slack: SlackEmulator, user: str | None = None) -> int:
    """Return how many views.publish calls were made (for one person, if given)."""
    return sum(
        1
        for method, args in slack.calls
        if method == "views.publish" and (user is None or args.get("user_id") == user)
    )


def home(bot: Bot, user: str) -> str:
    """Return the person's Home as they read it, bold marks dropped."""
    return bot.slack.home_text(user).replace("*", "")


async def shows(bot: Bot, user: str, *texts: str) -> None:
    """Wait until the person's Home shows every one of `texts`."""
    await wait_until(
        lambda: all(t in home(bot, user) for t in texts),
        what=f"{user}'s Home shows {texts}: {home(bot, user)!r}",
    )


async def test_opening_home_publishes_open_incidents_with_their_channel(home_bot: Bot) -> None:
    channel = await home_bot.declare("declare sev1 Checkout API failing")
    await home_bot.command(ALICE, channel, "role commander me")
    reply = await home_bot.driver.open_home(BOB)
    assert reply.status == 200
    name = home_bot.slack.channels[channel].name
    await shows(home_bot, BOB, "INC-1 · Checkout API failing", "Commander: @alice", f"#{name}")
    text = home(home_bot, BOB)
    assert "SEV1" in text
    assert "Investigating" in text
    assert "open 0m" in text
    assert "[Declare incident]" in text
    assert home_bot.slack.home_text(ALICE) == ""  # only who opened it


async def test_home_roles_section_differs_per_viewer(home_bot: Bot) -> None:
    channel = await home_bot.declare("declare sev2 Search is slow")
    await home_bot.command(ALICE, channel, "role commander me")
    await home_bot.command(ALICE, channel, f"role comms <@{BOB}|bob>")
    await home_bot.settle()
    for user in (ALICE, BOB, CAROL):
        await home_bot.driver.open_home(user)
    await shows(home_bot, ALICE, "Your incidents (1)", "you: Incident commander")
    await shows(home_bot, BOB, "Your incidents (1)", "you: Communications lead")
    await shows(home_bot, CAROL, "Your incidents (0)", "You hold no role in an open incident.")


async def test_changes_reach_an_open_home_and_resolved_ones_move_down(home_bot: Bot) -> None:
    await home_bot.driver.open_home(CAROL)
    await shows(home_bot, CAROL, "No open incidents.")
    channel = await home_bot.declare("declare sev2 Login errors")
    await shows(home_bot, CAROL, "INC-1 · Login errors", "Investigating")
    await home_bot.command(ALICE, channel, "status identified Bad deploy")
    await shows(home_bot, CAROL, "Identified")
    await home_bot.command(ALICE, channel, "resolve Rolled back")
    await shows(home_bot, CAROL, "Open incidents (0)", "Recently resolved\nINC-1 · Login errors")


async def test_many_quick_changes_publish_a_few_times(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    every = 2.0  # HOME_REFRESH_SECONDS
    settings = bot_settings(emulator, database_url, home_refresh=every)
    bot = await start_bot(settings, emulator, http)
    try:
        channel = await bot.declare("declare sev3 Flaky builds")
        await bot.driver.open_home(ALICE)
        await shows(bot, ALICE, "Flaky builds")
        before, started = publishes(bot.slack, ALICE), bot.slack.call_times[-1]
        for n in range(30):  # each one changes what the Home shows
            await bot.command(ALICE, channel, f"severity sev{2 + n % 2}")
        await bot.command(ALICE, channel, "status monitoring Watching")
        await shows(bot, ALICE, "Monitoring", "SEV3")
        await bot.settle()
        made = publishes(bot.slack, ALICE) - before
        window = bot.slack.call_times[-1] - started
    finally:
        await bot.stop()
    # Publishes at least `every` apart: in the window the emulator logged, at most this many.
    assert 1 <= made <= 1 + window / every, (made, window)
    assert made < 31


async def test_home_declare_button_opens_the_declare_form(home_bot: Bot) -> None:
    await home_bot.driver.open_home(BOB)
    await shows(home_bot, BOB, "[Declare incident]")
    reply = await home_bot.driver.home_action(BOB, HOME_DECLARE_BUTTON)
    assert reply.status == 200
    await wait_until(lambda: any(v["user_id"] == BOB for v in home_bot.slack.views))
    form = home_bot.slack.opened_view(callback_id=DECLARE_MODAL_CALLBACK, user_id=BOB)
    await home_bot.driver.view_submission(
        user_id=BOB, view=form, fill={"title": "Payments down", "severity": "sev2"}
    )
    await shows(home_bot, BOB, "INC-1 · Payments down", "SEV2")


async def test_messages_tab_publishes_nothing(home_bot: Bot) -> None:
    reply = await home_bot.driver.open_home(BOB, tab="messages")
    assert reply.status == 200
    await home_bot.settle()
    assert publishes(home_bot.slack) == 0
    assert GENERAL  # the fixture's channels are untouched


async def test_home_declare_button_too_late_for_the_form_says_how_to_declare(
    home_bot: Bot,
) -> None:
    await home_bot.driver.open_home(BOB)
    await shows(home_bot, BOB, "[Declare incident]")
    home_bot.slack.trigger_ttl = 0.0  # the click's trigger_id has expired when it is used
    await home_bot.driver.home_action(BOB, HOME_DECLARE_BUTTON)
    dm = home_bot.slack.state.dm(BOB).id
    await wait_until(
        lambda: any("/incident declare sev2" in m.text for m in home_bot.slack.history(dm)),
        what="Bob is told how to declare without the form",
    )
    assert not home_bot.slack.views


async def test_home_shows_each_open_incidents_call_link(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    call = "https://meet.example.com/inc-{number}"
    settings = bot_settings(emulator, database_url, home_refresh=REFRESH, incident_call_url=call)
    running = await start_bot(settings, emulator, http)
    try:
        first = await running.declare("declare sev2 Search slow")
        await running.declare("declare sev1 Checkout API failing")
        await running.command(ALICE, first, "resolve Fixed")
        await running.driver.open_home(BOB)
        await shows(running, BOB, "Join the call", "Recently resolved")
        lines = home(running, BOB).splitlines()
        second = next(i for i, line in enumerate(lines) if "INC-2 · Checkout API failing" in line)
        assert "meet.example.com/inc-2" in lines[second + 1], lines
        # A resolved incident's call is over: its line has no link to it.
        assert "meet.example.com/inc-1" not in home(running, BOB)
    finally:
        await running.stop()


async def test_home_shows_a_private_incident_to_its_members_only(home_bot: Bot) -> None:
    await home_bot.declare("declare sev2 Search slow")
    private = await home_bot.declare("declare private sev1 Payroll data leak")
    await home_bot.driver.open_home(ALICE)
    await home_bot.driver.open_home(BOB)
    await shows(home_bot, ALICE, "INC-2 · Payroll data leak", "INC-1 · Search slow")
    await shows(home_bot, BOB, "INC-1 · Search slow")
    assert "Payroll" not in home(home_bot, BOB)
    assert "INC-2" not in home(home_bot, BOB)
    # Alice adds Bob to the channel: his Home follows within seconds; when he leaves, it is gone.
    await home_bot.driver.member_joined(private, BOB, by=ALICE)
    await shows(home_bot, BOB, "INC-2 · Payroll data leak")
    await home_bot.driver.member_left(private, BOB)
    await wait_until(lambda: "Payroll" not in home(home_bot, BOB), what="Bob's Home forgets INC-2")
