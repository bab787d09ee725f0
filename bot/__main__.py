"""Command line: `warroom serve | migrate | demo | postmortem | outbox | actions | subscribers`."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import TypeVar

from aiohttp import web
from dotenv import find_dotenv, load_dotenv

from bot import cli
from bot import demo as demo_cli
from bot.config import ConfigError, DatabaseSettings, Settings, load_settings
from bot.logs import configure_logging

S = TypeVar("S", bound=DatabaseSettings)
_DOTENV = "Variables are read from the environment, and from a .env file in this folder or above."
_DATABASE_ONLY = f"Reads DATABASE_URL (default sqlite:///./warroom.db) and LOG_LEVEL. {_DOTENV}"
_SERVE = (
    "Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode), "
    "DATABASE_URL, and the optional settings in the README's Configuration table. " + _DOTENV
)


def _settings(kind: type[S]) -> S:
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = load_settings(os.environ, kind)
    except ConfigError as error:
        sys.stderr.write(f"warroom: configuration error: {error}\n")
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    return settings


def _serve(settings: Settings) -> None:
    from bot.app import create_app

    # Read once, into Settings: Bolt would pick the token up from the environment again (and
    # warn, at every start, that it will not use it), and no child process needs it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    cli.wait_for_database(settings.database_url.reveal())
    mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
    logging.getLogger("warroom").info("starting in %s on %s:%s", mode, settings.host, settings.port)
    app = create_app(settings)
    # The public page is rebuilt on a worker thread, in pure Python. At CPython's default
    # 5 ms, the event loop, giving the GIL up at each socket call, waited up to 5 ms each time
    # to get it back, and a request meanwhile stalled for 47-73 ms; at 1 ms, under 30 ms.
    sys.setswitchinterval(0.001)
    app.on_startup.append(_freeze)  # after the app's own start-up (cleanup_ctx runs first)
    web.run_app(app, host=settings.host, port=settings.port, print=None)


async def _freeze(_app: web.Application) -> None:
    """Put what was imported and built at start-up (the schema, the migrations, Bolt, the
    clients) out of the collector's sight: it lives as long as the process, and a full
    collection under load then walks only what requests allocate. Frozen before the app had
    started, 27,000 objects built at start were walked by every full collection, 8 ms each,
    about every 1.5 s under a crowd: the slowest batch of acks, a p99 twice the median."""
    gc.collect()
    gc.freeze()


def _subscribers(url: str, action: str, target: str) -> None:
    from bot import admin_subscribers as subs

    if action == "add":
        cli.with_database(url, lambda db: subs.add_webhook(db, target), create=True)
    elif action == "remove":
        cli.with_database(url, lambda db: subs.remove_webhook(db, target))
    else:
        cli.with_database(url, subs.list_subscribers)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warroom", description="A Slack incident bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (the default)", epilog=_SERVE)
    sub.add_parser("migrate", help="apply database migrations and exit", epilog=_DATABASE_ONLY)
    demo = sub.add_parser("demo", help="play a whole incident offline against a Slack emulator")
    demo_cli.add_arguments(demo)
    postmortem = sub.add_parser(
        "postmortem",
        help="print an incident's post-mortem draft",
        epilog=_DATABASE_ONLY.replace(" and LOG_LEVEL", ", LOG_LEVEL and DISPLAY_TIMEZONE"),
    )
    postmortem.add_argument("incident", help="INC-12 or 12")
    postmortem.add_argument("-o", "--output", help="write to this file instead of stdout")
    outbox = sub.add_parser(
        "outbox",
        help="list pending and dead deliveries, or retry dead ones",
        epilog=_DATABASE_ONLY,
    )
    outbox.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    outbox.add_argument("ids", nargs="*", type=int, help="with retry: only these rows")
    subscribers = sub.add_parser(
        "subscribers", help="add, list or remove webhook subscribers", epilog=_DATABASE_ONLY
    )
    subscribers.add_argument("action", nargs="?", choices=["add", "list", "remove"], default="list")
    subscribers.add_argument("target", nargs="?", help="add: the URL; remove: the ID or URL")
    actions = sub.add_parser(
        "actions", help="list follow-up actions across incidents", epilog=_DATABASE_ONLY
    )
    actions.add_argument("--open", action="store_true", help="only those not done")
    actions.add_argument("--owner", help="only this person's: <@U0123ABCD>, U0123ABCD or a name")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the warroom command line."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        demo_cli.run(args)
        return
    if args.command in (None, "serve"):
        _serve(_settings(Settings))
        return
    from bot import admin

    settings = _settings(DatabaseSettings)
    url = settings.database_url.reveal()
    if args.command == "migrate":
        cli.with_database(url, admin.noop, create=True)
        sys.stdout.write("The database is up to date.\n")
    elif args.command == "postmortem":
        zone = settings.display_timezone
        cli.with_database(
            url, lambda db: admin.print_postmortem(db, args.incident, args.output, zone)
        )
    elif args.command == "subscribers":
        _subscribers(url, args.action, args.target or "")
    elif args.command == "actions":
        from bot.admin_actions import list_actions

        cli.with_database(url, lambda db: list_actions(db, open_only=args.open, owner=args.owner))
    elif args.action == "retry":
        cli.with_database(url, lambda db: admin.retry_outbox(db, args.ids))
    else:
        cli.with_database(url, admin.show_outbox)


if __name__ == "__main__":
    main()
