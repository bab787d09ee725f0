"""The private reply to a command, from the use case's typed answer."""

from __future__ import annotations

from typing import assert_never

from bot.domain import entries as e
from bot.domain.cadence import spoken
from bot.domain.milestones import repeated_note
from bot.domain.model import IncidentState
from bot.domain.replies import (
    ActionsListed,
    Changed,
    ClosingAsked,
    IncidentsListed,
    MilestoneMoved,
    Opened,
    PostmortemRequested,
    Reply,
    ServicesListed,
    SummaryShown,
    TimelineShown,
)
from bot.slack.format import when
from bot.slack.replies import (
    actions_reply,
    durations_text,
    incident_list,
    summary_reply,
    timeline_reply,
)

LATE = "Still working on it: the database is slow right now. I'll confirm here in a moment."


def answer(reply: Reply) -> str:
    """Return what the person who asked reads."""
    match reply:
        case Opened(incident=state, duplicate=True):
            place = f"<#{state.channel_id}>" if state.channel_id else "its channel (being created)"
            return (
                f"You declared *{state.ref}* with this title a moment ago, so I didn't open "
                f"another one. It's in {place}."
            )
        case Opened(incident=state):
            private = (
                " It is private: only the people you add see it, and nothing of it is announced "
                "or published."
                if state.private
                else ""
            )
            return (
                f"Declaring *{state.ref}* ({state.severity.label}). "
                f"I'm opening its channel and will tell you here when it's ready.{private}"
            )
        case Changed(incident=state, entry=entry):
            note = _PRIVATE_NOTES.get(type(entry.fact)) if state.private else None
            return f"{_changed(state, entry)} {note}" if note else _changed(state, entry)
        case ClosingAsked(incident=state):
            return (
                f"{state.ref} is on the status pages: confirm its public closing message in the "
                "form to cancel it. Nothing changes until you do."
            )
        case MilestoneMoved(incident=state, milestone=milestone, at=at, zone_known=known):
            note = "" if known else " (read as UTC: I couldn't get your time zone from Slack)"
            twice = repeated_note(at)
            spans = durations_text(state.milestones) if state.milestones else ""
            said = f"{milestone.label} set to {when(at)}{note}." + (f" {twice}" if twice else "")
            return f"{said}\n{spans}"
        case ActionsListed(incident=state, actions=actions):
            return actions_reply(state, actions)
        case PostmortemRequested(incident=state):
            return f"Rendering the post-mortem draft of {state.ref}; it will appear here."
        case SummaryShown(incident=state):
            return summary_reply(state)
        case TimelineShown(incident=state, entries=entries):
            return timeline_reply(state, entries)
        case IncidentsListed(incidents=incidents):
            return incident_list(incidents)
        case ServicesListed(services=services):
            if not services:
                return "Paging is not set up here (PAGERDUTY_ROUTING_KEYS is empty)."
            names = ", ".join(f"`{s}`" for s in services)
            return f"Services you can page: {names}. Page one with `/incident page <service>`."
        case _:
            assert_never(reply)


# What a private incident's change does not do, said with it.
_PRIVATE_NOTES: dict[type, str] = {
    e.StatusChanged: "It is a private incident: the message stays in its channel, and nothing "
    "is published or announced.",
    e.ActionAdded: "It stays here: a private incident's actions never become tickets.",
}


def _changed(state: IncidentState, entry: e.Entry) -> str:
    ref = state.ref
    match entry.fact:
        case e.Updated():
            return f"Update recorded on {ref}."
        case e.RoleAssigned(role=role, user=user):
            return f"<@{user}> is now the {role.label} of {ref}."
        case e.SeverityChanged(severity=severity):
            return f"{ref} is now {severity.label}."
        case e.StatusChanged(status=status):
            return f"{ref} is now *{status.value}*."
        case e.Resolved():
            return f"{ref} is resolved. Thank you, everyone."
        case e.Canceled(public=public):
            closed = " Its public incident is resolved with your closing message." if public else ""
            return f"{ref} is canceled as a false alarm.{closed}"
        case e.Reopened(public=public):
            return _reopened(state, public)
        case e.ImpactSet(components=components, status=status):
            return f"{', '.join(components)}: *{status.label}* on {ref}'s public status."
        case e.PublicNameSet():
            return f"The public now sees {ref} as “{entry.text}”."
        case e.MilestoneSet(milestone=milestone, to=at):
            return f"{milestone.label} set to {when(at)}."
        case e.ActionAdded(number=number):
            return f"Follow-up action {number} added to {ref}."
        case e.ActionCompleted(number=number):
            return f"Action {number} of {ref} is done."
        case e.ActionChanged(number=number):
            return f"Action {number} of {ref} is changed."
        case e.CadenceSet(cadence=cadence):
            if cadence is None:
                return f"Update reminders are off for {ref}."
            due = f"; the next is due {when(state.next_update_at)}" if state.next_update_at else ""
            return f"Updates on {ref} are now due every {spoken(cadence)}{due}."
        case e.SummaryPublished():
            return f"The public summary of {ref} is published."
        case e.ReviewOwnerSet(user=user):
            return f"<@{user}> owns the post-mortem of {ref}."
        case e.ReviewStatusSet(status=status):
            return f"The post-mortem of {ref} is now *{status.value}*."
        case e.ReviewDateSet(on=on):
            return (
                f"The review of {ref} is on {on:%A, %B %d, %Y}."
                if on
                else (f"The review of {ref} has no date now.")
            )
        case e.Paged(service=service):
            return f"Paging *{service}* on PagerDuty for {ref}."
        case e.Declared() | e.Pinned() | e.AlertNoted() | e.RespondersInvited():
            return f"Recorded on {ref}."
        case _:
            assert_never(entry.fact)


def _reopened(state: IncidentState, public: bool) -> str:
    said = f"{state.ref} is reopened: investigating again."
    if public:
        said += " Its public incident shows it as investigating again, with your reason."
    if state.channel_archived and state.channel_id:
        said += (
            f"\n:file_cabinet: Its channel <#{state.channel_id}> is archived, and Slack does not "
            "let apps unarchive channels. Open the channel and click *Unarchive* (you may need "
            "a workspace admin); I will post everything it missed there then. Meanwhile any "
            f"command works from any channel: `/incident {state.ref} update <text>`."
        )
    return said
