"""What a follow-up action looks like as a ticket in a backlog (GitHub, Jira): pure rendering.

Each ticket carries a marker naming the incident and action, so that a deliverer finds its own
ticket again before creating a second one (after a crash between the create and its record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.text import one_line

JIRA_PRIORITY = {"p1": "High", "p2": "Medium", "p3": "Low"}


@dataclass(frozen=True)
class Ticket:
    """A follow-up action with what its ticket shows."""

    ref: str  # INC-7
    uid: str  # the incident's stable ID, in the marker
    number: int
    text: str
    done: bool
    channel_url: str | None
    owner: str | None = None  # a display name or login, for the body
    priority: str | None = None
    due_on: date | None = None

    @property
    def title(self) -> str:
        """Return the ticket's title: the action on one line (GitHub allows 256 characters)."""
        return one_line(self.text, 250)

    @property
    def marker(self) -> str:
        """Return the HTML comment that names this ticket's incident and action in GitHub."""
        return f"<!-- warroom:action:{self.uid}:{self.number} -->"

    @property
    def label(self) -> str:
        """Return the Jira label that names this ticket's incident and action."""
        return f"warroom-{self.uid}-{self.number}"

    def facts(self) -> list[str]:
        """Return the lines under the title: where it comes from, priority, due, owner."""
        where = f"the incident channel ({self.channel_url})" if self.channel_url else "Slack"
        lines = [f"Follow-up action {self.number} of {self.ref}, from {where}."]
        if self.priority:
            lines.append(f"Priority: {self.priority.upper()}")
        if self.due_on:
            lines.append(f"Due: {self.due_on.isoformat()}")
        if self.owner:
            lines.append(f"Owner: {self.owner}")
        return lines


def github_body(ticket: Ticket) -> str:
    """Return the GitHub issue body (Markdown) with its marker."""
    return "\n\n".join([*ticket.facts(), ticket.marker])


def jira_description(ticket: Ticket) -> dict[str, Any]:
    """Return the Jira description in Atlassian Document Format."""
    paragraphs = [ticket.text, *ticket.facts()]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]}
            for line in paragraphs
            if line
        ],
    }


def ticket_label(url: str) -> str:
    """Return how a ticket link reads: `GitHub #12`, `OPS-3`, else `ticket`."""
    tail = url.rstrip("/").rsplit("/", 2)
    if len(tail) == 3 and tail[1] == "issues" and tail[2].isdigit():
        return f"GitHub #{tail[2]}"
    if len(tail) == 3 and tail[1] == "browse":
        return tail[2]
    return "ticket"


def has_marker(body: object, ticket: Ticket) -> bool:
    """Return whether a GitHub issue body carries this ticket's marker."""
    return isinstance(body, str) and ticket.marker in body
