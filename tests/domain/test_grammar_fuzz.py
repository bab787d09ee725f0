"""Property-based: the grammar turns any text into a command or a usage error with a hint."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import grammar as g
from bot.domain.errors import UsageError
from tests.strategies import ANY_TEXT, PROPERTY


@settings(PROPERTY, max_examples=600)
@given(text=ANY_TEXT, caller=st.text(max_size=20))
def test_grammar_parse_any_text_returns_a_command_or_usage_error_with_hint(
    text: str, caller: str
) -> None:
    refusal: UsageError | None = None
    try:
        parsed: object = g.parse(text, caller)
    except UsageError as error:  # the only failure allowed, and it always says the fix
        refusal = error
    if refusal is None:
        assert isinstance(parsed, g.Command)
    else:
        assert refusal.message
        assert refusal.hint
