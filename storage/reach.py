"""Why a database cannot be used, in one line, and whether waiting could help."""

from __future__ import annotations

import ssl

from sqlalchemy.exc import DBAPIError

from storage.db import Database

# What no amount of waiting fixes: a wrong name, wrong credentials, a refused TLS set-up.
_LASTING = (
    "does not exist",
    "password authentication failed",
    "no pg_hba.conf entry",
    "unable to open database file",
    "rejected ssl upgrade",
    "certificate verify failed",
    "is not a database",
)


class Unusable(Exception):
    """The database did not answer, or answered no; `lasting`: trying again will not help."""

    def __init__(self, reason: str, *, lasting: bool) -> None:
        super().__init__(reason)
        self.reason, self.lasting = reason, lasting


def explain(error: BaseException) -> Unusable | None:
    """Return why the database cannot be used, if `error` says so; None for other errors."""
    if isinstance(error, DBAPIError):
        text = str(error.orig or error).strip().splitlines()[0]
        text = text.split(") ", 1)[-1] if text.startswith("(") else text
    elif isinstance(error, ssl.SSLError):
        text = f"TLS failed: {error.reason or error}"
    elif isinstance(error, (OSError, TimeoutError)):
        text = error.strerror or str(error) or "no answer"
        text = "no answer in time" if isinstance(error, TimeoutError) and not error.args else text
    else:
        return None
    return Unusable(text.rstrip("."), lasting=any(m in text.lower() for m in _LASTING))


async def reach(db: Database) -> None:
    """Connect once; raise Unusable saying why that failed."""
    try:
        async with db.write_engine.connect():
            pass
    except Exception as error:
        unusable = explain(error)
        if unusable is None:
            raise
        raise unusable from None
