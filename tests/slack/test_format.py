"""Small Slack formatting helpers: escaping our own text, error replies, date tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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
    assert "Usage: `/incident declare [private] [sev1|sev2|sev3|sev4] &lt;title&gt;`" in text
    assert "<title>" not in text


def test_when_gives_date_token_with_utc_fallback() -> None:
    assert when(AT) == (
        f"<!date^{int(AT.timestamp())}^{{date_short_pretty}} {{time}}|2024-03-05 14:02 UTC>"
    )


def test_when_non_utc_time_falls_back_to_its_utc_reading() -> None:
    # 02:30 PST in Los Angeles is 10:30 UTC: the fallback must not read "02:30 UTC".
    typed = datetime(2026, 3, 7, 2, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    stamp = int(datetime(2026, 3, 7, 10, 30, tzinfo=UTC).timestamp())
    assert when(typed) == f"<!date^{stamp}^{{date_short_pretty}} {{time}}|2026-03-07 10:30 UTC>"


def test_when_naive_time_is_read_as_utc() -> None:
    naive = AT.replace(tzinfo=None)
    assert when(naive) == when(AT)
