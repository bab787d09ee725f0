"""The outbox protocol: every delivery kind is described, stored faithfully, and delivered."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.deliveries import KINDS, DeliveryKind, Destination, KindSpec, Payload
from bot.publishers.github import GithubPublisher
from bot.publishers.jira import JiraPublisher
from bot.publishers.mail import MailPublisher
from bot.publishers.pagerduty import PagerDutyPublisher
from bot.publishers.slack import SlackPublisher
from bot.publishers.slack_capture import Capturer
from bot.publishers.statuspage import StatuspagePublisher
from bot.publishers.subscribers import FanOut
from bot.publishers.webhooks import WebhookPublisher

# The kinds each destination's publisher delivers.
DELIVERED: dict[Destination, frozenset[DeliveryKind]] = {
    Destination.SLACK: SlackPublisher.kinds,
    Destination.SLACK_READ: Capturer.kinds,
    Destination.STATUSPAGE: StatuspagePublisher.kinds,
    Destination.SUBSCRIBERS: FanOut.kinds,
    Destination.MAIL: MailPublisher.kinds,
    Destination.WEBHOOK: WebhookPublisher.kinds,
    Destination.PAGERDUTY: PagerDutyPublisher.kinds,
    Destination.GITHUB: GithubPublisher.kinds,
    Destination.JIRA: JiraPublisher.kinds,
}


@pytest.mark.parametrize("kind", list(DeliveryKind), ids=str)
def test_every_delivery_kind_has_a_spec(kind: DeliveryKind) -> None:
    assert isinstance(KINDS.get(kind), KindSpec)
    assert kind.spec is KINDS[kind]
    assert kind.spec.what


def test_kinds_table_lists_only_delivery_kinds() -> None:
    assert set(KINDS) == set(DeliveryKind)


def test_every_delivery_kind_is_delivered_by_exactly_one_publisher() -> None:
    kinds = list(DELIVERED.values())
    for i, mine in enumerate(kinds):
        for theirs in kinds[i + 1 :]:
            assert mine.isdisjoint(theirs), mine & theirs
    assert frozenset().union(*kinds) == set(DeliveryKind)


@pytest.mark.parametrize("kind", list(DeliveryKind), ids=str)
def test_delivery_kind_publisher_serves_its_destination(kind: DeliveryKind) -> None:
    assert kind in DELIVERED[kind.spec.destination]


def test_each_destination_has_a_publisher() -> None:
    assert set(DELIVERED) == set(Destination)


PAYLOADS = [
    Payload(),
    Payload(entry_id=12),
    Payload(users=("U0ALICE",)),
    Payload(users=("U0ALICE", "U0BOB", "W0CAROL")),
    Payload(user="U0ALICE", response_url="https://hooks.slack.com/commands/T1/2/abc"),
    Payload(text="Could not post in <#C1>: `channel_not_found`"),
    Payload(entry_id=3, service="payments"),
    Payload(
        entry_id=7,
        users=("U0BOB",),
        user="U0ALICE",
        response_url="https://hooks.slack.com/commands/T1/2/abc",
        text="Checkout 🔥 down",
        channel="C0INCIDENT",
        ts="1700000000.000100",
        author="U0BOB",
    ),
    Payload(entry_id=9, subscriber_id=4, text="a-confirmation-token"),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_payload_from_json_of_to_json_gives_it_back(payload: Payload) -> None:
    assert Payload.from_json(payload.to_json()) == payload


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_payload_survives_being_stored_as_json_text(payload: Payload) -> None:
    assert Payload.from_json(json.loads(json.dumps(payload.to_json()))) == payload


def test_payload_to_json_leaves_out_unset_fields() -> None:
    assert Payload().to_json() == {}
    stored = Payload(entry_id=3, users=("U1", "U2")).to_json()
    assert stored == {"entry_id": 3, "users": ["U1", "U2"]}


_text = st.one_of(st.none(), st.text(min_size=1))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    entry_id=st.one_of(st.none(), st.integers(min_value=1, max_value=2**62)),
    users=st.lists(st.text(min_size=1), max_size=5).map(tuple),
    user=_text,
    response_url=_text,
    text=_text,
)
def test_payload_any_set_fields_round_trip_through_json(
    entry_id: int | None,
    users: tuple[str, ...],
    user: str | None,
    response_url: str | None,
    text: str | None,
) -> None:
    payload = Payload(entry_id, users, user, response_url, text)
    assert Payload.from_json(json.loads(json.dumps(payload.to_json()))) == payload
