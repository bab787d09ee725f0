"""Every Block Kit `callback_id`, `block_id` and `action_id` the bot uses, in one place."""

from __future__ import annotations

DECLARE_MODAL_CALLBACK = "warroom.declare"
TITLE_BLOCK, TITLE_ACTION = "title", "title_input"
SEVERITY_BLOCK, SEVERITY_ACTION = "severity", "severity_select"
DESCRIPTION_BLOCK, DESCRIPTION_ACTION = "description", "description_input"
PRIVATE_BLOCK, PRIVATE_ACTION = "private", "private_checkbox"
PRIVATE_OPTION = "private"  # the value of the declare form's "Private" checkbox when ticked
PUBLISH_MODAL_CALLBACK = "warroom.publish_postmortem"
SUMMARY_BLOCK, SUMMARY_ACTION = "public_summary", "public_summary_input"
UPDATE_FORM_CALLBACK = "warroom.update"
UPDATE_BLOCK, UPDATE_ACTION = "update_text", "update_text_input"
POST_UPDATE_BUTTON = "warroom.post_update"
SUMMARY_ACTIONS = "summary_actions"
TAKE_COMMAND_BUTTON = "warroom.take_command"
CHANGE_STATUS_BUTTON = "warroom.change_status"
RESOLVE_BUTTON = "warroom.resolve"
STATUS_FORM_CALLBACK = "warroom.status"
STATUS_BLOCK, STATUS_ACTION = "status", "status_select"
MESSAGE_BLOCK, MESSAGE_ACTION = "message", "message_input"
RESOLVE_FORM_CALLBACK = "warroom.resolve_form"
CANCEL_FORM_CALLBACK = "warroom.cancel_form"
REASON_BLOCK, REASON_ACTION = "reason", "reason_input"
ADD_TO_TIMELINE_SHORTCUT = "warroom.add_to_timeline"  # the message shortcut's callback_id
PICK_INCIDENT_CALLBACK = "warroom.pick_incident"
PICK_INCIDENT_BLOCK, PICK_INCIDENT_ACTION = "incident", "incident_select"
HOME_ACTIONS = "home_actions"  # the Home tab's row of buttons
HOME_DECLARE_BUTTON = "warroom.home_declare"  # the Home tab's "Declare incident" button
