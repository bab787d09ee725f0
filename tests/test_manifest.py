"""The Slack app manifest asks for what the code uses: the shortcut, the events, the scopes.

The scopes are checked both ways against the Web API methods the code calls, found by reading
`bot/` and `handlers/` with `ast`, and the table of scopes the Slack emulator enforces.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

import slack_sdk.web.async_client
import yaml

from bot.slack.ids import ADD_TO_TIMELINE_SHORTCUT
from sandbox.slack.scopes import SCOPES, ByType
from sandbox.slack.web_api import METHODS
from tests.support import MANIFEST, manifest_scopes

REPO = Path(__file__).resolve().parents[1]
CALLERS = ("bot", "handlers")  # the code that talks to Slack (sandbox/ is Slack itself)

# Scopes needed by what Slack sends rather than by a method the code calls. API-RULES 1.6:
# message.channels and reaction_added; not verified there: message.groups (groups:history) and
# channel_unarchive (channels:read, as Slack's event page lists it).
EVENT_SCOPES: dict[str, str | None] = {
    "app_home_opened": None,  # no scope: the Home tab's own event
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "channel_unarchive": "channels:read",
    # A private incident's members: who joins or leaves its private channel (groups:read).
    "member_joined_channel": "groups:read",
    "member_left_channel": "groups:read",
}
COMMANDS = "commands"  # the /incident slash command and the message shortcut

# Scopes only some settings use: each says so in a comment on its line of the manifest.
OPTIONAL = {
    "canvases:write": ("conversations.canvases.create", "POSTMORTEM_CANVAS"),
    "usergroups:read": ("usergroups.users.list", "RESPONDERS_USERGROUP"),
    "bookmarks:write": ("bookmarks.add", "INCIDENT_CALL_URL"),
    "bookmarks:read": ("bookmarks.list", "INCIDENT_CALL_URL"),
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def sdk_methods() -> dict[str, frozenset[str]]:
    """Map each AsyncWebClient method (chat_postMessage) to the Web API methods it calls.

    Read from slack_sdk's source: a method calls `self.api_call("chat.postMessage", ...)`, or
    other methods of the client (files_upload_v2 calls files_getUploadURLExternal and
    files_completeUploadExternal), followed to the end.
    """
    path = Path(slack_sdk.web.async_client.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    client = next(
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AsyncWebClient"
    )
    direct: dict[str, set[str]] = {}
    nested: dict[str, set[str]] = {}
    for fn in client.body:
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            direct[fn.name], nested[fn.name] = set(), set()
            for node in ast.walk(fn):
                name, literal = _self_call(node)
                if name == "api_call" and literal is not None:
                    direct[fn.name].add(literal)
                elif name is not None:
                    nested[fn.name].add(name)

    def closure(name: str, seen: frozenset[str]) -> set[str]:
        found = set(direct.get(name, ()))
        for other in nested.get(name, set()) - seen:
            found |= closure(other, seen | {other})
        return found

    return {name: frozenset(closure(name, frozenset({name}))) for name in direct}


def _self_call(node: ast.AST) -> tuple[str | None, str | None]:
    """Return (method, first string argument) of a `self.method(...)` call, else Nones."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None, None
    if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
        return None, None
    first = node.args[0] if node.args else None
    literal = first.value if isinstance(first, ast.Constant) else None
    return node.func.attr, literal if isinstance(literal, str) else None


@functools.cache
def called_methods() -> dict[str, frozenset[str]]:
    """Return every Web API method the code calls, with the files that call it.

    A call is `<anything>.chat_postMessage(...)` (any AsyncWebClient method: the bolt client,
    SlackCalls.client, the PacedClient) or `<anything>.api_call("chat.postMessage", ...)`.
    """
    sdk = sdk_methods()
    found: dict[str, set[str]] = {}
    for package in CALLERS:
        for path in sorted((REPO / package).rglob("*.py")):
            where = str(path.relative_to(REPO))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                methods: frozenset[str] = sdk.get(node.func.attr, frozenset())
                first = node.args[0] if node.args else None
                if node.func.attr == "api_call" and isinstance(first, ast.Constant):
                    methods = frozenset({str(first.value)})
                for method in methods:
                    found.setdefault(method, set()).add(where)
    return {method: frozenset(files) for method, files in found.items()}


def scope_of(method: str) -> str | None:
    """Return the bot scope a called method needs in the bot's public channels."""
    need = SCOPES[method]
    return need.public if isinstance(need, ByType) else need


def scopes_of(method: str) -> tuple[str, ...]:
    """Return the bot scopes a called method needs in the bot's own channels: public ones, and
    the private channels of private incidents (the conversations API's `groups:*`)."""
    need = SCOPES[method]
    if isinstance(need, ByType):
        return need.public, need.private
    return (need,) if need is not None else ()


def needed_scopes() -> dict[str, str]:
    """Return each scope the code needs, with what needs it."""
    needs: dict[str, str] = {}
    for method, files in called_methods().items():
        for scope in scopes_of(method):
            needs.setdefault(scope, f"{method}, called in {', '.join(sorted(files))}")
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        if (scope := EVENT_SCOPES[event]) is not None:
            needs.setdefault(scope, f"the {event} event")
    needs.setdefault(COMMANDS, "the /incident command and the message shortcut")
    return needs


def test_scan_finds_the_calls_of_every_kind_of_caller() -> None:
    called = called_methods()
    assert "bot/publishers/slack_postmortem.py" in called["files.getUploadURLExternal"]
    assert "bot/publishers/slack_postmortem.py" in called["conversations.canvases.create"]
    assert "handlers/context.py" in called["usergroups.users.list"]  # the bolt client
    assert "bot/publishers/slack_calls.py" in called["conversations.history"]
    assert sdk_methods()["files_upload_v2"] == {
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }


def test_every_method_the_code_calls_has_a_row_in_the_scope_table() -> None:
    unknown = {m: sorted(files) for m, files in called_methods().items() if m not in SCOPES}
    assert unknown == {}, "add these methods to sandbox/slack/scopes.py's SCOPES"


def test_every_method_the_emulator_answers_has_a_row_in_the_scope_table() -> None:
    assert set(METHODS) - set(SCOPES) == set()


def test_manifest_asks_for_every_scope_the_code_needs() -> None:
    needs = needed_scopes()
    missing = {scope: why for scope, why in needs.items() if scope not in manifest_scopes()}
    assert missing == {}


def test_manifest_asks_for_no_scope_the_code_does_not_need() -> None:
    assert set(manifest_scopes()) - set(needed_scopes()) == set()


def test_optional_scopes_say_which_setting_needs_them() -> None:
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    for scope, (method, setting) in OPTIONAL.items():
        assert scope_of(method) == scope
        line = next(line for line in lines if line.strip().startswith(f"- {scope}"))
        assert "#" in line, line
        assert setting in line.partition("#")[2], line


def test_manifest_declares_the_add_to_timeline_message_shortcut() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert {"type": "message", "callback_id": ADD_TO_TIMELINE_SHORTCUT}.items() <= shortcuts[
        0
    ].items()
    assert shortcuts[0]["name"] == "Add to incident timeline"


def test_manifest_subscribes_to_the_events_the_bot_follows_and_no_others() -> None:
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "reaction_added",
        "message.channels",
        "message.groups",
        "channel_unarchive",
        "member_joined_channel",
        "member_left_channel",
        "app_home_opened",
    }


def test_manifest_enables_the_home_tab() -> None:
    app_home = manifest()["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True
