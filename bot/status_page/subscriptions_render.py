"""Render what subscribers read: the answer pages, the mails, the webhook body. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.domain.public import PublicIncident, PublicUpdate
from bot.domain.public_page import PublicPage
from bot.domain.subscriptions import STATUS_WORDS
from bot.status_page.render import _incident

_TEMPLATES = Path(__file__).parent / "templates"
_HTML = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)
# Plain text is not HTML: nothing to escape (header values are set through EmailMessage).
_TEXT = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class SubscribeForm:
    """The subscribe form's state: what was typed, and what is wrong with it."""

    value: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Button:
    """A one-button form: what it posts, where, and what the button says."""

    action: str
    token: str
    label: str


def answer_page(
    title: str,
    heading: str,
    message: str = "",
    *,
    button: Button | None = None,
    form: SubscribeForm | None = None,
) -> str:
    """Return a small answer page (subscribe, confirm, unsubscribe)."""
    return _HTML.get_template("subscription.html").render(
        title=title, heading=heading, message=message, button=button, subscribe=form
    )


@dataclass(frozen=True)
class Envelope:
    """Who a mail is from and to, and its unsubscribe link."""

    sender: str
    to: str
    title: str
    # The same on every try of one mail, so a mail sent twice (a lost answer) reads as one.
    message_id: str
    at: datetime
    unsubscribe_url: str | None = None


def _message(envelope: Envelope, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = envelope.to
    message["Subject"] = subject
    message["Date"] = format_datetime(envelope.at)
    message["Message-ID"] = envelope.message_id
    message["Auto-Submitted"] = "auto-generated"
    if envelope.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    return message


def confirmation_mail(envelope: Envelope, confirm_url: str) -> EmailMessage:
    """Return the mail that asks to confirm a subscription."""
    text = _TEXT.get_template("mail_confirm.txt").render(
        title=envelope.title, confirm_url=confirm_url
    )
    return _message(envelope, f"Confirm your subscription to {envelope.title}", text)


def update_mail(
    envelope: Envelope,
    *,
    page: PublicPage,
    incident: PublicIncident,
    update: PublicUpdate,
    incident_url: str,
) -> EmailMessage:
    """Return the mail of one public update: text, and the same as HTML."""
    values = {
        "title": envelope.title,
        "incident": incident,
        "update": update,
        "status": STATUS_WORDS[update.status],
        "incident_url": incident_url,
        "page_url": page.url,
        "unsubscribe_url": envelope.unsubscribe_url,
    }
    subject = f"[{envelope.title}] {incident.name}: {update.status.value.capitalize()}"
    subject = " ".join(subject.split())  # a name typed with line breaks stays one header line
    message = _message(envelope, subject, _TEXT.get_template("mail_update.txt").render(values))
    message.add_alternative(_HTML.get_template("mail_update.html").render(values), subtype="html")
    return message


def webhook_body(
    *, page: PublicPage, incident: PublicIncident, unsubscribe_url: str, documentation: str
) -> dict[str, Any]:
    """Return a notification in the shape of Atlassian Statuspage's incident webhooks."""
    return {
        "meta": {"unsubscribe": unsubscribe_url, "documentation": documentation},
        "page": {
            "id": "warroom",
            "status_indicator": page.indicator.value,
            "status_description": page.description,
        },
        "incident": _incident(page, incident),
    }
