"""views.publish: each person's Home tab, as the app last published it.

Strict where Slack is: `user_id` is required and must be someone in the workspace, the view
must be a `home` view within Block Kit's limits (100 blocks, text lengths: sandbox.slack.blocks),
and a `hash` that is not the Home's current one is a conflict. views.publish needs no scope
(API-RULES 1.2) and is Tier 4 (API-RULES 1.1; both tables hold its row). Not verified on a
Slack page: the error for an unknown user (`user_not_found`, as users.info answers).
"""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError, arg, decoded, new_id
from sandbox.slack.blocks import check_view
from sandbox.slack.render import block_lines, render_text
from sandbox.slack.views import stored_view
from sandbox.slack.workspace import Method, Workspace


def views_publish(ws: Workspace, p: Json) -> Json:
    """Answer views.publish: replace the person's Home view."""
    user = ws.user(arg(p, "user_id"))
    if user.is_bot:
        raise SlackError("user_not_found")  # a bot has no Home tab to see
    view = check_view(decoded(p, "view", "invalid_arguments"))
    if view.get("type") != "home":
        raise SlackError("invalid_arguments", ["[ERROR] view.type must be home [/view/type]"])
    current = ws.homes.get(user.id)
    if p.get("hash") and (current is None or p["hash"] != current["hash"]):
        raise SlackError("hash_conflict")
    stored = stored_view(ws, view, current["id"] if current else new_id("V"))
    ws.homes[user.id] = stored
    return {"view": stored}


def home_text(ws: Workspace, user_id: str) -> str:
    """Return the person's Home as they read it now ("" if nothing was published)."""
    view = ws.homes.get(user_id)
    if view is None:
        return ""
    return render_text(ws, "\n".join(block_lines(view.get("blocks") or [])))


METHODS: dict[str, Method] = {"views.publish": views_publish}
