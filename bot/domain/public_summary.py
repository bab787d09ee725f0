"""The first draft of the public post-incident summary: past tense, and made only of what the
public already read (the public name, the public messages' times and statuses, the components
shown as affected) plus the actions someone marked public. Internal titles of actions, internal
updates and corrected milestones stay out: a summary drafted from them would leak."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.components import ComponentStatus
from bot.domain.milestones import human
from bot.domain.model import Status
from bot.domain.postmortem import PostmortemData
from bot.domain.public import PublicUpdate, public_updates
from bot.domain.text import public_text

# What each status said, told afterwards.
_DONE = {
    Status.INVESTIGATING: "we began investigating",
    Status.IDENTIFIED: "we identified the cause",
    Status.MONITORING: "we put a fix in place and monitored the results",
    Status.RESOLVED: "the incident was resolved",
    Status.CANCELED: "the incident was resolved",
}
_LIMIT = 2900  # Slack's plain_text_input holds 3,000 characters


def public_summary_draft(data: PostmortemData) -> str:
    """Return a first public summary to edit: what happened, when, and what will change."""
    updates = public_updates(data.timeline)[::-1]  # oldest first
    name = public_text(data.public_name or data.title)
    lines = [f"What happened: {_what(name, updates)}"]
    if updates:
        lines.append("Timeline (UTC):")
        lines += [f"- {u.at:%H:%M}: {_DONE[u.status]}." for u in _turns(updates)]
    measures = [f"- {public_text(a.text)}" for a in data.actions if a.public]
    lines += ["Preventive measures:", *(measures or ["- (to be written)"])]
    return "\n".join(lines)[:_LIMIT]


def _what(name: str, updates: Sequence[PublicUpdate]) -> str:
    affected = _affected(updates)
    hit = f", affecting {affected}" if affected else ""
    if not updates:
        return f"{name} occurred{hit}."
    start, end = updates[0].at, updates[-1].at
    if updates[-1].status is not Status.RESOLVED:
        return f"{name} began on {start:%Y-%m-%d} at {start:%H:%M} UTC{hit}."
    return (
        f"{name} occurred on {start:%Y-%m-%d} from {start:%H:%M} to {end:%H:%M} UTC"
        f" ({human(end - start)}){hit}."
    )


def _affected(updates: Sequence[PublicUpdate]) -> str:
    """Return the components shown as affected, each at the worst state it was shown in."""
    worst: dict[str, ComponentStatus] = {}
    for update in updates:
        for component, state in update.changes:
            if state.rank > worst.get(component, ComponentStatus.OPERATIONAL).rank:
                worst[component] = state
    bad = [(c, s) for c, s in worst.items() if s is not ComponentStatus.UNDER_MAINTENANCE]
    return ", ".join(f"{c} ({s.label.lower()})" for c, s in bad)


def _turns(updates: Sequence[PublicUpdate]) -> list[PublicUpdate]:
    """Return the first update of each status the public saw, in order."""
    turns: list[PublicUpdate] = []
    for update in updates:
        if not turns or update.status is not turns[-1].status:
            turns.append(update)
    return turns
