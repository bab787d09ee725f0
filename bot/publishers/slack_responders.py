"""Bringing a severity's responders into the incident channel, and bookmarking its call.

A group's members are read when the invite is delivered (usergroups.users.list), so a
rotation changed since the declare is followed. Deactivated accounts and bots are skipped
(users.info). conversations.invite fails whole when any one user cannot be invited: the users
it names as refused are set aside and the others invited again, so nobody is lost to someone
already in the channel or an account that cannot be invited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.domain.deliveries import Delivery
from bot.domain.entries import RespondersInvited
from bot.domain.model import IncidentState, Severity
from bot.domain.responders import CALL_TITLE
from bot.publishers.slack_calls import SlackCalls

# Records who was brought in on the incident's timeline, once per delivery (a use case):
# (incident ID, delivery ID, who declared or escalated, what happened) -> recorded now.
Note = Callable[[int, int, str, RespondersInvited], Awaitable[bool]]

MAX_INVITEES = 1000  # conversations.invite takes up to 1000 users a call
# Errors about one invitee, not the channel: the others can still be invited.
PER_USER = frozenset(
    {
        "already_in_channel",
        "cant_invite",
        "cant_invite_self",
        "user_not_found",
        "user_is_bot",
        "user_is_restricted",
        "user_is_ultra_restricted",
        "ura_max_channels",
        "user_disabled",
    }
)
_TRANSIENT = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "request_timeout", "service_unavailable"}
)


def _transient(error: SlackApiError) -> bool:
    """Return whether a retry of the whole delivery may succeed where this call failed."""
    status = error.response.status_code
    return status == 429 or status >= 500 or error.response.get("error") in _TRANSIENT


class Responders:
    """Invites the members of SEVERITY_RESPONDERS' groups and says so in the channel."""

    def __init__(self, calls: SlackCalls, note: Note) -> None:
        self.calls, self.client, self.note = calls, calls.client, note

    async def invite(self, state: IncidentState, delivery: Delivery) -> None:
        """Invite the groups' active members; record who came in, and what failed, once (the
        timeline entry is posted in the channel)."""
        channel = state.channel_id or ""
        groups = delivery.payload.groups
        members, unread = await self._members(groups)
        # Every read before the invite: a read refused after it (a rate limit) would retry
        # the delivery with everyone already in, and the entry would name nobody.
        handles = await self._handles([g for g in groups if g in members])
        people = list(dict.fromkeys(u for g in members.values() for u in g))
        active = [u for u in people if await self._active(u)]
        invited, refused = await self._invite(channel, active)
        already = tuple(u for u in active if u not in invited and u not in refused)
        severity = Severity(delivery.payload.severity or state.severity.value)
        brought = RespondersInvited(
            severity,
            tuple(handles),
            tuple(invited),
            tuple(refused.items()),
            tuple(unread.items()),
            already,
        )
        actor = delivery.payload.user or state.declared_by
        await self.note(state.id, delivery.id, actor, brought)

    async def _members(
        self, groups: tuple[str, ...]
    ) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Return each readable group's members, and why the others could not be read."""
        members: dict[str, list[str]] = {}
        unread: dict[str, str] = {}
        for group in groups:
            try:
                page = await self.client.usergroups_users_list(usergroup=group)
            except SlackApiError as error:
                if _transient(error):
                    raise
                unread[group] = str(error.response.get("error") or "unknown_error")
                continue
            members[group] = [str(u) for u in page.get("users") or []]
        return members, unread

    async def _active(self, user: str) -> bool:
        """Return whether a user is a person with a live account (not deactivated, not a bot)."""
        try:
            info = (await self.client.users_info(user=user)).get("user") or {}
        except SlackApiError as error:
            if error.response.get("error") != "user_not_found":
                raise
            return False  # nobody to invite
        return not (info.get("deleted") or info.get("is_bot"))

    async def _handles(self, groups: list[str]) -> list[str]:
        """Return the groups' @handles (their IDs when the list cannot be read)."""
        if not groups:
            return []
        try:
            listed = (await self.client.usergroups_list()).get("usergroups") or []
        except SlackApiError as error:
            if _transient(error):
                raise
            listed = []
        handle = {str(g.get("id")): str(g.get("handle") or g.get("id")) for g in listed}
        return [handle.get(g, g) for g in groups]

    async def _invite(self, channel: str, users: list[str]) -> tuple[list[str], dict[str, str]]:
        """Invite users in calls of up to 1000; return who came in and who was refused why
        (people already in the channel are neither)."""
        invited: list[str] = []
        refused: dict[str, str] = {}
        for start in range(0, len(users), MAX_INVITEES):
            pending = users[start : start + MAX_INVITEES]
            while pending:
                failed = await self._try_invite(channel, pending)
                if failed is None:
                    invited += pending
                    break
                if not failed:  # refused without saying whom: each alone
                    failed = {}
                    for user in pending:
                        alone = await self._try_invite(channel, [user])
                        if alone is None:
                            invited.append(user)
                        failed.update(alone or {})
                    pending = []
                else:
                    pending = [u for u in pending if u not in failed]
                refused.update({u: e for u, e in failed.items() if e != "already_in_channel"})
        return invited, refused

    async def _try_invite(self, channel: str, users: list[str]) -> dict[str, str] | None:
        """Invite users in one call; return None when all came in, else the users Slack
        refused with its errors (empty: it did not say whom)."""
        try:
            await self._joined(
                channel,
                lambda: self.client.conversations_invite(channel=channel, users=",".join(users)),
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            if _transient(error) or code not in PER_USER:
                raise
            each = error.response.get("errors") or []
            named = {str(e.get("user")): str(e.get("error")) for e in each if e.get("user")}
            if len(users) == 1:
                return named or {users[0]: code}
            return named
        return None

    async def _joined(self, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make the call; if the bot was removed from the channel, join and try once more."""
        try:
            return await call()
        except SlackApiError as error:
            if error.response.get("error") != "not_in_channel":
                raise
        await self.client.conversations_join(channel=channel)
        return await call()


class CallBookmark:
    """Bookmarks INCIDENT_CALL_URL's link in the incident channel, once."""

    def __init__(self, calls: SlackCalls) -> None:
        self.calls, self.client = calls, calls.client

    async def add(self, state: IncidentState, delivery: Delivery) -> None:
        """Add the call's bookmark; on a retry, first look for one an earlier try added."""
        channel, link = state.channel_id or "", state.call_url
        if not link:
            return  # INCIDENT_CALL_URL was unset since the delivery was owed
        if delivery.retrying and await self._bookmarked(channel, link):
            return
        await self.calls.joined(
            channel,
            lambda: self.client.bookmarks_add(
                channel_id=channel, title=CALL_TITLE, type="link", link=link
            ),
        )

    async def _bookmarked(self, channel: str, link: str) -> bool:
        try:
            listed = await self.client.bookmarks_list(channel_id=channel)
        except SlackApiError as error:
            if _transient(error):
                raise
            return False  # cannot read them (bookmarks:read missing): add it
        return any(b.get("link") == link for b in listed.get("bookmarks") or [])
