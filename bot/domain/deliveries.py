"""The outbox protocol: every kind of delivery, where it goes, and what it means.

One table holds each kind's properties. Deliverers dispatch with `match` + `assert_never`, so
mypy refuses a kind that nobody delivers; a test checks each kind has exactly one deliverer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Destination(StrEnum):
    SLACK = "slack"
    # Reading Slack (a pinned message's text and link) is its own queue per incident: a
    # lookup waiting out a rate limit never holds up the channel's posts, nor they it.
    SLACK_READ = "slack.read"
    STATUSPAGE = "statuspage"
    # Status page subscribers: one fan-out per public update, then one row per subscriber,
    # queued per subscriber (the row's destination column is `mail.<id>` / `webhook.<id>`).
    SUBSCRIBERS = "subscribers"
    MAIL = "mail"
    WEBHOOK = "webhook"
    PAGERDUTY = "pagerduty"
    # Each backlog is its own queue per incident: a GitHub outage never holds up Jira.
    GITHUB = "github"
    JIRA = "jira"


class DeliveryKind(StrEnum):
    CHANNEL_CREATE = "channel.create"
    CHANNEL_INVITE = "channel.invite"
    CHANNEL_TOPIC = "channel.topic"
    SUMMARY_REFRESH = "summary.refresh"
    ENTRY_POST = "entry.post"
    ANNOUNCE = "announce"
    PRIVATE_NOTICE = "private.notice"
    USER_NOTIFY = "user.notify"
    NOTICE = "notice"
    POSTMORTEM_UPLOAD = "postmortem.upload"
    POSTMORTEM_CANVAS = "postmortem.canvas"
    UPDATE_REMINDER = "update.reminder"
    HEADLINE_REFRESH = "headline.refresh"
    ROLE_NOTIFY = "role.notify"
    ENTRY_REFRESH = "entry.refresh"
    ARCHIVED_NOTICE = "archived.notice"
    MESSAGE_CAPTURE = "message.capture"
    INCIDENT_SYNC = "incident.sync"
    POSTMORTEM_PUBLISH = "postmortem.publish"
    SUBSCRIBERS_FANOUT = "subscribers.fanout"
    SUBSCRIPTION_CONFIRM = "subscription.confirm"
    SUBSCRIBER_MAIL = "subscriber.mail"
    SUBSCRIBER_WEBHOOK = "subscriber.webhook"
    PAGE_TRIGGER = "page.trigger"
    PAGE_RESOLVE = "page.resolve"
    ACTION_GITHUB = "action.github"
    ACTION_JIRA = "action.jira"
    ACTION_OVERDUE = "action.overdue"
    RESPONDERS_INVITE = "responders.invite"
    CALL_BOOKMARK = "call.bookmark"

    @property
    def spec(self) -> KindSpec:
        """Return this kind's properties."""
        return KINDS[self]


@dataclass(frozen=True)
class KindSpec:
    """What a delivery kind is: its destination, whether a newer row makes an older one moot
    (it re-renders whole state), whether it shows roles and the last update (so they must be
    loaded), and what people are told could not be done when it dies."""

    destination: Destination
    what: str
    supersedable: bool = False
    needs_roles: bool = False


_SLACK, _STATUSPAGE = Destination.SLACK, Destination.STATUSPAGE
KINDS: dict[DeliveryKind, KindSpec] = {
    DeliveryKind.CHANNEL_CREATE: KindSpec(_SLACK, "create the incident channel"),
    DeliveryKind.CHANNEL_INVITE: KindSpec(_SLACK, "invite people to the channel"),
    DeliveryKind.CHANNEL_TOPIC: KindSpec(
        _SLACK, "set the channel topic", supersedable=True, needs_roles=True
    ),
    DeliveryKind.SUMMARY_REFRESH: KindSpec(
        _SLACK, "update the pinned summary", supersedable=True, needs_roles=True
    ),
    DeliveryKind.ENTRY_POST: KindSpec(_SLACK, "post a timeline entry in the channel"),
    # A thread reply may have to post its headline first (when that delivery was superseded).
    DeliveryKind.ANNOUNCE: KindSpec(_SLACK, "post in the announcements thread", needs_roles=True),
    # A private incident is never announced: where PRIVATE_ANNOUNCE_CHANNEL is set, a notice
    # that it exists (no title, no details) goes there once.
    DeliveryKind.PRIVATE_NOTICE: KindSpec(_SLACK, "post the private incident's notice"),
    DeliveryKind.HEADLINE_REFRESH: KindSpec(
        _SLACK,
        "update the headline in the announcements channel",
        supersedable=True,
        needs_roles=True,
    ),
    DeliveryKind.USER_NOTIFY: KindSpec(_SLACK, "tell the declarer where the incident is"),
    DeliveryKind.NOTICE: KindSpec(_SLACK, "post a notice in the channel"),
    DeliveryKind.POSTMORTEM_UPLOAD: KindSpec(
        _SLACK, "post the post-mortem draft", needs_roles=True
    ),
    # Optional (POSTMORTEM_CANVAS), owed by the upload once the draft is posted: a canvas
    # refused never fails the draft, nor posts it again.
    DeliveryKind.POSTMORTEM_CANVAS: KindSpec(_SLACK, "make the post-mortem canvas"),
    DeliveryKind.UPDATE_REMINDER: KindSpec(
        _SLACK, "remind the channel that an update is due", needs_roles=True
    ),
    DeliveryKind.ROLE_NOTIFY: KindSpec(
        _SLACK, "tell the new role holder what the role is", needs_roles=True
    ),
    DeliveryKind.ENTRY_REFRESH: KindSpec(_SLACK, "update a timeline entry's message"),
    DeliveryKind.ARCHIVED_NOTICE: KindSpec(
        _SLACK, "tell the commander what the archived channel missed", needs_roles=True
    ),
    DeliveryKind.MESSAGE_CAPTURE: KindSpec(
        Destination.SLACK_READ, "add a Slack message to the timeline"
    ),
    DeliveryKind.INCIDENT_SYNC: KindSpec(_STATUSPAGE, "publish the update on Statuspage"),
    DeliveryKind.POSTMORTEM_PUBLISH: KindSpec(_STATUSPAGE, "publish the summary on Statuspage"),
    DeliveryKind.SUBSCRIBERS_FANOUT: KindSpec(
        Destination.SUBSCRIBERS, "queue a public update for each subscriber"
    ),
    DeliveryKind.SUBSCRIPTION_CONFIRM: KindSpec(Destination.MAIL, "mail a confirmation link"),
    DeliveryKind.SUBSCRIBER_MAIL: KindSpec(Destination.MAIL, "mail a public update"),
    DeliveryKind.SUBSCRIBER_WEBHOOK: KindSpec(Destination.WEBHOOK, "post a public update"),
    # A trigger per page (its dedup key makes a retry harmless); one resolve for every page.
    DeliveryKind.PAGE_TRIGGER: KindSpec(Destination.PAGERDUTY, "page the service on PagerDuty"),
    DeliveryKind.PAGE_RESOLVE: KindSpec(
        Destination.PAGERDUTY, "resolve the incident's pages on PagerDuty"
    ),
    # A ticket is rendered whole from the action's state: a newer sync makes an older moot.
    DeliveryKind.ACTION_GITHUB: KindSpec(
        Destination.GITHUB, "make the follow-up action a GitHub issue", supersedable=True
    ),
    DeliveryKind.ACTION_JIRA: KindSpec(
        Destination.JIRA, "make the follow-up action a Jira issue", supersedable=True
    ),
    DeliveryKind.ACTION_OVERDUE: KindSpec(
        _SLACK, "remind the channel and the owner of an overdue action"
    ),
    # The user groups SEVERITY_RESPONDERS names for a severity: members read when delivered.
    DeliveryKind.RESPONDERS_INVITE: KindSpec(_SLACK, "invite the severity's responders"),
    DeliveryKind.CALL_BOOKMARK: KindSpec(_SLACK, "bookmark the incident call in the channel"),
}


@dataclass(frozen=True)
class Payload:
    """What a delivery carries besides its incident; unset fields are left out when stored."""

    entry_id: int | None = None
    users: tuple[str, ...] = ()
    user: str | None = None
    response_url: str | None = None
    text: str | None = None
    # A Slack message to capture: where and when it was written, and by whom (when known).
    channel: str | None = None
    ts: str | None = None
    author: str | None = None
    subscriber_id: int | None = None  # a status page subscriber's row
    service: str | None = None  # a PagerDuty service paged
    number: int | None = None  # a follow-up action's number in its incident
    groups: tuple[str, ...] = ()  # Slack user groups to invite (SEVERITY_RESPONDERS)
    severity: str | None = None  # the severity they respond to

    def to_json(self) -> dict[str, Any]:
        """Return the stored form: only the fields that are set."""
        # Read field by field: dataclasses.asdict deep-copies every value, on every change.
        stored: dict[str, Any] = {}
        for name in _PAYLOAD_FIELDS:
            value = getattr(self, name)
            if value or (name == "text" and value is not None):  # a message's text may be ""
                stored[name] = list(value) if isinstance(value, tuple) else value
        return stored

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Payload:
        """Read a stored payload."""
        entry_id = data.get("entry_id")
        return cls(
            entry_id=int(entry_id) if entry_id is not None else None,
            users=tuple(str(u) for u in data.get("users") or ()),
            user=data.get("user") or None,
            response_url=data.get("response_url") or None,
            text=data.get("text"),
            channel=data.get("channel") or None,
            ts=data.get("ts") or None,
            author=data.get("author") or None,
            subscriber_id=int(data["subscriber_id"]) if data.get("subscriber_id") else None,
            service=data.get("service") or None,
            number=int(data["number"]) if data.get("number") is not None else None,
            groups=tuple(str(g) for g in data.get("groups") or ()),
            severity=data.get("severity") or None,
        )


@dataclass(frozen=True)
class Owed:
    """A delivery a use case owes, before it is stored."""

    kind: DeliveryKind
    payload: Payload = field(default_factory=Payload)


@dataclass(frozen=True)
class Delivery:
    """One outbox row handed to a deliverer."""

    id: int
    incident_id: int | None
    kind: DeliveryKind
    payload: Payload
    attempts: int
    created_at: datetime
    # A retry, or a row picked up after a crash: an earlier try may have reached the peer.
    retrying: bool = False

    @property
    def destination(self) -> Destination:
        """Return where this delivery goes."""
        return self.kind.spec.destination


_PAYLOAD_FIELDS = tuple(f.name for f in fields(Payload))
