"""The server killed (-9) after GitHub created an action's issue but before the bot recorded
it: after a restart the bot finds its issue by the marker, and no second one is made."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.github_emulator import GithubEmulator
from tests.conftest import ALICE, BOB, GENERAL
from tests.reliability.process import ServerFactory
from tests.reliability.steps import channel_of, declared_number, settle
from tests.reliability.store import Store
from tests.support import wait_until


@pytest.fixture
async def github() -> AsyncIterator[GithubEmulator]:
    emulator = GithubEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


async def test_killed_between_remote_create_and_local_record_makes_one_issue(
    make_server: ServerFactory, github: GithubEmulator, store: Store
) -> None:
    env = {
        "GITHUB_TOKEN": github.token,
        "GITHUB_REPO": github.full_name,
        "GITHUB_API_URL": github.api_url,
        "ACTION_OWNERS": f"{BOB}=bob-gh",
    }
    server = make_server(env=env)
    await server.start()
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Search is slow"))
    channel = await channel_of(store, 1)
    await settle(store)
    github.hang_after(5.0, method="POST", path="/issues")  # created; the answer comes late
    reply = await server.command(ALICE, channel, "action Add a search canary <@U0BOB|bob>")
    assert reply.status == 200, reply.body
    await wait_until(lambda: len(github.issues) == 1, 10, "GitHub created the issue")
    server.kill9()

    await server.start()
    await settle(store)
    await server.command(BOB, channel, "action done 1")
    await settle(store)

    [issue] = github.issues.values()
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert [a["login"] for a in issue["assignees"]] == ["bob-gh"]
    assert len(github.calls("POST", "/issues")) == 1
