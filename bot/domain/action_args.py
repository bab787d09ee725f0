"""Reading `/incident action ...`: add one, edit one, mark one done or public."""

from __future__ import annotations

import re

from bot.domain.actions import DUE_FORMS, Due, Priority, parse_due, parse_priority
from bot.domain.arguments import parse_user
from bot.domain.commands import AddAction, Command, CompleteAction, EditAction
from bot.domain.errors import UsageError

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_PRIORITY = re.compile(r"^(?i:p[1-3])$")
_FIELDS = "`owner <@user|me>`, `priority <p1|p2|p3>`, `due <date>` or `public`"


def parse_action(args: str, caller: str) -> Command:
    """Parse the arguments of `action` into an add, an edit, or a completion."""
    words = args.split()
    if not words:
        raise UsageError("Describe the follow-up action.")
    if words[0].lower() == "done":
        if len(words) != 2 or not words[1].isdigit():
            raise UsageError("Say which action is done by its number (see `/incident actions`).")
        return CompleteAction(number=int(words[1]))
    if words[0].isdigit() and len(words) > 1 and words[1].lower() in _EDITS:
        return _parse_edit(int(words[0]), words[1:], caller)
    return _parse_add(args, caller)


def _parse_add(args: str, caller: str) -> AddAction:
    """Take the options off the end (`@owner`, `p1`, `due <date>`, in any order); the rest is
    the text. A text that merely ends in such a word keeps it when the option is given twice."""
    text, owner, priority, due = args.strip(), None, None, None
    while True:
        head, _, last = text.rpartition(" ")
        before, _, word = head.rpartition(" ")
        if word.lower() == "due" and due is None and before.strip():
            due, text = parse_due(last), before.strip()
        elif _PRIORITY.match(last) and priority is None and head.strip():
            priority, text = parse_priority(last), head.strip()
        elif _MENTION.match(last) and owner is None and head.strip():
            owner, text = parse_user(last, caller), head.strip()
        else:
            break
    return AddAction(text=text, owner_id=owner, priority=priority, due=due)


def _parse_edit(number: int, words: list[str], caller: str) -> EditAction:
    field, values = words[0].lower(), words[1:]
    if field == "public":
        if values:
            raise UsageError("`public` takes nothing after it.")
        return EditAction(number, public=True)
    if len(values) != 1:
        raise UsageError(f"Give `{field}` one value: {_EDITS[field]}.")
    value = values[0]
    match field:
        case "owner":
            return EditAction(number, owner_id=parse_user(value, caller))
        case "priority":
            return EditAction(number, priority=parse_priority(value))
        case _:
            return EditAction(number, due=parse_due(value))


_EDITS = {
    "owner": "a @mention or `me`",
    "priority": "p1, p2 or p3",
    "due": DUE_FORMS,
    "public": "nothing",
}


__all__ = ["Due", "Priority", "parse_action"]
