"""Property-based: any correctly signed body a client can send is answered, never with a 5xx.

One server per property (see fuzz_target); Hypothesis draws the examples between requests.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import GENERAL
from tests.reliability.hostile.requests import FORM, FuzzTarget, fuzz_target, never_5xx, opens_form
from tests.reliability.hostile.strategies import (
    Form,
    command_forms,
    event_envelopes,
    interaction_payloads,
)
from tests.strategies import PROPERTY


def test_events_any_signed_command_form_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _command_forms_answered(target)


def _command_forms_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=200)
    @given(form=command_forms([GENERAL, target.channel, "C0NOTHERE"]))
    def answered(form: Form) -> None:
        reply = target.post(form.body, FORM)
        never_5xx(reply, form)
        if reply.status == 200 and form.command == "/incident" and b"payload" not in form.body:
            assert reply.text or opens_form(form.text), (reply.body[:300], form)

    answered()


def test_events_any_signed_interaction_payload_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _interactions_answered(target)


def _interactions_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=100)
    @given(payload=interaction_payloads(target.channel))
    def answered(payload: str) -> None:
        body = urlencode({"payload": payload}).encode()
        never_5xx(target.post(body, FORM), payload)

    answered()


def test_events_any_signed_event_envelope_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _event_envelopes_answered(target)


def _event_envelopes_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=100)
    @given(envelope=event_envelopes(target.channel))
    def answered(envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope).encode()
        never_5xx(target.post(body, "application/json"), envelope)

    answered()


def test_events_any_signed_garbage_body_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _garbage_answered(target)


def _garbage_answered(target: FuzzTarget) -> None:
    prefixes = st.sampled_from([b"", b"{", b"[", b"payload=", b"command=%2Fincident&text="])
    content_types = st.sampled_from([FORM, "application/json", "text/plain", "multipart/form-data"])

    @settings(PROPERTY, max_examples=75)
    @given(prefix=prefixes, junk=st.binary(max_size=2000), content_type=content_types)
    def answered(prefix: bytes, junk: bytes, content_type: str) -> None:
        body = prefix + junk
        never_5xx(target.post(body, content_type), body[:200])

    answered()
