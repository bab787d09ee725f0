"""Hypothesis strategies for signed requests: command forms, interaction payloads and Events
API envelopes with hostile values where Slack puts text, objects and IDs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, quote_plus

from hypothesis import strategies as st

from bot.domain import grammar as g
from bot.slack import ids
from sandbox.slack_emulator import APP_ID
from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.hostile.requests import command_fields
from tests.strategies import COMMAND_TEXTS

CONTROL = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x1F), st.sampled_from("\u2028\u202e\u200b\ufeff")
    ),
    max_size=30,
)
HUGE = st.builds(
    lambda unit, n: (unit * n)[:10_000], st.text(min_size=1, max_size=8), st.integers(500, 10_000)
)
# Real commands with a hostile tail reach the use cases, not only the grammar's refusals.
EXAMPLES = st.builds(
    lambda example, tail: example + tail,
    st.sampled_from([f"{sub.example} " for sub in g.SUBCOMMANDS] + ["declare sev2 "]),
    st.one_of(st.just(""), st.text(max_size=40), CONTROL, HUGE),
)
HTTP_TEXTS = st.one_of(EXAMPLES, COMMAND_TEXTS, st.text(max_size=300), CONTROL, HUGE)
RESERVED = {"payload", "ssl_check", "command", "text", "token"}


@dataclass(frozen=True)
class Form:
    body: bytes
    command: str | None
    text: str


@st.composite
def command_forms(draw: st.DrawFn, channels: list[str]) -> Form:
    """A slash command form with hostile values, extra keys and maybe invalid UTF-8."""
    fields = command_fields(
        draw(HTTP_TEXTS),
        user=draw(st.one_of(st.sampled_from([ALICE, BOB, CAROL, "", "U0NOBODY"]), st.text())),
        channel=draw(st.one_of(st.sampled_from(channels), st.text(max_size=40))),
    )
    fields["command"] = draw(
        st.sampled_from(["/incident"] * 12 + ["/INCIDENT", "/incident ", "/other"])
    )
    fields["response_url"] = draw(
        st.sampled_from(["http://127.0.0.1:9/response", "", "not a url", "ftp://x/"])
    )
    for key in draw(st.sets(st.sampled_from(["user_id", "channel_id", "team_id", "trigger_id"]))):
        del fields[key]
    extra = draw(st.dictionaries(st.text(max_size=15), st.text(max_size=60), max_size=4))
    for key, value in extra.items():
        if key.strip() and not any(word in key for word in RESERVED) and key not in fields:
            fields[key] = value
    parts = [f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields.items()]
    if draw(st.booleans()):  # percent-encoded bytes that are not UTF-8
        parts.append(f"junk={quote_from_bytes(draw(st.binary(min_size=1, max_size=16)))}")
    body = "&".join(parts)
    text = dict(parse_qsl(body, keep_blank_values=True)).get("text", "")
    return Form(body=body.encode(), command=fields.get("command"), text=text)


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def _element(value_key: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries({value_key: st.one_of(st.text(max_size=50), JSON_VALUES)}),
    )


STATE_VALUES = st.fixed_dictionaries(
    {},
    optional={
        ids.TITLE_BLOCK: st.one_of(
            JSON_VALUES, st.fixed_dictionaries({ids.TITLE_ACTION: _element("value")})
        ),
        ids.SEVERITY_BLOCK: st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {ids.SEVERITY_ACTION: st.one_of(JSON_VALUES, _element("selected_option"))}
            ),
        ),
        ids.DESCRIPTION_BLOCK: st.fixed_dictionaries({ids.DESCRIPTION_ACTION: _element("value")}),
        ids.SUMMARY_BLOCK: st.one_of(
            JSON_VALUES, st.fixed_dictionaries({ids.SUMMARY_ACTION: _element("value")})
        ),
    },
)


@st.composite
def interaction_payloads(draw: st.DrawFn, channel: str) -> str:
    """The `payload` field of an interaction: garbage, any JSON, or a hostile view/action."""
    kind = draw(
        st.sampled_from(["garbage", "json", "view_submission", "view_closed", "block_actions"])
    )
    if kind == "garbage":
        return draw(st.text(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES))
    view = {
        "id": draw(st.one_of(st.sampled_from(["V0FUZZ1", "V0FUZZ2"]), JSON_VALUES)),
        "type": draw(st.one_of(st.just("modal"), JSON_VALUES)),
        "callback_id": draw(
            st.sampled_from([ids.DECLARE_MODAL_CALLBACK, ids.PUBLISH_MODAL_CALLBACK, "other"])
        ),
        "private_metadata": draw(st.one_of(st.sampled_from([GENERAL, channel, ""]), JSON_VALUES)),
        "state": draw(st.one_of(JSON_VALUES, st.fixed_dictionaries({"values": STATE_VALUES}))),
    }
    for key in draw(st.sets(st.sampled_from(["id", "type", "private_metadata", "state"]))):
        del view[key]
    payload = {
        "type": kind,
        "team": {"id": "T0EMULATOR", "domain": "emulator"},
        "api_app_id": APP_ID,
        "token": "emulator-verification-token",
        "trigger_id": "1.2.3",
        "user": draw(
            st.one_of(st.fixed_dictionaries({"id": st.sampled_from([ALICE, BOB])}), JSON_VALUES)
        ),
        "view": view,
        "actions": draw(JSON_VALUES),
    }
    return json.dumps(payload)


@st.composite
def event_envelopes(draw: st.DrawFn, channel: str) -> dict[str, Any]:
    """An Events API envelope with hostile values where Slack puts objects."""
    item = st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {
                "type": st.one_of(st.just("message"), JSON_VALUES),
                "channel": st.one_of(st.just(channel), JSON_VALUES),
                "ts": st.one_of(st.just("1700000000.000100"), JSON_VALUES),
            }
        ),
    )
    event = st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["reaction_added", "reaction_removed", "message"])},
            optional={
                "item": item,
                "user": st.one_of(st.just(BOB), JSON_VALUES),
                "reaction": st.one_of(st.sampled_from(["pushpin", "round_pushpin"]), JSON_VALUES),
            },
        ),
    )
    envelope: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {
                "type": st.one_of(
                    st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
                    st.text(max_size=10),
                ),
                "team_id": st.one_of(st.just("T0EMULATOR"), JSON_VALUES),
                "api_app_id": st.just(APP_ID),
            },
            optional={
                "event": event,
                "event_id": JSON_VALUES,
                "challenge": JSON_VALUES,
                "authorizations": JSON_VALUES,
            },
        )
    )
    return envelope
