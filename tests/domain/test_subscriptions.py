"""Subscription rules: addresses, webhook URLs, signatures, the SMTP URL, and their settings."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.subscriptions import (
    InvalidAddress,
    SmtpSecurity,
    parse_email,
    parse_smtp_url,
    parse_webhook_url,
    sign,
    verify,
)
from bot.subscriptions_wiring import email_enabled

HTTP_ENV = {"SLACK_BOT_TOKEN": "xoxb-1-x", "SLACK_SIGNING_SECRET": "s"}
SMTP_PASSWORD = "SMTPTOPSECRETpw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reader@example.com", "reader@example.com"),
        ("First.Last+status@Mail.Example.COM", "First.Last+status@mail.example.com"),
        ("o'neil@example.co.uk.", "o'neil@example.co.uk"),
    ],
)
def test_parse_email_valid_address_normalised(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "a@@example.com",
        "a@b@example.com",
        " a@example.com",
        "a@example.com\n",
        "a\r\nBcc: x@example.com",
        "a\x00@example.com",
        ".a@example.com",
        "a..b@example.com",
        "a@localhost",
        "a@-bad-.com",
        "a@example.123",
        "a@exa_mple.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        "<b>@example.com",
    ],
)
def test_parse_email_malformed_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_email(text)
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize(
    "url", ["ftp://x.example/h", "/hook", "https://", "https://u:p@x.example/h", "http://a b/"]
)
def test_parse_webhook_url_not_absolute_http_refused(url: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_webhook_url(url)


def test_sign_then_verify_holds_and_tampering_fails() -> None:
    header = sign("key", 1_800_000_000, b'{"a":1}')
    assert header.startswith("t=1800000000,v1=")
    assert verify("key", header, b'{"a":1}', now=1_800_000_100)
    assert not verify("key", header, b'{"a":2}', now=1_800_000_100)
    assert not verify("other", header, b'{"a":1}', now=1_800_000_100)
    assert not verify("key", header, b'{"a":1}', now=1_800_001_000)  # too old: a replay
    assert not verify("key", "garbage", b'{"a":1}', now=1_800_000_000)


def test_parse_smtp_url_schemes_and_password_hidden() -> None:
    starttls = parse_smtp_url(f"smtp://me%40x.io:{SMTP_PASSWORD}@mail.example.com:587")
    assert starttls.security is SmtpSecurity.STARTTLS
    assert starttls.username == "me@x.io"
    assert starttls.password == SMTP_PASSWORD
    assert SMTP_PASSWORD not in repr(starttls)
    assert parse_smtp_url("smtps://u:p@mail.example.com").port == 465
    assert parse_smtp_url("smtp://127.0.0.1:2525").security is SmtpSecurity.PLAIN


def test_settings_smtp_password_never_in_repr_or_errors() -> None:
    env = {
        **HTTP_ENV,
        "SMTP_URL": f"smtp://me:{SMTP_PASSWORD}@mail.example.com:587",
        "STATUS_EMAIL_FROM": "status@example.com",
    }
    settings = load_settings(env)
    assert email_enabled(settings)
    assert SMTP_PASSWORD not in repr(settings)
    assert SMTP_PASSWORD not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SMTP_URL": f"http://me:{SMTP_PASSWORD}@x", "STATUS_EMAIL_FROM": "a@b.io"}, "SMTP_URL"),
        ({"SMTP_URL": "smtp://x:25", "STATUS_EMAIL_FROM": "not an address"}, "STATUS_EMAIL_FROM"),
        ({"SMTP_URL": f"smtp://me:{SMTP_PASSWORD}@x:25"}, "SMTP_URL, STATUS_EMAIL_FROM"),
        ({"STATUS_EMAIL_FROM": "a@b.io"}, "SMTP_URL, STATUS_EMAIL_FROM"),
        ({"SUBSCRIBE_LIMIT_PER_ADDRESS": "lots"}, "SUBSCRIBE_LIMIT_PER_ADDRESS"),
        ({"SUBSCRIBER_TIMEOUT": "0"}, "SUBSCRIBER_TIMEOUT"),
    ],
)
def test_settings_subscription_misconfiguration_one_line_naming_it(
    changes: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**HTTP_ENV, **changes})
    message = str(caught.value)
    assert message.startswith(variable)
    assert "\n" not in message
    assert SMTP_PASSWORD not in message


def test_settings_without_smtp_email_subscriptions_off() -> None:
    assert not email_enabled(load_settings(HTTP_ENV))
