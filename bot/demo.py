"""`warroom demo`: the only module of the bot that reaches for the emulators."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.logs import configure_logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the demo's flags on its subcommand's parser."""
    parser.add_argument("--once", action="store_true", help="exit when the incident is over")
    parser.add_argument(
        "--port", type=_port, default=3000, help="where the demo server listens (0: any free port)"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="print everything: every channel message as its members read it, every crowd note "
        "and thread reply, the whole post-mortem draft (with the review sections left to fill "
        "in), and the public summary wherever it appears",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="use this database (sqlite:///... or postgresql://...) instead of a fresh SQLite "
        "file. It must hold no incidents yet: the script numbers its incident INC-1. The demo "
        "creates warroom's tables there and leaves its incident in it. DATABASE_URL is not read.",
    )


def _port(text: str) -> int:
    """Read a TCP port number, 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return port


def run(args: argparse.Namespace) -> None:
    """Play the scripted incident against the bundled emulators; exit 1 with one line if not."""
    configure_logging("WARNING")
    try:
        _run(args)
    except KeyboardInterrupt:
        # A Ctrl-C before run_demo handles SIGINT itself: while the emulators and the server are
        # imported (about a second), or as asyncio starts, which then cancels run_demo and so
        # undoes what it started. A stop asked for and done, as any other: exit 0, no traceback.
        return


def _run(args: argparse.Namespace) -> None:
    from sandbox.demo import DemoError, DemoOptions, run_demo  # demo and test infrastructure

    options = DemoOptions(
        port=args.port, once=args.once, full=args.full, database_url=args.database_url
    )
    try:
        asyncio.run(run_demo(options))
    except DemoError as error:
        sys.stderr.write(f"warroom demo: {error}\n")
        raise SystemExit(1) from None
