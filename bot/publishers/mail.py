"""Deliver mail to status page subscribers: confirmation links and public updates (SMTP)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.subscriptions import SmtpSecurity, SmtpTarget, SubscriberKind
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.public_view import PublicView
from bot.status_page.subscriptions_render import Envelope, confirmation_mail, update_mail
from storage.db import Database
from storage.models import Subscriber
from storage.subscribers import active_subscriber

log = logging.getLogger(__name__)
K = DeliveryKind
_AUTH_FAILED = 535


class MailPublisher:
    """Sends each mail row over SMTP; a retry re-renders it with the same Message-ID."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.MAIL)

    def __init__(
        self,
        *,
        db: Database,
        smtp: SmtpTarget,
        sender: str,
        view: PublicView,
        timeout: float,
        clock: Clock,
    ) -> None:
        self.db, self.smtp, self.sender, self.view = db, smtp, sender, view
        self.timeout, self.clock = timeout, clock
        self.domain = sender.rpartition("@")[2] or "warroom"

    async def deliver(self, delivery: Delivery) -> None:
        """Render the row's mail from current state and send it, unless it is moot."""
        match delivery.kind:
            case K.SUBSCRIPTION_CONFIRM:
                message = await self._confirmation(delivery)
            case K.SUBSCRIBER_MAIL:
                message = await self._update(delivery)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)
        if message is not None:
            await self._send(message)

    async def _subscriber(self, delivery: Delivery, *, pending_ok: bool) -> Subscriber | None:
        sid = delivery.payload.subscriber_id
        if sid is None:
            raise DeliveryError("a mail without its subscriber", permanent=True)
        async with self.db.read() as session:
            if pending_ok:
                return await session.get(Subscriber, sid)
            return await active_subscriber(session=session, subscriber_id=sid)

    async def _confirmation(self, delivery: Delivery) -> EmailMessage | None:
        row = await self._subscriber(delivery, pending_ok=True)
        token = delivery.payload.text
        if row is None or row.removed_at is not None or row.confirmed_at is not None or not token:
            return None  # confirmed or unsubscribed meanwhile: no link to send
        envelope = self._envelope(row, f"confirm-{delivery.id}")
        return confirmation_mail(envelope, self.view.links.confirm(token))

    async def _update(self, delivery: Delivery) -> EmailMessage | None:
        row = await self._subscriber(delivery, pending_ok=False)
        entry_id = delivery.payload.entry_id
        news = await self.view.news(entry_id) if entry_id is not None else None
        if row is None or row.id is None or news is None:
            return None  # unsubscribed since, or nothing public: nothing to send
        url = self.view.links.unsubscribe(SubscriberKind.EMAIL, row.id, row.secret)
        envelope = self._envelope(row, f"update-{entry_id}-{row.id}", unsubscribe_url=url)
        return update_mail(
            envelope,
            page=news.page,
            incident=news.incident,
            update=news.update,
            incident_url=news.incident_url,
        )

    def _envelope(self, row: Subscriber, what: str, unsubscribe_url: str | None = None) -> Envelope:
        return Envelope(
            sender=self.sender,
            to=row.address,
            title=self.view.title,
            message_id=f"<{what}@{self.domain}>",
            at=self.clock(),
            unsubscribe_url=unsubscribe_url,
        )

    async def _send(self, message: EmailMessage) -> None:
        smtp = self.smtp
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.security is SmtpSecurity.TLS,
                start_tls=smtp.security is SmtpSecurity.STARTTLS,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP: the recipient was refused", permanent=True) from None
        except aiosmtplib.SMTPResponseException as error:
            # 5xx is the server's final word (a refused recipient); 4xx and a failed login
            # (a password being rotated) are tried again until OUTBOX_DEAD_AFTER.
            final = error.code >= 500 and error.code != _AUTH_FAILED
            raise DeliveryError(f"SMTP {error.code}", permanent=final) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise DeliveryError(f"mail server: {type(error).__name__}") from None

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Log it (never the address's secrets): the reader cannot be told by mail."""
        log.warning(
            "mail row %s (%s) failed: %s; dead: %s", delivery.id, delivery.kind, error, dead
        )
