"""SQLModel tables. Times are stored as tz-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC that always loads tz-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; warroom stores tz-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class Counter(SQLModel, table=True):
    """A named sequence; incident numbers come from the `incident` row."""

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


class Incident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    severity: str = Field(max_length=10)
    status: str = Field(max_length=20)
    declared_by: str = Field(max_length=32)
    origin_channel_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32, unique=True)
    channel_name: str | None = Field(default=None, max_length=80)
    summary_ts: str | None = Field(default=None, max_length=32)
    headline_ts: str | None = Field(default=None, max_length=32)  # in the stakeholders' channel
    uid: str = Field(max_length=16, unique=True)
    public_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    statuspage_id: str | None = Field(default=None, max_length=32)
    statuspage_url: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)
    started_at: datetime | None = _ts(nullable=True)
    detected_at: datetime | None = _ts(nullable=True)
    mitigated_at: datetime | None = _ts(nullable=True)
    postmortem_public: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    postmortem_published_at: datetime | None = _ts(nullable=True)
    # The update cadence: seconds between stakeholder updates (None: off), whether someone set
    # it for this incident (else it follows the severity), the update clock (when the last
    # update came, when the next is due), and when the next reminder goes out.
    cadence_seconds: int | None = None
    cadence_custom: bool = False
    last_update_at: datetime | None = _ts(nullable=True)
    next_update_at: datetime | None = _ts(nullable=True)
    remind_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    # The incident's own order: each entry takes the next place while the incident is locked.
    entry_count: int = 0
    # Someone archived the channel: what could not be posted is told once, and posted again
    # when the channel is unarchived.
    channel_archived: bool = False
    # A private incident: a private channel, seen only by its members, never on a public surface.
    private: bool = False


class IncidentMember(SQLModel, table=True):
    """Who may see a private incident: its declarer, who was invited, who joined its channel."""

    __tablename__ = "incident_member"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_incident_member"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    user_id: str = Field(max_length=32, index=True)
    since: datetime = _ts()


class TimelineEntry(SQLModel, table=True):
    """An append-only record of what happened in an incident."""

    __tablename__ = "timeline_entry"
    __table_args__ = (
        UniqueConstraint("incident_id", "source_ts", name="uq_entry_source"),
        UniqueConstraint("incident_id", "seq", name="uq_entry_seq"),
        Index("ix_entry_source_message", "source_channel", "source_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = _ts()
    actor_id: str = Field(max_length=32)
    kind: str = Field(max_length=20)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    seq: int = 0  # its place in the incident's order, given under the incident's lock
    source_ts: str | None = Field(default=None, max_length=32)
    source_channel: str | None = Field(default=None, max_length=32)
    # A captured message followed in Slack: the ts of its latest edit applied, and deletion.
    edited_ts: str | None = Field(default=None, max_length=32)
    deleted: bool = False
    slack_ts: str | None = Field(default=None, max_length=32)
    mirrored: bool = False  # confirmed on Atlassian Statuspage


class RoleAssignment(SQLModel, table=True):
    """Who held a role and when; the current holder has no `ended_at`."""

    __tablename__ = "role_assignment"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    role: str = Field(max_length=20)
    user_id: str = Field(max_length=32)
    assigned_by: str = Field(max_length=32)
    started_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)


class OutboxRow(SQLModel, table=True):
    """A side effect owed to the outside world, written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "destination", "incident_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    destination: str = Field(max_length=20)
    kind: str = Field(max_length=40)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    next_attempt_at: datetime = _ts()
    locked_until: datetime | None = _ts(nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)


class ProcessedEvent(SQLModel, table=True):
    """Slack event IDs already applied: Slack delivers events at least once."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts()


class FollowUp(SQLModel, table=True):
    """A follow-up action, numbered per incident."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_follow_up_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: str | None = Field(default=None, max_length=32)
    done: bool = False
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)
    priority: str | None = Field(default=None, max_length=4)
    due_on: date | None = None
    public: bool = False  # its title may appear in the public summary
    # The tickets it became (GitHub issue number, Jira key) and a link to show; the due
    # reminder, owed once.
    github_number: int | None = None
    jira_key: str | None = Field(default=None, max_length=32)
    ticket_url: str | None = Field(default=None, max_length=300)
    due_reminded: bool = False


class Person(SQLModel, table=True):
    """A Slack user's display name and time zone, as last seen."""

    user_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    tz: str | None = Field(default=None, max_length=64)
    updated_at: datetime = _ts()


class Subscriber(SQLModel, table=True):
    """Someone told of public updates: a confirmed email address, or a webhook URL.

    `secret` is the webhook's signing key, or the email's unsubscribe token (each mail carries
    it, so it is kept; it is compared in constant time). Only the confirmation token's hash is
    stored. An unsubscribed address keeps its row (`removed_at`) until it subscribes again.
    """

    __table_args__ = (UniqueConstraint("kind", "address", name="uq_subscriber_address"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    address: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(max_length=64)
    confirm_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = _ts()
    confirmed_at: datetime | None = _ts(nullable=True)
    removed_at: datetime | None = _ts(nullable=True)


class SubscriberNotice(SQLModel, table=True):
    """One public update owed to one subscriber: the key that keeps a retried fan-out single."""

    __tablename__ = "subscriber_notice"
    __table_args__ = (UniqueConstraint("entry_id", "subscriber_id", name="uq_notice"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="timeline_entry.id")
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)


class SubscribeAttempt(SQLModel, table=True):
    """A confirmation mail asked for: what bounds them per address and per client an hour."""

    __tablename__ = "subscribe_attempt"
    __table_args__ = (Index("ix_subscribe_attempt_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(sa_column=Column(Text, nullable=False))
    client: str = Field(max_length=64)
    at: datetime = _ts()


class AlertLink(SQLModel, table=True):
    """An alert from monitoring and the incident it opened or joined: one row per alert, so a
    repeat never opens a second incident."""

    __tablename__ = "alert_link"
    __table_args__ = (UniqueConstraint("source", "alert_key", name="uq_alert_link"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)
    alert_key: str = Field(max_length=255)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    firing: bool = True
    updated_at: datetime = _ts()


class HomeViewer(SQLModel, table=True):
    """Someone who opened warroom's Home tab, kept current while they opened it recently.

    Slack sends no "tab closed" event: a viewer counts as watching for HOME_ACTIVE_HOURS after
    they last opened the tab. `shown_version` is the version of the incidents their Home last
    showed (None: publish at the next turn); `locked_until` keeps other replicas off a viewer
    while one publishes; `next_try_at` backs off while Slack refuses.
    """

    __tablename__ = "home_viewer"

    user_id: str = Field(primary_key=True, max_length=32)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    shown_version: str | None = Field(default=None, max_length=100)
    view_hash: str | None = Field(default=None, max_length=64)
    published_at: datetime | None = _ts(nullable=True)
    next_try_at: datetime = _ts()
    locked_until: datetime | None = _ts(nullable=True)
    attempts: int = 0
