"""The public page's model: a banner that agrees with the components, messages that are
people's words, bars that count from when impact started, history by day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.availability import availability, impact_windows
from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    Canceled,
    Entry,
    Fact,
    ImpactSet,
    MilestoneSet,
    Reopened,
    Resolved,
    StatusChanged,
    Updated,
)
from bot.domain.milestones import Milestone
from bot.domain.model import Severity, Status
from bot.domain.public import DEFAULT_IMPACT, Impact, IncidentRecord, public_updates
from bot.domain.public_page import PublicPage, assemble_page
from bot.status_page import render

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PARTIAL, MAJOR = ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE
_ids = iter(range(1, 10_000))


def at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def entry(when: datetime, fact: Fact, text: str = "") -> Entry:
    return Entry(id=next(_ids), at=when, actor_id="U0ALICE", text=text, fact=fact)


def status(when: datetime, to: Status, text: str) -> Entry:
    return entry(when, StatusChanged(to, Status.INVESTIGATING), text)


def record(
    uid: str,
    entries: list[Entry],
    *,
    severity: Severity = Severity.SEV1,
    resolved_at: datetime | None = None,
) -> IncidentRecord:
    return IncidentRecord(
        id=int.from_bytes(uid.encode(), "big") % 10_000,
        uid=uid,
        number=1,
        name=f"Incident {uid}",
        severity=severity,
        status=Status.RESOLVED if resolved_at else Status.INVESTIGATING,
        created_at=entries[0].at,
        resolved_at=resolved_at,
        entries=entries,
    )


def page_of(*records: IncidentRecord) -> PublicPage:
    return assemble_page(
        title="Status",
        url="https://status.example.com/status",
        components=("API", "Checkout", "Sora"),
        records=records,
        impact_of=DEFAULT_IMPACT,
        now=NOW,
    )


def test_banner_with_components_follows_the_worst_component_not_the_severity() -> None:
    sev1 = record(
        "abc",
        [
            entry(at(30), ImpactSet(("Checkout", "API"), PARTIAL)),
            status(at(29), Status.INVESTIGATING, "Checkout is failing for some"),
        ],
    )
    page = page_of(sev1)
    assert page.indicator is Impact.MAJOR
    assert page.description == "Partial outage: API, Checkout"
    assert page.active[0].impact is Impact.MAJOR
    assert page.active[0].impact.label == "Partial outage"


def test_banner_without_components_follows_the_incident_impact() -> None:
    page = page_of(record("abc", [status(at(5), Status.INVESTIGATING, "Looking into it")]))
    assert page.indicator is Impact.CRITICAL
    assert page.description == "Major System Outage"


def test_banner_ignores_severity_of_incident_whose_components_recovered() -> None:
    entries = [
        entry(at(30), ImpactSet(("API",), MAJOR)),
        status(at(29), Status.IDENTIFIED, "Rolling back"),
        entry(at(10), ImpactSet(("API",), ComponentStatus.OPERATIONAL)),
        status(at(9), Status.MONITORING, "Back to normal, watching"),
    ]
    page = page_of(record("abc", entries))
    assert page.components["API"] is ComponentStatus.OPERATIONAL
    assert (page.indicator, page.description) == (Impact.NONE, "All Systems Operational")


def test_component_change_rides_with_the_next_message_and_is_no_message() -> None:
    entries = [
        entry(at(30), ImpactSet(("API",), PARTIAL)),
        entry(at(29), Updated(), "internal: shard 7"),
        status(at(20), Status.IDENTIFIED, "We found the cause"),
        entry(at(10), ImpactSet(("API",), MAJOR)),
    ]
    updates = public_updates(entries)
    assert [(u.text, u.changes) for u in updates] == [("We found the cause", (("API", PARTIAL),))]


def test_incident_with_only_a_component_change_is_public_without_updates() -> None:
    page = page_of(record("abc", [entry(at(3), ImpactSet(("Sora",), MAJOR))]))
    [incident] = page.active
    assert incident.updates == []
    assert dict(incident.states) == {"Sora": MAJOR}
    assert "We are looking into it" in render.html(page)


def test_bars_count_the_outage_from_the_corrected_impact_start() -> None:
    typed = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    started = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    entries = [
        entry(typed, ImpactSet(("API",), MAJOR)),
        entry(typed + timedelta(minutes=1), MilestoneSet(Milestone.STARTED, started)),
        entry(typed + timedelta(hours=1), Resolved(Status.IDENTIFIED, public=True), "Fixed"),
    ]
    resolved = typed + timedelta(hours=1)
    [window] = impact_windows(1, entries, resolved)
    assert window.start == started
    bars = availability("API", [window], NOW)
    assert bars.days[-2].downtime_minutes == 180.0  # 08:00 to 11:00, not 10:00 to 11:00


def test_reopen_ends_the_impact_its_premature_resolve_left_and_counts_it_set_anew() -> None:
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    hours = [start + timedelta(hours=n) for n in range(6)]
    entries = [
        entry(hours[0], ImpactSet(("API",), MAJOR)),
        entry(hours[1], Resolved(Status.IDENTIFIED, public=True), "Fixed"),
        entry(hours[3], Reopened(Status.RESOLVED, public=True), "Errors are back"),
        entry(hours[4], ImpactSet(("API",), PARTIAL)),
    ]
    windows = impact_windows(1, entries, hours[5])
    assert [(w.status, w.start, w.end) for w in windows] == [
        (MAJOR, hours[0], hours[1]),  # not through the two hours it was wrongly resolved
        (PARTIAL, hours[4], hours[5]),
    ]


def test_canceled_incident_takes_nothing_off_the_bars_and_has_no_duration() -> None:
    entries = [
        entry(at(120), ImpactSet(("API",), MAJOR)),
        status(at(119), Status.IDENTIFIED, "Looking into API errors"),
        entry(at(60), Canceled(Status.IDENTIFIED, True, "No problem found."), "SECRET probe"),
    ]
    canceled = replace(record("false", entries, resolved_at=at(60)), status=Status.CANCELED)
    page = page_of(canceled)
    [shown] = page.history
    assert shown.status is Status.RESOLVED  # the public never reads "canceled"
    assert shown.duration is None
    assert shown.impact is Impact.NONE
    newest = shown.updates[0]
    assert (newest.status, newest.text) == (Status.RESOLVED, "No problem found.")
    assert all(bar.uptime == 100.0 for bar in page.availability)
    assert page.components["API"] is ComponentStatus.OPERATIONAL
    counted = page_of(record("real", entries[:2], resolved_at=at(60)))
    uptime = {bar.component: bar.uptime for bar in counted.availability}
    assert uptime["API"] < 100.0


def test_day_with_any_outage_never_shows_full_uptime() -> None:
    entries = [
        entry(at(2), ImpactSet(("API",), MAJOR)),
        entry(at(1), ImpactSet(("API",), ComponentStatus.OPERATIONAL)),
    ]
    bars = availability("API", impact_windows(1, entries, None), NOW)
    assert bars.uptime == 99.99


def test_history_is_grouped_by_the_day_incidents_started_newest_first() -> None:
    def past(uid: str, days_ago: int, hour: int) -> IncidentRecord:
        start = (NOW - timedelta(days=days_ago)).replace(hour=hour)
        return record(
            uid,
            [
                status(start, Status.INVESTIGATING, "Slow"),
                entry(start, Resolved(Status.INVESTIGATING, public=True)),
            ],
            resolved_at=start + timedelta(minutes=45),
        )

    page = page_of(past("a", 3, 9), past("b", 1, 8), past("c", 3, 15))
    days = [(day.isoformat(), [i.uid for i in group]) for day, group in page.history_by_day()]
    assert days == [("2026-11-29", ["b"]), ("2026-11-27", ["c", "a"])]
    html = render.html(page)
    assert html.index("November 29, 2026") < html.index("November 27, 2026")
    assert "after 45m" in html
    assert 'href="/incidents/b"' in html
