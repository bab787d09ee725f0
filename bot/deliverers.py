"""The outbox's deliverers and the Slack clients, built from Settings (a part of app.py's
wiring: the one place that sees everything is these two modules)."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.domain.clock import Clock
from bot.domain.deliveries import Destination
from bot.domain.paging import keys_of
from bot.publishers.base import Publisher
from bot.publishers.github import GithubPublisher
from bot.publishers.github_client import GithubClient
from bot.publishers.jira import JiraPublisher
from bot.publishers.jira_client import JiraClient
from bot.publishers.pace import Pace
from bot.publishers.pagerduty import PagerDutyClient, PagerDutyPublisher
from bot.publishers.slack import SlackPublisher
from bot.publishers.slack_capture import Capturer, Record
from bot.publishers.slack_paced import PacedClient
from bot.publishers.slack_responders import Note
from bot.publishers.statuspage import StatuspagePublisher
from bot.publishers.statuspage_client import StatuspageClient
from bot.publishers.tracker import TrackerRecords
from bot.subscriptions_wiring import subscription_publishers
from storage.db import Database


def slack_client(
    settings: Settings, http: aiohttp.ClientSession, *, token: bool, paced: bool = False
) -> AsyncWebClient:
    """Return a Web API client; the deliverers' one is paced under Slack's limits (one pace
    shared by every delivery), the listeners' ones never wait (acks come first)."""
    # slack_sdk applies its own timeout only to file uploads it sends itself; whole seconds.
    options: dict[str, Any] = {
        "token": settings.slack_bot_token.reveal() if token else None,
        "base_url": settings.slack_api_url,
        "session": http,
        "timeout": max(1, round(settings.slack_timeout)),
        "retry_handlers": [],
    }
    if paced:
        return PacedClient(pace=Pace(), post_interval=settings.slack_post_interval, **options)
    return AsyncWebClient(**options)


def _statuspage(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock
) -> StatuspagePublisher | None:
    if settings.statuspage_api_key is None or settings.statuspage_page_id is None:
        return None
    client = StatuspageClient(
        http=http,
        base_url=settings.statuspage_api_url,
        page_id=settings.statuspage_page_id,
        api_key=settings.statuspage_api_key,
        rate=settings.statuspage_rate,
    )
    return StatuspagePublisher(db=db, client=client, impact_of=settings.status_impact, clock=clock)


def publishers(
    settings: Settings,
    db: Database,
    http: aiohttp.ClientSession,
    clock: Clock,
    record: Record,
    note: Note,
) -> tuple[dict[Destination, Publisher], StatuspagePublisher | None]:
    """Return the deliverer of each destination, and Statuspage's (when configured);
    `record` and `note` put what a delivery read from Slack on the timeline."""
    client = slack_client(settings, http, token=True, paced=True)
    slack = SlackPublisher(
        db=db,
        client=client,
        http=http,
        channel_prefix=settings.channel_prefix,
        announce_channel=settings.announce_channel,
        private_announce_channel=settings.private_announce_channel,
        status_page_url=settings.public_url if settings.status_page_enabled else None,
        display_timezone=settings.display_timezone,
        postmortem_canvas=settings.postmortem_canvas,
        call_url=settings.incident_call_url,
        note_responders=note,
        clock=clock,
    )
    publishers: dict[Destination, Publisher] = {
        Destination.SLACK: slack,
        Destination.SLACK_READ: Capturer(db=db, client=client, record=record),
    }
    statuspage = _statuspage(settings, db, http, clock)
    if statuspage is not None:
        publishers[Destination.STATUSPAGE] = statuspage
    publishers.update(subscription_publishers(settings, db, http, clock))
    if keys_of(settings.pagerduty_routing_keys):
        publishers[Destination.PAGERDUTY] = PagerDutyPublisher(
            db=db,
            client=PagerDutyClient(http=http, url=settings.pagerduty_events_url),
            routing_keys=keys_of(settings.pagerduty_routing_keys),
            status_page_url=settings.public_url if settings.status_page_enabled else None,
            clock=clock,
        )
    publishers.update(_trackers(settings, db, http, clock))
    return publishers, statuspage


def _trackers(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock
) -> dict[Destination, Publisher]:
    """Return the backlogs follow-up actions become tickets in (GitHub issues, Jira)."""
    found: dict[Destination, Publisher] = {}
    records = TrackerRecords(db=db, clock=clock)
    if settings.github_token is not None and settings.github_repo is not None:
        client = GithubClient(
            http=http,
            base_url=settings.github_api_url,
            repo=settings.github_repo,
            token=settings.github_token,
        )
        owners = settings.action_owners
        found[Destination.GITHUB] = GithubPublisher(
            records=records, client=client, owners=owners, clock=clock
        )
    if settings.jira_url and settings.jira_email and settings.jira_api_token:
        jira = JiraClient(
            http=http,
            base_url=settings.jira_url,
            email=settings.jira_email,
            token=settings.jira_api_token,
        )
        found[Destination.JIRA] = JiraPublisher(
            records=records,
            client=jira,
            project=settings.jira_project or "",
            issue_type=settings.jira_issue_type,
            done_transition=settings.jira_done_transition,
            clock=clock,
        )
    return found
