"""The post-mortem draft: golden Markdown files are the spec; properties hold for every draft.

Regenerate the golden files with `UPDATE_GOLDEN=1 pytest tests/domain/test_postmortem.py`, then
read the diff: a golden file is what a reviewer will read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    ActionAdded,
    ActionCompleted,
    CadenceSet,
    Declared,
    Entry,
    Fact,
    ImpactSet,
    MilestoneSet,
    Pinned,
    Resolved,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
    Updated,
)
from bot.domain.milestones import Milestone, Milestones
from bot.domain.model import Role, Severity, Status
from bot.domain.postmortem import (
    REVIEW_SECTIONS,
    Action,
    PostmortemData,
    RoleTerm,
    people_in,
    render_postmortem,
    worst_components,
)
from bot.domain.postmortem_story import BOOKKEEPING

GOLDEN = Path(__file__).parent / "golden"
ALICE, BOB, CAROL, DAVE, ERIN, FRANK = (
    "U0ALICE",
    "U0BOB",
    "U0CAROL",
    "U0DAVE",
    "U0ERIN",
    "W0FRANK",
)
NAMES = {
    ALICE: "Alice Ng",
    BOB: "Bob Okafor",
    CAROL: "Carol Díaz",
    DAVE: "Dave Lindqvist",
    ERIN: "Erin Kowalski",
    FRANK: "Frank Osei",
}
# An HTML tag, comment or declaration: `\<` is an escaped bracket, `<https://...>` an autolink.
HTML_TAG = re.compile(r"(?<!\\)<(?!(?:https?|mailto):)[A-Za-z/!?]")
CODE_SPAN = re.compile(r"`[^`\n]*`")


def raw_html(md: str) -> list[str]:
    """Return the HTML tags a Markdown renderer would pass through (code spans are text)."""
    return HTML_TAG.findall(CODE_SPAN.sub("", md))


def assert_golden(name: str, text: str) -> None:
    """Compare `text` with tests/domain/golden/<name>; rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and read it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; see the golden file"


def utc(*args: int) -> datetime:
    """Return a UTC instant."""
    return datetime(*args, tzinfo=UTC)


def entry(id: int, at: datetime, actor: str, fact: Fact, text: str = "") -> Entry:
    """Return a timeline entry as storage would give it back."""
    return Entry(id=id, at=at, actor_id=actor, text=text, fact=fact)


class Timeline:
    """Build timeline entries `minutes` after `start`, with increasing ids, as storage would."""

    def __init__(self, start: datetime) -> None:
        self.start, self.entries = start, list[Entry]()

    def add(self, minutes: int, actor: str, fact: Fact, text: str = "", /) -> Timeline:
        at = self.start + timedelta(minutes=minutes)
        self.entries.append(entry(len(self.entries) + 1, at, actor, fact, text))
        return self


# --- a) a standard incident, displayed in UTC -------------------------------------------------


def standard() -> PostmortemData:
    """Return a SEV2 raised to SEV1: 502s on checkout, rolled back, resolved within the hour."""
    t = utc(2026, 1, 15, 9, 12)
    timeline = (
        Timeline(t)
        .add(0, ALICE, Declared(Severity.SEV2), "Checkout API returning 502s")
        .add(0, ALICE, Updated(), "Error rate on /checkout at 35%, since about 09:00.")
        .add(1, ALICE, RoleAssigned(Role.COMMANDER, ALICE, previous=None))
        .add(2, ALICE, RoleAssigned(Role.COMMS, BOB, previous=None))
        .add(2, ALICE, RoleAssigned(Role.LEAD, CAROL, previous=None))
        .add(3, ALICE, SeverityChanged(Severity.SEV1, previous=Severity.SEV2))
        .add(5, BOB, ImpactSet(("Checkout", "API"), ComponentStatus.PARTIAL_OUTAGE))
        .add(
            6,
            BOB,
            StatusChanged(Status.INVESTIGATING, previous=Status.INVESTIGATING),
            "Some customers cannot complete checkout. We are investigating.",
        )
        .add(
            14,
            CAROL,
            Updated(),
            "Deploy 2026.01.15-3 of checkout-api correlates with the errors; rolling back.",
        )
        .add(
            16,
            BOB,
            StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
            "We have identified the cause and are rolling back a change.",
        )
        .add(
            21,
            CAROL,
            Pinned(pinned_by=ALICE),
            "Rollback done, 5xx back to baseline :white_check_mark:",
        )
        .add(
            24,
            BOB,
            StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED),
            "A fix has been applied and we are monitoring the results.",
        )
        .add(25, BOB, ImpactSet(("Checkout", "API"), ComponentStatus.OPERATIONAL))
        .add(30, ALICE, MilestoneSet(Milestone.STARTED, utc(2026, 1, 15, 9, 0)))
        .add(48, ALICE, Resolved(previous=Status.MONITORING, public=True))
        .add(
            55,
            CAROL,
            ActionAdded(1, owner=CAROL),
            "Add a canary stage to checkout-api deploys",
        )
        .add(56, ALICE, ActionAdded(2, owner=None), "Alert on the 5xx rate per endpoint")
        .add(120, CAROL, ActionCompleted(1))
    ).entries
    return PostmortemData(
        ref="INC-42",
        title="Checkout API returning 502s",
        public_name="Checkout errors",
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        declared_by=ALICE,
        created_at=t,
        milestones=Milestones(
            started=utc(2026, 1, 15, 9, 0),
            detected=t,
            mitigated=t + timedelta(minutes=24),
            resolved=t + timedelta(minutes=48),
        ),
        roles=[
            RoleTerm(Role.LEAD, CAROL, t + timedelta(minutes=2), None),
            RoleTerm(Role.COMMANDER, ALICE, t + timedelta(minutes=1), None),
            RoleTerm(Role.COMMS, BOB, t + timedelta(minutes=2), None),
        ],
        timeline=timeline,
        actions=[
            Action(1, "Add a canary stage to checkout-api deploys", CAROL, True),
            Action(2, "Alert on the 5xx rate per endpoint", None, False),
        ],
        names=NAMES,
    )


# --- b) crossing midnight UTC, displayed in Los Angeles ---------------------------------------


def across_midnight() -> PostmortemData:
    """Return an incident from 23:40 UTC to 01:15 UTC the next day (afternoon in LA)."""
    t = utc(2026, 1, 15, 23, 40)
    timeline = (
        Timeline(t)
        .add(0, DAVE, Declared(Severity.SEV3), "Search results empty for EU users")
        .add(5, DAVE, RoleAssigned(Role.COMMANDER, DAVE, previous=None))
        .add(10, DAVE, ImpactSet(("Search",), ComponentStatus.DEGRADED_PERFORMANCE))
        .add(19, DAVE, Updated(), "Index rebuild at 23:00 UTC dropped the EU shard.")
        .add(
            20,
            DAVE,
            StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
            "Search is returning incomplete results for some users.",
        )
        .add(50, ERIN, ImpactSet(("Search",), ComponentStatus.MAJOR_OUTAGE))
        .add(70, ERIN, Updated(), "EU shard restored from snapshot.")
        .add(75, ERIN, ImpactSet(("Search",), ComponentStatus.OPERATIONAL))
        .add(
            95,
            DAVE,
            Resolved(previous=Status.IDENTIFIED, public=True),
            "Search results are complete again.",
        )
        .add(
            530,
            DAVE,
            ActionAdded(1, owner=ERIN),
            "Block index swaps when a shard is empty",
        )
    ).entries
    return PostmortemData(
        ref="INC-43",
        title="Search results empty for EU users",
        public_name=None,
        severity=Severity.SEV3,
        status=Status.RESOLVED,
        declared_by=DAVE,
        created_at=t,
        milestones=Milestones(
            started=utc(2026, 1, 15, 23, 0),
            detected=t,
            mitigated=t + timedelta(minutes=75),
            resolved=t + timedelta(minutes=95),
        ),
        roles=[RoleTerm(Role.COMMANDER, DAVE, t + timedelta(minutes=5), None)],
        timeline=timeline,
        actions=[Action(1, "Block index swaps when a shard is empty", ERIN, False)],
        names=NAMES,
    )


# --- c) across the end of US daylight saving time, displayed in New York ----------------------


def across_dst() -> PostmortemData:
    """Return an incident from 00:40 EDT to 01:50 EST on 2026-11-01 (clocks go back at 02:00)."""
    t = utc(2026, 11, 1, 4, 40)  # 00:40 EDT
    timeline = (
        Timeline(t)
        .add(0, FRANK, Declared(Severity.SEV3), "Nightly billing run stuck")
        .add(50, FRANK, Updated(), "Job scheduler skipped the 01:30 run; retrying by hand.")
        .add(79, FRANK, Updated(), "Still stuck at 01:59 EDT.")
        .add(80, FRANK, Updated(), "Clocks went back: 01:00 EST.")
        .add(
            110,
            FRANK,
            Updated(),
            "The scheduler ran 01:30 a second time; duplicate invoices possible.",
        )
        .add(130, FRANK, Resolved(previous=Status.INVESTIGATING, public=False))
    ).entries
    return PostmortemData(
        ref="INC-44",
        title="Nightly billing run stuck",
        public_name=None,
        severity=Severity.SEV3,
        status=Status.RESOLVED,
        declared_by=FRANK,
        created_at=t,
        milestones=Milestones(
            started=utc(2026, 11, 1, 4, 30),
            detected=t,
            resolved=utc(2026, 11, 1, 6, 50),
        ),
        roles=[],
        timeline=timeline,
        actions=[],
        names=NAMES,
    )


# --- d) roles change hands ---------------------------------------------------------------------


def role_changes() -> PostmortemData:
    """Return an incident whose commander is replaced twice, with every role held."""
    t = utc(2026, 2, 3, 14, 0)
    handover_1, handover_2 = t + timedelta(minutes=40), t + timedelta(hours=2, minutes=5)
    timeline = (
        Timeline(t)
        .add(0, ERIN, Declared(Severity.SEV2), "Login failures on mobile")
        .add(0, ERIN, RoleAssigned(Role.COMMANDER, ERIN, previous=None))
        .add(3, ERIN, RoleAssigned(Role.SCRIBE, DAVE, previous=None))
        .add(4, ERIN, RoleAssigned(Role.COMMS, BOB, previous=None))
        .add(5, ERIN, RoleAssigned(Role.LEAD, CAROL, previous=None))
        .add(40, ERIN, RoleAssigned(Role.COMMANDER, ALICE, previous=ERIN))
        .add(41, ALICE, Updated(), "Taking over from <@U0ERIN>; she is heading to the airport.")
        .add(
            60,
            CAROL,
            Updated(),
            "Token refresh fails after the auth library upgrade; <@U0GUEST> confirms.",
        )
        .add(125, ALICE, RoleAssigned(Role.COMMANDER, FRANK, previous=ALICE))
        .add(
            180,
            FRANK,
            Resolved(previous=Status.INVESTIGATING, public=True),
            "Login works again.",
        )
    ).entries
    return PostmortemData(
        ref="INC-45",
        title="Login failures on mobile",
        public_name="Login issues",
        severity=Severity.SEV2,
        status=Status.RESOLVED,
        declared_by=ERIN,
        created_at=t,
        milestones=Milestones(
            started=t - timedelta(minutes=20),
            detected=t,
            mitigated=t + timedelta(hours=2, minutes=50),
            resolved=t + timedelta(hours=3),
        ),
        roles=[
            RoleTerm(Role.COMMANDER, FRANK, handover_2, None),
            RoleTerm(Role.SCRIBE, DAVE, t + timedelta(minutes=3), None),
            RoleTerm(Role.COMMANDER, ERIN, t, handover_1),
            RoleTerm(Role.LEAD, CAROL, t + timedelta(minutes=5), None),
            RoleTerm(Role.COMMANDER, ALICE, handover_1, handover_2),
            RoleTerm(Role.COMMS, BOB, t + timedelta(minutes=4), None),
        ],
        timeline=timeline,
        actions=[Action(1, "Pin the auth library; upgrade behind a flag", CAROL, False)],
        names={**NAMES, "U0GUEST": "Guest Consultant"},
    )


# --- e) unicode and hostile markup -------------------------------------------------------------

HOSTILE_TITLE = "🔥 支付服务宕机 | انقطاع الدفع for <@U0BOB|bob>"


def hostile() -> PostmortemData:
    """Return an incident whose texts carry emoji, CJK, RTL and every kind of Slack markup."""
    t = utc(2026, 4, 1, 10, 0)
    timeline = (
        Timeline(t)
        .add(0, ALICE, Declared(Severity.SEV1), HOSTILE_TITLE)
        .add(
            1,
            ALICE,
            Updated(),
            "Paged <@U0BOB|bob>, <@U0ZED|zed> and <@U0NOBODY>; see <#C1|ops> and "
            "<https://x.y|text> or <https://status.example.com>.",
        )
        .add(
            2,
            BOB,
            Updated(),
            "Found &lt;script&gt;alert(1)&lt;/script&gt; in a review &amp; a "
            "&lt;img src=x onerror=alert(2)&gt; tag 😱",
        )
        .add(3, BOB, Updated(), "<!channel> please stand by <!here|here> <!subteam^S1|@oncall>")
        .add(
            4,
            CAROL,
            Updated(),
            "Line one\nLine two\n- not a new item\n## not a heading\n\nafter a blank line",
        )
        .add(5, CAROL, Updated(), "الخدمة تعمل الآن ✅ 服务已恢复 🚀")
        .add(
            6,
            BOB,
            StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
            "Payments in 🇯🇵 are failing | 決済に失敗しています",
        )
        .add(7, CAROL, Pinned(pinned_by=BOB), "`kubectl rollout undo` *done*")
        .add(8, BOB, ImpactSet(("Payments (JP)",), ComponentStatus.MAJOR_OUTAGE))
        .add(20, ALICE, Resolved(previous=Status.IDENTIFIED, public=True))
        .add(
            21,
            ALICE,
            ActionAdded(1, owner=CAROL),
            "Ask <@U0CAROL> to add &lt;b&gt;tests&lt;/b&gt; for ¥ amounts",
        )
    ).entries
    return PostmortemData(
        ref="INC-46",
        title=HOSTILE_TITLE,
        public_name="Payments | Japan 🇯🇵",
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        declared_by=ALICE,
        created_at=t,
        milestones=Milestones(
            started=t, detected=t, mitigated=None, resolved=t + timedelta(minutes=20)
        ),
        roles=[RoleTerm(Role.COMMANDER, ALICE, t, None)],
        timeline=timeline,
        actions=[
            Action(1, "Ask <@U0CAROL> to add &lt;b&gt;tests&lt;/b&gt; for ¥ amounts", CAROL, False)
        ],
        names=NAMES,
    )


# --- an incident still open: nothing published, no actions, no roles --------------------------


def still_open() -> PostmortemData:
    """Return a fresh SEV4 with a single update: the draft's empty states."""
    t = utc(2026, 5, 20, 16, 0)
    timeline = (
        Timeline(t)
        .add(0, BOB, Declared(Severity.SEV4), "Slow dashboards")
        .add(9, BOB, Updated(), "Looking at the query planner.")
    ).entries
    return PostmortemData(
        ref="INC-47",
        title="Slow dashboards",
        public_name=None,
        severity=Severity.SEV4,
        status=Status.INVESTIGATING,
        declared_by=BOB,
        created_at=t,
        milestones=Milestones(started=t, detected=t),
        roles=[],
        timeline=timeline,
        actions=[],
        names=NAMES,
    )


def long_incident() -> PostmortemData:
    """Return a three-day SEV1 with a corrected impact start and 40-odd entries, in Berlin."""
    t = utc(2026, 3, 9, 21, 30)
    timeline = (
        Timeline(t)
        .add(0, ALICE, Declared(Severity.SEV1), "Ledger replication lagging hours behind")
        .add(1, ALICE, RoleAssigned(Role.COMMANDER, ALICE, previous=None))
        .add(2, ALICE, ImpactSet(("Payments",), ComponentStatus.PARTIAL_OUTAGE))
        .add(
            3,
            BOB,
            StatusChanged(Status.INVESTIGATING, previous=Status.INVESTIGATING),
            "Some payments show as pending for longer than usual.",
        )
        .add(20, ALICE, MilestoneSet(Milestone.STARTED, utc(2026, 3, 9, 18, 5)))
        .add(21, ALICE, CadenceSet(timedelta(minutes=30)))
    )
    for hour in range(1, 40):
        who = (ALICE, BOB, CAROL)[hour % 3]
        timeline.add(21 + hour * 75, who, Updated(), f"Hour {hour}: replica {hour % 7} at lag")
    timeline.add(
        3000,
        BOB,
        StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
        "A storage node was throttling writes; we are moving the ledger off it.",
    )
    timeline.add(3900, CAROL, ImpactSet(("Payments",), ComponentStatus.OPERATIONAL))
    timeline.add(3905, ALICE, Resolved(previous=Status.IDENTIFIED, public=True), "All caught up.")
    end = t + timedelta(minutes=3905)
    return PostmortemData(
        ref="INC-48",
        title="Ledger replication lagging hours behind",
        public_name="Delayed payment confirmations",
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        declared_by=ALICE,
        created_at=t,
        milestones=Milestones(
            started=utc(2026, 3, 9, 18, 5),
            detected=t,
            mitigated=t + timedelta(minutes=3900),
            resolved=end,
        ),
        roles=[RoleTerm(Role.COMMANDER, ALICE, t + timedelta(minutes=1), None)],
        timeline=timeline.entries,
        actions=[Action(1, "Alert on replica lag above 5 minutes", CAROL, False, "p1")],
        names=NAMES,
    )


# (golden file, data, display zone)
SCENARIOS: list[tuple[str, Callable[[], PostmortemData], str]] = [
    ("postmortem_standard_utc.md", standard, "UTC"),
    ("postmortem_midnight_los_angeles.md", across_midnight, "America/Los_Angeles"),
    ("postmortem_dst_new_york.md", across_dst, "America/New_York"),
    ("postmortem_role_changes.md", role_changes, "Europe/Paris"),
    ("postmortem_unicode_hostile.md", hostile, "Asia/Kolkata"),
    ("postmortem_still_open.md", still_open, "UTC"),
    ("postmortem_long_berlin.md", long_incident, "Europe/Berlin"),
]
SCENARIO_IDS = [name.removesuffix(".md") for name, _, _ in SCENARIOS]


def render(data: PostmortemData, zone_name: str) -> str:
    """Render a draft in the named zone."""
    return render_postmortem(data, zone=ZoneInfo(zone_name), zone_name=zone_name)


@pytest.mark.parametrize(("golden", "build", "zone_name"), SCENARIOS, ids=SCENARIO_IDS)
def test_render_postmortem_scenario_matches_golden_file(
    golden: str, build: Callable[[], PostmortemData], zone_name: str
) -> None:
    assert_golden(golden, render(build(), zone_name))


# --- properties of every draft -----------------------------------------------------------------


@pytest.mark.parametrize(("golden", "build", "zone_name"), SCENARIOS, ids=SCENARIO_IDS)
def test_render_postmortem_any_scenario_has_every_review_section_with_prompt(
    golden: str, build: Callable[[], PostmortemData], zone_name: str
) -> None:
    lines = render(build(), zone_name).splitlines()
    for title, prompt in REVIEW_SECTIONS:
        assert lines.count(f"## {title}") == 1, title
        at = lines.index(f"## {title}")
        assert lines[at + 1 : at + 3] == ["", f"*{prompt}*"]


@pytest.mark.parametrize(("golden", "build", "zone_name"), SCENARIOS, ids=SCENARIO_IDS)
def test_render_postmortem_any_scenario_leaves_no_slack_markup_or_html(
    golden: str, build: Callable[[], PostmortemData], zone_name: str
) -> None:
    md = render(build(), zone_name)
    for slack in ("<@U", "<@W", "<#C", "<!", "&lt;", "&gt;", "&amp;"):
        assert slack not in md
    assert raw_html(md) == []
    assert "\x00" not in md
    assert md.endswith("\n")
    assert not md.endswith("\n\n")


@pytest.mark.parametrize(("golden", "build", "zone_name"), SCENARIOS, ids=SCENARIO_IDS)
def test_render_postmortem_any_scenario_tells_the_story_from_impact_start_then_the_record(
    golden: str, build: Callable[[], PostmortemData], zone_name: str
) -> None:
    data = build()
    lines = render(data, zone_name).splitlines()
    story = lines[lines.index("## Timeline") + 1 : lines.index("## Record changes")]
    record = lines[lines.index("## Record changes") + 1 : lines.index("## Roles")]
    items = [line for line in story if line.startswith("- ")]
    kept = [x for x in data.timeline if not isinstance(x.fact, BOOKKEEPING)]
    assert len(items) == len(kept) + (data.milestones.started is not None)
    assert re.fullmatch(r"- \d\d:\d\d (\(.+?\) )?\*\*Impact started\*\*", items[0])
    for line in story:  # day headings, list items and their continuation lines
        assert line.startswith(("### ", "- ", "  ")) or not line.strip()
    bookkeeping = [x for x in data.timeline if isinstance(x.fact, BOOKKEEPING)]
    assert len([x for x in record if x.startswith("- ")]) == len(bookkeeping)


def test_render_postmortem_across_midnight_groups_by_day_and_names_zones_once() -> None:
    md = render(across_midnight(), "America/Los_Angeles")
    assert "| Times | UTC; in brackets, America/Los_Angeles |" in md
    assert "### Thursday, January 15, 2026\n\n- 23:00 (15:00) **Impact started**" in md
    assert "- 23:40 (15:40) Dave Lindqvist declared the incident (SEV3)" in md
    assert "### Friday, January 16, 2026" in md
    assert "- 00:30 (Jan 15, 16:30) Erin Kowalski marked Search as major outage" in md
    assert "- 08:30 (00:30) Dave Lindqvist added follow-up action 1" in md
    assert md.count("PST") == md.count("UTC (")  # only the full times in tables name zones


def test_render_postmortem_across_dst_end_names_the_zone_once_the_clock_repeats() -> None:
    md = render(across_dst(), "America/New_York")
    assert "- 05:30 (01:30) Frank Osei posted an update" in md
    assert "- 06:00 (01:00 EST) Frank Osei posted an update" in md
    assert "- 06:30 (01:30 EST) Frank Osei posted an update" in md


def test_render_postmortem_role_history_lists_each_commander_with_from_and_until() -> None:
    md = render(role_changes(), "UTC")
    commanders = [line for line in md.splitlines() if line.startswith("- **Incident commander**")]
    assert commanders == [
        "- **Incident commander**: Erin Kowalski, from 2026-02-03 14:00 UTC "
        "until 2026-02-03 14:40 UTC",
        "- **Incident commander**: Alice Ng, from 2026-02-03 14:40 UTC until 2026-02-03 16:05 UTC",
        "- **Incident commander**: Frank Osei, from 2026-02-03 16:05 UTC until resolved",
    ]


def test_render_postmortem_hostile_markup_is_rendered_as_text() -> None:
    md = render(hostile(), "UTC")
    assert raw_html(md) == []
    assert re.search(r"(?<!\\)<script", md) is None  # only the escaped `\<script` remains
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "\\<img src=x onerror=alert(2)\\>" in md
    assert "Paged Bob Okafor, zed and U0NOBODY; see #ops and [text](https://x.y)" in md
    assert "<https://status.example.com>" in md
    assert "@channel please stand by @here @oncall" in md
    assert md.startswith("# INC-46: 🔥 支付服务宕机 \\| انقطاع الدفع for Bob Okafor\n")
    assert "| Public name | Payments \\| Japan 🇯🇵 |" in md
    assert "Line one\n  Line two\n  - not a new item\n  ## not a heading\n  \n  after a" in md


def participants(md: str) -> list[str]:
    """Return the names on the draft's `Participants:` line."""
    line = next(line for line in md.splitlines() if line.startswith("Participants: "))
    return line.removeprefix("Participants: ").removesuffix(".").split(", ")


def test_render_postmortem_participants_are_everyone_involved_sorted_by_name() -> None:
    md = render(role_changes(), "UTC")
    assert participants(md) == [
        "Alice Ng",
        "Bob Okafor",
        "Carol Díaz",
        "Dave Lindqvist",
        "Erin Kowalski",
        "Frank Osei",
    ]


def test_render_postmortem_participants_lowercase_names_sort_among_the_others() -> None:
    names = {ALICE: "alice", BOB: "Bob Okafor", CAROL: "carol", DAVE: "Zoë Quinn"}
    data = replace(
        still_open(),
        roles=[
            RoleTerm(Role.COMMANDER, ALICE, utc(2026, 5, 20, 16, 0), None),
            RoleTerm(Role.LEAD, CAROL, utc(2026, 5, 20, 16, 0), None),
            RoleTerm(Role.SCRIBE, DAVE, utc(2026, 5, 20, 16, 0), None),
        ],
        names=names,
    )
    assert participants(render(data, "UTC")) == ["alice", "Bob Okafor", "carol", "Zoë Quinn"]


def test_render_postmortem_unknown_people_shown_by_id() -> None:
    md = render(replace(standard(), names={}), "UTC")
    assert "by U0ALICE |" in md
    assert "- **Incident commander**: U0ALICE, from" in md
    assert "U0ALICE made U0BOB communications lead" in md


def test_render_postmortem_multiline_title_stays_one_heading() -> None:
    md = render(replace(still_open(), title="Slow dashboards\nand slow exports"), "UTC")
    assert md.splitlines()[0] == "# INC-47: Slow dashboards and slow exports"


def test_render_postmortem_mention_inside_link_label_leaves_no_placeholder() -> None:
    data = still_open()
    mention = entry(99, data.created_at, BOB, Updated(), "ask <https://x.y|<@U0ALICE>>")
    md = render(replace(data, timeline=[*data.timeline, mention]), "UTC")
    assert "\x00" not in md
    assert "Bob Okafor posted an update: ask [Alice Ng](https://x.y)" in md


def test_render_postmortem_public_update_shows_text_as_published() -> None:
    # The person typed `<https://evil.example|click>` as text; Slack sent it escaped, and the
    # status page showed those characters. The draft must not turn them into a live link.
    data = still_open()
    update = entry(
        99,
        data.created_at + timedelta(minutes=10),
        BOB,
        StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
        "Do not use &lt;https://evil.example|click&gt;",
    )
    md = render(replace(data, timeline=[*data.timeline, update]), "UTC")
    public = md.split("## Customer impact")[1].split("## Detection")[0]
    assert "](https://evil.example)" not in public
    assert "Do not use \\<https://evil.example|click\\>" in public


def test_render_postmortem_display_name_with_markup_is_escaped() -> None:
    names = {**NAMES, ALICE: "Alice <img src=x onerror=alert(1)>"}
    md = render(replace(standard(), names=names), "UTC")
    assert raw_html(md) == []


def test_render_postmortem_display_name_with_pipe_keeps_declared_row() -> None:
    names = {**NAMES, ALICE: "Alice | SRE"}
    md = render(replace(standard(), names=names), "UTC")
    declared = next(line for line in md.splitlines() if line.startswith("| Declared |"))
    assert declared.count(" | ") == 1  # two cells: the label and the value


def test_render_postmortem_aware_non_utc_times_are_shown_in_utc() -> None:
    paris = ZoneInfo("Europe/Paris")
    data = replace(still_open(), created_at=datetime(2026, 5, 20, 18, 0, tzinfo=paris))
    md = render(data, "UTC")
    assert "| Declared | 2026-05-20 16:00 UTC by Bob Okafor |" in md


# --- people_in and worst_components ------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (standard, {ALICE, BOB, CAROL}),
        (across_midnight, {DAVE, ERIN}),
        (across_dst, {FRANK}),
        (role_changes, {ALICE, BOB, CAROL, DAVE, ERIN, FRANK, "U0GUEST"}),
        (hostile, {ALICE, BOB, CAROL, "U0ZED", "U0NOBODY"}),
        (still_open, {BOB}),
    ],
    ids=["standard", "midnight", "dst", "roles", "hostile", "open"],
)
def test_people_in_scenario_returns_every_user_referenced(
    build: Callable[[], PostmortemData], expected: set[str]
) -> None:
    assert people_in(build()) == expected


def test_people_in_each_kind_of_reference_is_found() -> None:
    t = utc(2026, 6, 1, 12, 0)
    data = PostmortemData(
        ref="INC-1",
        title="t",
        public_name=None,
        severity=Severity.SEV3,
        status=Status.INVESTIGATING,
        declared_by="U1DECLARER",
        created_at=t,
        milestones=Milestones(started=t, detected=t),
        roles=[RoleTerm(Role.SCRIBE, "U2HOLDER", t, None)],
        timeline=[
            entry(1, t, "U3ACTOR", Updated(), "cc <@U4MENTIONED|m> and <@W5WORKSPACE>"),
            entry(2, t, "U3ACTOR", RoleAssigned(Role.LEAD, "U6ASSIGNEE")),
            entry(3, t, "Bstatusbot", Updated(), "from a bot"),
        ],
        actions=[Action(1, "ask <@U7INTEXT>", "U8OWNER", False)],
    )
    assert people_in(data) == {
        "U1DECLARER",
        "U2HOLDER",
        "U3ACTOR",
        "U4MENTIONED",
        "W5WORKSPACE",
        "U6ASSIGNEE",
        "U7INTEXT",
        "U8OWNER",
    }


def impact(at: datetime, components: list[str], status: str) -> Entry:
    """Return an IMPACT entry."""
    return entry(0, at, ALICE, ImpactSet(tuple(components), ComponentStatus(status)))


T = utc(2026, 6, 1, 12, 0)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], {}),
        ([("API", "operational")], {}),
        ([("API", "degraded_performance")], {"API": ComponentStatus.DEGRADED_PERFORMANCE}),
        (
            [("API", "major_outage"), ("API", "partial_outage"), ("API", "operational")],
            {"API": ComponentStatus.MAJOR_OUTAGE},
        ),
        (
            [("API", "degraded_performance"), ("API", "major_outage"), ("API", "operational")],
            {"API": ComponentStatus.MAJOR_OUTAGE},
        ),
        (
            [("API", "under_maintenance"), ("API", "degraded_performance")],
            {"API": ComponentStatus.DEGRADED_PERFORMANCE},
        ),
        (
            [("API", "partial_outage"), ("Web", "major_outage"), ("API", "degraded_performance")],
            {"API": ComponentStatus.PARTIAL_OUTAGE, "Web": ComponentStatus.MAJOR_OUTAGE},
        ),
        (
            [("API,Web", "partial_outage"), ("Web", "operational"), ("API", "major_outage")],
            {"API": ComponentStatus.MAJOR_OUTAGE, "Web": ComponentStatus.PARTIAL_OUTAGE},
        ),
    ],
)
def test_worst_components_changes_picks_worst_state_per_component(
    changes: list[tuple[str, str]], expected: dict[str, ComponentStatus]
) -> None:
    timeline = [
        impact(T + timedelta(minutes=i), components.split(","), status)
        for i, (components, status) in enumerate(changes)
    ]
    data = replace(still_open(), timeline=timeline)
    assert worst_components(data) == expected
