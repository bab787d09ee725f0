"""Block Kit limits Slack enforces on message blocks and views (API-RULES 1.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.slack.args import Json, SlackError
from sandbox.slack.elements import (
    MESSAGE,
    VIEW,
    Surface,
    check_element,
    check_plain_text,
    text_of,
)

MAX_BLOCKS = MESSAGE.max_blocks  # API-RULES 1.4: blocks per message, 50
MAX_VIEW_BLOCKS = VIEW.max_blocks  # API-RULES 1.4: blocks per modal or Home tab, 100
MAX_BLOCK_ID = 255  # API-RULES 1.4: block_id, 255 chars
MAX_HEADER = 150  # API-RULES 1.4: header block text, plain_text, 150 chars
MAX_ELEMENTS = 25  # API-RULES 1.4: actions block elements, 25
MAX_SECTION_TEXT = 3000  # API-RULES 1.4 (not verified): section text 3000
MAX_FIELDS, MAX_FIELD_TEXT = 10, 2000  # API-RULES 1.4 (not verified): fields 10 x 2000
MAX_CONTEXT = 10  # API-RULES 1.4 (not verified): context block 10 elements
MAX_LABEL = 2000  # API-RULES 1.4 (not verified): input label / hint limits; Slack prints 2000
MAX_VIEW_LABEL = 24  # API-RULES 1.4: modal title, submit and close, 24 chars each
MAX_CALLBACK_ID = 255  # API-RULES 1.4: modal callback_id, 255 chars
MAX_PRIVATE_METADATA = 3000  # API-RULES 1.4: modal private_metadata, 3000 chars


def check_blocks(blocks: Any, surface: Surface = MESSAGE, at: str = "") -> list[Json] | None:
    """Return the blocks if Slack would accept them on this surface, else refuse the call."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > surface.max_blocks:
        surface.refuse(
            at + "/blocks", f"blocks must be an array of at most {surface.max_blocks} items"
        )
    for i, block in enumerate(blocks):
        _check_block(surface, f"{at}/blocks/{i}", block)
    return blocks


def _check_block(s: Surface, ptr: str, b: Any) -> None:
    if not isinstance(b, dict) or not isinstance(b.get("type"), str):
        s.refuse(ptr, "missing type")
    if len(str(b.get("block_id") or "")) > MAX_BLOCK_ID:
        s.refuse(ptr + "/block_id", f"must be at most {MAX_BLOCK_ID} characters")
    check = _CHECKS.get(b["type"])
    if check is not None:
        check(s, ptr, b)


def _section(s: Surface, ptr: str, b: Json) -> None:
    text, fields = text_of(b.get("text")), b.get("fields") or []
    if len(text) > MAX_SECTION_TEXT:
        s.refuse(ptr + "/text/text", f"must be at most {MAX_SECTION_TEXT} characters")
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        s.refuse(ptr + "/fields", f"must be an array of at most {MAX_FIELDS} items")
    for i, f in enumerate(fields):
        if len(text_of(f)) > MAX_FIELD_TEXT:
            s.refuse(f"{ptr}/fields/{i}/text", f"must be at most {MAX_FIELD_TEXT} characters")
    if not text and not fields:
        s.refuse(ptr, "text or fields required")
    if b.get("accessory") is not None:
        check_element(s, ptr + "/accessory", b["accessory"])


def _header(s: Surface, ptr: str, b: Json) -> None:
    check_plain_text(s, ptr + "/text", b.get("text"), MAX_HEADER, required=True)


def _actions(s: Surface, ptr: str, b: Json) -> None:
    elements = b.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ELEMENTS:
        s.refuse(ptr + "/elements", f"must be an array of 1 to {MAX_ELEMENTS} elements")
    for i, el in enumerate(elements):
        check_element(s, f"{ptr}/elements/{i}", el)


def _context(s: Surface, ptr: str, b: Json) -> None:
    elements = b.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT:
        s.refuse(ptr + "/elements", f"must be an array of 1 to {MAX_CONTEXT} elements")


def _input(s: Surface, ptr: str, b: Json) -> None:
    # Stricter than Slack on purpose: Slack has accepted input blocks in messages since 2021
    # (with dispatch_action), but this bot collects input only in modals, so a form's blocks
    # posted as a message is a bug. Messages refuse them with invalid_blocks.
    if not s.allows_input:
        s.refuse(ptr, f"input blocks are not allowed in a {s.name}")
    check_plain_text(s, ptr + "/label", b.get("label"), MAX_LABEL, required=True)
    check_plain_text(s, ptr + "/hint", b.get("hint"), MAX_LABEL, required=False)
    if b.get("element") is None:
        s.refuse(ptr + "/element", "missing required field: element")
    check_element(s, ptr + "/element", b["element"])


_CHECKS: dict[str, Callable[[Surface, str, Json], None]] = {
    "section": _section,
    "header": _header,
    "actions": _actions,
    "context": _context,
    "input": _input,
}


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
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        raise SlackError("invalid_arguments", ["[ERROR] view too large"])
    if len(str(view.get("callback_id") or "")) > MAX_CALLBACK_ID:
        VIEW.refuse("/view/callback_id", f"must be at most {MAX_CALLBACK_ID} characters")
    blocks = check_blocks(view.get("blocks", []), VIEW, "/view") or []
    # API-RULES 1.4: `submit` is required when a modal has an input block.
    has_input = any(b["type"] == "input" for b in blocks)
    if view["type"] == "modal" and has_input and not isinstance(view.get("submit"), dict):
        VIEW.refuse("/view/submit", "submit is required when a modal has input blocks")
    return view
