"""Keeps people's Home tabs current: a paced worker, not the outbox.

A Home is rebuilt whole from the database, so a refresh owed is not a message to deliver but
a fact about a viewer: their Home shows an older version of the incidents than the database
holds. Each viewer's row (storage/home_viewers.py) says which version they last saw and when, so:
- changes coalesce per viewer: whatever their number, a viewer gets at most one views.publish
  per HOME_REFRESH_SECONDS, with the state as it is then, and no change writes anything more;
- nothing is lost while Slack is down: the viewer stays behind, and is tried again with
  backoff until published (or until they stop counting as a viewer, HOME_ACTIVE_HOURS after
  they last opened the tab; the next opening publishes afresh);
- replicas never publish the same refresh: a viewer is leased (locked_until, SKIP LOCKED on
  PostgreSQL) by the replica publishing it, like the outbox relay's claims.
The version is read from the incidents themselves (count, channels, entries; plus a ten-minute
tick for "open for"), so changes made on another replica, or by a deliverer, are seen too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.domain.errors import TryAgain
from bot.domain.home import Limits, with_calls
from bot.outbox import backoff
from bot.publishers.pace import Busy, Pace, Rate
from bot.publishers.slack_paced import retry_after
from bot.slack.home import home_view
from storage import home_viewers as q
from storage.db import Database
from storage.home import home_data

log = logging.getLogger(__name__)
KEY = "slack:views.publish"
TICK = timedelta(minutes=10)  # "open for" is shown to the ten minutes
BATCH = 20  # viewers claimed at once
GAP = 0.2  # seconds at least between two rounds
GONE = frozenset({"user_not_found", "account_inactive"})  # Slack will never show their Home


@dataclass(frozen=True)
class Viewer:
    """A claimed viewer: who, and what their Home last showed."""

    user_id: str
    shown_version: str | None
    view_hash: str | None
    attempts: int


class HomeTabs:
    """Publishes the Home of each viewer whose Home is behind, paced under Slack's limits."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        client: AsyncWebClient,
        every: float,
        active_hours: float,
        rate: Rate,
        poll: float = 1.0,
        lease: float = 30.0,
        limits: Limits | None = None,
        call_template: str | None = None,  # INCIDENT_CALL_URL
    ) -> None:
        self.db, self.clock, self.client, self.rate, self.poll = db, clock, client, rate, poll
        self.limits, self.call_template = limits or Limits(), call_template
        self.every, self.lease = timedelta(seconds=every), timedelta(seconds=lease)
        self.active = timedelta(hours=active_hours)
        self.pace = Pace(max_wait=1.0)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Look for Homes to refresh now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Refresh until stop()."""
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._wake.clear()
            started = loop.time()
            try:
                if await self.run_once() >= BATCH:
                    continue  # more may be due at once
            except TryAgain:
                log.warning("home: database unavailable, retrying")
            except Exception:  # never let the worker die: Homes would silently go stale
                log.exception("home refresh failed; retrying")
            # Woken by every commit: under load, one round per GAP, not one per change.
            await asyncio.sleep(max(0.0, GAP - (loop.time() - started)))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop refreshing (a leased viewer is taken up again when its lease ends)."""
        self._stopping = True
        self.wake()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_once(self) -> int:
        """Publish every due Home (a batch of them); return how many were claimed."""
        now = self.clock()
        since = now - self.active
        async with self.db.read() as session:
            version = await q.incidents_version(session=session)
            version += f".{int(now.timestamp() // TICK.total_seconds())}"
            due = await q.any_due(
                session=session, now=now, version=version, since=since, every=self.every
            )
            if not due:
                return 0  # most rounds: a read, and no write to queue behind people's changes
        await self.db.quiet(0.05)  # acks first, as the relay does
        async with self.db.write(background=True) as session:
            claimed = await q.claim_due(
                session=session,
                version=version,
                lease=self.lease,
                limit=BATCH,
                skip_locked=not self.db.is_sqlite,
                now=now,
                since=since,
                every=self.every,
            )
            viewers = [Viewer(v.user_id, v.shown_version, v.view_hash, v.attempts) for v in claimed]
        for viewer in viewers:
            if self._stopping:
                break
            await self._refresh(viewer, version)
        return len(viewers)

    async def _refresh(self, viewer: Viewer, version: str) -> None:
        async with self.db.read() as session:
            data = await home_data(
                session=session, user_id=viewer.user_id, limits=self.limits, now=self.clock()
            )
        view = home_view(with_calls(data, self.call_template))
        digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
        if viewer.shown_version is not None and digest == viewer.view_hash:
            await self._settle(viewer, version, digest, published=False)  # nothing shows new
            return
        try:
            await self.pace.take([KEY], {KEY: self.rate})
            await self.client.views_publish(user_id=viewer.user_id, view=view)
        except Busy as busy:
            await self._put_off(viewer, busy.retry_after, tried=False)
        except SlackApiError as error:
            await self._refused(viewer, error)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("home: views.publish for %s failed (%r)", viewer.user_id, error)
            await self._put_off(viewer, backoff(viewer.attempts + 1), tried=True)
        else:
            await self._settle(viewer, version, digest, published=True)

    async def _refused(self, viewer: Viewer, error: SlackApiError) -> None:
        code = str(error.response.get("error") or error.response.status_code)
        if error.response.status_code == 429:
            wait = retry_after(error)
            self.pace.pause(KEY, wait)  # the limit is the method's, for every viewer
            await self._put_off(viewer, wait, tried=False)
            return
        if code in GONE:
            log.info("home: %s is gone (%s); no longer kept current", viewer.user_id, code)
            async with self.db.write(background=True) as session:
                await q.forget(session=session, user_id=viewer.user_id)
            return
        log.warning("home: views.publish for %s refused: %s", viewer.user_id, code)
        await self._put_off(viewer, backoff(viewer.attempts + 1, cap=600.0), tried=True)

    async def _settle(self, viewer: Viewer, version: str, digest: str, *, published: bool) -> None:
        async with self.db.write(background=True) as session:
            await q.settle(
                session=session,
                user_id=viewer.user_id,
                now=self.clock(),
                version=version,
                view_hash=digest,
                published=published,
            )

    async def _put_off(self, viewer: Viewer, seconds: float, *, tried: bool) -> None:
        until = self.clock() + timedelta(seconds=seconds)
        async with self.db.write(background=True) as session:
            await q.put_off(session=session, user_id=viewer.user_id, until=until, tried=tried)
