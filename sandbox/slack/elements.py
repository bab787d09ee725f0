"""Block Kit elements and text objects: the limits Slack enforces inside blocks.

Limits come from API-RULES 1.4. Those it lists under "Not verified" are marked so; they are the
numbers Slack's own block pages print, enforced so that a test fails where Slack might refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from sandbox.slack.args import SlackError

MAX_ACTION_ID = 255  # API-RULES 1.4: button / plain_text_input action_id, 255 chars
MAX_BUTTON_TEXT = 75  # API-RULES 1.4: button text, plain_text, 75 chars
MAX_BUTTON_VALUE = 2000  # API-RULES 1.4: button value, 2000 chars
MAX_BUTTON_URL = 3000  # API-RULES 1.4: button url, 3000 chars
BUTTON_STYLES = ("primary", "danger")  # API-RULES 1.4: `style` is primary or danger
MAX_INPUT_LENGTH = 3000  # API-RULES 1.4: plain_text_input min_length 0-3000, max_length 1-3000
MAX_OPTIONS = 100  # API-RULES 1.4 (not verified): static_select 100 options; 100 per group
MAX_OPTION_TEXT = 75  # API-RULES 1.4 (not verified): option text 75; option group label 75
# Not verified (Slack's checkboxes element page): 1 to 10 options; an option's description is
# plain_text of at most 75 characters.
MAX_CHECKBOXES = 10
MAX_OPTION_DESCRIPTION = 75


@dataclass(frozen=True)
class Surface:
    """Where blocks are sent: how many fit, which error refuses them, whether inputs belong."""

    name: str
    max_blocks: int
    error: str
    allows_input: bool

    def refuse(self, pointer: str, problem: str) -> NoReturn:
        """Refuse the call the way Slack does for this surface."""
        raise SlackError(self.error, [f"[ERROR] {problem} [json-pointer:{pointer}]"])


# API-RULES 1.4: 50 blocks per message, 100 per modal or Home tab. Messages are refused with
# invalid_blocks, views.open/update with invalid_arguments.
MESSAGE = Surface("message", 50, "invalid_blocks", allows_input=False)
VIEW = Surface("view", 100, "invalid_arguments", allows_input=True)


def text_of(obj: Any) -> str:
    """Return the text of a text object, or "" when there is none."""
    return str(obj.get("text") or "") if isinstance(obj, dict) else ""


def check_plain_text(s: Surface, ptr: str, obj: Any, limit: int, *, required: bool) -> None:
    """Refuse a text object that must be plain_text of at most `limit` characters."""
    if obj is None and not required:
        return
    if not isinstance(obj, dict) or obj.get("type") != "plain_text" or not text_of(obj):
        s.refuse(ptr, "must be a plain_text object with text")
    if len(text_of(obj)) > limit:
        s.refuse(ptr + "/text", f"must be at most {limit} characters")


def _too_long(s: Surface, ptr: str, el: dict[str, Any], key: str, limit: int) -> None:
    if len(str(el.get(key) or "")) > limit:
        s.refuse(f"{ptr}/{key}", f"must be at most {limit} characters")


def check_element(s: Surface, ptr: str, el: Any) -> None:
    """Refuse an interactive element (button, plain_text_input, static_select, checkboxes)
    Slack would."""
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        s.refuse(ptr, "missing type")
    _too_long(s, ptr, el, "action_id", MAX_ACTION_ID)
    kind = el["type"]
    if kind == "button":
        _check_button(s, ptr, el)
    elif kind == "plain_text_input":
        _check_text_input(s, ptr, el)
    elif kind == "static_select":
        _check_select(s, ptr, el)
    elif kind == "checkboxes":
        _check_checkboxes(s, ptr, el)


def _check_button(s: Surface, ptr: str, el: dict[str, Any]) -> None:
    check_plain_text(s, ptr + "/text", el.get("text"), MAX_BUTTON_TEXT, required=True)
    _too_long(s, ptr, el, "value", MAX_BUTTON_VALUE)
    _too_long(s, ptr, el, "url", MAX_BUTTON_URL)
    if "style" in el and el["style"] not in BUTTON_STYLES:
        s.refuse(ptr + "/style", "must be one of primary, danger")


def _check_text_input(s: Surface, ptr: str, el: dict[str, Any]) -> None:
    bounds = {"min_length": 0, "max_length": 1}
    for key, low in bounds.items():
        value = el.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or not low <= value <= MAX_INPUT_LENGTH:
            s.refuse(f"{ptr}/{key}", f"must be between {low} and {MAX_INPUT_LENGTH}")


def _check_select(s: Surface, ptr: str, el: dict[str, Any]) -> None:
    options = el.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_OPTIONS:
        s.refuse(ptr + "/options", f"must be an array of 1 to {MAX_OPTIONS} options")
    for i, option in enumerate(options):
        check_option(s, f"{ptr}/options/{i}", option)
    if el.get("initial_option") is not None:
        check_option(s, ptr + "/initial_option", el["initial_option"])


def _check_checkboxes(s: Surface, ptr: str, el: dict[str, Any]) -> None:
    options = el.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_CHECKBOXES:
        s.refuse(ptr + "/options", f"must be an array of 1 to {MAX_CHECKBOXES} options")
    for i, option in enumerate(options):
        check_option(s, f"{ptr}/options/{i}", option)
        if "description" in option:
            where = f"{ptr}/options/{i}/description"
            check_plain_text(s, where, option["description"], MAX_OPTION_DESCRIPTION, required=True)
    values = {o.get("value") for o in options}
    for i, chosen in enumerate(el.get("initial_options") or []):
        check_option(s, f"{ptr}/initial_options/{i}", chosen)
        if chosen.get("value") not in values:
            s.refuse(f"{ptr}/initial_options/{i}", "must be one of the options")


def check_option(s: Surface, ptr: str, option: Any) -> None:
    """Refuse an option object without a value or with text over 75 characters."""
    if not isinstance(option, dict) or not isinstance(option.get("value"), str):
        s.refuse(ptr, "an option needs text and a value")
    text = option.get("text")
    if not isinstance(text, dict) or not text_of(text):
        s.refuse(ptr + "/text", "an option needs text")
    if len(text_of(text)) > MAX_OPTION_TEXT:
        s.refuse(ptr + "/text/text", f"must be at most {MAX_OPTION_TEXT} characters")
