"""Paging: a page recorded on the timeline and owed to PagerDuty in the same commit."""

from __future__ import annotations

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.deliveries import Payload
from bot.domain.entries import Entry, Paged
from bot.domain.errors import UsageError
from bot.domain.model import Severity
from bot.domain.replies import Changed, ServicesListed
from bot.service.context import Context
from bot.service.unit import Work, change


async def page_service(
    ctx: Context, *, channel_id: str, user_id: str, service: str | None, message: str | None
) -> Changed | ServicesListed:
    """Page a service's on-call about the channel's incident; no service: list them."""
    if service is None:
        return ServicesListed(ctx.services)
    if service not in ctx.services:
        known = ", ".join(f"`{s}`" for s in ctx.services) or "none (paging is not set up)"
        raise UsageError(f"There is no service `{service}` to page.", hint=f"Services: {known}.")
    async with change(ctx, channel_id) as work:
        entry = await owe_page(work, user_id, service, message or "")
        state = await work.state()
    return Changed(state, entry)


async def owe_page(
    work: Work, actor_id: str, service: str, message: str, *, automatic: bool = False
) -> Entry:
    """Record the page and owe its trigger (the channel hears of it too)."""
    entry = await work.record(actor_id, Paged(service, automatic), message)
    work.post(entry)
    work.owe(K.PAGE_TRIGGER, payload=Payload(entry_id=entry.id, service=service))
    return entry


async def page_on_sev1(work: Work, actor_id: str, severity: Severity) -> None:
    """Page PAGE_ON_SEV1's service when the incident is (now) a SEV1; a private incident's
    people are the ones its members add, so it pages nobody on its own."""
    service = work.ctx.page_on_sev1
    if severity is Severity.SEV1 and service is not None and not work.private:
        await owe_page(work, actor_id, service, "", automatic=True)


def owe_resolve(work: Work) -> None:
    """Owe the resolve of every page the incident sent (none sent: nothing to do there)."""
    if work.ctx.services:
        work.owe(K.PAGE_RESOLVE)
