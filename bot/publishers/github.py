"""Follow-up actions as GitHub issues: found again by their marker, created once, then edited."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.tickets import Ticket, github_body, has_marker
from bot.publishers.base import not_mine
from bot.publishers.github_client import GithubClient
from bot.publishers.tracker import TrackerRecords
from storage.actions import Ticketed

log = logging.getLogger(__name__)
K = DeliveryKind
_PAGE = 100


class GithubPublisher:
    """Makes each follow-up action an issue in GITHUB_REPO and keeps it in step."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.GITHUB)

    def __init__(
        self,
        *,
        records: TrackerRecords,
        client: GithubClient,
        owners: Mapping[str, str],
        clock: Clock,
    ) -> None:
        self.records, self.client, self.owners, self.clock = records, client, owners, clock

    async def deliver(self, delivery: Delivery) -> None:
        """Create or edit the issue of one action."""
        if delivery.kind is not K.ACTION_GITHUB:
            raise not_mine(delivery)
        loaded = await self.records.load(delivery)
        if loaded is None:
            return  # the action is gone
        ticketed, ticket = loaded
        fields = self._fields(ticket, ticketed.row.owner_id)
        issue = ticketed.row.github_number
        if issue is None:
            # An earlier try may have created it and crashed before recording it: find it.
            found = await self._find(ticket)
            if found is None:
                found = await self.client.call("POST", "/issues", fields)
                await self._remember(ticketed, found)
                if not ticket.done:
                    return
            else:
                await self._remember(ticketed, found)
            issue = int(found["number"])
        await self.client.call("PATCH", f"/issues/{issue}", self._state(fields, ticket))

    def _fields(self, ticket: Ticket, owner_id: str | None) -> dict[str, Any]:
        login = self.owners.get(owner_id or "")
        return {
            "title": ticket.title,
            "body": github_body(ticket),
            "labels": ["incident", ticket.ref],
            "assignees": [login] if login else [],
        }

    @staticmethod
    def _state(fields: dict[str, Any], ticket: Ticket) -> dict[str, Any]:
        """Return an edit: labels stay as people left them, and an issue someone closed by
        hand is not reopened; a done action closes it."""
        edit = {k: v for k, v in fields.items() if k != "labels"}
        if ticket.done:
            return {**edit, "state": "closed", "state_reason": "completed"}
        return edit

    async def _find(self, ticket: Ticket) -> dict[str, Any] | None:
        """Look for the issue an earlier try created, by its marker, among the incident's.

        The issues list filtered by label, not search: search is eventually consistent, and
        an issue created a moment ago may not be found there yet.
        """
        page = 1
        while True:
            params = {"labels": ticket.ref, "state": "all", "per_page": str(_PAGE)}
            rows = await self.client.call("GET", "/issues", params={**params, "page": str(page)})
            for row in rows:
                if "pull_request" not in row and has_marker(row.get("body"), ticket):
                    return dict(row)
            if len(rows) < _PAGE:
                return None
            page += 1

    async def _remember(self, ticketed: Ticketed, issue: dict[str, Any]) -> None:
        await self.records.remember_github(
            ticketed, number=int(issue["number"]), url=issue.get("html_url")
        )

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell the incident channel, once per reason, that an action did not reach GitHub."""
        if dead:
            await self.records.tell_once(delivery, "GitHub", error)
