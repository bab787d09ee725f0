"""Forged, stale and oddly-timestamped requests are refused with 401 and change nothing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.conftest import ALICE, GENERAL, Bot
from tests.reliability.hostile.requests import FORM, command_fields, created_channels, signature
from tests.reliability.process import FixedSlack, ServerFactory
from tests.reliability.store import Store
from tests.support import wait_until


async def test_events_forged_or_stale_requests_to_server_process_are_401_and_change_nothing(
    make_server: ServerFactory, slack: FixedSlack, store: Store
) -> None:
    server = make_server()
    await server.start()
    secret = server.driver.signing_secret
    body = urlencode(command_fields("declare sev1 Forged outage")).encode()
    other = urlencode(command_fields("declare sev4 Harmless")).encode()
    now = int(time.time())

    def signed(ts: int | str, payload: bytes = body, prefix: str = "v0=") -> dict[str, str]:
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": prefix + signature(secret, str(ts), payload),
        }

    cases: dict[str, tuple[bytes, dict[str, str]]] = {
        "unsigned": (body, {}),
        "timestamp-only": (body, {"X-Slack-Request-Timestamp": str(now)}),
        "wrong-signature": (body, {**signed(now), "X-Slack-Signature": "v0=" + "0" * 64}),
        "another-secret": (
            body,
            {
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": "v0=" + signature("not-the-secret", str(now), body),
            },
        ),
        "older-than-5-minutes": (body, signed(now - 5 * 60 - 5)),
        "10-minutes-in-the-future": (body, signed(now + 10 * 60)),
        "non-numeric-timestamp": (body, signed("1.7e9")),
        "negative-timestamp": (body, signed(-now)),
        "timestamp-with-spaces": (body, signed(f" {now} ")),
        "body-changed-after-signing": (body, signed(now, other)),
        "wrong-version-prefix": (body, signed(now, prefix="v1=")),
        "uppercase-version-prefix": (body, signed(now, prefix="V0=")),
        "no-version-prefix": (body, signed(now, prefix="")),
        "empty-signature": (body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": ""}),
    }
    answers = {}
    for name, (payload, headers) in cases.items():
        reply = await server.driver.raw(payload, {"Content-Type": FORM, **headers})
        answers[name] = (reply.status, reply.body[:120])
    # The same server serves a correctly signed request, so the 401s were the signature's doing.
    help_reply = await server.command(ALICE, GENERAL, "help")
    # Anything wrongly accepted is in the outbox by now: once delivered, Slack would show it.
    await wait_until(store.settled, 20, "the outbox delivered everything")

    assert {name: a for name, a in answers.items() if a[0] != 401} == {}
    assert help_reply.status == 200
    assert "/incident declare" in help_reply.text
    assert created_channels(slack) == []
    assert await store.incidents() == []
    assert server.running


@pytest.mark.parametrize(
    "timestamp",
    ["\u00b2", "\u00b9\u2077\u2070\u2070\u2070\u2070\u2070\u2070\u2070\u2070"],
    ids=["superscript-two", "superscript-1700000000"],
)
async def test_events_superscript_digit_timestamp_is_401_and_changes_nothing(
    bot: Bot, store: Store, timestamp: str
) -> None:
    # "²".isdigit() is True but int("²") fails: the pre-check lets it through to Bolt.
    body = urlencode(command_fields("declare sev1 Forged outage")).encode()
    reply = await bot.driver.raw(
        body,
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    await bot.settle()
    assert reply.status == 401, (reply.status, reply.body)
    assert created_channels(bot.slack) == []
    assert await store.incidents() == []
