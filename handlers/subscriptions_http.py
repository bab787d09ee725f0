"""HTTP routes of status page email subscriptions: subscribe, confirm, unsubscribe.

Served only when email subscriptions are configured (else 404). A GET never changes
anything (mail scanners fetch links): confirming and unsubscribing are POSTs, the latter
also as RFC 8058's one-click POST to the List-Unsubscribe URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web

from bot.domain.errors import TryAgain
from bot.domain.subscriptions import InvalidAddress
from bot.keys import CONTEXT, SETTINGS
from bot.service import subscriptions as use
from bot.status_page.subscriptions_render import Button, SubscribeForm, answer_page
from handlers.status_page import CSP

MAX_BODY = 4096
CHECK_INBOX = (
    "Check your inbox: we sent a link to confirm your subscription. "
    "Nothing is mailed to you until you open it."
)
BUSY = "We could not take that just now. Please try again in a moment."
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the tokens in these URLs stay here
    "Cache-Control": "no-store",
}


def _page(request: web.Request, heading: str, message: str = "", **extra: object) -> str:
    title = request.app[SETTINGS].status_page_title
    return answer_page(title, heading, message, **extra)  # type: ignore[arg-type]


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=body, status=status, content_type="text/html", charset="utf-8", headers=_HEADERS
    )


async def _form(request: web.Request) -> dict[str, str]:
    """Read a small urlencoded form (413 over MAX_BODY); the query string's fields too."""
    declared = request.content_length or 0
    if declared > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=declared)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(body))
    fields = dict(request.query)
    fields.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return fields


async def handle_subscribe_form_http(request: web.Request) -> web.Response:
    """Show the subscribe form on its own."""
    return _html(_page(request, "Get updates by email", form=SubscribeForm()))


async def handle_subscribe_http(request: web.Request) -> web.Response:
    """Queue a confirmation mail; answer the same whether or not one was sent."""
    address = (await _form(request)).get("email", "")
    settings = request.app[SETTINGS]
    limits = use.Limits(settings.subscribe_limit_address, settings.subscribe_limit_client)
    try:
        await use.subscribe_email(
            request.app[CONTEXT], address=address, client=request.remote or "", limits=limits
        )
    except InvalidAddress as error:
        form = SubscribeForm(value=address[:254], error=str(error))
        return _html(_page(request, "Get updates by email", form=form), status=400)
    return _html(_page(request, "Check your inbox", CHECK_INBOX))


async def handle_confirm_page_http(request: web.Request) -> web.Response:
    """Show the one button that confirms (a GET by a mail scanner confirms nothing)."""
    button = Button("/status/confirm", request.query.get("token", ""), "Confirm subscription")
    return _html(_page(request, "Confirm your subscription", button=button))


async def handle_confirm_http(request: web.Request) -> web.Response:
    """Confirm the subscription the token was mailed for."""
    token = (await _form(request)).get("token", "")
    if await use.confirm_subscription(request.app[CONTEXT], token=token):
        return _html(_page(request, "You are subscribed", "You will get each public update."))
    message = "This link has expired or was already used. Subscribe again from the status page."
    return _html(_page(request, "Link not valid", message), status=404)


async def handle_unsubscribe_page_http(request: web.Request) -> web.Response:
    """Show the one button that unsubscribes (a GET by a mail scanner unsubscribes nobody)."""
    button = Button("/status/unsubscribe", request.query.get("token", ""), "Unsubscribe")
    return _html(
        _page(request, "Unsubscribe", "Stop getting updates from this page?", button=button)
    )


async def handle_unsubscribe_http(request: web.Request) -> web.Response:
    """Unsubscribe at once: the page's button, or RFC 8058's one-click POST."""
    token = (await _form(request)).get("token", "")
    if await use.unsubscribe(request.app[CONTEXT], token=token):
        return _html(_page(request, "You are unsubscribed", "You will get no more updates."))
    return _html(_page(request, "Link not valid", "This unsubscribe link is not valid."), 404)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _busy_means_503(handler: Handler) -> Handler:
    """Answer "try again in a moment" while the database is not answering."""

    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except TryAgain:
            return _html(_page(request, "Try again in a moment", BUSY), status=503)

    return guarded


def register(app: web.Application, *, email: bool) -> None:
    """Attach the unsubscribe routes (webhooks have a link too), and with `email` the rest."""
    posts = {"/status/unsubscribe": handle_unsubscribe_http}
    if email:
        app.router.add_get("/status/subscribe", handle_subscribe_form_http)
        app.router.add_get("/status/confirm", handle_confirm_page_http)
        posts["/status/subscribe"] = handle_subscribe_http
        posts["/status/confirm"] = handle_confirm_http
    app.router.add_get("/status/unsubscribe", handle_unsubscribe_page_http)
    for path, handler in posts.items():
        app.router.add_post(path, _busy_means_503(handler))
