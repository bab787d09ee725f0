"""The server killed (-9) at several points of an incident, or stopped with SIGTERM: after a
restart every owed delivery is made exactly once."""

from __future__ import annotations

import signal
import time

import pytest

from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.checks import (
    assert_delivered_once,
    headlines,
    incident_channels,
)
from tests.reliability.process import FixedSlack, FixedStatuspage, Server, ServerFactory
from tests.reliability.steps import (
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


async def test_server_killed_before_channel_exists_opens_it_once_after_restart(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    slack.delay("conversations.create", 2.0)
    number = declared_number(await server.command(ALICE, GENERAL, "declare sev1 Login is down"))
    assert number == 1
    await wait_until(lambda: any(m == "conversations.create" for m, _ in slack.calls), 10)
    assert incident_channels(slack, 1) == []  # Slack has not answered yet
    server.kill9()

    await server.start()
    await settle(store)

    [channel] = incident_channels(slack, 1)
    assert ALICE in slack.channels[channel].members
    assert len(slack.pins[channel]) == 1
    assert sum("INC-1" in m.text for m in headlines(slack)) == 1
    assert (await store.incident(1)).channel_id == channel
    await assert_delivered_once(slack, statuspage, store)


async def test_server_killed_during_slack_outage_posts_each_update_once_after_restart(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Search is slow"))
    channel = await channel_of(store, 1)
    await settle(store)
    slack.http_error("chat.postMessage", status=503, times=10_000)
    steps = [f"outage step {n}" for n in range(1, 6)]
    for step in steps:
        await update(server, channel, step)
    await wait_until(lambda: attempted(store, "entry.post"), 10, "a post was tried")
    assert occurrences(slack, channel, "outage step") == 0
    server.kill9()

    await server.start()
    slack.clear_faults()
    await settle(store)

    assert_in_order_once(slack, channel, steps)
    entries = [e.text for e in await store.timeline() if e.kind == "update"]
    assert entries == steps
    await assert_delivered_once(slack, statuspage, store)


async def test_server_killed_while_statuspage_creates_incident_publishes_it_once(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev1 Uploads fail"))
    channel = await channel_of(store, 1)
    await settle(store)
    statuspage.delay(2.0, method="POST", path="/incidents")
    reply = await server.command(BOB, channel, "status identified Uploads fail for some users")
    assert reply.status == 200, reply.body
    await wait_until(
        lambda: any(m == "POST" and p.endswith("/incidents") for m, p, _ in statuspage.requests),
        10,
        "Statuspage was asked to create the incident",
    )
    assert statuspage.incidents == {}  # still in flight
    server.kill9()

    await server.start()
    await settle(store)
    reply = await server.command(BOB, channel, "status monitoring A fix is rolling out")
    assert reply.status == 200, reply.body
    await settle(store)

    [remote] = statuspage.incidents.values()
    bodies = [u["body"] for u in reversed(remote["incident_updates"])]
    assert bodies == ["Uploads fail for some users", "A fix is rolling out"]
    # Each status message is edited to say where it went, once Statuspage confirmed it.
    assert occurrences(slack, channel, "Atlassian Statuspage (http") == 2
    await assert_delivered_once(slack, statuspage, store)


LIFECYCLE = [
    (ALICE, "role commander me"),
    (BOB, "update Investigating the payment gateway"),
    (ALICE, "status identified Payments fail for some customers"),
    (BOB, "impact API partial"),
    (ALICE, "severity sev1"),
    (BOB, "update Rolled back release 42"),
    (ALICE, "public-name Payment problems"),
    (ALICE, "status monitoring A fix is deployed and we are watching"),
    (ALICE, "role comms <@U0CAROL|carol>"),
    (CAROL, "update Error rate back to normal"),
    (ALICE, "resolve Payments work normally again"),
]


async def test_server_killed_three_times_in_lifecycle_loses_and_doubles_nothing(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Payments time out"))
    channel = await channel_of(store, 1)
    for n, (user, text) in enumerate(LIFECYCLE, start=2):
        reply = await server.command(user, channel, text)
        assert reply.status == 200, reply.body
        assert "INC-1" in reply.text, reply.text
        assert ":warning:" not in reply.text, reply.text
        if n in (3, 7, 10):
            server.kill9()
            await server.start()
    await settle(store)

    incident = await store.incident(1)
    assert incident.status == "resolved"
    kinds = [e.kind for e in await store.timeline(incident.id)]
    assert kinds == [
        "declared",
        "role",
        "update",
        "status",
        "impact",
        "severity",
        "update",
        "public_name",
        "status",
        "role",
        "update",
        "resolved",
    ]
    for text in (
        "Investigating the payment gateway",
        "Rolled back release 42",
        "Error rate back to normal",
        "Payments fail for some customers",
        "A fix is deployed and we are watching",
        "Payments work normally again",
    ):
        assert occurrences(slack, channel, text) == 1, text
    [remote] = statuspage.incidents.values()
    assert remote["name"] == "Payment problems"
    assert remote["status"] == "resolved"
    assert [u["body"] for u in reversed(remote["incident_updates"])] == [
        "Payments fail for some customers",
        "A fix is deployed and we are watching",  # the component change rode with it
        "Payments work normally again",
    ]
    assert {ALICE, CAROL} <= slack.channels[channel].members
    await assert_delivered_once(slack, statuspage, store)


async def test_server_terminated_with_pending_posts_exits_cleanly_and_posts_them_once(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Exports are stuck"))
    channel = await channel_of(store, 1)
    await settle(store)
    slack.delay("chat.postMessage", 0.5, times=10_000)
    steps = [f"shutdown step {n:02d}" for n in range(1, 11)]
    for step in steps:
        await update(server, channel, step)
    await wait_until(lambda: _posting(slack), 10, "a delayed post is under way")

    started = time.monotonic()
    code = await server.term(limit=20.0)
    assert code == 0, server.stderr()[-3000:]
    assert time.monotonic() - started < 15.0
    assert len(await store.unsettled()) > 0  # some were still owed: the test means something

    slack.clear_faults()
    await server.start()
    await settle(store)
    assert_in_order_once(slack, channel, steps)
    await assert_delivered_once(slack, statuspage, store)


def _posting(slack: FixedSlack) -> bool:
    return any(m == "chat.postMessage" and "shutdown step" in str(p) for m, p in slack.calls)


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
async def test_serve_starts_without_warnings_and_stops_cleanly_on_ctrl_c(
    make_server: ServerFactory, slack: FixedSlack, socket_mode: bool
) -> None:
    env = {"SLACK_APP_TOKEN": slack.app_token} if socket_mode else {}
    server = make_server(env=env)
    await server.start()
    if socket_mode:
        await wait_until(lambda: slack.socket_connected, 10, "the socket connected")
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)
    await wait_until(lambda: not server.running, 20, "the server stopped")
    log = server.stderr()
    for noise in ("Traceback", "Unclosed client session", "`token` will be unused"):
        assert noise not in log, log[-2000:]
