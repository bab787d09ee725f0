"""Typed timeline entries: which are public, and how each fact is stored and read back."""

from __future__ import annotations

import json
import typing
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    ALWAYS_PUBLIC,
    MAYBE_PUBLIC,
    ActionAdded,
    ActionChanged,
    ActionCompleted,
    AlertNoted,
    CadenceSet,
    Canceled,
    Declared,
    Entry,
    EntryKind,
    Fact,
    ImpactSet,
    MilestoneSet,
    Paged,
    Pinned,
    PublicNameSet,
    Reopened,
    Resolved,
    RespondersInvited,
    ReviewDateSet,
    ReviewOwnerSet,
    ReviewStatus,
    ReviewStatusSet,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
    SummaryPublished,
    Updated,
    is_public,
)
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status
from storage.timeline import decode, encode

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)
ALICE, BOB = "U0ALICE", "U0BOB"
FACT_CLASSES = set(typing.get_args(Fact))


def entry(fact: Fact, text: str = "") -> Entry:
    """Return an entry by Alice at AT recording `fact`."""
    return Entry(id=1, at=AT, actor_id=ALICE, text=text, fact=fact)


def name(fact: Fact) -> str:
    return type(fact).__name__


# --- is_public ---------------------------------------------------------------------------------

# (fact, text, public): every kind with typed text, so text alone never makes an entry public.
PUBLICITY: list[tuple[Fact, str, bool]] = [
    (Declared(Severity.SEV1), "Checkout down", False),
    (Updated(), "Rolled back 4512", False),
    (RoleAssigned(Role.COMMANDER, BOB), "", False),
    (SeverityChanged(Severity.SEV1, previous=Severity.SEV2), "", False),
    (StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING), "Bad config", True),
    (StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED), "", True),
    (Resolved(previous=Status.MONITORING), "All green", True),
    (Resolved(previous=Status.MONITORING, public=True), "", True),
    (Resolved(previous=Status.MONITORING, public=True), "All green", True),
    (Resolved(previous=Status.INVESTIGATING, public=False), "", False),
    (Pinned(pinned_by=BOB), "p99 went to 9s", False),
    (ImpactSet(("API",), ComponentStatus.MAJOR_OUTAGE), "", True),
    (ImpactSet(("API", "Checkout"), ComponentStatus.OPERATIONAL), "", True),
    (PublicNameSet(previous=None), "Checkout errors", False),
    (MilestoneSet(Milestone.STARTED, AT), "", False),
    (ActionAdded(1, owner=BOB), "Add a canary", False),
    (ActionCompleted(1), "", False),
    (ActionChanged(1, "owner", BOB), "", False),
    (SummaryPublished(), "We rolled back a bad deploy.", False),
    (CadenceSet(timedelta(minutes=10)), "", False),
    (CadenceSet(None), "", False),
    (ReviewOwnerSet(BOB), "", False),
    (ReviewStatusSet(ReviewStatus.REVIEW), "", False),
    (ReviewDateSet(date(2026, 12, 3)), "", False),
    (Paged("payments"), "Checkout down, please join", False),
    (AlertNoted("alertmanager", "fp1", firing=False), "HighErrorRate", False),
    # A cancel or reopen is public only for an incident that was public already.
    (Canceled(Status.INVESTIGATING), "probe misfired", False),
    (Canceled(Status.IDENTIFIED, public=True, closing="No problem found."), "misfired", True),
    (Reopened(Status.RESOLVED), "Errors are back", False),
    (Reopened(Status.CANCELED, public=True), "Errors are back", True),
    (RespondersInvited(Severity.SEV1, ("oncall",), ("U0BOB",)), "", False),
]


def test_publicity_table_covers_every_fact_class() -> None:
    assert {type(fact) for fact, _, _ in PUBLICITY} == FACT_CLASSES


@pytest.mark.parametrize(
    ("fact", "text", "public"),
    PUBLICITY,
    ids=[f"{name(f)}-{'text' if t else 'empty'}-{p}" for f, t, p in PUBLICITY],
)
def test_is_public_each_kind(fact: Fact, text: str, public: bool) -> None:
    assert is_public(entry(fact, text)) is public


@pytest.mark.parametrize(
    ("fact", "text", "public"),
    PUBLICITY,
    ids=[f"{name(f)}-{'text' if t else 'empty'}-{p}" for f, t, p in PUBLICITY],
)
def test_is_public_agrees_with_the_kinds_storage_filters_on(
    fact: Fact, text: str, public: bool
) -> None:
    kind = entry(fact, text).kind
    if public:
        assert kind in MAYBE_PUBLIC
    if kind in ALWAYS_PUBLIC:
        assert public


def test_is_public_resolve_is_public_with_text_or_when_public() -> None:
    assert is_public(entry(Resolved(Status.MONITORING), "All green"))
    assert is_public(entry(Resolved(Status.MONITORING, public=True)))
    assert not is_public(entry(Resolved(Status.MONITORING)))


def test_entry_kind_is_the_fact_kind() -> None:
    for fact, text, _ in PUBLICITY:
        assert entry(fact, text).kind is type(fact).kind


def test_every_entry_kind_is_recorded_by_some_fact() -> None:
    assert {cls.kind for cls in FACT_CLASSES} == set(EntryKind)


# --- storage round trip ------------------------------------------------------------------------

ROUND_TRIP: list[Fact] = [
    Declared(Severity.SEV2),
    Updated(),
    RoleAssigned(Role.COMMS, BOB),
    RoleAssigned(Role.COMMANDER, BOB, previous=ALICE),
    SeverityChanged(Severity.SEV1, previous=Severity.SEV3),
    StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
    Resolved(previous=Status.MONITORING),
    Resolved(previous=Status.IDENTIFIED, public=True),
    Pinned(pinned_by=BOB),
    ImpactSet(("API", "Checkout"), ComponentStatus.PARTIAL_OUTAGE),
    ImpactSet(("Payments (JP)",), ComponentStatus.OPERATIONAL),
    PublicNameSet(),
    PublicNameSet(previous="Checkout errors"),
    MilestoneSet(Milestone.MITIGATED, AT),
    ActionAdded(2),
    ActionAdded(3, owner=BOB),
    ActionCompleted(2),
    ActionChanged(3, "due", "2026-12-24"),
    ActionChanged(3, "public"),
    SummaryPublished(),
    CadenceSet(timedelta(minutes=10)),
    CadenceSet(timedelta(hours=1, minutes=30)),
    CadenceSet(None),
    ReviewOwnerSet(BOB),
    ReviewStatusSet(ReviewStatus.FINAL),
    ReviewDateSet(date(2026, 12, 3)),
    ReviewDateSet(None),
    Paged("payments"),
    Paged("core", automatic=True),
    AlertNoted("pagerduty", "Q1ABC", firing=True, url="https://x.pagerduty.com/incidents/Q1ABC"),
    AlertNoted("alertmanager", "4f2a", firing=False),
    Canceled(Status.MONITORING),
    Canceled(Status.INVESTIGATING, public=True, closing="No impact <b>at all</b>"),
    Reopened(Status.RESOLVED),
    Reopened(Status.CANCELED, public=True),
    RespondersInvited(Severity.SEV1, ("oncall", "leads"), ("U0BOB", "U0DAVE"), already=("U0A",)),
    RespondersInvited(
        Severity.SEV2,
        (),
        refused=(("U0GONE", "cant_invite"),),
        unread=(("S0X", "no_such_subteam"),),
    ),
]


def test_round_trip_covers_every_fact_class() -> None:
    assert {type(fact) for fact in ROUND_TRIP} == FACT_CLASSES


@pytest.mark.parametrize("fact", ROUND_TRIP, ids=repr)
def test_decode_encoded_fact_gives_it_back(fact: Fact) -> None:
    assert decode(fact.kind, encode(fact)) == fact


@pytest.mark.parametrize("fact", ROUND_TRIP, ids=repr)
def test_decode_encoded_fact_through_json_gives_it_back(fact: Fact) -> None:
    # Rows hold the encoded object as JSON text: tuples come back as lists, times as strings.
    stored = json.loads(json.dumps(encode(fact)))
    assert decode(fact.kind, stored) == fact


@pytest.mark.parametrize(
    ("fact", "stored"),
    [
        (CadenceSet(timedelta(minutes=10)), {"seconds": 600}),
        (CadenceSet(timedelta(seconds=45)), {"seconds": 45}),
        (CadenceSet(None), {"seconds": None}),
    ],
    ids=["10m", "45s", "off"],
)
def test_encode_cadence_is_stored_as_whole_seconds_or_none(
    fact: CadenceSet, stored: dict[str, object]
) -> None:
    assert encode(fact) == stored


@pytest.mark.parametrize(
    ("kind", "data", "fact"),
    [
        (EntryKind.ROLE, {"role": "lead", "user": "U6"}, RoleAssigned(Role.LEAD, "U6")),
        (
            EntryKind.RESOLVED,
            {"status": "resolved", "previous": "monitoring"},
            Resolved(Status.MONITORING),
        ),
        (EntryKind.PUBLIC_NAME, {"name": "Checkout errors"}, PublicNameSet()),
        (EntryKind.ACTION, {"number": 4, "verb": "added"}, ActionAdded(4)),
        (EntryKind.ACTION, {"number": "4", "verb": "completed"}, ActionCompleted(4)),
    ],
    ids=["role-no-previous", "resolved-no-public", "public-name-old-keys", "added", "completed"],
)
def test_decode_row_without_optional_keys_uses_defaults(
    kind: EntryKind, data: dict[str, object], fact: Fact
) -> None:
    assert decode(kind, data) == fact
