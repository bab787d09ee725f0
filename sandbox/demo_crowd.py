"""The demo's crowd: four people type into the incident at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sandbox.demo_print import out
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import SlackEmulator

NOTES = 8
CROWD_NOTE = "crowd note"  # in each of their updates, so printing can tell them apart


async def crowd(
    driver: SlackDriver,
    slack: SlackEmulator,
    settle: Callable[[], Awaitable[None]],
    channel: str,
    people: tuple[str, ...],
) -> None:
    """Send NOTES updates at once; print their answers and what reached the channel."""
    names = [slack.users[p].name for p in people]
    texts = [
        f"update {CROWD_NOTE} {n + 1}: {names[n % len(names)]} checked a shard"
        for n in range(NOTES)
    ]
    replies = await asyncio.gather(
        *(
            driver.command(user_id=people[n % len(people)], channel_id=channel, text=text)
            for n, text in enumerate(texts)
        )
    )
    answers = {slack.render_text(r.text) for r in replies}
    slowest = max(r.elapsed for r in replies) * 1000
    await settle()
    posted = [m.text for m in slack.history(channel) if CROWD_NOTE in m.text]
    out(
        f"  {', '.join(names)} type {NOTES} updates at once → "
        f"each sees ({slowest:.0f} ms at most): "
        f"{' / '.join(sorted(answers))} {len(posted)} of {NOTES} are in the channel, each once."
    )


def fold_crowd(items: list[str], each: str) -> list[str]:
    """Count the items that are crowd notes in one line, where the first of them was."""
    notes = [i for i, item in enumerate(items) if CROWD_NOTE in item]
    if len(notes) < 2:
        return items
    kept = [item for i, item in enumerate(items) if i not in notes[1:]]
    kept[notes[0]] = f"(… {len(notes)} crowd notes, {each}; --full prints them)"
    return kept
