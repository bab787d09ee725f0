"""The Slack app manifest asks for what the code uses: the shortcut, the events, the scopes."""

from __future__ import annotations

from typing import Any

import yaml

from bot.slack.ids import ADD_TO_TIMELINE_SHORTCUT
from tests.support import MANIFEST, manifest_scopes


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_manifest_declares_the_add_to_timeline_message_shortcut() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert {"type": "message", "callback_id": ADD_TO_TIMELINE_SHORTCUT}.items() <= shortcuts[
        0
    ].items()
    assert shortcuts[0]["name"] == "Add to incident timeline"


def test_manifest_subscribes_to_the_events_the_bot_follows_and_no_others() -> None:
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"reaction_added", "message.channels", "message.groups", "channel_unarchive"}


def test_manifest_scopes_cover_reading_kept_messages_and_their_events() -> None:
    scopes = manifest_scopes()
    # reactions.get reads a pinned message (a thread reply too); message events and history
    # need the history scopes of public and private channels; canvases for POSTMORTEM_CANVAS.
    assert {"reactions:read", "channels:history", "groups:history", "canvases:write"} <= scopes
