"""Which incidents a person may see: every Home query filters through `visible_to`.

STUB: every incident is visible to everyone (`sqlalchemy.true()`). Private incidents are being
built elsewhere; their version of this module (same name, same signature) replaces this one
and then limits private incidents to their members everywhere this is used.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, true


def visible_to(user_id: str) -> ColumnElement[bool]:
    """Return a where-clause over `Incident`: the incidents `user_id` may see (stub: all)."""
    del user_id  # the stub shows everything to everyone
    return true()
