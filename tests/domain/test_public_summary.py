"""The public summary draft: past tense, made only of what the public already read, and only
the follow-up actions marked public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import entries as e
from bot.domain.components import ComponentStatus
from bot.domain.milestones import Milestones
from bot.domain.model import Severity, Status
from bot.domain.postmortem import Action, PostmortemData, render_postmortem
from bot.domain.public_summary import public_summary_draft

T0 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
INTERNAL = ("shard 7", "db-prod-3", "Bob's laptop", "INTERNAL-ONLY")


def entry(n: int, minutes: int, fact: e.Fact, text: str = "") -> e.Entry:
    return e.Entry(id=n, at=T0 + timedelta(minutes=minutes), actor_id="U0BOB", text=text, fact=fact)


def data(actions: list[Action], public_name: str | None = "Elevated error rates") -> PostmortemData:
    timeline = [
        entry(1, 0, e.Declared(Severity.SEV1), "Shard 7 corrupt on db-prod-3"),
        entry(2, 3, e.Updated(), "INTERNAL-ONLY: restoring shard 7 from Bob's laptop"),
        entry(3, 5, e.ImpactSet(("API", "Checkout"), ComponentStatus.PARTIAL_OUTAGE)),
        entry(4, 6, e.StatusChanged(Status.INVESTIGATING, Status.INVESTIGATING), "Looking"),
        entry(5, 7, e.ImpactSet(("API",), ComponentStatus.MAJOR_OUTAGE)),
        entry(6, 20, e.StatusChanged(Status.IDENTIFIED, Status.INVESTIGATING), "Found it"),
        entry(7, 25, e.StatusChanged(Status.IDENTIFIED, Status.IDENTIFIED), "Still on it"),
        entry(8, 40, e.StatusChanged(Status.MONITORING, Status.IDENTIFIED), "Fix is out"),
        entry(9, 45, e.MilestoneSet(e.Milestone.STARTED, T0 - timedelta(hours=3))),
        entry(10, 88, e.Resolved(Status.MONITORING), "All good"),
    ]
    return PostmortemData(
        ref="INC-4",
        title="Shard 7 corrupt on db-prod-3",
        public_name=public_name,
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        declared_by="U0BOB",
        created_at=T0,
        milestones=Milestones(T0 - timedelta(hours=3), T0, T0 + timedelta(minutes=40)),
        roles=[],
        timeline=timeline,
        actions=actions,
    )


def test_draft_is_past_tense_from_public_messages_only() -> None:
    actions = [
        Action(1, "Move shard 7 off db-prod-3 INTERNAL-ONLY", "U0BOB", False),
        Action(2, "Alert on API error rates within 2 minutes", None, False, public=True),
    ]
    draft = public_summary_draft(data(actions))
    assert draft == "\n".join(
        [
            "What happened: Elevated error rates occurred on 2026-11-30 from 14:06 to 15:28 UTC"
            " (1h 22m), affecting API (major outage), Checkout (partial outage).",
            "Timeline (UTC):",
            "- 14:06: we began investigating.",
            "- 14:20: we identified the cause.",
            "- 14:40: we put a fix in place and monitored the results.",
            "- 15:28: the incident was resolved.",
            "Preventive measures:",
            "- Alert on API error rates within 2 minutes",
        ]
    )
    for secret in INTERNAL:
        assert secret.lower() not in draft.lower()


def test_no_public_action_leaves_measures_to_be_written() -> None:
    draft = public_summary_draft(data([Action(1, "Fix shard 7 on db-prod-3", None, True)]))
    assert draft.endswith("Preventive measures:\n- (to be written)")
    assert "shard" not in draft.lower()


def test_public_action_text_is_cleaned_of_slack_markup() -> None:
    action = Action(1, "Page <@U0BOB> sooner, see <#C0INC|inc-4>", None, False, public=True)
    draft = public_summary_draft(data([action]))
    assert "<@" not in draft
    assert "<#" not in draft


def test_postmortem_draft_links_each_action_to_its_ticket() -> None:
    url = "https://github.com/acme/backlog/issues/7"
    actions = [
        Action(1, "Move shard 7", "U0BOB", False, ticket_url=url),
        Action(2, "X", None, done=True),
    ]
    markdown = render_postmortem(data(actions), zone=ZoneInfo("UTC"), zone_name="UTC")
    assert f"| 1 | Move shard 7 | U0BOB | — | — | open | [GitHub #7]({url}) |" in markdown
    assert "| 2 | X | no owner | — | — | done | — |\n" in markdown
