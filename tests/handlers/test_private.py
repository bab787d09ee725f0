"""A private incident over real HTTP: a private channel, never announced, never on any public
surface (the status page and its incident pages, JSON and feeds, Atlassian Statuspage,
subscribers' mail and webhooks, public summaries), its post-mortem only behind the token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlmodel import select

from bot import admin_subscribers
from bot.config import Secret
from bot.keys import DATABASE
from handlers.status_page import _ROUTES
from sandbox.slack_emulator import EmUser, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from storage.models import Incident
from tests.conftest import ALICE, ANNOUNCE, BOB, GENERAL, USERS, Bot, bot_settings, start_bot
from tests.publishers.test_webhooks import Receiver, serve
from tests.status_page.mailbox import PUBLIC, Mailbox, everything_in
from tests.status_page.test_subscriptions_mail import confirm
from tests.support import RATE_SCALE, manifest_scopes

LEADS = "C0LEADS"  # PRIVATE_ANNOUNCE_CHANNEL
ADMIN = "admin-token-0123456789"
READER = "reader@example.com"
# Words of the private incident: none may show anywhere but its own channel.
SECRET = ("Payroll", "PAYROLL-LEAK", "PRIVATE-STATUS-NOTE", "PRIVATE-RESOLVE-NOTE")


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(
        users=[*USERS, EmUser("U0DAVE", "dave", "Dave Li")],
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents"), (LEADS, "incident-leads")],
        rate_scale=RATE_SCALE,
        scopes=manifest_scopes(),
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner = await serve(hook)
    yield hook
    await runner.cleanup()


@pytest.fixture
async def everywhere(
    slack: SlackEmulator,
    statuspage: StatuspageEmulator,
    mailbox: Mailbox,
    receiver: Receiver,
    database_url: str,
    http: aiohttp.ClientSession,
) -> AsyncIterator[Bot]:
    """A bot with every public surface on: the page, Statuspage, mail and webhook subscribers."""
    settings = bot_settings(
        slack,
        database_url,
        private_announce_channel=LEADS,
        admin_token=Secret(ADMIN),
        status_components=("API", "Checkout"),
        public_base_url=PUBLIC,
        statuspage_api_key=Secret(statuspage.api_key),
        statuspage_page_id=statuspage.page_id,
        statuspage_api_url=statuspage.api_url,
        statuspage_rate=50.0,
        smtp_url=Secret(mailbox.url),
        status_email_from="status@example.com",
        subscriber_timeout=2.0,
    )
    bot = await start_bot(settings, slack, http)
    _, receiver.secret = await admin_subscribers.add_webhook(bot.app[DATABASE], receiver.url)
    yield bot
    await bot.stop()


async def run(bot: Bot, channel: str, *commands: tuple[str, str]) -> None:
    for user, text in commands:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, (text, reply.text)
    await bot.settle()


async def get(bot: Bot, path: str, **headers: str) -> tuple[int, str]:
    async with bot.http.get(bot.url + path, headers=headers) as response:
        return response.status, await response.text()


async def uid_of(bot: Bot, number: int) -> str:
    async with bot.app[DATABASE].read() as session:
        incident = (await session.exec(select(Incident).where(Incident.number == number))).one()
    return incident.uid


def said(bot: Bot, channel: str) -> str:
    """Return everything posted in a channel, threads included."""
    return "\n".join(f"{m.text} {m.blocks}" for m in bot.slack.history(channel))


async def test_private_incident_never_reaches_a_public_surface(
    everywhere: Bot, statuspage: StatuspageEmulator, mailbox: Mailbox, receiver: Receiver
) -> None:
    bot = everywhere
    await confirm(bot, mailbox, READER)
    # A public incident alongside: every surface works, and shows it.
    public = await bot.declare("declare sev2 Checkout slow")
    await run(
        bot,
        public,
        (ALICE, "public-name Slow checkout"),
        (ALICE, "impact Checkout degraded"),
        (ALICE, "status identified PUBLIC-NOTE a cache is cold"),
    )
    private = await bot.declare("declare private sev1 Payroll PAYROLL-LEAK in shard 3")
    await run(
        bot,
        private,
        (ALICE, "status identified PRIVATE-STATUS-NOTE the dump came from shard 3"),
        (ALICE, "resolve PRIVATE-RESOLVE-NOTE keys rotated"),
    )
    # A public change after it: the page, Statuspage and subscribers are built again.
    await run(bot, public, (ALICE, "status monitoring PUBLIC-LATER a fix is out"))

    channel = bot.slack.channels[private]
    assert channel.is_private
    assert channel.members == {bot.slack.bot_user_id, ALICE}
    # Every public document, the private incident's own page, the JSON and the feeds.
    for path in _ROUTES:
        status, body = await get(bot, path)
        assert status == 200, path
        assert all(word not in body for word in SECRET), path
        assert "INC-2" not in body, path
    status, body = await get(bot, "/api/v2/incidents.json")
    assert "PUBLIC-NOTE" in body  # the public incident is there: the page is not just empty
    assert (await get(bot, f"/incidents/{await uid_of(bot, 2)}"))[0] == 404
    assert (await get(bot, f"/incidents/{await uid_of(bot, 1)}"))[0] == 200
    # Atlassian Statuspage has the public incident only.
    assert [i["name"] for i in statuspage.incidents.values()] == ["Slow checkout"]
    assert all(w not in str(statuspage.requests) for w in SECRET)
    # Subscribers: the public update only, by mail and by webhook.
    assert len(mailbox.updates(READER)) == 2
    assert "PUBLIC-LATER" in everything_in(mailbox.updates(READER)[-1])
    assert all(w not in everything_in(m) for m in mailbox.mails for w in SECRET)
    assert [u for u in receiver.accepted if "PUBLIC-NOTE" in str(u)] == receiver.accepted
    assert receiver.accepted
    assert all(w not in str(body) for body in receiver.seen for w in SECRET)
    # Announcements: the public incident's headline, nothing of the private one.
    announced = said(bot, ANNOUNCE)
    assert "INC-1" in announced
    assert "INC-2" not in announced
    assert all(w not in announced for w in SECRET)
    # The leads' channel: one line, no title, no thread.
    [notice] = bot.slack.history(LEADS)
    assert notice.text == (
        f":lock: A private SEV1 incident, INC-2, was declared by <@{ALICE}>. "
        "Ask the commander to be added."
    )
    # The post-mortem draft: in its own channel only; the admin endpoint wants the token.
    elsewhere = [m for m in bot.slack.messages if m.channel != private]
    assert all(f["name"].find("inc-2") < 0 for m in elsewhere for f in m.files)
    assert any(
        f["name"].endswith("-postmortem.md") for m in bot.slack.history(private) for f in m.files
    )
    assert (await get(bot, "/incidents/2/postmortem.md"))[0] == 401
    status, draft = await get(bot, "/incidents/2/postmortem.md", Authorization=f"Bearer {ADMIN}")
    assert status == 200
    assert "PAYROLL-LEAK" in draft
    assert all(w not in said(bot, GENERAL) for w in SECRET)


async def test_private_incident_refuses_what_would_make_it_public(everywhere: Bot) -> None:
    bot = everywhere
    private = await bot.declare("declare private sev2 Payroll PAYROLL-LEAK")
    for text, what in [
        ("impact Checkout major", "set what the public sees as affected"),
        ("public-name Some trouble", "give it a public name"),
    ]:
        reply = await bot.command(ALICE, private, text)
        assert f"INC-1 is a private incident, so I can't {what}" in reply.text, reply.text
        assert "nothing of a private incident goes on the status pages" in reply.text
    reply = await bot.command(ALICE, private, "status identified PRIVATE-STATUS-NOTE found it")
    assert "It is a private incident: the message stays in its channel" in reply.text
    await run(bot, private, (ALICE, "resolve PRIVATE-RESOLVE-NOTE"))
    before = len(bot.slack.responses)
    reply = await bot.command(ALICE, private, "postmortem publish")
    assert reply.status == 200
    await bot.settle()
    [answer] = bot.slack.responses[before:]
    assert "INC-1 is a private incident, so I can't publish a public summary" in answer["text"]
    assert not [v for v in bot.slack.views if "publish" in str(v["view"].get("callback_id"))]
    assert (await get(bot, "/api/v2/incidents.json"))[1].count("PAYROLL") == 0


async def test_private_incident_from_another_channel_is_not_there_for_non_members(
    everywhere: Bot,
) -> None:
    bot = everywhere
    await bot.declare("declare private sev2 Payroll PAYROLL-LEAK")
    for text in ("INC-1", "INC-1 timeline", "INC-1 update sneaking in"):
        reply = await bot.command(BOB, GENERAL, text)
        assert "There is no INC-1." in reply.text, reply.text
        assert all(w not in reply.text for w in SECRET)
    reply = await bot.command(ALICE, GENERAL, "INC-1")
    assert "PAYROLL-LEAK" in reply.text
