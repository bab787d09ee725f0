"""`warroom demo`: the only module of the bot that reaches for the emulators."""

from __future__ import annotations

import asyncio

from bot.logs import configure_logging


def run(*, port: int, once: bool) -> None:
    """Play the scripted incident against the bundled emulators."""
    from sandbox.demo import run_demo  # the emulators are demo and test infrastructure

    configure_logging("WARNING")
    asyncio.run(run_demo(port=port, once=once))
