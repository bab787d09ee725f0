"""In a real browser: from the list to an incident's own page, and the bars on a phone."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.conftest import ALICE, Bot
from tests.status_page.test_browser import (
    IDENTIFIED,
    INTERNAL_NOTE,
    INTERNAL_TITLE,
    MONITORING,
    PUBLIC_NAME,
    browser,
    open_status,
    pytestmark,
    run_incident,
)

__all__ = ["browser", "pytestmark"]  # the fixture and the skip, shared


async def test_incident_title_opens_its_own_page_with_the_story_newest_first(
    public_bot: Bot, browser: Browser
) -> None:
    channel = await run_incident(public_bot)
    await public_bot.command(ALICE, channel, "resolve Error rates are back to normal")
    page = await open_status(browser, public_bot)

    await page.get_by_role("link", name=PUBLIC_NAME).click()
    await page.wait_for_url("**/incidents/*")
    assert await page.title() == f"{PUBLIC_NAME} · Example Status"
    assert await page.get_by_role("heading", level=2, name=PUBLIC_NAME).is_visible()
    meta = await page.locator("article .meta").inner_text()
    assert meta.startswith("Resolved · Partial outage")
    assert "lasted" in meta
    updates = [t.strip() for t in await page.locator("ol.updates > li").all_inner_texts()]
    assert [u.split()[0] for u in updates] == ["Resolved", "Monitoring", "Identified"]
    assert MONITORING in updates[1]
    assert IDENTIFIED in updates[2]
    affected = page.locator("ul.affected")
    assert (await affected.inner_text()).split() == ["API", "Partial", "outage"]
    seen = await page.locator("body").inner_text()
    for secret in (INTERNAL_TITLE, INTERNAL_NOTE, "shard 7", "INC-1"):
        assert secret not in seen, secret

    await page.get_by_role("link", name="← All systems").click()
    await page.wait_for_url("**/status")


async def test_bars_show_thirty_days_on_a_phone_and_ninety_on_a_desktop(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    visible = "els => els.filter(e => e.getBoundingClientRect().width > 0).length"
    phone = await open_status(browser, public_bot, viewport={"width": 375, "height": 812})
    first_bar = "li.component:first-child .bar .day"
    assert await phone.locator(first_bar).evaluate_all(visible) == 30
    assert await phone.get_by_text("30 days ago").first.is_visible()
    desktop = await open_status(browser, public_bot, viewport={"width": 1280, "height": 900})
    assert await desktop.locator(first_bar).evaluate_all(visible) == 90
    assert await desktop.get_by_text("90 days ago").first.is_visible()
    # Each day is wide enough to see and to tap: at least 6 px on the phone.
    widths = await phone.locator(first_bar).evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width).filter(w => w > 0)"
    )
    assert min(widths) >= 6
