"""The emulated Jira site: one project's issues, its workflow, and Jira's error shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
ISSUE_TYPES = ("Task", "Bug", "Story")
# The workflow: every status can move to every other; (transition ID, name, status category).
WORKFLOW = (("11", "To Do", "new"), ("21", "In Progress", "indeterminate"), ("31", "Done", "done"))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Refusal(Exception):
    """An error answer in Jira's shape: `errorMessages` and per-field `errors`."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status)
        self.status, self.messages, self.errors = status, messages or [], errors or {}
        self.headers = headers or {}

    def body(self) -> Json:
        """Return the JSON body Jira sends with this error."""
        return {"errorMessages": self.messages, "errors": self.errors}


def status_of(name: str) -> Json:
    """Return the status object of a workflow status."""
    category = next(c for _, n, c in WORKFLOW if n == name)
    return {"name": name, "statusCategory": {"key": category}}


@dataclass
class Site:
    """One Jira Cloud site with one project."""

    email: str
    token: str
    project: str
    issues: dict[str, Json] = field(default_factory=dict)
    requests: list[tuple[str, str, Json | None]] = field(default_factory=list)
    per_window: int | None = None  # a per-test burst limit (None: off)
    window: float = 1.0
    recent: list[float] = field(default_factory=list)
    limited: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, Retry-After)

    def issue(self, key: str) -> Json:
        """Return issue `key` or raise Jira's 404."""
        found = self.issues.get(key)
        if found is None:
            raise Refusal(404, ["Issue does not exist or you do not have permission to see it."])
        return found

    def check_fields(self, fields: Json, *, creating: bool) -> None:
        """Raise Jira's 400 for the first field it would refuse."""
        errors: dict[str, str] = {}
        if creating and (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "valid project is required"
        if creating and (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "valid issue type is required"
        summary = fields.get("summary")
        if (creating or "summary" in fields) and (not isinstance(summary, str) or not summary):
            errors["summary"] = "You must specify a summary of the issue."
        elif isinstance(summary, str) and len(summary) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        description = fields.get("description")
        if description is not None and not _is_adf(description):
            errors["description"] = "Operation value must be an Atlassian Document (see ADF)."
        labels = fields.get("labels") or []
        if any(not isinstance(x, str) or " " in x for x in labels):
            errors["labels"] = "The label must not contain spaces."
        priority = fields.get("priority")
        if priority is not None and priority.get("name") not in PRIORITIES:
            errors["priority"] = "Specify a valid priority."
        due = fields.get("duedate")
        if due is not None and not (isinstance(due, str) and _DATE.match(due)):
            errors["duedate"] = "Error parsing date string: " + str(due)
        if errors:
            raise Refusal(400, errors=errors)


def _is_adf(value: object) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )
