"""Command line: `warroom serve | migrate | demo`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web
from dotenv import find_dotenv, load_dotenv

from bot import demo as demo_cli
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from storage.db import Database
from storage.migrate import migrate


def _settings() -> Settings:
    load_dotenv(find_dotenv(usecwd=True))
    try:
        return load_settings(os.environ)
    except ConfigError as error:
        sys.stderr.write(f"warroom: configuration error: {error}\n")
        raise SystemExit(2) from None


def _serve(settings: Settings) -> None:
    from bot.app import create_app

    mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
    logging.getLogger("warroom").info("starting in %s on %s:%s", mode, settings.host, settings.port)
    app = create_app(settings)
    # What was imported and built so far lives as long as the process: out of the collector's
    # sight, so a full collection under load walks only what requests allocate (with a crowd,
    # those collections were what made an ack's p99 twice its median).
    gc.collect()
    gc.freeze()
    web.run_app(app, host=settings.host, port=settings.port, print=None)


def _with_database(settings: Settings, work: Callable[[Database], Awaitable[object]]) -> None:
    async def run() -> None:
        db = Database(settings.database_url.reveal())
        try:
            await migrate(db)
            await work(db)
        finally:
            await db.dispose()

    asyncio.run(run())


async def _noop(_: Database) -> None:
    return None


def main(argv: list[str] | None = None) -> None:
    """Run the warroom command line."""
    parser = argparse.ArgumentParser(prog="warroom", description="A Slack incident bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (the default)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    demo = sub.add_parser("demo", help="play a whole incident offline against a Slack emulator")
    demo_cli.add_arguments(demo)
    postmortem = sub.add_parser("postmortem", help="print an incident's post-mortem draft")
    postmortem.add_argument("incident", help="INC-12 or 12")
    postmortem.add_argument("-o", "--output", help="write to this file instead of stdout")
    outbox = sub.add_parser("outbox", help="list pending and dead deliveries, or retry dead ones")
    outbox.add_argument("action", nargs="?", choices=["list", "retry"], default="list")
    outbox.add_argument("ids", nargs="*", type=int, help="with retry: only these rows")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo_cli.run(args)
        return
    settings = _settings()
    configure_logging(settings.log_level)
    if args.command == "migrate":
        _with_database(settings, _noop)
        logging.getLogger("warroom").info("database is up to date")
    elif args.command == "postmortem":
        from bot import admin

        _with_database(
            settings,
            lambda db: admin.print_postmortem(
                db, args.incident, args.output, settings.display_timezone
            ),
        )
    elif args.command == "outbox":
        from bot import admin

        if args.action == "retry":
            _with_database(settings, lambda db: admin.retry_outbox(db, args.ids))
        else:
            _with_database(settings, admin.show_outbox)
    else:
        _serve(settings)


if __name__ == "__main__":
    main()
