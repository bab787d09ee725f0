"""Wiring of status page subscriptions: their deliverers, built from Settings (for bot/app.py)."""

from __future__ import annotations

import aiohttp

from bot.config import Settings
from bot.domain.clock import Clock
from bot.domain.deliveries import Destination
from bot.domain.subscriptions import SubscriberKind, parse_smtp_url
from bot.publishers.base import Publisher
from bot.publishers.mail import MailPublisher
from bot.publishers.public_view import Links, PublicView
from bot.publishers.subscribers import FanOut
from bot.publishers.webhooks import WebhookPublisher
from bot.status_page.subscriptions_render import SubscribeForm
from storage.db import Database


def email_enabled(settings: Settings) -> bool:
    """Return whether the status page takes email subscriptions (SMTP_URL and the sender)."""
    return settings.smtp_url is not None and settings.status_email_from is not None


def subscribe_form(settings: Settings) -> SubscribeForm | None:
    """Return the status page's empty subscribe form, or None when email is not configured."""
    return SubscribeForm() if email_enabled(settings) else None


def subscription_publishers(
    settings: Settings, db: Database, http: aiohttp.ClientSession, clock: Clock
) -> dict[Destination, Publisher]:
    """Return the fan-out, webhook and (when configured) mail deliverers."""
    view = PublicView(
        db=db,
        title=settings.status_page_title,
        page_url=settings.public_url,
        links=Links(settings.public_url.removesuffix("/status")),
        components=lambda: settings.status_components,
        impact_of=settings.status_impact,
        clock=clock,
    )
    kinds = [SubscriberKind.WEBHOOK]
    publishers: dict[Destination, Publisher] = {
        Destination.WEBHOOK: WebhookPublisher(
            db=db, http=http, view=view, timeout=settings.subscriber_timeout, clock=clock
        ),
    }
    if settings.smtp_url is not None and settings.status_email_from is not None:
        kinds.append(SubscriberKind.EMAIL)
        publishers[Destination.MAIL] = MailPublisher(
            db=db,
            smtp=parse_smtp_url(settings.smtp_url.get_secret_value()),
            sender=settings.status_email_from,
            view=view,
            timeout=settings.subscriber_timeout,
            clock=clock,
        )
    publishers[Destination.SUBSCRIBERS] = FanOut(db=db, kinds=kinds, clock=clock)
    return publishers
