"""The connection under a session's transaction, asked for once per transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

_KNOWN = "connection of the transaction"


async def connection(session: AsyncSession) -> AsyncConnection:
    """Return the connection the session's transaction runs on (beginning it if none has).

    `session.connection()` costs a greenlet round trip and the ORM's bookkeeping each time it
    is asked; a change asks for every Core statement it sends, three or more times on the hot
    path. A new transaction (after a commit), or a new savepoint, asks for it anew.
    """
    current = _transaction(session)
    known = session.info.get(_KNOWN)
    if current[0] is not None and known is not None and known[0] == current:
        found: AsyncConnection = known[1]
        return found
    found = await session.connection()
    session.info[_KNOWN] = (_transaction(session), found)
    return found


def _transaction(session: AsyncSession) -> tuple[object, object]:
    """Return the session's transaction and savepoint: a savepoint the ORM began is sent
    with the first statement after it, when the connection is asked for."""
    sync = session.sync_session
    return sync.get_transaction(), sync.get_nested_transaction()
