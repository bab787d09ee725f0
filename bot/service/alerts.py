"""Alerts from monitoring: a serious one declares an incident; its repeats never open another.

One alert (its source and key: Alertmanager's fingerprint, PagerDuty's incident ID) is linked
to one incident by a unique row. Deliveries of the same alert wait for each other (an
advisory lock on PostgreSQL, the one writer on SQLite), so a repeat, even a concurrent one,
finds the link. A change of state (resolved, firing again) is noted on the timeline; a
resolved alert never resolves the incident: people decide that.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.entries import AlertNoted
from bot.domain.model import IncidentState, Status
from bot.domain.paging import AlertLevel, AlertSeen
from bot.service.context import Context
from bot.service.declare import open_incident
from bot.service.unit import Work
from storage import incidents as q
from storage.alerts import get_link, link_alert, lock_alert, set_firing
from storage.models import AlertLink


class Outcome(StrEnum):
    DECLARED = "declared"  # the alert opened an incident
    NOTED = "noted"  # its new state is on its incident's timeline
    REPEAT = "repeat"  # nothing new: the same state again
    IGNORED = "ignored"  # below ALERT_DECLARE_SEVERITY, or resolved with no open incident


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    incident: IncidentState | None = None


async def receive_alert(ctx: Context, alert: AlertSeen, *, threshold: AlertLevel) -> Received:
    """Declare an incident for a serious firing alert, or note the alert on its incident."""
    async with ctx.db.write() as session:
        await lock_alert(session=session, source=alert.source, key=alert.key)
        link = await get_link(session=session, source=alert.source, key=alert.key)
        incident = None
        if link is not None:
            incident = await q.get_incident(
                session=session, incident_id=link.incident_id, for_update=True
            )
        if incident is None or not Status(incident.status).is_open:
            if not alert.firing or alert.level is None or not alert.level.at_least(threshold):
                return Received(Outcome.IGNORED)
            work = await _declare(ctx, session, alert, link)
            outcome = Outcome.DECLARED
        else:
            assert link is not None
            if link.firing == alert.firing:
                return Received(Outcome.REPEAT, await q.incident_state(session, incident))
            work = Work(ctx, session, incident, ctx.clock(), saved=q.detach(session, incident))
            await set_firing(session=session, link=link, firing=alert.firing, now=work.now)
            await _note(work, alert)
            outcome = Outcome.NOTED
        await work.flush()
        state = await work.state()
    ctx.on_commit()
    return Received(outcome, state)


async def _declare(
    ctx: Context, session: AsyncSession, alert: AlertSeen, link: AlertLink | None
) -> Work:
    """Open the alert's incident, and link the alert to it (the old link moves along)."""
    assert alert.level is not None
    work = await open_incident(
        ctx,
        session,
        title=alert.title,
        severity=alert.level.severity,
        user_id=alert.source,
        origin_channel_id=None,
        response_url=None,
        person=False,
    )
    await link_alert(
        session=session,
        source=alert.source,
        key=alert.key,
        incident_id=work.incident_id,
        now=work.now,
        link=link,
    )
    await _note(work, alert)
    return work


async def _note(work: Work, alert: AlertSeen) -> None:
    fact = AlertNoted(alert.source, alert.key, alert.firing, alert.url)
    work.post(await work.record(alert.source, fact, alert.title))
