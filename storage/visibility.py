"""Who may see which incident: everyone sees public ones, members see private ones.

Every query that shows incidents to a person (the incident list, the App Home) filters with
`visible_to`, so a private incident never reaches someone who is not its member.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from storage.models import Incident, IncidentMember

_I = Incident.__table__.c  # type: ignore[attr-defined]
_M = IncidentMember.__table__.c  # type: ignore[attr-defined]


def visible_to(user_id: str) -> ColumnElement[bool]:
    """Return a where-clause over `Incident`: true for non-private incidents and for private
    incidents `user_id` is a member of."""
    member = exists(select(_M.id).where(and_(_M.incident_id == _I.id, _M.user_id == user_id)))
    return or_(_I.private == false(), member)


def not_private() -> ColumnElement[bool]:
    """Return a where-clause over `Incident`: true for incidents that may become public."""
    return _I.private == false()  # type: ignore[no-any-return]
