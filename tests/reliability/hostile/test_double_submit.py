"""The same incident declared twice (sequentially, concurrently, or by one form sent twice)
opens one incident; different people or titles open one each."""

from __future__ import annotations

import asyncio

from tests.conftest import ALICE, BOB, GENERAL, Bot
from tests.handlers.forms import opened_view, values
from tests.reliability.checks import headlines, incident_channels
from tests.reliability.hostile.requests import created_channels
from tests.reliability.steps import DECLARING
from tests.reliability.store import Store


async def test_declare_same_person_same_title_twice_sequentially_opens_one(
    bot: Bot, store: Store
) -> None:
    first = await bot.command(ALICE, GENERAL, "declare sev2 Login is broken")
    await bot.settle()
    second = await bot.command(ALICE, GENERAL, "declare sev2 Login is broken")
    await bot.settle()
    channel = bot.incident_channel(1)

    assert first.text.startswith("Declaring *INC-1*"), first.text
    assert second.text.startswith("You declared *INC-1* with this title a moment ago")
    assert "didn't open another one" in second.text
    assert f"<#{channel}>" in second.text
    assert len(await store.incidents()) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(headlines(bot.slack)) == 1


async def test_declare_same_person_same_title_concurrently_opens_one(
    bot: Bot, store: Store
) -> None:
    replies = await asyncio.gather(
        *(bot.command(ALICE, GENERAL, "declare sev2 Login is broken") for _ in range(3))
    )
    await bot.settle()
    texts = sorted(r.text for r in replies)

    assert [t for t in texts if t.startswith("Declaring *INC-1*")] == texts[:1], texts
    assert all(t.startswith("You declared *INC-1* with this title") for t in texts[1:]), texts
    assert len(await store.incidents()) == 1
    assert len(incident_channels(bot.slack, 1)) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(headlines(bot.slack)) == 1


async def test_declare_different_people_or_titles_concurrently_opens_each(
    bot: Bot, store: Store
) -> None:
    replies = await asyncio.gather(
        bot.command(ALICE, GENERAL, "declare sev2 Login is broken"),
        bot.command(BOB, GENERAL, "declare sev2 Login is broken"),
        bot.command(ALICE, GENERAL, "declare sev2 Signup is broken"),
    )
    await bot.settle()

    assert all(DECLARING.search(r.text) for r in replies), [r.text for r in replies]
    incidents = await store.incidents()
    assert sorted((i.declared_by, i.title) for i in incidents) == [
        (ALICE, "Login is broken"),
        (ALICE, "Signup is broken"),
        (BOB, "Login is broken"),
    ]
    assert [i.number for i in incidents] == [1, 2, 3]
    assert len(created_channels(bot.slack)) == 3
    assert len(headlines(bot.slack)) == 3


async def test_declare_form_submitted_twice_with_same_view_opens_one(
    bot: Bot, store: Store
) -> None:
    await bot.command(ALICE, GENERAL, "")
    view = await opened_view(bot)
    form = values("Login is broken", "sev2", "SSO returns 500")
    replies = await asyncio.gather(
        bot.driver.view_submission(user_id=ALICE, view=view, values=form),
        bot.driver.view_submission(user_id=ALICE, view=view, values=form),
    )
    await bot.settle()  # both declares have run, and what they owe is delivered
    late = await bot.driver.view_submission(user_id=ALICE, view=view, values=form)
    await bot.settle()

    assert [(r.status, r.body) for r in [*replies, late]] == [(200, "")] * 3
    assert len(await store.incidents()) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(headlines(bot.slack)) == 1
    dms = [m.text for m in bot.slack.messages if m.channel.startswith("D")]
    assert not [t for t in dms if "something went wrong" in t], dms
