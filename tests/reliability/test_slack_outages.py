"""Slack unreachable, slower than the bot's timeouts, or the channel archived: acks stay fast,
each post is shown once, and failures are reported to people."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.checks import assert_delivered_once
from tests.reliability.process import FixedSlack, FixedStatuspage, Server, ServerFactory
from tests.reliability.steps import (
    SETTLE,
    assert_in_order_once,
    attempted,
    channel_of,
    declared_number,
    occurrences,
    settle,
    update,
)
from tests.reliability.store import Store
from tests.support import wait_until


async def test_slack_connection_refused_acks_then_posts_each_update_once(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Webhooks are late"))
    channel = await channel_of(store, 1)
    await settle(store)
    await slack.stop()
    steps = [f"refused step {n}" for n in range(1, 6)]
    for step in steps:
        await update(server, channel, step)
    await wait_until(lambda: attempted(store, "entry.post"), 10, "a post was tried")
    await slack.up()
    await settle(store)

    assert_in_order_once(slack, channel, steps)
    await assert_delivered_once(slack, statuspage, store)


async def test_slack_slower_than_client_timeout_shows_message_once(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev3 Avatars are blurry"))
    channel = await channel_of(store, 1)
    await settle(store)
    slack.delay("chat.postMessage", 2.0, times=1)  # SLACK_TIMEOUT is 1 s
    await update(server, channel, "the slow post")
    await wait_until(lambda: attempted(store, "entry.post"), 10, "the post timed out")
    await settle(store)

    def posts() -> list[dict[str, object]]:
        return [p for m, p in slack.calls if m == "chat.postMessage" and "the slow post" in str(p)]

    # Slack sits on the first post and shows it only later: wait until every post Slack was
    # sent (each is recorded as it arrives) is shown, to see whether one was doubled.
    await wait_until(
        lambda: occurrences(slack, channel, "the slow post") >= len(posts()),
        10,
        "every post Slack received is shown",
    )
    assert occurrences(slack, channel, "the slow post") == 1
    lookups = [p for m, p in slack.calls if m == "conversations.history"]
    assert len(posts()) == 1  # the retry found the first post by its stamp
    assert len(lookups) >= 1
    [row] = [r for r in await store.outbox() if r.kind == "entry.post"]
    assert row.attempts == 2
    await assert_delivered_once(slack, statuspage, store)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # Slack-side only
async def test_slack_call_slower_than_slack_timeout_is_cut_at_slack_timeout(
    make_server: ServerFactory, slack: FixedSlack, store: Store
) -> None:
    # A long lease, so only SLACK_TIMEOUT (1 s) can cut the 3 s post short, not the relay.
    server = make_server(env={"SLACK_TIMEOUT": "1", "OUTBOX_LEASE": "20"})
    await server.start()
    declared_number(await server.command(ALICE, GENERAL, "declare sev3 Slack hangs"))
    channel = await channel_of(store, 1)
    await settle(store)
    slack.delay("chat.postMessage", 3.0, times=1)
    started = time.monotonic()
    await update(server, channel, "a post Slack sits on")
    await wait_until(lambda: occurrences(slack, channel, "a post Slack sits on") >= 1, 20)
    await settle(store)

    [row] = [r for r in await store.outbox() if r.kind == "entry.post"]
    took = time.monotonic() - started
    assert row.attempts == 2, f"delivered on try {row.attempts}, {took:.1f}s after the update"
    timed_out = "Slack unreachable: TimeoutError" in server.stderr()
    assert timed_out, "the first try was not cut at SLACK_TIMEOUT"


async def test_archived_channel_update_is_quoted_to_declarer_and_others_still_served(
    server: Server, slack: FixedSlack, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Billing broke"))
    declared_number(await server.command(BOB, GENERAL, "declare sev2 Mail bounces"))
    first, second = await channel_of(store, 1), await channel_of(store, 2)
    await settle(store)
    slack.channels[first].is_archived = True

    await update(server, first, "written after the archive", user=CAROL)

    def told_alice() -> bool:
        return any(
            slack.channels[m.channel].is_im
            and ALICE in slack.channels[m.channel].members
            and "INC-1" in m.text
            and "so I could not post these there" in m.text
            and "written after the archive" in m.text
            and "warroom outbox retry" not in m.text  # no retry can succeed: none is offered
            for m in slack.messages
        )

    await wait_until(told_alice, 20, "the declarer was told by DM")
    await update(server, second, "mail queue drained")
    await wait_until(lambda: occurrences(slack, second, "mail queue drained") == 1, 20)
    assert server.running
    assert await server.healthy()
    assert occurrences(slack, first, "written after the archive") == 0

    await wait_until(store.nothing_pending, SETTLE, "only dead rows are left")
    dead = {(r.incident_id, r.kind, r.last_error) for r in await store.unsettled()}
    incident = await store.incident(1)
    assert dead == {
        (incident.id, "entry.post", "is_archived"),
        (incident.id, "summary.refresh", "is_archived"),
    }
