"""What the public sees: affected components and the incident's public name."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.components import ComponentStatus
from bot.domain.deliveries import DeliveryKind as K
from bot.domain.entries import ImpactSet, PublicNameSet
from bot.domain.public import match_components
from bot.domain.replies import Changed
from bot.service.context import Context
from bot.service.unit import change
from storage.timeline import has_public_entry


async def set_impact(
    ctx: Context,
    *,
    channel_id: str,
    user_id: str,
    components: Sequence[str],
    status: ComponentStatus,
) -> Changed:
    """Set what the public sees as affected; published on the status pages."""
    names = tuple(match_components(components, ctx.components()))
    async with change(ctx, channel_id) as work:
        work.refuse_if_private("set what the public sees as affected")
        entry = await work.record(user_id, ImpactSet(names, status))
        work.post(entry, K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)


async def set_public_name(ctx: Context, *, channel_id: str, user_id: str, name: str) -> Changed:
    """Set the name the public sees; the title stays internal."""
    async with change(ctx, channel_id) as work:
        work.refuse_if_private("give it a public name")
        previous, work.incident.public_name = work.incident.public_name, name
        if await has_public_entry(session=work.session, incident_id=work.incident_id):
            await work.publish(K.INCIDENT_SYNC)
        entry = await work.record(user_id, PublicNameSet(previous), name)
        work.post(entry)
        state = await work.state()
    return Changed(state, entry)
