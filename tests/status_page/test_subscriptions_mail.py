"""Email subscriptions over real HTTP, with a real SMTP server: double opt-in, one mail per
public update per confirmed address, one-click unsubscribe, outages, abuse, bad input."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.config import Secret
from bot.domain.clock import utc_now
from bot.keys import DATABASE
from sandbox.slack_emulator import SlackEmulator
from storage import outbox
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.status_page.mailbox import PUBLIC, SECRET_WORDS, Mailbox, everything_in, link, text_of
from tests.support import wait_until

CHECK_INBOX = "Check your inbox"
NAME = "Elevated checkout errors"


class LaterClock:
    """The real time, moved on by what a test skips (the bot's clock is injectable)."""

    def __init__(self) -> None:
        self.skipped = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.skipped


@pytest.fixture
def clock() -> LaterClock:
    return LaterClock()


@pytest.fixture
async def mail_bot(
    emulator: SlackEmulator,
    database_url: str,
    http: aiohttp.ClientSession,
    mailbox: Mailbox,
    clock: LaterClock,
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        status_components=("API", "ChatGPT"),
        status_page_title="Example Status",
        public_base_url=PUBLIC,
        smtp_url=Secret(mailbox.url),
        status_email_from="status@example.com",
        subscribe_limit_address=2,
        subscribe_limit_client=4,
    )
    bot = await start_bot(settings, emulator, http, clock=clock)
    yield bot
    await bot.stop()


async def post(bot: Bot, path: str, data: dict[str, str] | str) -> tuple[int, str]:
    async with bot.http.post(bot.url + path, data=data) as response:
        return response.status, await response.text()


async def subscribe(bot: Bot, address: str) -> str:
    status, body = await post(bot, "/status/subscribe", {"email": address})
    assert status == 200, body
    assert CHECK_INBOX in body
    return body


async def confirm(bot: Bot, mailbox: Mailbox, address: str) -> None:
    """Subscribe and confirm through the mailed link's page and its button."""
    await subscribe(bot, address)
    await wait_until(lambda: len(mailbox.to(address)) == 1, 20, f"confirmation to {address}")
    url = link(mailbox.to(address)[0], "/status/confirm", bot.url)
    async with bot.http.get(url) as response:
        page = await response.text()
    assert response.status == 200
    assert 'action="/status/confirm"' in page
    token = parse_qs(urlsplit(url).query)["token"][0]
    status, body = await post(bot, "/status/confirm", {"token": token})
    assert status == 200, body
    assert "You are subscribed" in body


async def incident(bot: Bot) -> str:
    """Declare, with an internal note, a public name and a bare component change."""
    channel = await bot.declare("declare sev1 Checkout DB shard 7 corrupt")
    for user, text in [
        (BOB, "update SECRET-INTERNAL-NOTE: restoring shard 7 from backup"),
        (ALICE, f"public-name {NAME}"),
        (ALICE, "impact API partial"),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    return channel


async def say(bot: Bot, channel: str, text: str) -> None:
    reply = await bot.command(ALICE, channel, text)
    assert ":warning:" not in reply.text, reply.text


async def test_subscription_flow_one_mail_per_update_until_unsubscribed(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    async with mail_bot.http.get(mail_bot.url + "/status") as response:
        page = await response.text()
        assert "form-action 'self'" in response.headers["Content-Security-Policy"]
    assert 'action="/status/subscribe"' in page
    await confirm(mail_bot, mailbox, "reader@example.com")
    await confirm(mail_bot, mailbox, "second@example.com")
    await subscribe(mail_bot, "pending@example.com")  # never confirmed

    channel = await incident(mail_bot)
    await say(mail_bot, channel, "status identified We found the cause & are fixing it")
    await mail_bot.settle()

    for address in ("reader@example.com", "second@example.com"):
        [mail] = mailbox.updates(address)
        body = text_of(mail)
        assert NAME in mail["Subject"]
        assert "We found the cause & are fixing it" in body
        assert "Identified: we know the cause" in body
        assert "- API: Partial outage" in body  # the component change rides with the message
        assert re.search(rf"{PUBLIC}/incidents/\w+", body)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header_url = mail["List-Unsubscribe"].strip("<>")
        assert header_url.startswith(f"{PUBLIC}/status/unsubscribe?token=")
        assert header_url in body
        for word in SECRET_WORDS:
            assert word not in everything_in(mail), word
    assert mailbox.updates("pending@example.com") == []

    # The body's link opens a page; only its button unsubscribes (scanners fetch links).
    reader_url = link(mailbox.updates("reader@example.com")[0], "/status/unsubscribe", mail_bot.url)
    async with mail_bot.http.get(reader_url) as response:
        assert 'action="/status/unsubscribe"' in await response.text()
    token = parse_qs(urlsplit(reader_url).query)["token"][0]
    await say(mail_bot, channel, "status monitoring A fix is out")
    await mail_bot.settle()
    assert len(mailbox.updates("reader@example.com")) == 2  # the GET unsubscribed nobody
    status, body = await post(mail_bot, "/status/unsubscribe", {"token": token})
    assert status == 200
    assert "You are unsubscribed" in body
    # RFC 8058: a POST of List-Unsubscribe=One-Click to the header's URL, at once.
    one_click = mailbox.updates("second@example.com")[0]["List-Unsubscribe"].strip("<>")
    one_click = one_click.replace(PUBLIC, mail_bot.url)
    status, _ = await post(mail_bot, one_click[len(mail_bot.url) :], "List-Unsubscribe=One-Click")
    assert status == 200

    await say(mail_bot, channel, "resolve Error rates are back to normal")
    await mail_bot.settle()
    assert len(mailbox.updates("reader@example.com")) == 2
    assert len(mailbox.updates("second@example.com")) == 2


async def test_confirm_link_opened_but_not_confirmed_gets_no_update(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    await subscribe(mail_bot, "scanner@example.com")
    await wait_until(lambda: len(mailbox.to("scanner@example.com")) == 1)
    url = link(mailbox.to("scanner@example.com")[0], "/status/confirm", mail_bot.url)
    async with mail_bot.http.get(url) as response:  # a mail scanner prefetching the link
        assert response.status == 200
    channel = await incident(mail_bot)
    await say(mail_bot, channel, "status identified Found it")
    await mail_bot.settle()
    assert mailbox.updates("scanner@example.com") == []


async def test_mail_server_down_then_back_loses_and_doubles_nothing(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    await confirm(mail_bot, mailbox, "reader@example.com")
    channel = await incident(mail_bot)
    mailbox.stop()
    await say(mail_bot, channel, "status identified First")
    await say(mail_bot, channel, "status monitoring Second")
    db = mail_bot.app[DATABASE]

    async def failed_twice() -> bool:
        async with db.read() as session:
            rows = await outbox.list_undelivered(session=session)
        return any(r.kind == "subscriber.mail" and r.attempts >= 2 for r in rows)

    await wait_until(failed_twice, 20, "mail deliveries failing while the server is down")
    assert mailbox.updates("reader@example.com") == []
    mailbox.start()
    await mail_bot.settle()
    bodies = [text_of(m) for m in mailbox.updates("reader@example.com")]
    assert len(bodies) == 2, bodies
    assert "First" in bodies[0]
    assert "Second" in bodies[1]


async def test_subscribe_over_limits_same_answer_and_mails_capped(
    mail_bot: Bot, mailbox: Mailbox, clock: LaterClock
) -> None:
    answers = set()
    for address in ["victim@example.com"] * 4 + [f"other{n}@example.com" for n in range(3)]:
        answers.add(await subscribe(mail_bot, address))
        await mail_bot.settle()  # nothing in flight when the clock jumps (leases would lapse)
        clock.skipped += timedelta(minutes=2)  # past the double-click guard, within the hour
    await mail_bot.settle()
    assert len(answers) == 1  # the same page whether or not a mail went out
    assert len(mailbox.to("victim@example.com")) == 2  # per address: 2 an hour
    assert len(mailbox.mails) == 4  # per client: 4 an hour


async def test_subscribe_already_confirmed_same_answer_no_mail(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    await confirm(mail_bot, mailbox, "reader@example.com")
    fresh = await subscribe(mail_bot, "new@example.com")
    again = await subscribe(mail_bot, "reader@example.com")
    await mail_bot.settle()
    assert again == fresh
    assert len(mailbox.to("reader@example.com")) == 1  # the first confirmation only


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("", "Enter your email address."),
        ("no-at-sign.example.com", "exactly one @"),
        ("a@b@example.com", "exactly one @"),
        ("a b@example.com", "no spaces"),
        ("evil@example.com\r\nBcc: x@example.com", "no spaces or line breaks"),
        ("<script>@example.com", "not a valid mailbox"),
        ("me@localhost", "not a valid domain"),
        ("me@" + "a" * 250 + ".com", "at most 254"),
    ],
)
async def test_subscribe_malformed_address_field_error(
    mail_bot: Bot, mailbox: Mailbox, address: str, error: str
) -> None:
    status, body = await post(mail_bot, "/status/subscribe", {"email": address})
    assert status == 400
    assert 'aria-invalid="true"' in body
    assert error in html.unescape(body)
    assert "<script>" not in body
    await mail_bot.settle()
    assert mailbox.mails == []


async def test_subscribe_oversized_body_refused(mail_bot: Bot) -> None:
    status, _ = await post(mail_bot, "/status/subscribe", {"email": "a@example.com" + "x" * 5000})
    assert status == 413


async def test_unsubscribe_unknown_token_changes_nothing(mail_bot: Bot) -> None:
    for token in ("", "1.nope", "x.y", "².abc", "9" * 40 + ".a"):
        status, body = await post(mail_bot, "/status/unsubscribe", {"token": token})
        assert status == 404
        assert "not valid" in body


async def test_no_smtp_no_form_and_routes_404(bot: Bot) -> None:
    async with bot.http.get(bot.url + "/status") as response:
        assert "/status/subscribe" not in await response.text()
    for path in ("/status/subscribe", "/status/confirm"):
        async with bot.http.post(bot.url + path, data={"email": "a@example.com"}) as response:
            assert response.status == 404


async def test_subscribe_double_click_one_answer_one_mail(mail_bot: Bot, mailbox: Mailbox) -> None:
    answers = await asyncio.gather(*(subscribe(mail_bot, "twice@example.com") for _ in range(2)))
    await mail_bot.settle()
    assert answers[0] == answers[1]
    assert len(mailbox.to("twice@example.com")) == 1


async def test_smtp_login_needs_starttls_and_password_never_logged(
    emulator: SlackEmulator,
    database_url: str,
    http: aiohttp.ClientSession,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "SMTPTOPSECRET" + "x7" * 8
    settings = bot_settings(
        emulator,
        database_url,
        public_base_url=PUBLIC,
        smtp_url=Secret(f"smtp://me:{password}@127.0.0.1:{mailbox.port}"),
        status_email_from="status@example.com",
    )
    bot = await start_bot(settings, emulator, http)
    try:
        await subscribe(bot, "reader@example.com")
        db = bot.app[DATABASE]

        async def retried() -> bool:
            async with db.read() as session:
                rows = await outbox.list_undelivered(session=session)
            return any(r.kind == "subscription.confirm" and r.attempts >= 2 for r in rows)

        await wait_until(retried, 20, "the confirmation retried: this server offers no STARTTLS")
    finally:
        await bot.stop()
    assert mailbox.mails == []  # the login and the mail never went out in clear text
    assert "mail server: SMTPException" in caplog.text
    assert password not in caplog.text
    assert password not in repr(settings)


async def test_mail_server_down_past_dead_after_row_dead_later_updates_go(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, mailbox: Mailbox
) -> None:
    settings = bot_settings(
        emulator,
        database_url,
        public_base_url=PUBLIC,
        smtp_url=Secret(mailbox.url),
        status_email_from="status@example.com",
        status_components=("API",),
        outbox_dead_after=1.0,
    )
    bot = await start_bot(settings, emulator, http)
    try:
        await confirm(bot, mailbox, "reader@example.com")
        channel = await incident(bot)
        mailbox.stop()
        await say(bot, channel, "status identified Lost in the outage")
        db = bot.app[DATABASE]

        async def dead() -> bool:
            async with db.read() as session:
                rows = await outbox.list_undelivered(session=session)
            return any(r.kind == "subscriber.mail" and r.status == outbox.DEAD for r in rows)

        await wait_until(dead, 20, "the update's mail given up after OUTBOX_DEAD_AFTER")
        mailbox.start()
        await say(bot, channel, "status monitoring After the outage")
        await bot.settle()
    finally:
        await bot.stop()
    [mail] = mailbox.updates("reader@example.com")
    assert "After the outage" in text_of(mail)


async def test_update_mail_hostile_public_name_stays_one_subject_line(
    mail_bot: Bot, mailbox: Mailbox
) -> None:
    await confirm(mail_bot, mailbox, "reader@example.com")
    channel = await mail_bot.declare("declare sev2 Something")
    await say(mail_bot, channel, "public-name Errors\nBcc: victim@example.com <b>bold</b>")
    await say(mail_bot, channel, "status identified Found <i>it</i>")
    await mail_bot.settle()
    [mail] = mailbox.updates("reader@example.com")
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"]
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    content = str(html_part.get_content())  # type: ignore[attr-defined]
    assert "<b>bold</b>" not in content
    assert "&lt;i&gt;it&lt;/i&gt;" in content
