"""The one place where exceptions become what the user reads."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from enum import StrEnum

from slack_bolt.response import BoltResponse

from bot.domain.errors import BotError
from bot.slack.format import error_text

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """How a request ended, for the log line that follows it."""

    OK = "ok"
    REFUSED = "refused"
    ERROR = "error"


@dataclass(frozen=True)
class Answer:
    text: str
    outcome: Outcome = Outcome.OK


def apology(error: BaseException) -> str:
    """Log an unexpected error under a short ID and return the message for the user."""
    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=error)
    return (
        f":warning: Sorry, something went wrong on my side (error `{error_id}`). "
        "Please try again; if it keeps happening, give your warroom admin that error ID."
    )


async def answered(work: Awaitable[str]) -> Answer:
    """Await the work and return its reply, or the user-safe text of its failure."""
    try:
        return Answer(await work)
    except BotError as error:
        return Answer(error_text(error.message, error.hint), Outcome.REFUSED)
    except Exception as error:
        return Answer(apology(error), Outcome.ERROR)


async def reply_text(work: Awaitable[str]) -> str:
    """Await the work and return its reply, or the user-safe text of its failure."""
    return (await answered(work)).text


async def handle_bolt_error(error: Exception) -> BoltResponse:
    """Answer 200 with an apology instead of Bolt's bare 500 for anything a listener missed."""
    body = json.dumps({"response_type": "ephemeral", "text": apology(error)})
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
