"""Block Kit limits Slack enforces on message blocks and views."""

from __future__ import annotations

from typing import Any

from sandbox.slack.args import Json, SlackError

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_FIELDS = 10
MAX_ELEMENTS = 25
MAX_TEXT = {"section": 3000, "header": 150}
MAX_VIEW_LABEL = 24
MAX_PRIVATE_METADATA = 3000


def check_blocks(blocks: Any) -> list[Json] | None:
    """Return the blocks if Slack would accept them, else refuse with invalid_blocks."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks", ["[ERROR] blocks must be an array of at most 50 items"])
    for i, block in enumerate(blocks):
        _check_block(i, block)
    return blocks


def _check_block(i: int, b: Any) -> None:
    if not isinstance(b, dict) or not isinstance(b.get("type"), str):
        raise SlackError("invalid_blocks", [f"[ERROR] missing type [json-pointer:/blocks/{i}]"])
    text = b.get("text")
    text = str(text.get("text", "")) if isinstance(text, dict) else ""
    limit = MAX_TEXT.get(b["type"])
    too_many = (
        len(b.get("fields") or []) > MAX_FIELDS or len(b.get("elements") or []) > MAX_ELEMENTS
    )
    if (limit and len(text) > limit) or too_many:
        raise SlackError("invalid_blocks", [f"[ERROR] too long [json-pointer:/blocks/{i}]"])
    if b["type"] == "section" and not text and not b.get("fields"):
        raise SlackError("invalid_blocks", [f"[ERROR] text or fields required [/blocks/{i}]"])


def check_view(view: Any) -> Json:
    """Return the view if Slack would accept it, else refuse with invalid_arguments."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments", ["[ERROR] view.type must be modal or home"])
    for key in ("title", "submit", "close"):
        part = view.get(key)
        if isinstance(part, dict) and len(str(part.get("text", ""))) > MAX_VIEW_LABEL:
            raise SlackError(
                "invalid_arguments", [f"[ERROR] must be less than 25 characters [/{key}]"]
            )
    if view["type"] == "modal" and not isinstance(view.get("title"), dict):
        raise SlackError("invalid_arguments", ["[ERROR] missing required field: title"])
    too_many = len(view.get("blocks") or []) > MAX_VIEW_BLOCKS
    if too_many or len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        raise SlackError("invalid_arguments", ["[ERROR] view too large"])
    check_blocks(view.get("blocks", []))
    return view
