"""Small Slack formatting helpers: escaping our own text, error replies, date tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.errors import UsageError
from bot.domain.grammar import parse
from bot.slack.format import error_text, escape, when

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a & b", "a &amp; b"),
        ("declare <title>", "declare &lt;title&gt;"),
        ("&lt;", "&amp;lt;"),
        ("<@U1>", "&lt;@U1&gt;"),
    ],
)
def test_escape_special_characters_become_entities(text: str, expected: str) -> None:
    assert escape(text) == expected


@pytest.mark.parametrize(
    ("message", "hint", "expected"),
    [
        ("Bad.", None, ":warning: Bad."),
        ("Bad.", "Usage: `/incident x <y>`", ":warning: Bad.\nUsage: `/incident x &lt;y&gt;`"),
        ("`<!channel>` is not a command.", None, ":warning: `@\u2060channel` is not a command."),
    ],
)
def test_error_text_message_neutralized_hint_escaped(
    message: str, hint: str | None, expected: str
) -> None:
    assert error_text(message, hint) == expected


def test_error_text_usage_error_from_grammar_reads_cleanly() -> None:
    with pytest.raises(UsageError) as caught:
        parse("declare sev9 Checkout", "U0ALICE")
    text = error_text(caught.value.message, caught.value.hint)
    assert text.startswith(":warning: `sev9` is not a severity.")
    assert "Usage: `/incident declare [sev1|sev2|sev3|sev4] &lt;title&gt;`" in text
    assert "<title>" not in text


def test_when_gives_date_token_with_utc_fallback() -> None:
    assert when(AT) == (
        f"<!date^{int(AT.timestamp())}^{{date_short_pretty}} {{time}}|2024-03-05 14:02 UTC>"
    )
