"""What a person can click or submit: buttons on messages, and forms the bot opened.

The driver uses these to build `block_actions` and `view_submission` payloads from what the
bot actually sent, so a test cannot click a button or fill a field that is not there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.slack.args import Json
from sandbox.slack.workspace import EmMessage, Workspace

FieldKey = str | tuple[str, str]  # a block_id, or a (block_id, action_id) pair


class NotSubmittable(ValueError):
    """The form cannot be sent as filled: Slack's client would not let the person submit it."""


@dataclass(frozen=True)
class Button:
    """A button found on a message, with the block that holds it."""

    message: EmMessage
    block_id: str
    element: Json


def _elements(block: Json) -> Iterator[Json]:
    accessory = block.get("accessory")
    candidates = [*(block.get("elements") or []), *([accessory] if accessory else [])]
    yield from (e for e in candidates if isinstance(e, dict))


def find_button(
    ws: Workspace, channel_id: str, action_id: str, message_ts: str | None = None
) -> Button:
    """Return the button with action_id on the newest message carrying it (or at message_ts)."""
    for msg in reversed(ws.history(channel_id)):
        if message_ts is not None and msg.ts != message_ts:
            continue
        for i, block in enumerate(msg.blocks or []):
            for element in _elements(block):
                if element.get("action_id") == action_id:
                    return Button(msg, str(block.get("block_id") or f"b{i}"), element)
    where = f"message {message_ts}" if message_ts else "any message"
    raise LookupError(f"no button {action_id!r} on {where} in {channel_id}")


def opened_view(
    ws: Workspace, *, callback_id: str | None = None, user_id: str | None = None
) -> Json:
    """Return the newest view opened with views.open/push matching callback_id and user.

    The view comes as it stands now, so a views.update since it opened is included.
    """
    for opened in reversed(ws.views):
        view: Json = opened["view"]
        if callback_id is not None and view.get("callback_id") != callback_id:
            continue
        if user_id is not None and opened.get("user_id") != user_id:
            continue
        return ws.open_views.get(str(view.get("id"))) or view
    raise LookupError(f"no view opened with callback_id={callback_id!r} for user={user_id!r}")


def _inputs(view: Json) -> dict[tuple[str, str], tuple[Json, Json]]:
    found: dict[tuple[str, str], tuple[Json, Json]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            found[(str(block.get("block_id")), str(element.get("action_id")))] = (block, element)
    return found


def _initial(element: Json) -> Json:
    kind = element.get("type")
    if kind == "static_select":
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    return {"type": kind, "value": element.get("initial_value")}


def _entered(key: tuple[str, str], element: Json, value: str | None) -> Json:
    kind = element.get("type")
    if kind == "checkboxes":  # the values ticked, comma-separated ("" or None: none)
        return {"type": kind, "selected_options": _ticked(key, element, value)}
    if kind != "static_select":
        return {"type": kind, "value": value}
    options = element.get("options") or []
    chosen = next((o for o in options if o.get("value") == value), None)
    if value is not None and chosen is None:
        raise NotSubmittable(f"{key}: {value!r} is not one of the options")
    return {"type": kind, "selected_option": chosen}


def _ticked(key: tuple[str, str], element: Json, value: str | None) -> list[Json]:
    options = {o.get("value"): o for o in element.get("options") or []}
    wanted = [v.strip() for v in (value or "").split(",") if v.strip()]
    unknown = [v for v in wanted if v not in options]
    if unknown:
        raise NotSubmittable(f"{key}: {unknown!r} are not among the checkboxes")
    return [options[v] for v in wanted]


def _resolve(inputs: Mapping[tuple[str, str], Any], key: FieldKey) -> tuple[str, str]:
    if isinstance(key, tuple):
        if key not in inputs:
            raise NotSubmittable(f"the view has no input {key}")
        return key
    matches = [k for k in inputs if k[0] == key]
    if len(matches) != 1:
        raise NotSubmittable(f"the view has no input block {key!r}")
    return matches[0]


def form_state(view: Json, fill: Mapping[FieldKey, str | None]) -> dict[str, dict[str, Json]]:
    """Return view.state.values after a person fills these fields and leaves the rest as shown.

    Refuses what Slack's client refuses: a required input left empty (input blocks are required
    unless `optional`), text outside min_length/max_length, a select value that is no option.
    """
    inputs = _inputs(view)
    state: dict[tuple[str, str], Json] = {k: _initial(el) for k, (_, el) in inputs.items()}
    for key, value in fill.items():
        resolved = _resolve(inputs, key)
        state[resolved] = _entered(resolved, inputs[resolved][1], value)
    values: dict[str, dict[str, Json]] = {}
    for (block_id, action_id), entry in state.items():
        block, element = inputs[(block_id, action_id)]
        _check_filled((block_id, action_id), block, element, entry)
        values.setdefault(block_id, {})[action_id] = entry
    return values


def _check_filled(key: tuple[str, str], block: Json, element: Json, entry: Json) -> None:
    text = entry.get("value")
    empty = entry.get("selected_option") is None if "selected_option" in entry else not text
    if "selected_options" in entry:
        empty = not entry["selected_options"]
    if empty and not block.get("optional"):
        raise NotSubmittable(f"{key} is required")
    if isinstance(text, str) and len(text) > int(element.get("max_length") or 3000):
        raise NotSubmittable(f"{key} is longer than max_length")
    if text and len(text) < int(element.get("min_length") or 0):
        raise NotSubmittable(f"{key} is shorter than min_length")
