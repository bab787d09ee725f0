"""The incident channel's lines for a message added to the timeline, a cancel and a reopen."""

from __future__ import annotations

from bot.domain import entries as e
from bot.domain.model import IncidentState
from bot.slack.format import quote, when, who


def pinned_line(item: e.Entry, fact: e.Pinned) -> str:
    """Return the channel's line for a message added to the timeline."""
    message = f"<{fact.permalink}|message>" if fact.permalink else "message"
    head = (
        f":pushpin: Added to the timeline by {who(fact.pinned_by)}: {who(item.actor_id)}'s "
        f"{message}"
    )
    if item.deleted:
        return f"{head} (deleted by its author)"
    edited = " (edited)" if item.edited else ""
    return f"{head} from {when(item.at)}{edited}\n{quote(item.text)}"


def closing_line(state: IncidentState, item: e.Entry, fact: e.Canceled | e.Reopened) -> str:
    """Return the channel's line for a cancel (false alarm) or a reopen."""
    by = who(item.actor_id)
    if isinstance(fact, e.Reopened):
        return (
            f":repeat: *{state.ref} reopened* by {by} (was {fact.previous.value}): investigating "
            f"again\n{quote(item.text)}"
        )
    said = fact.closing
    closing = f"\nClosing message on the status pages:\n{quote(said)}" if said else ""
    head = f":no_entry_sign: *{state.ref} canceled* (false alarm) by {by}"
    return f"{head}\n{quote(item.text)}{closing}"
