"""views.publish as Slack answers it: a person's Home, strictly checked, Tier 4, no scope."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_emulator import EmUser, SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, TOKEN, error_of

Json = dict[str, Any]


def home(*blocks: Json) -> Json:
    return {"type": "home", "blocks": list(blocks)}


def section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_views_publish_shows_the_view_on_that_persons_home_only(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.views_publish(user_id=ALICE, view=home(section("Hi <@U0BOB>")))
    again = await client.views_publish(user_id=ALICE, view=home(section("Bye")))
    assert emulator.home_text(ALICE) == "Bye"
    assert emulator.home_text(BOB) == ""
    assert first["view"]["type"] == "home"
    assert again["view"]["id"] == first["view"]["id"]  # one Home per person
    assert again["view"]["hash"] != first["view"]["hash"]


async def test_views_publish_refuses_a_missing_or_unknown_user(client: AsyncWebClient) -> None:
    missing = await error_of(client.api_call("views.publish", json={"view": home(section("x"))}))
    assert missing.response["error"] == "invalid_arguments"
    unknown = await error_of(client.views_publish(user_id="U0NOBODY", view=home(section("x"))))
    assert unknown.response["error"] == "user_not_found"


async def test_views_publish_refuses_a_modal_and_too_many_blocks(client: AsyncWebClient) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    err = await error_of(client.views_publish(user_id=ALICE, view=modal))
    assert err.response["error"] == "invalid_arguments"
    crowded = home(*(section(f"line {n}") for n in range(101)))  # a Home holds 100 blocks
    err = await error_of(client.views_publish(user_id=ALICE, view=crowded))
    assert err.response["error"] == "invalid_arguments"
    long = home(section("x" * 3001))  # a section's text: 3000 characters
    err = await error_of(client.views_publish(user_id=ALICE, view=long))
    assert err.response["error"] == "invalid_arguments"


async def test_views_publish_with_a_stale_hash_is_a_conflict(client: AsyncWebClient) -> None:
    first = await client.views_publish(user_id=ALICE, view=home(section("one")))
    await client.views_publish(user_id=ALICE, view=home(section("two")))
    err = await error_of(
        client.views_publish(user_id=ALICE, view=home(section("three")), hash=first["view"]["hash"])
    )
    assert err.response["error"] == "hash_conflict"


async def test_views_publish_needs_no_scope_and_is_tier_4() -> None:
    # A token with no scope at all, and Slack's own clock.
    slack = SlackEmulator(users=[EmUser("U0X", "x", "X")], scopes=[], rate_scale=1.0)
    await slack.start()
    try:
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
        for n in range(100):  # Tier 4: 100 a minute
            await client.views_publish(user_id="U0X", view=home(section(f"{n}")))
        err = await error_of(client.views_publish(user_id="U0X", view=home(section("101st"))))
        assert (err.response.status_code, err.response["error"]) == (429, "ratelimited")
    finally:
        await slack.stop()
