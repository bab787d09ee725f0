"""PUT .../incidents/{incident_id}/postmortem (a draft) and .../postmortem/publish."""

from __future__ import annotations

import secrets

from aiohttp import web

from sandbox.statuspage import args
from sandbox.statuspage.page import Json, Page, invalid


def _postmortem(page: Page, incident_id: str) -> Json:
    return page.postmortems.setdefault(
        incident_id,
        {
            "preview_key": secrets.token_hex(16),
            "body": None,
            "body_updated_at": None,
            "body_draft": None,
            "body_draft_updated_at": None,
            "published_at": None,
            "notify_subscribers": False,
            "notify_twitter": False,
            "custom_tweet": None,
        },
    )


async def draft_postmortem(page: Page, request: web.Request) -> web.StreamResponse:
    incident = args.incident(page, request)
    draft = (await args.payload(request, "postmortem")).get("body_draft")
    if not isinstance(draft, str):
        raise invalid("Body draft can't be blank")
    postmortem = _postmortem(page, incident["id"])
    postmortem["body_draft"], postmortem["body_draft_updated_at"] = draft, page.now()
    return web.json_response(postmortem)


async def publish_postmortem(page: Page, request: web.Request) -> web.StreamResponse:
    incident = args.incident(page, request)
    fields = await args.payload(request, "postmortem", required=False)
    postmortem = _postmortem(page, incident["id"])
    if not postmortem["body_draft"]:
        raise invalid("Body draft can't be blank")
    now = page.now()
    subscribers = bool(fields.get("notify_subscribers", False))
    twitter = bool(fields.get("notify_twitter", False))
    postmortem.update(
        body=postmortem["body_draft"],
        body_updated_at=now,
        published_at=now,
        notify_subscribers=subscribers,
        notify_twitter=twitter,
        custom_tweet=fields.get("custom_tweet") or None,
    )
    incident.update(
        postmortem_body=postmortem["body"],
        postmortem_body_last_updated_at=now,
        postmortem_published_at=now,
        postmortem_notified_subscribers=subscribers,
        postmortem_notified_twitter=twitter,
        updated_at=now,
    )
    if incident["status"] == "resolved":
        incident["status"] = "postmortem"
    return web.json_response(postmortem)
