"""The post-mortem draft, rendered as Markdown from what warroom recorded. Pure.

Laid out as a review runs: a header (owner, status, links, the blameless promise), the facts of
the impact, the sections the review fills in (some prefilled), then the timeline as a story
and the record's own changes apart from it. Names, never IDs; valid CommonMark throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from bot.domain import entries as e
from bot.domain.availability import impact_windows
from bot.domain.components import ComponentStatus
from bot.domain.milestones import Milestone, Milestones, human
from bot.domain.model import Role, Severity, Status
from bot.domain.postmortem_story import story, write_record_changes, write_story
from bot.domain.postmortem_text import Doc, Names, is_utc, when
from bot.domain.public import public_updates
from bot.domain.review import review_of
from bot.domain.text import mentioned_users
from bot.domain.tickets import ticket_label

BLAMELESS = (
    "This review is blameless: we look for how our systems and habits let this happen and how "
    "to change them, never for someone to blame."
)
# In the order a review runs through them; each with the question it answers.
REVIEW_SECTIONS = (
    ("Summary", "What happened, in two or three sentences a newcomer understands."),
    ("Customer impact", "Who was affected, how, and for how long; numbers where you have them."),
    ("Detection", "How we found out, and how we could have found out sooner."),
    ("Trigger", "The change or event that set it off."),
    ("Root cause", "The chain of causes, down to the one we can fix for good."),
    ("Resolution and recovery", "What fixed it, and what made recovery fast or slow."),
    ("Contributing factors", "What made it more likely, worse, or slower to fix."),
    ("What went well", "What helped: tools, people, luck we earned."),
    ("What went poorly", "Where we lost time or made it worse."),
    ("Where we got lucky", "What could have made this much worse, and didn't."),
    ("Lessons learned", "What we know now that we did not know before."),
    ("Action items", "What we will change so it does not happen again."),
)


@dataclass(frozen=True)
class RoleTerm:
    role: Role
    user_id: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class Action:
    number: int
    text: str
    owner_id: str | None
    done: bool
    priority: str | None = None
    due_on: date | None = None
    ticket_url: str | None = None  # the GitHub or Jira issue it became
    public: bool = False  # marked with `/incident action <n> public`


@dataclass(frozen=True)
class PostmortemData:
    """Everything the draft is made of."""

    ref: str
    title: str
    public_name: str | None
    severity: Severity
    status: Status
    declared_by: str
    created_at: datetime
    milestones: Milestones
    roles: Sequence[RoleTerm]
    timeline: Sequence[e.Entry]
    actions: Sequence[Action]
    names: Mapping[str, str] = field(default_factory=dict)
    channel_id: str | None = None
    channel_name: str | None = None
    uid: str = ""  # the public ID, for the incident's own page on the built-in status page
    public_url: str | None = None  # that page, once the incident said anything in public
    statuspage_url: str | None = None  # its Atlassian Statuspage incident


def render_postmortem(data: PostmortemData, *, zone: tzinfo, zone_name: str) -> str:
    """Return the draft as Markdown."""
    md, name = Doc(data.names), Names(data.names)
    _header(md, name, data, zone, zone_name)
    _impact(md, data, zone)
    for title, prompt in REVIEW_SECTIONS:
        md.heading(title)
        md.line(f"*{prompt}*")
        _PREFILLED.get(title, _nothing)(md, name, data, zone)
    md.heading("Timeline")
    write_story(md, story(md, name, data.timeline, data.milestones.started, zone), zone)
    md.heading("Record changes")
    write_record_changes(md, name, data.timeline, zone)
    _roles(md, name, data, zone)
    return "\n".join(md.lines).rstrip() + "\n"


def _header(md: Doc, name: Names, data: PostmortemData, zone: tzinfo, zone_name: str) -> None:
    md.line(f"# {data.ref}: {md.cell(data.title)}")
    md.line()
    md.line(f"*{BLAMELESS}*")
    md.line()
    md.line("| | |")
    md.line("|---|---|")
    severities = " → ".join(s.label for s in _severity_history(data))
    md.line(f"| Incident | {data.ref}, {severities}, {data.status.value} |")
    md.line(f"| Public name | {md.cell(data.public_name or data.title)} |")
    review = review_of(data.timeline)
    md.line(f"| Post-mortem owner | {_owner(data, review.owner, name)} |")
    md.line(f"| Document status | {review.status.value.capitalize()} |")
    md.line(f"| Review | {review.on.isoformat() if review.on else 'not scheduled'} |")
    for label, link in _links(data):
        md.line(f"| {label} | {link} |")
    md.line(f"| Declared | {when(data.created_at, zone)} by {name(data.declared_by)} |")
    if data.milestones.resolved:
        md.line(f"| Resolved | {when(data.milestones.resolved, zone)} |")
    zones = "UTC" if is_utc(zone) else f"UTC; in brackets, {zone_name}"
    md.line(f"| Times | {zones} |")


def _owner(data: PostmortemData, owner: str | None, name: Names) -> str:
    if owner:
        return name(owner)
    commander = next(
        (t.user_id for t in reversed(data.roles) if t.role is Role.COMMANDER and t.end is None),
        None,
    )
    return f"{name(commander)} (the commander)" if commander else "nobody yet"


def _links(data: PostmortemData) -> list[tuple[str, str]]:
    links = []
    if data.channel_id:
        shown = f"#{data.channel_name}" if data.channel_name else "the incident channel"
        url = f"https://slack.com/app_redirect?channel={data.channel_id}"
        links.append(("Incident channel", f"[{shown}]({url})"))
    if data.public_url:
        links.append(("Status page", f"<{data.public_url}>"))
    if data.statuspage_url:
        links.append(("Atlassian Statuspage", f"<{data.statuspage_url}>"))
    return links


def _impact(md: Doc, data: PostmortemData, zone: tzinfo) -> None:
    md.heading("Impact")
    md.line("| Milestone | When |")
    md.line("|---|---|")
    for milestone in Milestone:
        at = data.milestones.get(milestone)
        md.line(f"| {milestone.label} | {when(at, zone) if at else 'not yet'} |")
    md.line()
    md.line("| Duration | |")
    md.line("|---|---|")
    for label, span in data.milestones.durations().items():
        md.line(f"| {label} | {human(span)} |")
    md.line()
    worst = worst_components(data)
    if worst:
        affected = ", ".join(f"{c} ({s.label.lower()})" for c, s in worst.items())
        md.line(f"Affected components (worst state): {affected}.")
    else:
        md.line("No components were marked as affected.")


def _customer_impact(md: Doc, _: Names, data: PostmortemData, zone: tzinfo) -> None:
    updates = public_updates(data.timeline)[::-1]
    md.line()
    if not updates:
        md.line("Nothing was published to customers.")
        return
    md.line("What customers were told:")
    md.line()
    typed = {item.id: item.text for item in data.timeline}
    for update in updates:
        # What people typed is Slack text; the words warroom gives a bare resolve are not.
        said = md.text(typed[update.id], indent=2) if typed.get(update.id) else update.text
        md.line(f"- {when(update.at, zone)}, **{update.status.value}**: {said}")


def _detection(md: Doc, name: Names, data: PostmortemData, zone: tzinfo) -> None:
    spans = data.milestones.durations()
    md.line()
    md.line(f"- Time to detect: {human(spans.get('Time to detect'))}.")
    md.line(f"- Declared by {name(data.declared_by)} at {when(data.created_at, zone)}, in Slack.")


def _resolution(md: Doc, name: Names, data: PostmortemData, zone: tzinfo) -> None:
    md.line()
    said = 0
    for x in data.timeline:
        match x.fact:
            case e.StatusChanged(status=status) if status is not Status.INVESTIGATING:
                pass
            case e.Resolved():
                status = Status.RESOLVED
            case e.Reopened():  # a premature resolve: the story goes on
                status = Status.INVESTIGATING
            case _:
                continue
        said += 1
        text = md.text(x.text, indent=2) or "(no message)"
        md.line(f"- {when(x.at, zone)}, {name(x.actor_id)}, **{status.value}**: {text}")
    if not said:
        md.line("No status messages were posted after investigating.")


def _action_items(md: Doc, name: Names, data: PostmortemData, _zone: tzinfo) -> None:
    md.line()
    if not data.actions:
        md.line("None recorded yet. Add them with `/incident action <text> [@owner]`.")
        return
    md.line("| # | Action | Owner | Priority | Due | State | Ticket |")
    md.line("|---|---|---|---|---|---|---|")
    for a in data.actions:
        owner = name(a.owner_id) if a.owner_id else "no owner"
        due = a.due_on.isoformat() if a.due_on else "—"
        ticket = f"[{ticket_label(a.ticket_url)}]({a.ticket_url})" if a.ticket_url else "—"
        state = "done" if a.done else "open"
        cells = [str(a.number), md.cell(a.text), owner, a.priority or "—", due, state, ticket]
        md.line("| " + " | ".join(cells) + " |")


def _nothing(*_: object) -> None:
    return None


_PREFILLED = {
    "Customer impact": _customer_impact,
    "Detection": _detection,
    "Resolution and recovery": _resolution,
    "Action items": _action_items,
}


def _roles(md: Doc, name: Names, data: PostmortemData, zone: tzinfo) -> None:
    md.heading("Roles")
    terms = sorted(data.roles, key=lambda t: (list(Role).index(t.role), t.start))
    if not terms:
        md.line("No roles were assigned.")
    for term in terms:
        ongoing = "until resolved" if data.status is Status.RESOLVED else "still holding it"
        until = f"until {when(term.end, zone)}" if term.end else ongoing
        md.line(
            f"- **{term.role.label}**: {name(term.user_id)}, from {when(term.start, zone)} {until}"
        )
    people = sorted({name(p) for p in _participants(data)}, key=str.casefold)
    md.line()
    md.line(f"Participants: {', '.join(people)}.")


def _severity_history(data: PostmortemData) -> list[Severity]:
    changes = [x.fact for x in data.timeline if isinstance(x.fact, e.SeverityChanged)]
    if not changes:
        return [data.severity]
    return [changes[0].previous, *(change.severity for change in changes)]


def _participants(data: PostmortemData) -> set[str]:
    people = {data.declared_by, *(t.user_id for t in data.roles)}
    people.update(x.actor_id for x in data.timeline if x.actor_id.startswith(("U", "W")))
    people.update(x.fact.pinned_by for x in data.timeline if isinstance(x.fact, e.Pinned))
    people.update(a.owner_id for a in data.actions if a.owner_id)
    return people


def people_in(data: PostmortemData) -> set[str]:
    """Return every user ID the draft names, so their names can be looked up."""
    people = _participants(data)
    owner = review_of(data.timeline).owner
    if owner:
        people.add(owner)
    for entry in data.timeline:
        people.update(mentioned_users(entry.text))
        if isinstance(entry.fact, e.RoleAssigned):
            people.add(entry.fact.user)
    for action in data.actions:
        people.update(mentioned_users(action.text))
    return people


def worst_components(data: PostmortemData) -> dict[str, ComponentStatus]:
    """Return each affected component's worst state during the incident."""
    worst: dict[str, ComponentStatus] = {}
    for window in impact_windows(0, data.timeline, data.milestones.resolved):
        current = worst.get(window.component)
        if current is None or window.status.rank > current.rank:
            worst[window.component] = window.status
    return worst
