"""The public status page in a real browser (Debian's Chromium): what a reader sees and hears."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from sandbox.slack_driver import slack_escape
from tests.conftest import ALICE, BOB, Bot
from tests.status_page.conftest import COMPONENTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

INTERNAL_TITLE = "Checkout DB shard 7 corrupt"
INTERNAL_NOTE = "SECRET-INTERNAL-NOTE: restoring shard 7 from backup"
PUBLIC_NAME = "Elevated checkout errors"
IDENTIFIED = "We found the cause and are fixing it"
MONITORING = "A fix is out and we are watching error rates"
SCREENSHOT_COPY = Path("/tmp/warroom-status-375.png")
# Chromium logs CSP violations as console errors already; this makes each one explicit.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", e =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
"""
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


async def run_incident(bot: Bot, public_name: str = PUBLIC_NAME) -> str:
    """Declare a sev1 and take it to monitoring, with an internal note on the way."""
    channel = await bot.declare(f"declare sev1 {INTERNAL_TITLE}")
    for user, text in [
        (ALICE, "role commander me"),
        (BOB, f"update {INTERNAL_NOTE}"),
        (ALICE, f"public-name {slack_escape(public_name)}"),
        (ALICE, "impact API partial"),
        (BOB, f"status identified {IDENTIFIED}"),
        (ALICE, f"status monitoring {MONITORING}"),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    await bot.settle()
    return channel


async def open_status(browser: Browser, bot: Bot, **context: Any) -> Page:
    """Open /status in a fresh context based at the bot's origin."""
    ctx = await browser.new_context(base_url=bot.url, **context)
    page = await ctx.new_page()
    response = await page.goto("/status")
    assert response is not None
    assert response.status == 200
    return page


def component_state(name: str) -> str:
    return f"li.component:has(.name:text-is('{name}')) .state"


async def test_status_page_during_incident_shows_public_story_only(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    page = await open_status(browser, public_bot)

    banner = page.get_by_role("status")
    # The banner says what the components say, though the incident is a sev1.
    assert (await banner.inner_text()).strip() == "Partial outage: API"
    heading = page.get_by_role("heading", name=PUBLIC_NAME)
    assert await heading.count() == 1
    article = page.locator("article.incident", has=heading)
    updates = [t.strip() for t in await article.locator("ol.updates > li").all_inner_texts()]
    assert len(updates) == 2, updates  # the component change is no update of its own
    assert updates[0].startswith("Monitoring")
    assert MONITORING in updates[0]
    assert updates[1].startswith("Identified")
    assert IDENTIFIED in updates[1]
    assert (await article.locator(".affected").inner_text()).split() == ["API", "Partial", "outage"]
    meta = await article.locator(".meta").inner_text()
    assert meta.startswith("Partial outage · since")
    assert "Impact:" not in await page.locator("body").inner_text()
    assert (await page.locator(component_state("API")).inner_text()) == "Partial outage"
    assert (await page.locator(component_state("Sora")).inner_text()) == "Operational"
    assert (await page.locator(component_state("ChatGPT")).inner_text()) == "Operational"

    seen = await page.locator("body").inner_text()
    source = await page.content()
    for secret in (INTERNAL_TITLE, "SECRET-INTERNAL-NOTE", "shard 7", ALICE, BOB):
        assert secret not in seen, secret
        assert secret not in source, secret


async def test_status_page_after_resolve_lists_past_incident_and_operational_banner(
    public_bot: Bot, browser: Browser
) -> None:
    channel = await run_incident(public_bot)
    await public_bot.command(ALICE, channel, "resolve Error rates are back to normal")
    await public_bot.settle()
    page = await open_status(browser, public_bot)

    assert (await page.get_by_role("status").inner_text()).strip() == "All Systems Operational"
    assert await page.get_by_role("heading", name="Active incidents").count() == 0
    past = page.locator("section", has=page.get_by_role("heading", name="Past incidents"))
    assert await past.get_by_role("heading", name=PUBLIC_NAME).count() == 1
    assert "Error rates are back to normal" in await past.inner_text()
    assert (await page.locator(component_state("API")).inner_text()) == "Operational"


async def test_status_page_loads_without_console_errors_or_csp_violations(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    ctx = await browser.new_context(base_url=public_bot.url)
    await ctx.add_init_script(REPORT_CSP_VIOLATIONS)
    page = await ctx.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text} at {m.location['url']}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"requestfailed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    await page.goto("/status")
    await page.wait_for_load_state("networkidle")
    stylesheet = await page.evaluate(
        "getComputedStyle(document.querySelector('.banner')).backgroundColor"
    )

    assert problems == []
    assert stylesheet == "rgb(188, 76, 0)"  # the stylesheet applied: partial outage orange


async def test_status_page_shows_html_in_public_name_as_literal_text(
    public_bot: Bot, browser: Browser
) -> None:
    name = "public-name <img src=x onerror=alert(1)> <b>bold</b>"
    await run_incident(public_bot, public_name=name)
    ctx = await browser.new_context(base_url=public_bot.url)
    page = await ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto("/status")
    await page.wait_for_load_state("networkidle")

    heading = page.get_by_role("heading", name="public-name")
    assert await heading.count() == 1
    text = await heading.inner_text()
    assert "<img src=x onerror=alert(1)>" in text
    assert "<b>bold</b>" in text
    assert await page.locator("img").count() == 0
    assert await page.locator("main b").count() == 0
    assert dialogs == []


async def test_status_page_at_375px_does_not_overflow_and_wraps_long_name(
    public_bot: Bot, browser: Browser, tmp_path: Path
) -> None:
    long_name = "x" * 300
    await run_incident(public_bot, public_name=long_name)
    page = await open_status(
        browser,
        public_bot,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )

    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375
    heading = page.get_by_role("heading", name=long_name)
    box = await heading.bounding_box()
    assert box is not None
    line_height = await heading.evaluate("h => parseFloat(getComputedStyle(h).lineHeight)")
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    assert box["height"] >= 3 * line_height  # 300 characters take several lines at 375 px
    for locator in (page.locator("main *"), page.locator("header *"), page.locator("footer *")):
        widest = await locator.evaluate_all(
            "els => Math.max(0, ...els.map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 375

    shot = tmp_path / "status-375.png"
    png = await page.screenshot(path=shot, full_page=True)
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000
    assert await asyncio.to_thread(shot.read_bytes) == png
    await asyncio.to_thread(SCREENSHOT_COPY.write_bytes, png)


async def test_status_page_without_javascript_shows_banner_components_incident(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    page = await open_status(browser, public_bot, java_script_enabled=False)

    assert (await page.get_by_role("status").inner_text()).strip() == "Partial outage: API"
    assert await page.get_by_role("heading", name=PUBLIC_NAME).is_visible()
    assert await page.get_by_text(MONITORING).is_visible()
    assert (await page.locator(component_state("API")).inner_text()) == "Partial outage"
    assert (await page.locator(component_state("Sora")).inner_text()) == "Operational"


async def test_status_page_structure_has_landmarks_and_labelled_bars(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    page = await open_status(browser, public_bot)

    assert await page.get_by_role("heading", level=1).count() == 1
    assert await page.get_by_role("heading", level=1).inner_text() == "Example Status"
    assert await page.get_by_role("main").count() == 1
    assert await page.get_by_role("banner").count() == 1
    assert await page.get_by_role("contentinfo").count() == 1
    bars = page.get_by_role("img")
    assert await bars.count() == len(COMPONENTS)
    labels = [await bar.get_attribute("aria-label") or "" for bar in await bars.all()]
    for component, label in zip(COMPONENTS, labels, strict=True):
        assert label.startswith(f"{component}: ")
        assert "% uptime" in label
    assert await page.get_attribute("html", "lang") == "en"
    assert (await page.title()) == "Example Status"


async def test_summary_json_from_page_origin_matches_banner(
    public_bot: Bot, browser: Browser
) -> None:
    await run_incident(public_bot)
    page = await open_status(browser, public_bot)

    response = await page.request.get("/api/v2/summary.json")
    assert response.ok
    summary = await response.json()
    banner = page.get_by_role("status")
    assert summary["status"]["indicator"] == "major"
    assert summary["status"]["description"] == (await banner.inner_text()).strip()
    assert f"impact-{summary['status']['indicator']}" in (await banner.get_attribute("class") or "")
