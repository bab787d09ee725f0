"""The subscribe form in a real browser (Debian's Chromium): it posts under the page's CSP,
answers on the page, and a malformed address gets its field error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.config import Secret
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import Bot, bot_settings, start_bot
from tests.status_page.mailbox import PUBLIC, Mailbox
from tests.status_page.test_browser import CHROMIUM, CHROMIUM_ARGS, REPORT_CSP_VIOLATIONS
from tests.support import wait_until

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


@pytest.fixture
async def mail_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, mailbox: Mailbox
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        status_page_title="Example Status",
        public_base_url=PUBLIC,
        smtp_url=Secret(mailbox.url),
        status_email_from="status@example.com",
    )
    bot = await start_bot(settings, emulator, http)
    yield bot
    await bot.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


async def status_page(browser: Browser, bot: Bot, problems: list[str]) -> Page:
    ctx = await browser.new_context(base_url=bot.url)
    await ctx.add_init_script(REPORT_CSP_VIOLATIONS)
    page = await ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    await page.goto("/status")
    return page


async def test_subscribe_form_in_browser_shows_confirmation_answer(
    mail_bot: Bot, browser: Browser, mailbox: Mailbox
) -> None:
    problems: list[str] = []
    page = await status_page(browser, mail_bot, problems)
    await page.get_by_label("Email address").fill("reader@example.com")
    await page.get_by_role("button", name="Subscribe").click()
    await page.wait_for_url("**/status/subscribe")
    answer = await page.get_by_role("status").inner_text()
    assert "Check your inbox" in answer
    assert problems == []  # form-action 'self' lets the form post; nothing else was blocked
    await wait_until(lambda: len(mailbox.to("reader@example.com")) == 1, 20, "confirmation")


async def test_subscribe_form_in_browser_malformed_address_field_error(
    mail_bot: Bot, browser: Browser, mailbox: Mailbox
) -> None:
    problems: list[str] = []
    page = await status_page(browser, mail_bot, problems)
    field = page.get_by_label("Email address")
    await field.fill("reader at example.com")
    await page.get_by_role("button", name="Subscribe").click()
    await page.wait_for_url("**/status/subscribe")
    error = page.get_by_role("alert")
    assert "no spaces" in await error.inner_text()
    field = page.get_by_label("Email address")
    assert await field.get_attribute("aria-invalid") == "true"
    assert await field.input_value() == "reader at example.com"
    await mail_bot.settle()
    assert mailbox.mails == []
