"""Text is data: Slack markup in titles never notifies anyone, and public pages escape it."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import ALICE, ANNOUNCE, BOB, GENERAL, Bot
from tests.handlers.forms import opened_view, values
from tests.reliability.checks import headlines, incident_channels
from tests.reliability.hostile.requests import (
    BROADCAST,
    HOSTILE,
    SPECIAL,
    markup,
    specials_posted,
)
from tests.reliability.steps import DECLARING
from tests.reliability.store import Store
from tests.support import wait_until


async def declare_by_form(bot: Bot, title: str, description: str) -> str:
    """Declare through the modal as ALICE and return the incident channel once it exists."""
    reply = await bot.command(ALICE, GENERAL, "")
    assert (reply.status, reply.body) == (200, "")
    view = await opened_view(bot)
    submitted = await bot.driver.view_submission(
        user_id=ALICE, view=view, values=values(title, "sev2", description)
    )
    assert (submitted.status, submitted.body) == (200, "")
    await wait_until(lambda: bool(incident_channels(bot.slack, 1)), 10, "INC-1 has a channel")
    await bot.settle()
    return bot.incident_channel(1)


async def public_documents(bot: Bot) -> dict[str, str]:
    """Return every public status document by path."""
    paths = [
        "/status",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/history.atom",
        "/history.rss",
    ]
    documents = {}
    for path in paths:
        async with bot.http.get(bot.url + path) as response:
            assert response.status == 200, path
            documents[path] = await response.text()
    return documents


@pytest.mark.parametrize("surface", ["slash-command", "declare-form"])
async def test_title_with_broadcasts_never_notifies_and_is_escaped_on_public_pages(
    bot: Bot, store: Store, surface: str
) -> None:
    if surface == "declare-form":  # modal input is not escaped by Slack
        channel = await declare_by_form(bot, HOSTILE, f"First look: {HOSTILE}")
    else:
        channel = await bot.declare(f"declare sev2 {HOSTILE}")
    replies = [await bot.command(ALICE, channel, f"update {HOSTILE}")]
    replies.append(await bot.command(ALICE, channel, f"status identified {HOSTILE}"))
    await bot.settle()
    replies += [await bot.command(ALICE, channel, t) for t in ("summary", "timeline", "actions")]
    replies.append(await bot.command(BOB, GENERAL, "list"))
    documents = await public_documents(bot)
    replies.append(await bot.command(ALICE, channel, f"resolve {HOSTILE}"))
    await bot.settle()

    [incident] = await store.incidents()
    assert incident.title == HOSTILE  # kept exactly: text is data
    assert [r.status for r in replies] == [200] * len(replies)
    assert [r.text for r in replies if SPECIAL.search(r.text)] == []
    assert specials_posted(bot.slack) == []
    announcements = bot.slack.history(ANNOUNCE)
    assert announcements
    assert any("Checkout down" in m.text for m in announcements)
    [pinned] = bot.slack.pins[channel]
    summary = next(m for m in bot.slack.history(channel) if m.ts == pinned)
    assert "Checkout down" in summary.text
    assert not [t for t in markup(summary) if SPECIAL.search(t)]
    assert bot.slack.channels[channel].topic == "SEV2 | resolved | Incident commander: unassigned"
    drafts = [f for f in bot.slack.files.values() if f["channel"] == channel]
    assert len(drafts) == 1
    draft = drafts[0]["content"].decode()
    assert "Checkout down" in draft
    assert BROADCAST.findall(draft) == []
    for path, document in documents.items():
        assert "Checkout down" in document, path
        assert BROADCAST.findall(document) == [], path
        if path.endswith(".json"):  # JSON carries the plain text; parsing gives it back
            assert "<<!x>!channel> end" in json.dumps(json.loads(document)), path
        else:  # markup: the typed brackets are escaped, not interpreted
            assert "<<" not in document, path
            assert "&lt;&lt;!x&gt;!channel&gt;" in document, path
    ET.fromstring(documents["/history.atom"])
    ET.fromstring(documents["/history.rss"])


LONG_TITLES = {
    "4000-characters": ("Database cluster failover loop " * 134)[:4000],
    "4000-letters": "x" * 4000,
    "emoji-only": "🔥🚒💥🧯" * 10,
    "cjk-only": "支付服务故障数据库连接超时",
    "rtl-only": "خدمة الدفع متوقفة",
    "combining-marks": "Z\u0335\u0321a\u0337l\u0338g\u0336o\u0335 " * 20,
    "punctuation-only": "-_.!?" * 800,
    "zero-width": "\u200b\u200d\ufeff" * 100 + "db",
}


async def test_declare_extreme_titles_give_valid_channel_names_and_topics(
    bot: Bot, store: Store
) -> None:
    channels = {}
    for name, title in LONG_TITLES.items():
        reply = await bot.command(ALICE, GENERAL, f"declare sev3 {title}")
        assert DECLARING.search(reply.text), (name, reply.text)
        await bot.settle()
        channels[name] = bot.incident_channel(len(channels) + 1)

    assert [i.title for i in await store.incidents()] == [t.strip() for t in LONG_TITLES.values()]
    for name, channel in channels.items():
        found = bot.slack.channels[channel]
        assert re.fullmatch(r"[a-z0-9-]+", found.name), (name, found.name)
        assert len(found.name) <= 80, (name, found.name)
        assert 0 < len(found.topic) <= 250, (name, found.topic)
        assert len(bot.slack.pins[channel]) == 1, name  # the summary fitted Slack's limits
        assert ALICE in found.members, name
    assert len({c.name for c in map(bot.slack.channels.get, channels.values()) if c}) == len(
        LONG_TITLES
    )
    assert len(headlines(bot.slack)) == len(LONG_TITLES)
