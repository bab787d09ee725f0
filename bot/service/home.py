"""The Home tab's use case: someone opened it (bot/home.py keeps it current from then on)."""

from __future__ import annotations

from bot.service.context import Context
from storage import home_viewers as q


async def open_home(ctx: Context, *, user_id: str) -> None:
    """Record that the person opened the Home tab: it is published now, then kept current."""
    async with ctx.db.write(background=True) as session:
        await q.record_opened(session=session, user_id=user_id, now=ctx.clock())
    ctx.on_commit()  # wakes the Home publisher (and the relay, harmlessly)
