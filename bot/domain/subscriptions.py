"""Status page subscriptions: who may subscribe, tokens, webhook signatures, the mail server URL.

Pure: stdlib only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from bot.domain.model import Status

MAX_ADDRESS = 254
SIGNATURE_HEADER = "X-Warroom-Signature"
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")

STATUS_WORDS = {
    Status.INVESTIGATING: "Investigating: we are looking into it",
    Status.IDENTIFIED: "Identified: we know the cause and are working on a fix",
    Status.MONITORING: "Monitoring: a fix is in place and we are watching it",
    Status.RESOLVED: "Resolved: this incident is over",
    Status.CANCELED: "Resolved: this incident is over",  # the public never reads "canceled"
}


class SubscriberKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class InvalidAddress(ValueError):
    """An email address or URL we refuse; the message is safe to show the person."""


def parse_email(text: str) -> str:
    """Return the address, its domain lower-cased, or raise InvalidAddress saying why."""
    if not text:
        raise InvalidAddress("Enter your email address.")
    if len(text) > MAX_ADDRESS:
        raise InvalidAddress(f"An email address has at most {MAX_ADDRESS} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidAddress("An email address has no spaces or line breaks.")
    if text.count("@") != 1:
        raise InvalidAddress("An email address has exactly one @, like name@example.com.")
    local, domain = text.split("@")
    dotted = local.startswith(".") or local.endswith(".") or ".." in local
    if not _LOCAL.fullmatch(local) or dotted:
        raise InvalidAddress("The part before the @ is not a valid mailbox name.")
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels) or labels[-1].isdigit():
        raise InvalidAddress("The part after the @ is not a valid domain, like example.com.")
    return f"{local}@{domain.rstrip('.').lower()}"


def is_email(text: str) -> bool:
    """Return whether `text` is an address parse_email takes."""
    try:
        parse_email(text)
    except InvalidAddress:
        return False
    return True


def parse_webhook_url(text: str) -> str:
    """Return an absolute http(s) URL, or raise InvalidAddress saying why."""
    if len(text) > 2000 or any(c.isspace() or ord(c) < 32 for c in text):
        raise InvalidAddress("A webhook URL has no spaces and at most 2000 characters.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidAddress("That is not a URL.") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidAddress("A webhook URL is absolute, http:// or https://, with a host.")
    if parts.username or parts.password or port == 0:
        raise InvalidAddress("A webhook URL carries no user name or password.")
    return text


def new_token() -> str:
    """Return an unguessable token for a link."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Return what is stored of a token: its SHA-256, so a database read gives no links."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """Return whether a signature header is valid for the body and recent enough."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    stamp = fields.get("t", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    return same_secret(sign(secret, int(stamp), body), f"t={stamp},v1={fields.get('v1', '')}")


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"  # smtp:// with a user: upgraded before the password is sent
    TLS = "tls"  # smtps://
    PLAIN = "plain"  # smtp:// without a user (a local relay, a test server)


@dataclass(frozen=True)
class SmtpTarget:
    """Where mail goes; the password is kept out of the repr."""

    host: str
    port: int
    security: SmtpSecurity
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse `smtp://user:pass@host:587` (STARTTLS), `smtps://...` or `smtp://host:port`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("not a URL") from None
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("not an smtp:// or smtps:// URL with a host")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if parts.scheme == "smtps":
        return SmtpTarget(parts.hostname, port or 465, SmtpSecurity.TLS, user, password)
    security = SmtpSecurity.STARTTLS if user else SmtpSecurity.PLAIN
    return SmtpTarget(parts.hostname, port or 587, security, user, password)


def unsubscribe_secret(kind: SubscriberKind, secret: str) -> str:
    """Return the secret part of a subscriber's unsubscribe link.

    An email's is its stored token; a webhook's is derived from its signing secret, so a
    logged notification never gives away the key that signs them.
    """
    if kind is SubscriberKind.EMAIL:
        return secret
    return hmac.new(secret.encode(), b"unsubscribe", hashlib.sha256).hexdigest()


def is_smtp_url(text: str) -> bool:
    """Return whether `text` is a URL parse_smtp_url takes."""
    try:
        parse_smtp_url(text)
    except ValueError:
        return False
    return True
