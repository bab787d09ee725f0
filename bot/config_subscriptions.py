"""The settings of status page subscriptions: a part of bot/config.py's Settings (its base)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, SecretStr

from bot.domain.subscriptions import is_email, is_smtp_url

# The fields that must be set together (bot/config.py checks them with the other groups).
EMAIL_TOGETHER = ("smtp_url", "status_email_from")


def _smtp_url(url: SecretStr) -> SecretStr:
    if not is_smtp_url(url.get_secret_value()):
        raise ValueError("unexpected value")  # the message comes from the field's description
    return url


def _email(text: str) -> str:
    if not is_email(text):
        raise ValueError("unexpected value")
    return text


class SubscriptionSettings(BaseModel):
    """Email needs SMTP_URL and STATUS_EMAIL_FROM; webhooks need nothing more."""

    smtp_url: Annotated[SecretStr, AfterValidator(_smtp_url)] | None = Field(
        None,
        alias="SMTP_URL",
        description="smtp://user:password@host:587 (STARTTLS), smtps://... (TLS) or smtp://host:25",
    )
    status_email_from: Annotated[str, AfterValidator(_email)] | None = Field(
        None, alias="STATUS_EMAIL_FROM", description="an email address, like status@example.com"
    )
    subscribe_limit_address: int = Field(
        3, ge=1, le=100, alias="SUBSCRIBE_LIMIT_PER_ADDRESS", description="a whole number, 1-100"
    )
    subscribe_limit_client: int = Field(
        10, ge=1, le=1000, alias="SUBSCRIBE_LIMIT_PER_CLIENT", description="a whole number, 1-1000"
    )
    subscriber_timeout: float = Field(
        10.0,
        ge=0.1,
        le=120,
        allow_inf_nan=False,
        alias="SUBSCRIBER_TIMEOUT",
        description="a number between 0.1 and 120",
    )
