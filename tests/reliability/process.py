"""`warroom serve` as a child process, and emulators on fixed ports so that a restarted server
(or a restarted emulator) is found at the same URL.

The server's environment is built from scratch; tests kill it at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.slack_driver import DriverReply, SlackDriver
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from tests.conftest import ANNOUNCE
from tests.support import RATE_SCALE, free_port, manifest_scopes, wait_until

REPO = Path(__file__).resolve().parents[2]
START_LIMIT = 30.0


class FixedSlack(SlackEmulator):
    """A Slack emulator that always serves on the same port, so it can be stopped and restarted."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        # Slack's limits (sped up), and exactly the scopes the manifest asks for.
        super().__init__(**{"rate_scale": RATE_SCALE, "scopes": manifest_scopes(), **kwargs})
        self.port = port

    async def up(self) -> None:
        """Serve (again) on the fixed port."""
        await self.start("127.0.0.1", self.port)

    @property
    def running(self) -> bool:
        """Return whether the emulator is serving."""
        return self._runner is not None


class FixedStatuspage(StatuspageEmulator):
    """A Statuspage emulator that always serves on the same port."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.port = port

    async def up(self) -> None:
        """Serve (again) on the fixed port."""
        await self.start("127.0.0.1", self.port)

    @property
    def api_url(self) -> str:
        """Return the REST API v1 base URL for STATUSPAGE_API_URL."""
        return f"http://127.0.0.1:{self.port}/v1"


class Server:
    """`python -m bot serve` as a child process, wired to the emulators."""

    def __init__(
        self,
        *,
        workdir: Path,
        name: str,
        database_url: str,
        slack: FixedSlack,
        statuspage: FixedStatuspage,
        http: aiohttp.ClientSession,
        signing_secret: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.slack, self.statuspage, self.http = slack, statuspage, http
        self.stdout_path = self.workdir / "stdout.log"
        self.stderr_path = self.workdir / "stderr.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": f"http://127.0.0.1:{slack.port}/api/",
            "SLACK_POST_INTERVAL": str(RATE_SCALE),
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "INCIDENT_ANNOUNCE_CHANNEL": ANNOUNCE,
            "STATUS_COMPONENTS": "API,ChatGPT",
            "STATUSPAGE_API_KEY": statuspage.api_key,
            "STATUSPAGE_PAGE_ID": statuspage.page_id,
            "STATUSPAGE_API_URL": statuspage.api_url,
            "STATUSPAGE_MAX_RPS": "50",
            "OUTBOX_RETRY_BASE": "0.05",
            "OUTBOX_LEASE": "3",
            "SLACK_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.driver = SlackDriver(
            bot_url=self.url, signing_secret=signing_secret, session=http, emulator=slack
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self, limit: float = START_LIMIT) -> None:
        """Start the process and wait until GET /healthz answers 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [sys.executable, "-m", "bot", "serve"],
                cwd=self.workdir,  # no stray .env is picked up
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        process = self.process

        async def answered() -> bool:
            return process.poll() is not None or await self.healthy()

        try:
            await wait_until(answered, limit, "GET /healthz answers 200")
        except pytest.fail.Exception:
            pytest.fail(f"server not healthy after {limit:g}s:\n{self.stderr()[-3000:]}")
        if process.poll() is not None:
            code = process.returncode
            pytest.fail(f"server exited with {code} on start:\n{self.stderr()[-3000:]}")

    async def healthy(self) -> bool:
        """Return whether GET /healthz answers 200."""
        try:
            async with self.http.get(
                self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL the process, as a crash or an OOM kill would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def term(self, limit: float = 20.0) -> int:
        """SIGTERM the process, wait for it to exit (bounded) and return its exit code."""
        process = self.process
        assert process is not None
        process.send_signal(signal.SIGTERM)
        try:
            await wait_until(lambda: process.poll() is not None, limit, "exit after SIGTERM")
        except pytest.fail.Exception:
            self.kill9()
            pytest.fail(f"server still running {limit:g}s after SIGTERM")
        return int(process.returncode)

    async def restart(self) -> None:
        """Kill the process if it still runs, then start it again on the same port."""
        self.kill9()
        await self.start()

    async def command(self, user: str, channel: str, text: str) -> DriverReply:
        """Send `/incident <text>` as Slack would."""
        return await self.driver.command(user_id=user, channel_id=channel, text=text)

    def stderr(self) -> str:
        """Return everything the process wrote to stderr, over every start."""
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stdout(self) -> str:
        """Return everything the process wrote to stdout, over every start."""
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""


ServerFactory = Callable[..., Server]
