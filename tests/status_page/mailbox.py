"""A real SMTP server (aiosmtpd) run by the test, and the mails it received."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from tests.support import free_port

PUBLIC = "https://status.example.com"  # PUBLIC_BASE_URL of the tests' bots
SECRET_WORDS = ("SECRET-INTERNAL-NOTE", "shard 7", "U0ALICE", "U0BOB", "Checkout DB")


class Mailbox:
    """Receives mail on a local port; can go down and come back on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[EmailMessage] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        return "250 OK"

    def start(self) -> None:
        """Listen (again) on the mailbox's port."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        """Return the mails received for `address`, oldest first."""
        return [m for m in self.mails if m["To"] == address]

    def updates(self, address: str) -> list[EmailMessage]:
        """Return the update mails (not confirmations) received for `address`."""
        return [m for m in self.to(address) if "List-Unsubscribe" in m]


def text_of(mail: EmailMessage) -> str:
    """Return the mail's plain-text body."""
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def everything_in(mail: EmailMessage) -> str:
    """Return the mail's headers and every part, decoded."""
    parts = [str(p.get_content()) for p in mail.walk() if not p.is_multipart()]  # type: ignore[attr-defined]
    return "\n".join([*(f"{k}: {v}" for k, v in mail.items()), *parts])


def link(mail: EmailMessage, path: str, bot_url: str) -> str:
    """Return the mail's link to `path` (made to point at the test's bot)."""
    found = re.search(re.escape(PUBLIC + path) + r"\?token=[A-Za-z0-9_.\-]+", text_of(mail))
    assert found, text_of(mail)
    return found.group(0).replace(PUBLIC, bot_url)
