"""RESPONDERS_USERGROUP: who may declare major incidents and make guarded changes."""

from __future__ import annotations

import pytest

from sandbox.slack_driver import DriverReply
from tests.conftest import ALICE, BOB, GENERAL, Bot
from tests.reliability.hostile.requests import created_channels
from tests.reliability.store import Store


def refused(reply: DriverReply, what: str) -> bool:
    """Return whether the reply is the responders refusal for `what`, naming group and who may."""
    return (
        reply.status == 200
        and reply.text.startswith(":warning: Only members of the responders group (`S0ONCALL`)")
        and "or the incident commander" in reply.text
        and f"may {what}." in reply.text
        and "make you the commander" in reply.text
    )


async def test_responders_non_member_declares_only_minor_incidents(
    guarded: Bot, store: Store
) -> None:
    sev1 = await guarded.command(BOB, GENERAL, "declare sev1 Checkout is down")
    sev2 = await guarded.command(BOB, GENERAL, "declare sev2 Checkout is slow")
    sev3 = await guarded.command(BOB, GENERAL, "declare sev3 Search is slow")
    default = await guarded.command(BOB, GENERAL, "declare Exports are late")
    await guarded.settle()

    assert refused(sev1, "declare SEV1 or SEV2 incidents"), sev1.text
    assert refused(sev2, "declare SEV1 or SEV2 incidents"), sev2.text
    assert sev3.text.startswith("Declaring *INC-1* (SEV3)"), sev3.text
    assert default.text.startswith("Declaring *INC-2* (SEV3)"), default.text
    assert [(i.title, i.severity) for i in await store.incidents()] == [
        ("Search is slow", "sev3"),
        ("Exports are late", "sev3"),
    ]
    assert len(created_channels(guarded.slack)) == 2


async def test_responders_non_member_is_refused_guarded_changes_until_made_commander(
    guarded: Bot, store: Store
) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    update = await guarded.command(BOB, channel, "update Index rebuild running")
    scribe = await guarded.command(BOB, channel, "role scribe me")
    resolve = await guarded.command(BOB, channel, "resolve")
    severity = await guarded.command(BOB, channel, "severity sev1")
    commander_me = await guarded.command(BOB, channel, "role commander me")
    commander_carol = await guarded.command(BOB, channel, "role commander <@U0CAROL|carol>")
    await guarded.settle()
    before = await store.incident(1)

    assert update.text == "Update recorded on INC-1."
    assert scribe.text == "<@U0BOB> is now the Scribe of INC-1."
    assert refused(resolve, "resolve the incident"), resolve.text
    assert refused(severity, "change the severity"), severity.text
    assert refused(commander_me, "assign the commander role"), commander_me.text
    assert refused(commander_carol, "assign the commander role"), commander_carol.text
    assert (before.severity, before.status, before.resolved_at) == ("sev3", "investigating", None)
    assert guarded.slack.channels[channel].topic.endswith("commander: unassigned")

    raised = await guarded.command(ALICE, channel, "severity sev2")
    handed = await guarded.command(ALICE, channel, "role commander <@U0BOB|bob>")
    resolved = await guarded.command(BOB, channel, "resolve Index rebuilt")
    await guarded.settle()
    after = await store.incident(1)

    assert raised.text == "INC-1 is now SEV2."
    assert handed.text == "<@U0BOB> is now the Incident commander of INC-1."
    assert resolved.text == "INC-1 is resolved. Thank you, everyone."
    assert (after.severity, after.status) == ("sev2", "resolved")
    assert after.resolved_at is not None


async def test_responders_member_may_do_every_guarded_change(guarded: Bot, store: Store) -> None:
    channel = await guarded.declare("declare sev1 Checkout is down", user=ALICE)
    answers = [
        await guarded.command(ALICE, channel, "severity sev2"),
        await guarded.command(ALICE, channel, "role commander <@U0CAROL|carol>"),
        await guarded.command(ALICE, channel, "resolve Fixed"),
    ]
    await guarded.settle()
    incident = await store.incident(1)

    assert [a.text for a in answers] == [
        "INC-1 is now SEV2.",
        "<@U0CAROL> is now the Incident commander of INC-1.",
        "INC-1 is resolved. Thank you, everyone.",
    ]
    assert (incident.severity, incident.status) == ("sev2", "resolved")


@pytest.mark.parametrize("fault", ["error", "http-500"])
async def test_responders_unknown_while_slack_fails_says_try_again(
    guarded: Bot, store: Store, fault: str
) -> None:
    if fault == "error":
        guarded.slack.fail("usergroups.users.list", "fatal_error", times=2)
    else:
        guarded.slack.http_error("usergroups.users.list", 500, times=2)
    refusal = await guarded.command(BOB, GENERAL, "declare sev1 Checkout is down")
    minor = await guarded.command(BOB, GENERAL, "declare sev3 Search is slow")
    await guarded.settle()

    assert refusal.status == 200
    assert refusal.text.startswith(":warning: I can't check who the responders are right now")
    assert "Try again in a moment." in refusal.text
    assert "something went wrong" not in refusal.text
    assert minor.text.startswith("Declaring *INC-1* (SEV3)"), minor.text  # needs no check
    assert [i.title for i in await store.incidents()] == ["Search is slow"]

    guarded.slack.clear_faults()
    again = await guarded.command(ALICE, GENERAL, "declare sev1 Checkout is down")
    assert again.text.startswith("Declaring *INC-2* (SEV1)"), again.text
