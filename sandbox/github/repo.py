"""The emulated repository: its issues, who may be assigned, and GitHub's error shapes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
DOCS = "https://docs.github.com/rest"


class Refusal(Exception):
    """An error answer: status, GitHub's `message`, optional `errors` and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Json] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers

    def body(self) -> Json:
        """Return the JSON body GitHub sends with this error."""
        body: Json = {
            "message": self.message,
            "documentation_url": DOCS,
            "status": str(self.status),
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def invalid(field_name: str, code: str = "invalid", value: object = None) -> Refusal:
    """Return GitHub's 422 for one bad field."""
    error: Json = {"resource": "Issue", "field": field_name, "code": code}
    if value is not None:
        error["value"] = value
    return Refusal(422, "Validation Failed", [error])


@dataclass
class Repo:
    """One repository with issues, as GitHub keeps it."""

    token: str
    full_name: str
    assignable: set[str]
    clock: Callable[[], float] = time.time
    issues: dict[int, Json] = field(default_factory=dict)
    requests: list[tuple[str, str, Json | None]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    # The primary limit: requests left in the window, and when the window resets (epoch s).
    limit: int = 5000
    remaining: int = 5000
    reset_at: float = 0.0
    # A per-test secondary limit: at most this many requests per `window` seconds (None: off).
    secondary_per_window: int | None = None
    window: float = 1.0
    recent: list[float] = field(default_factory=list)
    limited: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, Retry-After)

    def now(self) -> str:
        """Return the current time as GitHub writes it."""
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def issue(self, number: int) -> Json:
        """Return issue <number> or raise GitHub's 404."""
        found = self.issues.get(number)
        if found is None:
            raise Refusal(404, "Not Found")
        return found

    def labels(self, names: Iterable[str]) -> list[Json]:
        """Return label objects (GitHub creates labels that do not exist yet)."""
        return [{"name": n, "color": "ededed", "default": False} for n in dict.fromkeys(names)]

    def users(self, logins: Iterable[str]) -> list[Json]:
        """Return user objects, or raise 422 for someone who cannot be assigned here."""
        found = []
        for login in dict.fromkeys(logins):
            if login not in self.assignable:
                raise invalid("assignees", value=login)
            found.append({"login": login, "type": "User"})
        return found
