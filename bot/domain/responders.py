"""Who is brought into an incident on their own (SEVERITY_RESPONDERS), and its call link."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from bot.domain.model import IncidentState, Severity

Responders = Mapping[Severity, tuple[str, ...]]
_GROUP = re.compile(r"S[A-Z0-9]{1,20}")
CALL_TITLE = "Incident call"


def parse_responders(text: str) -> dict[Severity, tuple[str, ...]]:
    """Read `sev1=S0ONCALL,S0LEADS;sev2=S0ONCALL`; raise ValueError saying what is wrong."""
    found: dict[Severity, tuple[str, ...]] = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        word, sep, groups = (s.strip() for s in part.partition("="))
        if not sep or word.lower() not in Severity.__members__.values():
            raise ValueError(f"has `{part}`, not sevN=<group IDs>")
        severity = Severity(word.lower())
        if severity in found:
            raise ValueError(f"names {severity.value} twice")
        ids = tuple(dict.fromkeys(g.strip() for g in groups.split(",") if g.strip()))
        bad = next((g for g in ids if not _GROUP.fullmatch(g)), None)
        if not ids or bad is not None:
            raise ValueError(f"has {severity.value}={groups}, not user group IDs like S0123ABCD")
        found[severity] = ids
    if not found:
        raise ValueError("names no severity")
    return found


def groups_to_invite(
    responders: Responders, state: IncidentState, *, previous: Severity | None = None
) -> tuple[str, ...]:
    """Return the user groups to bring into the incident now: its severity's, when it was
    declared at it (`previous` None) or escalated to it from a lesser one. None for a private
    incident: only the people its members add may learn of it."""
    if state.private:
        return ()
    order = list(Severity)  # SEV1 first
    if previous is not None and order.index(previous) <= order.index(state.severity):
        return ()  # the same or a lesser severity: whoever it needs is already there
    return tuple(responders.get(state.severity, ()))


def check_call_template(template: str) -> str:
    """Return an http(s) URL template whose only placeholder is `{number}`, or raise."""
    parts = urlsplit(template.replace("{number}", "1"))
    unsafe = any(c.isspace() or c in '<>|"' for c in template)  # would break Slack's <url|text>
    if parts.scheme not in ("http", "https") or not parts.netloc or unsafe:
        raise ValueError("not an http(s) URL")
    rest = template.replace("{number}", "")
    if "{" in rest or "}" in rest:
        raise ValueError("has a placeholder other than {number}")
    return template


def call_link(template: str | None, number: int) -> str | None:
    """Return the incident's call URL from INCIDENT_CALL_URL (unset: None)."""
    return template.replace("{number}", str(number)) if template else None
