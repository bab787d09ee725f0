"""Secrets never leak: not in the server's logs (JSON lines), not in the demo's output."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy.engine import make_url

from storage.db import Database
from tests.conftest import ALICE, BOB, GENERAL
from tests.reliability.checks import incident_channels
from tests.reliability.hostile.requests import FORM, command_fields
from tests.reliability.process import REPO, FixedSlack, FixedStatuspage, ServerFactory
from tests.reliability.steps import channel_of
from tests.reliability.store import Store
from tests.support import wait_until


async def _password_url(url: str) -> str | None:
    """Return the PostgreSQL URL with a dummy password, if the server accepts it (trust)."""
    candidate = make_url(url).set(password="pw-" + secrets.token_hex(12))
    rendered = candidate.render_as_string(hide_password=False)
    database = Database(rendered)
    try:
        return rendered if await database.ping() else None
    finally:
        await database.dispose()


async def test_server_process_logs_hold_no_secret_and_are_json_lines(
    make_server: ServerFactory,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    store: Store,
    database_url: str,
    http: aiohttp.ClientSession,
) -> None:
    slack.bot_token = "xoxb-" + secrets.token_hex(16)
    statuspage.api_key = "sp-" + secrets.token_hex(16)
    admin = "adm-" + secrets.token_hex(16)
    env = {"LOG_LEVEL": "DEBUG", "ADMIN_TOKEN": admin}
    secret_values = [slack.bot_token, statuspage.api_key, admin]
    if database_url.startswith("postgresql"):
        with_password = await _password_url(database_url)
        if with_password is not None:
            env["DATABASE_URL"] = with_password
            secret_values.append(str(make_url(with_password).password))
    server = make_server(env=env)
    secret_values.append(server.driver.signing_secret)
    await server.start()

    declared = await server.command(ALICE, GENERAL, "declare sev1 Checkout is down")
    # Ready when warroom has recorded the channel, not merely when Slack shows it (the commit
    # follows Slack's answer: a command in between is rightly told it is no incident channel).
    channel = await channel_of(store, 1)
    assert incident_channels(slack, 1) == [channel]
    slack.http_error("chat.postMessage", 500, times=2)
    updated = await server.command(BOB, channel, "update Rolled back deploy 4512")
    await wait_until(
        lambda: any("deploy 4512" in m.text for m in slack.history(channel)), 20, "the update"
    )
    statuspage.fail(401, times=1000)
    public = await server.command(ALICE, channel, "status identified We found the cause")

    async def statuspage_refused() -> bool:
        return any(r.status == "dead" for r in await store.outbox())

    await wait_until(statuspage_refused, 20, "the Statuspage delivery gave up")
    forged = await server.driver.raw(
        urlencode(command_fields("declare sev1 Forged")).encode(),
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    answers = {}
    for name, token in {"right": admin, "wrong": admin[:-1]}.items():
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{server.url}/incidents/1/postmortem.md", headers=headers) as r:
            answers[name] = r.status
    resolved = await server.command(ALICE, channel, "resolve Rolled back")
    await wait_until(lambda: any(m.files for m in slack.history(channel)), 20, "the draft")
    assert await server.term() == 0

    output = server.stdout() + server.stderr()
    lines = server.stderr().splitlines()
    assert declared.text.startswith("Declaring *INC-1*")
    assert updated.text == "Update recorded on INC-1."
    assert public.text == "INC-1 is now *identified*."
    assert resolved.text == "INC-1 is resolved. Thank you, everyone."
    assert forged.status == 401
    assert answers == {"right": 200, "wrong": 401}
    assert [s for s in secret_values if s in output] == []
    assert [s for s in secret_values if s.split("-", 1)[-1] in output] == []
    assert len(lines) > 20

    def not_json(line: str) -> bool:
        try:
            return not isinstance(json.loads(line), dict)
        except ValueError:
            return True

    assert [line for line in lines if not_json(line)] == []
    records = [json.loads(line) for line in lines]
    commands = [r for r in records if r.get("message") == "command"]
    declare = next(r for r in commands if r.get("command") == "declare")
    assert {"incident", "command", "user", "latency_ms", "outcome"} <= declare.keys()
    assert (declare["incident"], declare["user"], declare["outcome"]) == ("INC-1", ALICE, "ok")
    assert isinstance(declare["latency_ms"], int | float)
    assert {r.get("command") for r in commands} >= {"declare", "update", "status", "resolve"}


def test_demo_output_holds_none_of_its_secrets(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--once", "--port", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "=== What people typed" in done.stdout
    assert "sp-emulator-key" not in output  # the emulated Statuspage API key
    # The demo's signing secret is secrets.token_hex(16): 32 hex digits, which nothing prints.
    assert re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", output) == []
