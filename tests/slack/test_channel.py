"""Messages the bot posts in the incident channel, built from incident state: what people read,
who is notified, and no time Slack already shows next to the message."""

from __future__ import annotations

import re
import typing
from datetime import date, timedelta

import pytest

from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    ActionAdded,
    ActionChanged,
    ActionCompleted,
    AlertNoted,
    CadenceSet,
    Canceled,
    Declared,
    Entry,
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
)
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status
from bot.slack import channel as render
from bot.slack import ids
from bot.slack.format import when
from tests.slack.states import (
    ALICE,
    AT,
    BOB,
    CAROL,
    DAVE,
    EARLIER,
    PUBLIC_URL,
    has_broadcast,
    item,
    sample,
)

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]* UTC)>")
SHORTLINK = "https://stspg.io/abc123"
STATE = sample()


# One example entry per fact class, with the whole message people read; a test below checks
# every fact class has one, so a new kind of entry is rendered (and checked) here from the day
# it is added.
EXAMPLES: list[tuple[Entry, str]] = [
    (item(Declared(Severity.SEV1), "Checkout API failing"), f"INC-7 declared by <@{BOB}>"),
    (item(Updated(), "Rolled back 4512"), f":memo: *Update* from <@{BOB}>\n>Rolled back 4512"),
    (
        item(RoleAssigned(Role.COMMS, CAROL, previous=DAVE)),
        f":bust_in_silhouette: <@{CAROL}> is now *Communications lead*, assigned by <@{BOB}>, "
        f"replacing <@{DAVE}>",
    ),
    (
        item(SeverityChanged(Severity.SEV1, previous=Severity.SEV2)),
        f":rotating_light: Severity changed from SEV2 to *SEV1* by <@{BOB}>",
    ),
    (
        item(StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING), "Bad config push"),
        f":bulb: Status is now *identified* (was investigating), set by <@{BOB}>\n>Bad config push",
    ),
    (
        item(Resolved(previous=Status.MONITORING), "All green"),
        f":white_check_mark: *INC-7 resolved* by <@{BOB}>\n>All green",
    ),
    (
        item(Canceled(Status.IDENTIFIED, True, "No problem found."), "probe misfired"),
        f":no_entry_sign: *INC-7 canceled* (false alarm) by <@{BOB}>\n>probe misfired\n"
        "Closing message on the status pages:\n>No problem found.",
    ),
    (
        item(Reopened(Status.RESOLVED), "Errors are back"),
        f":repeat: *INC-7 reopened* by <@{BOB}> (was resolved): investigating again\n"
        ">Errors are back",
    ),
    (
        item(Pinned(pinned_by=DAVE), "p99 went to 9s"),
        f":pushpin: Added to the timeline by <@{DAVE}>: <@{BOB}>'s message from {when(AT)}\n"
        ">p99 went to 9s",
    ),
    (
        item(ImpactSet(("API", "Checkout"), ComponentStatus.MAJOR_OUTAGE)),
        f":bar_chart: <@{BOB}> set API, Checkout to *Major outage* on the public status",
    ),
    (
        item(PublicNameSet(previous=None), "Elevated error rates for payments"),
        f":label: <@{BOB}> set the public name to “Elevated error rates for payments”",
    ),
    (
        item(MilestoneSet(Milestone.STARTED, EARLIER)),
        f":round_pushpin: <@{BOB}> set *Impact started* to {when(EARLIER)}",
    ),
    (
        item(ActionAdded(2, owner=DAVE), "Alert on gateway p99"),
        f":clipboard: <@{BOB}> added follow-up action 2 (owner: <@{DAVE}>)\n>Alert on gateway p99",
    ),
    (
        item(ActionCompleted(2)),
        f":ballot_box_with_check: <@{BOB}> marked follow-up action 2 done",
    ),
    (
        item(ActionChanged(2, "owner", DAVE)),
        f":pencil2: <@{BOB}> set follow-up action 2's owner to <@{DAVE}>",
    ),
    (
        item(SummaryPublished()),
        f":newspaper: <@{BOB}> published the public post-incident summary",
    ),
    (
        item(CadenceSet(timedelta(minutes=10))),
        f":stopwatch: <@{BOB}> set the update cadence to *10m*",
    ),
    (item(ReviewOwnerSet(DAVE)), f":memo: <@{BOB}> made <@{DAVE}> the post-mortem owner"),
    (
        item(ReviewStatusSet(ReviewStatus.REVIEW)),
        f":memo: <@{BOB}> set the post-mortem's status to review",
    ),
    (
        item(ReviewDateSet(date(2026, 12, 3))),
        f":memo: <@{BOB}> set the post-mortem review for Thursday, December 03, 2026",
    ),
    (
        item(Paged("payments"), "Please join, checkout is down"),
        f":pager: <@{BOB}> paged *payments* on PagerDuty\n>Please join, checkout is down",
    ),
    (
        item(AlertNoted("alertmanager", "fp1", firing=False, url="http://prom/g"), "5xx high"),
        ":bell: Alert from Alertmanager *resolved* (the incident stays open): "
        "<http://prom/g|5xx high>",
    ),
    (
        item(RespondersInvited(Severity.SEV1, ("oncall",), (CAROL, DAVE)), ""),
        f":busts_in_silhouette: Invited <@{CAROL}>, <@{DAVE}> (SEV1 responders: @oncall)",
    ),
]
# Posts that say a moment of their own: the pinned message's time, the milestone's new time.
OWN_TIME = (Pinned, MilestoneSet)
# Posts whose author is no person (monitoring): they name where the alert came from instead.
# The responders' note names who came in and why (the severity), not who set it.
NO_PERSON = (AlertNoted, RespondersInvited)


def example_id(example: tuple[Entry, str]) -> str:
    return type(example[0].fact).__name__


def test_examples_cover_every_fact_class() -> None:
    assert {type(e.fact) for e, _ in EXAMPLES} == set(typing.get_args(Fact))
    assert len(EXAMPLES) == len(typing.get_args(Fact))


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_entry_any_kind_reads_exactly(example: tuple[Entry, str]) -> None:
    entry, expected = example
    assert render.entry(STATE, entry) == expected


@pytest.mark.parametrize(
    "example", [x for x in EXAMPLES if not isinstance(x[0].fact, OWN_TIME)], ids=example_id
)
def test_entry_any_kind_has_no_date_token_slack_already_shows_the_time(
    example: tuple[Entry, str],
) -> None:
    entry, _ = example
    text = render.entry(STATE, entry)
    assert "<!date^" not in text
    if not isinstance(entry.fact, NO_PERSON):
        assert f"<@{BOB}>" in text  # the author is still named


def test_entry_pinned_message_says_when_it_was_written() -> None:
    text = render.entry(STATE, item(Pinned(pinned_by=DAVE), "p99 went to 9s"))
    [token] = DATE_TOKEN.findall(text)
    assert token == (str(int(AT.timestamp())), "2024-03-05 14:02 UTC")


def test_entry_milestone_says_its_moved_time_not_the_post_time() -> None:
    text = render.entry(STATE, item(MilestoneSet(Milestone.STARTED, EARLIER)))
    [token] = DATE_TOKEN.findall(text)
    assert token == (str(int(EARLIER.timestamp())), "2024-03-05 13:20 UTC")


@pytest.mark.parametrize(
    "example", [x for x in EXAMPLES if not isinstance(x[0].fact, Declared)], ids=example_id
)
def test_entry_other_kind_is_not_shown_as_declaration(example: tuple[Entry, str]) -> None:
    entry, _ = example
    assert "declared" not in render.entry(STATE, entry)


@pytest.mark.parametrize(
    "fact",
    [
        Updated(),
        StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED),
        Resolved(previous=Status.MONITORING),
        Pinned(pinned_by=DAVE),
    ],
    ids=lambda fact: type(fact).__name__,
)
def test_entry_typed_broadcast_is_neutralized(fact: Fact) -> None:
    text = render.entry(STATE, item(fact, "<!here> rollback done\n<!channel> and <!everyone>"))
    assert not has_broadcast(text)
    assert "here" in text
    assert text.count("\n>") >= 2  # both typed lines are quoted


def test_entry_update_keeps_user_mentions_and_lines() -> None:
    text = render.entry(STATE, item(Updated(), f"asked <@{CAROL}>\n\nthen retried"))
    assert text.endswith(f">asked <@{CAROL}>\n>\n>then retried")


def test_entry_role_without_previous_holder_says_no_replacement_and_no_duty() -> None:
    text = render.entry(STATE, item(RoleAssigned(Role.COMMANDER, ALICE)))
    assert text == (
        f":bust_in_silhouette: <@{ALICE}> is now *Incident commander*, assigned by <@{BOB}>"
    )
    assert Role.COMMANDER.duty not in text  # the duty goes to the new holder by DM


def test_entry_cadence_off_says_reminders_are_off() -> None:
    text = render.entry(STATE, item(CadenceSet(None)))
    assert text == f":stopwatch: <@{BOB}> turned update reminders off"


def test_entry_resolved_without_message_has_no_quote() -> None:
    text = render.entry(STATE, item(Resolved(previous=Status.MONITORING), ""))
    assert text == f":white_check_mark: *INC-7 resolved* by <@{BOB}>"


# --- where a public entry went -----------------------------------------------------------------

STATUS_ENTRY = item(StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING), "Found it")
STATUS_TEXT = f":bulb: Status is now *identified* (was investigating), set by <@{BOB}>\n>Found it"


def test_entry_public_with_status_page_says_where_it_was_published() -> None:
    text = render.entry(STATE, STATUS_ENTRY, PUBLIC_URL)
    assert text == (
        f"{STATUS_TEXT}\n:globe_with_meridians: Published on <{PUBLIC_URL}|the status page>."
    )


def test_entry_confirmed_by_statuspage_names_both_places_with_links() -> None:
    mirrored = sample(statuspage_url=SHORTLINK)
    text = render.entry(mirrored, STATUS_ENTRY, PUBLIC_URL, mirrored=True)
    assert text == (
        f"{STATUS_TEXT}\n:globe_with_meridians: Published on <{PUBLIC_URL}|the status page> "
        f"and <{SHORTLINK}|Atlassian Statuspage>."
    )


def test_entry_confirmed_by_statuspage_without_its_link_names_it_plainly() -> None:
    text = render.entry(STATE, STATUS_ENTRY, mirrored=True)
    assert text == f"{STATUS_TEXT}\n:globe_with_meridians: Published on Atlassian Statuspage."


def test_entry_summary_published_confirmed_by_statuspage_edits_in_the_link() -> None:
    mirrored = sample(statuspage_url=SHORTLINK)
    text = render.entry(
        mirrored, item(SummaryPublished(), "We rolled back."), PUBLIC_URL, mirrored=True
    )
    assert text == (
        f":newspaper: <@{BOB}> published the public post-incident summary\n"
        f":globe_with_meridians: Published on <{SHORTLINK}|Atlassian Statuspage>."
    )


@pytest.mark.parametrize(
    "fact",
    [Updated(), RoleAssigned(Role.COMMS, CAROL), Resolved(previous=Status.INVESTIGATING)],
    ids=lambda fact: type(fact).__name__,
)
def test_entry_internal_says_nothing_about_publishing(fact: Fact) -> None:
    assert ":globe_with_meridians:" not in render.entry(STATE, item(fact), PUBLIC_URL)


# --- notices and reminders ---------------------------------------------------------------------


def test_declared_notice_points_to_take_command() -> None:
    assert render.declared_notice(STATE) == (
        "INC-7 is open in <#C0INC7>. You're in the channel; press *Take command* on its "
        "pinned summary, or assign a commander with `/incident role commander @someone`."
    )


def test_reminder_mentions_comms_lead_with_a_post_update_button() -> None:
    due = AT + timedelta(minutes=30)
    waiting = sample(
        roles={Role.COMMANDER: ALICE, Role.COMMS: CAROL}, cadence=timedelta(minutes=30)
    )
    text, blocks = render.reminder(waiting, due_at=due)
    assert text == (
        f":alarm_clock: <@{CAROL}> it has been 30m since the last update on INC-7; "
        "stakeholders expect one every 30m."
    )
    [actions] = [b for b in blocks if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["action_id"] == ids.POST_UPDATE_BUTTON
    assert button["text"]["text"] == "Post update"
    assert button["value"] == "1"
