"""The real server as a process under crashes, signals, failing peers and a failing database.

Each scenario ends by reading the database and the emulators: what people see in Slack and on
Statuspage, and what warroom recorded, must agree, with nothing lost and nothing doubled.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import EmUser
from storage.db import async_url
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, PG_URL
from tests.reliability.conftest import (
    FixedSlack,
    FixedStatuspage,
    Server,
    ServerFactory,
    Store,
    assert_delivered_once,
    channel_texts,
    incident_channels,
    wait_until,
)

DECLARING = re.compile(r"Declaring \*INC-(\d+)\*")
SETTLE = 20.0


def declared_number(reply: DriverReply) -> int:
    """Return N from a `Declaring *INC-N*` ack."""
    assert reply.status == 200, reply.body
    found = DECLARING.search(reply.text)
    assert found, reply.text
    return int(found.group(1))


async def channel_of(store: Store, number: int, limit: float = 20.0) -> str:
    """Wait until INC-<number>'s channel is recorded and return its ID."""
    found: list[str] = []

    async def created() -> bool:
        incident = await store.incident(number)
        if incident.channel_id is not None:
            found.append(incident.channel_id)
        return bool(found)

    await wait_until(created, limit, f"INC-{number} has a channel")
    return found[0]


async def settle(store: Store, limit: float = SETTLE) -> None:
    """Wait until the outbox has nothing pending and nothing dead."""

    async def done() -> bool:
        return await store.settled()

    try:
        await wait_until(done, limit, "every outbox row delivered")
    except pytest.fail.Exception:
        rows = [(r.id, r.kind, r.status, r.attempts, r.last_error) for r in await store.unsettled()]
        pytest.fail(f"outbox not settled after {limit:g}s: {rows}")


async def attempted(store: Store, kind: str, count: int = 1) -> bool:
    """Return whether at least `count` rows of `kind` have been tried at least once."""
    rows = [r for r in await store.outbox() if r.kind == kind and r.attempts > 0]
    return len(rows) >= count


def occurrences(slack: FixedSlack, channel: str, text: str) -> int:
    """Return how many messages of a channel contain text."""
    return sum(text in t for t in channel_texts(slack, channel))


async def update(server: Server, channel: str, text: str, user: str = BOB) -> None:
    """Send `update <text>` and check the ack."""
    reply = await server.command(user, channel, f"update {text}")
    assert reply.status == 200, reply.body
    assert reply.text.startswith("Update recorded on INC-"), reply.text


def assert_in_order_once(slack: FixedSlack, channel: str, texts: list[str]) -> None:
    """Check each text is in exactly one message of the channel, in the given order."""
    shown = channel_texts(slack, channel)
    assert [sum(t in s for s in shown) for t in texts] == [1] * len(texts), shown
    where = [next(i for i, s in enumerate(shown) if t in s) for t in texts]
    assert where == sorted(where), shown


# ----- 1. kill -9 at several points of a lifecycle ------------------------------------------


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
    assert sum("INC-1" in t for t in channel_texts(slack, ANNOUNCE)) == 1
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
    assert occurrences(slack, channel, "Public update published on Atlassian Statuspage") == 2
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
        "API: Partial outage.",
        "A fix is deployed and we are watching",
        "Payments work normally again",
    ]
    assert {ALICE, CAROL} <= slack.channels[channel].members
    await assert_delivered_once(slack, statuspage, store)


# ----- 2. SIGTERM ---------------------------------------------------------------------------


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


# ----- 3. Slack unreachable, slow, or the channel archived ----------------------------------


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
    await asyncio.sleep(1.5)  # the slow request lands in the emulator only now

    assert occurrences(slack, channel, "the slow post") == 1
    posts = [p for m, p in slack.calls if m == "chat.postMessage" and "the slow post" in str(p)]
    lookups = [p for m, p in slack.calls if m == "conversations.history"]
    assert len(posts) == 1  # the retry found the first post by its stamp
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


async def test_archived_channel_update_is_reported_to_declarer_and_others_still_served(
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
            and "could not post a timeline entry" in m.text
            for m in slack.messages
        )

    await wait_until(told_alice, 20, "the declarer was told by DM")
    await update(server, second, "mail queue drained")
    await wait_until(lambda: occurrences(slack, second, "mail queue drained") == 1, 20)
    assert server.running
    assert await server.healthy()
    assert occurrences(slack, first, "written after the archive") == 0

    async def nothing_pending() -> bool:
        return all(r.status != "pending" for r in await store.outbox())

    await wait_until(nothing_pending, SETTLE, "only dead rows are left")
    dead = {(r.incident_id, r.kind, r.last_error) for r in await store.unsettled()}
    incident = await store.incident(1)
    assert dead == {
        (incident.id, "entry.post", "is_archived"),
        (incident.id, "summary.refresh", "is_archived"),
    }


# ----- 4. the database ----------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_concurrent_commands_all_acked_never_locked(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Everything at once"))
    channel = await channel_of(store, 1)
    users = [f"U0LOAD{n:02d}" for n in range(20)]
    for n, user in enumerate(users):
        slack.users[user] = EmUser(user, f"load{n}", f"Load Tester {n}")
        slack.channels[channel].members.add(user)
    commands = [
        (user, GENERAL, f"declare sev3 Parallel trouble {n}")
        if n % 2
        else (user, channel, f"update parallel note {n}")
        for n, user in enumerate(users)
    ]
    replies = await asyncio.gather(*(server.command(*c) for c in commands))

    assert [r.status for r in replies] == [200] * 20
    for (_, _, text), reply in zip(commands, replies, strict=True):
        expected = "Declaring *INC-" if text.startswith("declare") else "Update recorded on INC-1"
        assert expected in reply.text, (text, reply.text)
    await settle(store)
    numbers = sorted(i.number for i in await store.incidents())
    assert numbers == list(range(1, 12))
    notes = [e.text for e in await store.timeline() if e.kind == "update"]
    sent = [t.removeprefix("update ") for _, where, t in commands if where == channel]
    assert sorted(notes) == sorted(sent)
    logs = server.stderr() + server.stdout()
    assert "database is locked" not in logs
    await assert_delivered_once(slack, statuspage, store)


def _pg_ctl(action: str) -> None:
    [version] = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    args = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        args += ["-m", "fast"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


async def _pg_answers() -> bool:
    assert PG_URL is not None
    url = async_url(PG_URL).replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(url, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _declares_while_postgres_stops(server: Server, limit: int = 40) -> list[DriverReply]:
    """Stop PostgreSQL (fast) while declaring incidents one after another; return the acks."""
    stopping = asyncio.create_task(asyncio.to_thread(_pg_ctl, "stop"))
    replies: list[DriverReply] = []
    while not stopping.done() and len(replies) < limit:
        replies.append(await server.command(BOB, GENERAL, f"declare sev3 Racing {len(replies)}"))
    await stopping
    return replies


@pytest.fixture
async def postgres_comes_back() -> AsyncIterator[None]:
    """Whatever the test does to PostgreSQL, start it again and wait until it answers."""
    yield
    if not await _pg_answers():
        await asyncio.to_thread(_pg_ctl, "start")
        await wait_until(_pg_answers, 30, "PostgreSQL answers again")


CLEAR = "The incident database is not answering right now. Nothing was recorded: try again"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_restart_under_bot_answers_try_again_then_recovers(
    server: Server,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    store: Store,
    postgres_comes_back: None,
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Before the restart"))
    channel = await channel_of(store, 1)
    await settle(store)

    racing = await _declares_while_postgres_stops(server)
    down = [
        await server.command(BOB, channel, "update while the database is down"),
        await server.command(CAROL, GENERAL, "declare sev3 Declared while down"),
        await server.command(ALICE, channel, "status identified Not recorded"),
    ]
    await asyncio.to_thread(_pg_ctl, "start")
    await wait_until(_pg_answers, 30, "PostgreSQL answers again")

    for reply in down:
        assert reply.status == 200, reply.body
        assert CLEAR in reply.text, reply.text
    for reply in racing:
        assert reply.status == 200, reply.body
        assert "Declaring *INC-" in reply.text or "try again" in reply.text.lower(), reply.text
    await update(server, channel, "after the database came back")
    number = declared_number(await server.command(CAROL, GENERAL, "declare sev3 After restart"))
    await settle(store)

    incidents = await store.incidents()
    titles = {i.title for i in incidents}
    accepted = {f"Racing {n}" for n, r in enumerate(racing) if "Declaring" in r.text}
    assert accepted <= titles
    assert titles - accepted == {"Before the restart", "After restart"}
    assert number == max(i.number for i in incidents)
    entries = await store.timeline()
    for incident in incidents:
        declared = [e for e in entries if e.incident_id == incident.id and e.kind == "declared"]
        assert len(declared) == 1, f"INC-{incident.number} is half-written"
    texts = [e.text for e in entries]
    assert "while the database is down" not in " ".join(texts)
    assert "after the database came back" in texts
    assert occurrences(slack, channel, "after the database came back") == 1
    await assert_delivered_once(slack, statuspage, store)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_shutting_down_answers_database_message_not_apology(
    server: Server, store: Store, postgres_comes_back: None
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Before the stop"))

    racing = await _declares_while_postgres_stops(server)

    assert [r.status for r in racing] == [200] * len(racing)
    unclear = [r.text for r in racing if "Declaring *INC-" not in r.text and CLEAR not in r.text]
    assert unclear == []
