"""Follow-up actions as Jira Cloud issues: found again by their label, created once, edited,
and moved through the configured transition when done."""

from __future__ import annotations

from typing import Any

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.tickets import JIRA_PRIORITY, Ticket, jira_description
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.jira_client import JiraClient
from bot.publishers.tracker import TrackerRecords

K = DeliveryKind


class JiraPublisher:
    """Makes each follow-up action an issue in JIRA_PROJECT and keeps it in step."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.JIRA)

    def __init__(
        self,
        *,
        records: TrackerRecords,
        client: JiraClient,
        project: str,
        issue_type: str,
        done_transition: str,
        clock: Clock,
    ) -> None:
        self.records, self.client, self.clock = records, client, clock
        self.project, self.issue_type, self.done_transition = project, issue_type, done_transition

    async def deliver(self, delivery: Delivery) -> None:
        """Create or edit the issue of one action; close it when the action is done."""
        if delivery.kind is not K.ACTION_JIRA:
            raise not_mine(delivery)
        loaded = await self.records.load(delivery)
        if loaded is None:
            return
        ticketed, ticket = loaded
        key = ticketed.row.jira_key
        if key is None:
            # An earlier try may have created it and crashed before recording it: find it.
            key = await self._find(ticket)
            if key is None:
                created = await self.client.call("POST", "/issue", {"fields": self._fields(ticket)})
                key = str(created["key"])
                await self.records.remember_jira(ticketed, key=key, url=self.client.browse(key))
                if ticket.done:
                    await self._close(key)
                return
            await self.records.remember_jira(ticketed, key=key, url=self.client.browse(key))
        fields = self._fields(ticket)
        for fixed in ("project", "issuetype", "labels"):  # labels stay as people left them
            del fields[fixed]
        await self.client.call("PUT", f"/issue/{key}", {"fields": fields})
        if ticket.done:
            await self._close(key)

    def _fields(self, ticket: Ticket) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": self.issue_type},
            "summary": ticket.title,
            "description": jira_description(ticket),
            "labels": ["incident", ticket.ref, ticket.label],
        }
        if ticket.due_on:
            fields["duedate"] = ticket.due_on.isoformat()
        if ticket.priority:
            fields["priority"] = {"name": JIRA_PRIORITY[ticket.priority]}
        return fields

    async def _find(self, ticket: Ticket) -> str | None:
        """Look for the issue an earlier try created, by the label only this action has."""
        jql = f'project = "{self.project}" AND labels = "{ticket.label}"'
        found = await self.client.call(
            "GET", "/search/jql", params={"jql": jql, "fields": "summary", "maxResults": "1"}
        )
        issues = found.get("issues") or []
        return str(issues[0]["key"]) if issues else None

    async def _close(self, key: str) -> None:
        """Move the issue through the done transition, unless it is done already."""
        issue = await self.client.call("GET", f"/issue/{key}", params={"fields": "status"})
        status = ((issue.get("fields") or {}).get("status")) or {}
        if (status.get("statusCategory") or {}).get("key") == "done":
            return
        answer = await self.client.call("GET", f"/issue/{key}/transitions")
        wanted = self.done_transition.lower()
        for transition in answer.get("transitions") or []:
            if str(transition.get("name", "")).lower() == wanted:
                body = {"transition": {"id": str(transition["id"])}}
                await self.client.call("POST", f"/issue/{key}/transitions", body)
                return
        names = ", ".join(str(t.get("name")) for t in answer.get("transitions") or [])
        raise DeliveryError(
            f"Jira has no transition named {self.done_transition!r}"
            f" (there are: {names or 'none'}); set JIRA_DONE_TRANSITION",
            permanent=True,
        )

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Tell the incident channel, once per reason, that an action did not reach Jira."""
        if dead:
            await self.records.tell_once(delivery, "Jira", error)
