"""Bringing a severity's responders in (SEVERITY_RESPONDERS), and the call bookmark."""

from __future__ import annotations

from bot.domain.deliveries import DeliveryKind as K
from bot.domain.deliveries import Payload
from bot.domain.model import Severity
from bot.domain.responders import groups_to_invite
from bot.service.unit import Work


async def invite_responders(work: Work, *, previous: Severity | None = None) -> None:
    """Owe the invite of the user groups for the incident's severity, when it was just
    declared at it (`previous` None) or escalated to it."""
    if not work.ctx.responders:
        return
    state = await work.state()
    groups = groups_to_invite(work.ctx.responders, state, previous=previous)
    if groups:
        payload = Payload(groups=groups, severity=state.severity.value)
        work.owe(K.RESPONDERS_INVITE, payload=payload)


def bookmark_call(work: Work) -> None:
    """Owe the call link's bookmark in the channel, when INCIDENT_CALL_URL is set."""
    if work.ctx.call_url is not None:
        work.owe(K.CALL_BOOKMARK)
