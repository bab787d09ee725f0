"""The declare form as a person fills it in, and waiting for Slack to show a form."""

from __future__ import annotations

from typing import Any

from bot.slack import ids
from tests.conftest import Bot
from tests.support import wait_until


def values(title: str, severity: str = "sev2", description: str | None = None) -> dict[str, Any]:
    """Return the declare form's state values as Slack sends them on submit."""
    return {
        ids.TITLE_BLOCK: {ids.TITLE_ACTION: {"type": "plain_text_input", "value": title}},
        ids.SEVERITY_BLOCK: {
            ids.SEVERITY_ACTION: {"type": "static_select", "selected_option": {"value": severity}}
        },
        ids.DESCRIPTION_BLOCK: {
            ids.DESCRIPTION_ACTION: {"type": "plain_text_input", "value": description}
        },
    }


async def opened_view(bot: Bot, count: int = 1) -> dict[str, Any]:
    """Wait until `count` views were opened and return the last one."""
    await wait_until(lambda: len(bot.slack.views) >= count, 10, f"{count} view(s) opened")
    view: dict[str, Any] = bot.slack.views[-1]["view"]
    return view
