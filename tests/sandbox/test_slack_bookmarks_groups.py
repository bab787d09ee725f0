"""The emulator's bookmarks.add / bookmarks.list, usergroups.list, and conversations.invite
failing whole when any one invitee is refused (as Slack documents)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.bookmarks import MAX_BOOKMARKS
from sandbox.slack.limits import TIERS, Tier
from sandbox.slack_emulator import EmChannel, EmUser, SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, CAROL, TOKEN, error_of

LINK = "https://meet.example.com/inc-7"


async def test_bookmarks_add_link_is_listed(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    added = await client.bookmarks_add(
        channel_id="C0GENERAL", title="Incident call", type="link", link=LINK
    )
    assert (added["bookmark"]["title"], added["bookmark"]["link"]) == ("Incident call", LINK)
    listed = await client.bookmarks_list(channel_id="C0GENERAL")
    assert [b["id"] for b in listed["bookmarks"]] == [added["bookmark"]["id"]]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel_id": "C0GENERAL", "type": "link", "link": LINK}, "invalid_arguments"),
        ({"channel_id": "C0GENERAL", "title": "Call", "type": "link"}, "invalid_arguments"),
        ({"channel_id": "C0GENERAL", "title": "Call", "type": "folder"}, "invalid_arguments"),
        ({"channel_id": "C0MISSING", "title": "Call", "type": "link", "link": LINK}, None),
        ({"channel_id": "C0OUTSIDE", "title": "Call", "type": "link", "link": LINK}, None),
    ],
)
async def test_bookmarks_add_refuses_what_slack_refuses(
    emulator: SlackEmulator, client: AsyncWebClient, arguments: dict[str, str], error: str | None
) -> None:
    emulator.channels["C0OUTSIDE"] = EmChannel("C0OUTSIDE", "outside", ALICE, 0, members={ALICE})
    expected = (
        error
        or {"C0MISSING": "channel_not_found", "C0OUTSIDE": "not_in_channel"}[
            arguments["channel_id"]
        ]
    )
    err = await error_of(client.api_call("bookmarks.add", params=arguments))
    assert err.response["error"] == expected
    assert emulator.bookmarks == {}


async def test_bookmarks_add_past_the_limit_is_refused(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.bookmarks["C0GENERAL"] = [{"id": f"Bk{i}"} for i in range(MAX_BOOKMARKS)]
    err = await error_of(
        client.bookmarks_add(channel_id="C0GENERAL", title="Call", type="link", link=LINK)
    )
    assert err.response["error"] == "too_many_bookmarks"


async def test_bookmarks_need_their_scopes_and_tiers() -> None:
    slack = SlackEmulator(channels=[("C0GENERAL", "general")], scopes={"chat:write"})
    await slack.start()
    try:
        client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
        err = await error_of(
            client.bookmarks_add(channel_id="C0GENERAL", title="Call", type="link", link=LINK)
        )
        assert (err.response["error"], err.response["needed"]) == (
            "missing_scope",
            "bookmarks:write",
        )
        err = await error_of(client.bookmarks_list(channel_id="C0GENERAL"))
        assert err.response["needed"] == "bookmarks:read"
        err = await error_of(client.usergroups_list())
        assert err.response["needed"] == "usergroups:read"
    finally:
        await slack.stop()
    assert TIERS["bookmarks.add"] is Tier.TIER_2
    assert TIERS["usergroups.list"] is Tier.TIER_2


async def test_usergroups_list_gives_handles_and_members(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.usergroups.update({"S0ONCALL": {BOB, ALICE}, "S0LEADS": {CAROL}})
    emulator.usergroup_handles["S0ONCALL"] = "oncall"
    listed = (await client.usergroups_list(include_users=True))["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in listed] == [
        ("S0LEADS", "s0leads", [CAROL]),
        ("S0ONCALL", "oncall", [ALICE, BOB]),
    ]


async def test_invite_several_with_one_already_in_invites_nobody_and_names_them(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    channel = (await client.conversations_create(name="inc-7"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users=ALICE)
    err = await error_of(client.conversations_invite(channel=channel, users=f"{ALICE},{BOB}"))
    assert err.response["error"] == "already_in_channel"
    assert err.response["errors"] == [{"user": ALICE, "ok": False, "error": "already_in_channel"}]
    assert emulator.channels[channel].members == {"UWARROOM", ALICE}


async def test_invite_deactivated_account_is_refused(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.users["U0GONE"] = EmUser("U0GONE", "gone", "Gone", deleted=True)
    channel = (await client.conversations_create(name="inc-8"))["channel"]["id"]
    err = await error_of(client.conversations_invite(channel=channel, users="U0GONE"))
    assert err.response["error"] == "cant_invite"
    assert (await client.users_info(user="U0GONE"))["user"]["deleted"] is True
    many = ",".join(f"U{i:04d}" for i in range(1001))
    err = await error_of(client.conversations_invite(channel=channel, users=many))
    assert err.response["error"] == "too_many_users"
