"""The Home tab's view, built from a person's HomeData: pure Block Kit, within Slack's limits.

A Home has at most 100 blocks (API-RULES 1.4): each list is capped (bot.domain.home.Limits)
and says how many more there are, so the view stays near 50 blocks whatever happens.
"""

from __future__ import annotations

from typing import Any

from bot.domain.grammar import COMMAND
from bot.domain.home import HomeData, HomeIncident, open_for
from bot.domain.text import one_line, quiet_mentions
from bot.slack.format import STATUS_EMOJI, when, who
from bot.slack.ids import HOME_ACTIONS, HOME_DECLARE_BUTTON

Block = dict[str, Any]
TITLE_LIMIT = 150  # characters of a title on a Home line


def home_view(data: HomeData) -> dict[str, Any]:
    """Return the `home` view for views.publish."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Incidents"}},
        {
            "type": "actions",
            "block_id": HOME_ACTIONS,
            "elements": [
                {
                    "type": "button",
                    "action_id": HOME_DECLARE_BUTTON,
                    "text": {"type": "plain_text", "text": "Declare incident"},
                    "style": "danger",
                }
            ],
        },
        *_section(
            f"Open incidents ({data.open_total})",
            [_line(i, data) for i in data.open],
            data.open_total,
            "No open incidents. :relieved:",
        ),
        *_section(
            f"Your incidents ({data.mine_total})",
            [_line(i, data, yours=True) for i in data.mine],
            data.mine_total,
            "You hold no role in an open incident.",
        ),
        *_section(
            "Recently resolved",
            [_resolved_line(i) for i in data.resolved],
            len(data.resolved),
            "Nothing resolved yet.",
        ),
        _context(f"Kept current while you use it · `{COMMAND} help` for commands"),
    ]
    return {"type": "home", "blocks": blocks}


def _section(title: str, lines: list[str], total: int, empty: str) -> list[Block]:
    blocks: list[Block] = [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
    ]
    if not lines:
        return [*blocks, _context(empty)]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": line}} for line in lines]
    if total > len(lines):
        blocks.append(_context(f"…and {total - len(lines)} more: `{COMMAND} list` shows them all."))
    return blocks


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _headline(incident: HomeIncident) -> str:
    title = quiet_mentions(one_line(incident.title, TITLE_LIMIT))
    return f"*{incident.ref}* · {title}"


def _line(incident: HomeIncident, data: HomeData, *, yours: bool = False) -> str:
    status = incident.status
    facts = [
        f"*{incident.severity.label}*",
        f"{STATUS_EMOJI[status]} {status.value.capitalize()}",
        f"Commander: {who(incident.commander)}",
        f"open {open_for(incident.created_at, data.now)}",
    ]
    if yours and incident.roles:
        facts.append("you: " + ", ".join(r.label for r in incident.roles))
    facts += _links(incident)
    return f"{_headline(incident)}\n" + " · ".join(facts)


def _links(incident: HomeIncident) -> list[str]:
    """Return where to go: the incident's channel and (once wired) its call."""
    links = [f"<#{incident.channel_id}>"] if incident.channel_id else ["channel being created"]
    if incident.call_url:  # INCIDENT_CALL_URL: the call link's place on the line
        links.append(f"<{incident.call_url}|Join the call>")
    return links


def _resolved_line(incident: HomeIncident) -> str:
    word = "resolved" if incident.status.counts else "canceled (false alarm)"
    resolved = f"{word} {when(incident.resolved_at)}" if incident.resolved_at else word
    facts = [f"*{incident.severity.label}*", f"{STATUS_EMOJI[incident.status]} {resolved}"]
    return f"{_headline(incident)}\n" + " · ".join([*facts, *_links(incident)])
