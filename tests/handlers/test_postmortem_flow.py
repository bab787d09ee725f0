"""Post-mortem over HTTP: milestones, actions, the draft in the channel, and who may read it."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.config import Secret
from bot.slack import ids
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, GENERAL, Bot, bot_settings, start_bot
from tests.handlers.forms import opened_view
from tests.support import manifest_scopes

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin-token-0123456789"


@pytest.fixture
async def pm_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        admin_token=Secret(ADMIN),
        status_components=("API", "Checkout"),
        display_timezone="America/New_York",
    )
    bot = await start_bot(settings, emulator, http)
    yield bot
    await bot.stop()


def drafts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the contents of the post-mortem files posted in the channel, oldest first."""
    names = [
        f["id"]
        for m in slack.history(channel)
        for f in m.files
        if f["name"].endswith("-postmortem.md")
    ]
    return [slack.files[i]["content"].decode() for i in names]


async def run(bot: Bot, channel: str, *commands: tuple[str, str]) -> None:
    for user, text in commands:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, (text, reply.text)
    await bot.settle()


async def test_resolve_posts_draft_with_roles_durations_comms_and_timeline(pm_bot: Bot) -> None:
    channel = await pm_bot.declare("declare sev1 Checkout 500s for <@U0BOB|bob>'s team")
    await run(
        pm_bot,
        channel,
        (ALICE, "role commander me"),
        (ALICE, "role commander <@U0BOB|bob>"),
        (BOB, "milestone started -40m"),
        (BOB, "impact Checkout major"),
        (BOB, "status identified Config push broke checkout"),
        (BOB, "update internal: rolled back 4512"),
        (BOB, "status monitoring Fixed, watching"),
        (ALICE, "action Alert on checkout 5xx <@U0BOB|bob>"),
        (ALICE, "resolve All good"),
    )
    [draft] = drafts(pm_bot.slack, channel)
    assert draft.startswith("# INC-1: Checkout 500s for Bob Okafor's team")
    assert "| Incident | INC-1, SEV1, resolved |" in draft
    assert "| Post-mortem owner | Bob Okafor (the commander) |" in draft
    assert "| Document status | Draft |" in draft
    assert "| Times | UTC; in brackets, America/New_York |" in draft
    assert f"(https://slack.com/app_redirect?channel={channel})" in draft
    assert re.search(r"\| Status page \| <http://localhost:\d+/incidents/[a-z0-9]{12}> \|", draft)
    assert "- **Incident commander**: Alice Ng, from" in draft
    assert "- **Incident commander**: Bob Okafor, from" in draft
    assert "| Time to detect | 40m |" in draft
    assert "Affected components (worst state): Checkout (major outage)." in draft
    assert "**identified**: Config push broke checkout" in draft
    assert "Bob Okafor posted an update: internal: rolled back 4512" in draft
    assert "| 1 | Alert on checkout 5xx | Bob Okafor | — | — | open | — |" in draft
    assert "EST)" in draft  # the display zone, next to UTC
    assert "**Impact started**" in draft  # the story starts at the corrected impact start
    for section in ("Summary", "Detection", "Lessons learned", "Action items", "Timeline"):
        assert f"## {section}" in draft
    assert "U0BOB" not in draft
    assert "U0ALICE" not in draft
    note = [
        m.text for m in pm_bot.slack.history(channel) if "Post-mortem draft for INC-1" in m.text
    ]
    assert "impact 40m" in note[0]


async def test_milestone_in_callers_time_zone_and_out_of_order_refused(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    summary = await pm_bot.command(ALICE, channel, "summary")
    assert "Time to detect: 0s" in summary.text
    late = await pm_bot.command(ALICE, channel, "milestone detected 2999-01-01 10:00")
    assert "Detected can't be in the future." in late.text
    before = await pm_bot.command(ALICE, channel, "milestone started -10m")
    assert "Impact started set to" in before.text
    wrong = await pm_bot.command(ALICE, channel, "milestone detected -20m")
    assert "Detected" in wrong.text
    assert "can't be before impact started" in wrong.text
    unreadable = await pm_bot.command(ALICE, channel, "milestone started at noon")
    assert "I can't read `at noon` as a time." in unreadable.text
    not_yet = await pm_bot.command(ALICE, channel, "milestone resolved -1m")
    assert "The incident is not resolved yet" in not_yet.text


async def test_milestone_across_daylight_saving_says_which_time_it_took(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    # 2026-11-01 08:00 UTC is 03:00 EST in New York (Alice's zone), after 01:xx happened twice.
    fixed = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    bot = await start_bot(bot_settings(emulator, database_url), emulator, http, clock=lambda: fixed)
    try:
        channel = await bot.declare()
        twice = await bot.command(ALICE, channel, "milestone started 01:30")
        assert "Impact started set to <!date^1793511000^" in twice.text  # 05:30 UTC
        assert (
            "01:30 happened twice on 2026-11-01 in America/New_York; I took the first "
            "(01:30 EDT, 05:30 UTC). For the second, type `2026-11-01T01:30-05:00`."
        ) in twice.text
        skipped = await bot.command(ALICE, channel, "milestone started 2026-03-08 02:30")
        assert (
            "02:30 did not exist on 2026-03-08 in America/New_York: "
            "clocks went from 02:00 to 03:00."
        ) in skipped.text
        assert "`2026-03-08T07:30Z`" in skipped.text
    finally:
        await bot.stop()


async def test_actions_listed_completed_and_refused_clearly(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    await run(
        pm_bot,
        channel,
        (ALICE, "action Add a canary <@U0BOB|bob>"),
        (BOB, "action Write the runbook"),
    )
    listed = await pm_bot.command(BOB, channel, "actions")
    assert "1. Add a canary (<@U0BOB>)" in listed.text
    assert "2. Write the runbook" in listed.text
    done = await pm_bot.command(BOB, channel, "action done 2")
    assert done.text == "Action 2 of INC-1 is done."
    again = await pm_bot.command(BOB, channel, "action done 2")
    assert "Action 2 is already done." in again.text
    missing = await pm_bot.command(BOB, channel, "action done 9")
    assert "INC-1 has no action 9." in missing.text


async def test_postmortem_rerendered_after_close_with_later_actions(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    await run(pm_bot, channel, (ALICE, "resolve"))
    await run(pm_bot, channel, (BOB, "action Add capacity alarms"), (BOB, "postmortem"))
    first, second = drafts(pm_bot.slack, channel)
    assert "Add capacity alarms" not in first
    assert "| 1 | Add capacity alarms | no owner | — | — | open | — |" in second


async def test_draft_survives_slack_failing_during_upload(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    pm_bot.slack.http_error("files.completeUploadExternal", status=503, times=2)
    pm_bot.slack.rate_limit("files.getUploadURLExternal", retry_after=1, times=1)
    await run(pm_bot, channel, (ALICE, "resolve Done"))
    assert len(drafts(pm_bot.slack, channel)) == 1


async def test_admin_endpoint_needs_the_bearer_token(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    await run(pm_bot, channel, (BOB, "update found it"))
    url = f"{pm_bot.url}/incidents/1/postmortem.md"
    async with pm_bot.http.get(url) as anonymous:
        assert anonymous.status == 401
    async with pm_bot.http.get(url, headers={"Authorization": "Bearer wrong"}) as wrong:
        assert wrong.status == 401
    good = {"Authorization": f"Bearer {ADMIN}"}
    async with pm_bot.http.get(url, headers=good) as ok:
        assert ok.status == 200
        assert "update: found it" in await ok.text()
    async with pm_bot.http.get(f"{pm_bot.url}/incidents/99/postmortem.md", headers=good) as gone:
        assert gone.status == 404


async def test_admin_endpoint_is_absent_without_admin_token(bot: Bot) -> None:
    await bot.declare()
    async with bot.http.get(
        f"{bot.url}/incidents/1/postmortem.md", headers={"Authorization": "Bearer anything"}
    ) as response:
        assert response.status == 404


async def test_publish_form_puts_summary_on_status_page(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    await run(pm_bot, channel, (BOB, "impact API partial"), (BOB, "status identified Found it"))
    early = await pm_bot.command(ALICE, channel, "postmortem publish")
    assert early.status == 200
    await pm_bot.settle()
    assert any("once the incident is resolved" in r["text"] for r in pm_bot.slack.responses)
    await run(pm_bot, channel, (ALICE, "resolve Fixed"))
    await pm_bot.command(ALICE, channel, "postmortem publish")
    view = await opened_view(pm_bot)
    prefilled = view["blocks"][1]["element"]["initial_value"]
    assert prefilled.startswith("What happened:")
    text = "On Nov 25 checkout failed for 20 minutes <b>because</b> of a bad config."
    values = {ids.SUMMARY_BLOCK: {ids.SUMMARY_ACTION: {"type": "plain_text_input", "value": text}}}
    reply = await pm_bot.driver.view_submission(user_id=ALICE, view=view, values=values)
    assert reply.status == 200
    await pm_bot.settle()
    async with pm_bot.http.get(f"{pm_bot.url}/api/v2/incidents.json") as response:
        [incident] = (await response.json())["incidents"]
    assert incident["postmortem_body"] == text
    # On the incident's own page, the link support pastes.
    async with pm_bot.http.get(f"{pm_bot.url}/incidents/{incident['id']}") as response:
        page = await response.text()
    assert "Post-incident summary" in page
    assert "&lt;b&gt;because&lt;/b&gt;" in page
    timeline = await pm_bot.command(ALICE, channel, "timeline")
    assert "published the public post-incident summary" in timeline.text


async def test_cli_prints_the_draft(pm_bot: Bot, tmp_path: Path) -> None:
    channel = await pm_bot.declare()
    await run(pm_bot, channel, (ALICE, "resolve"))
    url = pm_bot.settings.database_url.reveal()
    out = tmp_path / "pm.md"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": "s",
        "DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "postmortem", "INC-1", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("# INC-1: Checkout API failing")
    missing = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "postmortem", "INC-42"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode != 0
    assert "there is no INC-42" in missing.stderr
    assert GENERAL


async def test_canvas_gets_the_draft_when_enabled(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    bot = await start_bot(
        bot_settings(emulator, database_url, postmortem_canvas=True), emulator, http
    )
    try:
        channel = await bot.declare()
        await run(bot, channel, (ALICE, "resolve"))
        await run(bot, channel, (ALICE, "postmortem"))  # a second draft: the canvas exists
        assert emulator.canvases[channel].startswith("# INC-1: Checkout API failing")
        assert len(drafts(emulator, channel)) == 2
    finally:
        await bot.stop()


def canvas_notes(slack: SlackEmulator, channel: str) -> list[str]:
    """Return what the bot said in the channel about the canvas or the draft failing."""
    return [
        m.text
        for m in slack.history(channel)
        if m.user == slack.bot_user_id and m.text.startswith(":warning:")
    ]


async def outbox_retry(bot: Bot) -> None:
    """Run `warroom outbox retry` as an operator would, then let the bot deliver."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": "s",
        "DATABASE_URL": bot.settings.database_url.reveal(),
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "outbox", "retry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    await bot.settle()


async def test_canvas_refused_for_its_scope_leaves_the_draft_posted_once(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    emulator.scopes = manifest_scopes() - {"canvases:write"}
    bot = await start_bot(
        bot_settings(emulator, database_url, postmortem_canvas=True), emulator, http
    )
    try:
        channel = await bot.declare()
        await run(bot, channel, (ALICE, "resolve"))
        assert len(drafts(emulator, channel)) == 1
        assert emulator.canvases == {}
        [note] = canvas_notes(emulator, channel)  # said once, and why; the draft stands
        assert "could not make the post-mortem canvas for INC-1" in note
        assert "`missing_scope (needed: canvases:write)`" in note
        assert "the draft file is posted all the same" in note
        await outbox_retry(bot)  # the canvas is tried again: never the file
        assert len(drafts(emulator, channel)) == 1
        assert len(canvas_notes(emulator, channel)) == 2
        emulator.scopes = manifest_scopes()  # the scope granted (the app reinstalled)
        await outbox_retry(bot)
        assert emulator.canvases[channel].startswith("# INC-1: Checkout API failing")
        assert len(drafts(emulator, channel)) == 1
        assert len(canvas_notes(emulator, channel)) == 2
    finally:
        await bot.stop()


async def test_canvas_retried_by_the_relay_never_posts_the_draft_again(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    bot = await start_bot(
        bot_settings(emulator, database_url, postmortem_canvas=True), emulator, http
    )
    try:
        channel = await bot.declare()
        emulator.http_error("conversations.canvases.create", status=503, times=2)
        await run(bot, channel, (ALICE, "resolve"))
        assert emulator.canvases[channel].startswith("# INC-1: Checkout API failing")
        tries = [m for m, _ in emulator.calls if m == "conversations.canvases.create"]
        assert len(tries) == 3
        assert len(drafts(emulator, channel)) == 1
        assert canvas_notes(emulator, channel) == []
    finally:
        await bot.stop()


async def test_draft_whose_answer_was_lost_is_not_posted_twice(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    # The retry comes after the slow upload has landed (0.5 s timeout + at least 1 s backoff).
    settings = bot_settings(
        emulator, database_url, slack_timeout=0.5, outbox_retry_base=2.0, postmortem_canvas=True
    )
    bot = await start_bot(settings, emulator, http)
    try:
        channel = await bot.declare()
        emulator.delay("files.completeUploadExternal", 1.0)  # shared, its answer lost
        await run(bot, channel, (ALICE, "resolve"))
        uploads = [m for m, _ in emulator.calls if m == "files.completeUploadExternal"]
        assert len(uploads) == 1
        assert len(drafts(emulator, channel)) == 1
        assert emulator.canvases[channel].startswith("# INC-1: Checkout API failing")
        await run(bot, channel, (ALICE, "postmortem"))  # asked for again: a fresh one
        assert len(drafts(emulator, channel)) == 2
    finally:
        await bot.stop()


async def test_postmortem_owner_status_and_review_date_head_the_draft(pm_bot: Bot) -> None:
    channel = await pm_bot.declare()
    await run(pm_bot, channel, (ALICE, "role commander me"), (ALICE, "resolve Fixed"))
    await run(
        pm_bot,
        channel,
        (ALICE, "postmortem owner <@U0BOB|bob>"),
        (BOB, "postmortem status review"),
        (BOB, "postmortem review 2026-12-03"),
        (BOB, "postmortem"),
    )
    draft = drafts(pm_bot.slack, channel)[-1]
    assert "| Post-mortem owner | Bob Okafor |" in draft
    assert "| Document status | Review |" in draft
    assert "| Review | 2026-12-03 |" in draft
    record = draft.split("## Record changes")[1].split("## Roles")[0]
    assert "Alice Ng made Bob Okafor the post-mortem owner" in record
    assert "Bob Okafor set the post-mortem review for Thursday, December 03, 2026" in record
    posted = [m.text for m in pm_bot.slack.history(channel)]
    assert f":memo: <@{BOB}> set the post-mortem's status to review" in posted
    bad = await pm_bot.command(BOB, channel, "postmortem review next tuesday")
    assert "`next tuesday` is not a date." in bad.text
    assert "YYYY-MM-DD" in bad.text
    wrong = await pm_bot.command(BOB, channel, "postmortem status done")
    assert "`status done` is not a post-mortem command." in wrong.text


async def test_publish_form_draft_has_no_internal_text(pm_bot: Bot) -> None:
    channel = await pm_bot.declare("declare sev1 Shard 7 corrupt on db-prod-3")
    await run(
        pm_bot,
        channel,
        (ALICE, "public-name Checkout errors"),
        (BOB, "update restoring shard 7 from the db-prod-3 snapshot"),
        (BOB, "impact Checkout major"),
        (BOB, "status identified We found the cause of the checkout errors"),
        (ALICE, "action Move shard 7 off db-prod-3"),
        (ALICE, "action Alert sooner on checkout errors"),
        (ALICE, "action 2 public"),
        (ALICE, "resolve Checkout works again"),
    )
    await pm_bot.command(ALICE, channel, "postmortem publish")
    view = await opened_view(pm_bot)
    prefilled = view["blocks"][1]["element"]["initial_value"]
    assert "Checkout errors occurred on" in prefilled
    assert "affecting Checkout (major outage)" in prefilled
    assert "we identified the cause." in prefilled
    assert prefilled.endswith("Preventive measures:\n- Alert sooner on checkout errors")
    for internal in ("shard", "db-prod-3", "snapshot", "Move"):
        assert internal not in prefilled
