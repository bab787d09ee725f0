"""What the Slack emulator tests share: the people, the token, and reading a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

TOKEN = "xoxb-emulator"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


async def error_of(call: Any) -> SlackApiError:
    """Await a Web API call that must fail and return its error."""
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value
