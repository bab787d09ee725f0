"""Every Block Kit `callback_id`, `block_id` and `action_id` the bot uses, in one place."""

from __future__ import annotations

DECLARE_MODAL_CALLBACK = "warroom.declare"
TITLE_BLOCK, TITLE_ACTION = "title", "title_input"
SEVERITY_BLOCK, SEVERITY_ACTION = "severity", "severity_select"
DESCRIPTION_BLOCK, DESCRIPTION_ACTION = "description", "description_input"
PUBLISH_MODAL_CALLBACK = "warroom.publish_postmortem"
SUMMARY_BLOCK, SUMMARY_ACTION = "public_summary", "public_summary_input"
