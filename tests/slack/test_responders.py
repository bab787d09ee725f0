"""The incident channel's note about the responders brought in, and the timeline's line."""

from __future__ import annotations

from bot.domain.entries import Entry, RespondersInvited
from bot.domain.model import Severity
from bot.slack import channel, replies
from bot.slack.responders import responders_note
from tests.slack.states import ALICE, AT, BOB, CAROL, sample


def test_note_names_who_came_in_and_why() -> None:
    brought = RespondersInvited(Severity.SEV1, ("oncall", "leads"), (BOB, CAROL))
    assert responders_note(brought) == (
        f":busts_in_silhouette: Invited <@{BOB}>, <@{CAROL}> (SEV1 responders: @oncall, @leads)"
    )


def test_note_says_when_everyone_was_there_and_what_failed() -> None:
    brought = RespondersInvited(
        Severity.SEV2,
        ("oncall",),
        (),
        refused=((ALICE, "cant_invite"),),
        unread=(("S0GONE", "no_such_subteam"),),
        already=(BOB,),
    )
    assert responders_note(brought).splitlines() == [
        ":busts_in_silhouette: The SEV2 responders (@oncall) are already in the channel",
        f":warning: Could not invite <@{ALICE}> (Slack said: `cant_invite`)",
        ":warning: Could not read the user group `S0GONE` for the SEV2 responders"
        " (Slack said: `no_such_subteam`); check SEVERITY_RESPONDERS",
    ]


def test_note_escapes_what_slack_gave() -> None:
    brought = RespondersInvited(Severity.SEV1, ("<!channel>",), (), unread=(("S0<X>", "<!here>"),))
    note = responders_note(brought)
    assert "<!channel>" not in note
    assert "<!here>" not in note


def test_entry_is_the_note_in_the_channel_and_a_line_in_the_timeline() -> None:
    fact = RespondersInvited(Severity.SEV1, ("oncall",), (BOB,))
    item = Entry(id=1, at=AT, actor_id=ALICE, text="", fact=fact)
    assert channel.entry(sample(), item) == responders_note(fact)
    assert replies.short_line(sample(), item) == f"invited the SEV1 responders: <@{BOB}>"


def test_note_says_when_a_group_has_nobody_to_invite() -> None:
    brought = RespondersInvited(Severity.SEV1, ("oncall",), ())
    assert responders_note(brought) == (
        ":busts_in_silhouette: The SEV1 responders (@oncall) have nobody to invite"
    )
