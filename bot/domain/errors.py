"""User-safe errors: every message here may be shown to the person who typed the command."""

from __future__ import annotations


class BotError(Exception):
    """An error whose message is safe to show to users, with an optional hint."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(BotError):
    """The command was malformed: wrong subcommand, missing or invalid argument."""


class NotAnIncidentChannel(BotError):
    """The command needs an incident channel but was run elsewhere."""


class IncidentClosed(BotError):
    """The incident is resolved and no longer accepts changes."""


class UnknownUser(BotError):
    """A user reference did not resolve to a member of the workspace."""


class IncidentNotFound(BotError):
    """No incident matches the given number."""


class TryAgain(BotError):
    """A dependency (usually the database) is unavailable right now."""


class NotAllowed(BotError):
    """The caller may not do this (RESPONDERS_USERGROUP)."""


class AlreadyDone(BotError):
    """The same form submission or click already took effect."""


class Stale(BotError):
    """A button whose incident has moved on (resolved, or someone else already did it)."""


class PrivateIncident(BotError):
    """The incident is private: nothing of it may be published or announced."""
