"""Subscribers of a public false alarm: the closing message and a reopen each reach them once,
and the internal reason never does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Secret
from bot.slack import ids
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.status_page.mailbox import PUBLIC, Mailbox, text_of
from tests.status_page.test_subscriptions_mail import confirm
from tests.support import wait_until

READER = "reader@example.com"
CLOSING = "No problem found: this was a false alarm."


@pytest.fixture
async def mail_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, mailbox: Mailbox
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        status_components=("API",),
        public_base_url=PUBLIC,
        smtp_url=Secret(mailbox.url),
        status_email_from="status@example.com",
    )
    bot = await start_bot(settings, emulator, http)
    yield bot
    await bot.stop()


async def test_cancel_and_reopen_mail_subscribers_once_each_without_the_reason(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    await confirm(mail_bot, mailbox, READER)
    channel = await mail_bot.declare()
    await mail_bot.command(BOB, channel, "status identified We are looking into API errors")
    await mail_bot.settle()
    await mail_bot.command(ALICE, channel, "cancel SECRET-REASON the probe misfired")
    await mail_bot.driver.view_submission(
        user_id=ALICE, callback_id=ids.CANCEL_FORM_CALLBACK, fill={ids.MESSAGE_BLOCK: CLOSING}
    )
    await mail_bot.command(ALICE, channel, "reopen Errors are back after all")
    await mail_bot.settle()

    await wait_until(lambda: len(mailbox.updates(READER)) >= 3, 20, "three update mails")
    await mail_bot.settle()
    bodies = [text_of(m) for m in mailbox.updates(READER)]
    assert len(bodies) == 3, bodies  # identified, the closing message, the reopen
    assert "We are looking into API errors" in bodies[0]
    assert CLOSING in bodies[1]
    assert "Errors are back after all" in bodies[2]
    assert not any("SECRET-REASON" in b for b in bodies)
