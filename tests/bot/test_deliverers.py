"""Each deliverer handles exactly the kinds of its destination: the relay hands it no others,
and a kind its destination's deliverer does not handle would die as "not delivered here"."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.domain.deliveries import DeliveryKind, Destination

PUBLISHERS = Path(__file__).resolve().parents[2] / "bot" / "publishers"
DELIVERER: dict[Destination, str] = {
    Destination.SLACK: "slack.py",
    Destination.SLACK_READ: "slack_capture.py",
    Destination.STATUSPAGE: "statuspage.py",
    Destination.SUBSCRIBERS: "subscribers.py",
    Destination.MAIL: "mail.py",
    Destination.WEBHOOK: "webhooks.py",
    Destination.PAGERDUTY: "pagerduty.py",
    Destination.GITHUB: "github.py",
    Destination.JIRA: "jira.py",
}


def handled(module: str) -> set[str]:
    """Return the kinds the module dispatches on: `case K.X` patterns and `kind is (not) K.X`."""
    tree = ast.parse((PUBLISHERS / module).read_text(encoding="utf-8"))
    values: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.MatchValue):
            values.append(node.value)
        elif isinstance(node, ast.Compare) and all(
            isinstance(op, ast.Is | ast.IsNot) for op in node.ops
        ):
            values.extend(node.comparators)
    return {
        value.attr
        for value in values
        if isinstance(value, ast.Attribute)
        and isinstance(value.value, ast.Name)
        and value.value.id in ("K", "DeliveryKind")
    }


def test_every_destination_has_a_deliverer() -> None:
    assert set(DELIVERER) == set(Destination)


@pytest.mark.parametrize("destination", list(Destination))
def test_deliverer_handles_exactly_its_destinations_kinds(destination: Destination) -> None:
    kinds = {kind.name for kind in DeliveryKind if kind.spec.destination is destination}
    assert handled(DELIVERER[destination]) == kinds
