"""Text rules: channel names people can read, and typed markup that cannot ping a whole channel."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.text import (
    CHANNEL_NAME_MAX,
    channel_name,
    neutralize,
    one_line,
    quiet_mentions,
    slack_to_plain,
    with_suffix,
)

NAME_RE = re.compile(r"^[a-z0-9-]+$")
WORD_JOINER = "\u2060"
SPECIAL_RE = re.compile(r"<![^>]*>")  # a complete special token: broadcast, group, date ...
MENTION_RE = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
PREFIXES = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
# Slack markup pieces mixed with plain text, so generated inputs exercise every rule.
MARKUP = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!here|here>",
        "<!subteam^S123|@oncall>",
        "<!subteam^S9>",
        "<!date^1700000000^{date_short} {time}|2023-11-14 22:13 UTC>",
        "<!unknown>",
        "<@U123>",
        "<@U123|bob>",
        "<#C1|ops>",
        "<https://x.y|text>",
        "&lt;",
        "&amp;",
        "<",
        ">",
        "!",
        "|",
        "channel",
        "here",
        " ",
        "\n",
        "text",
    ]
)
WELL_FORMED = [
    "<!channel>",
    "<!here|here>",
    "<!subteam^S123|@oncall>",
    "<!date^1700000000^{time}|22:13 UTC>",
    "<@U123>",
    "<@W9|erin>",
    "<#C1|ops>",
    "<https://x.y|text>",
    "words",
    "&amp;",
]
MARKED_UP = st.lists(st.one_of(MARKUP, st.text(max_size=5)), max_size=12).map("".join)


def visible(text: str) -> str:
    """Return the text as a reader sees it (the invisible word joiner removed)."""
    return text.replace(WORD_JOINER, "")


def assert_well_formed(name: str) -> None:
    assert NAME_RE.match(name), name
    assert len(name) <= CHANNEL_NAME_MAX
    assert "--" not in name
    assert not name.endswith("-")
    assert not name.startswith("-")


@pytest.mark.parametrize(
    ("prefix", "number", "title", "expected"),
    [
        ("inc", 7, "Checkout API failing", "inc-7-checkout-api-failing"),
        ("inc", 7, "🔥🚨🔥", "inc-7"),
        ("inc", 7, "支付服务宕机", "inc-7"),
        ("inc", 7, "انقطاع الخدمة", "inc-7"),
        ("inc", 7, "", "inc-7"),
        ("inc", 7, "Café déjà vu", "inc-7-cafe-deja-vu"),
        ("inc", 7, "Ünïcödé naïve", "inc-7-unicode-naive"),
        ("inc", 7, "  --Hello,   World!--  ", "inc-7-hello-world"),
        ("inc", 7, "GET /pay 500s\r\nin eu-west", "inc-7-get-pay-500s-in-eu-west"),
        ("inc", 7, "<!channel> checkout <@U1|bob>", "inc-7-checkout-bob"),
        ("inc", 7, "A &amp; B", "inc-7-a-b"),
        ("inc", 7, "<https://status.example.com|status page> down", "inc-7-status-page-down"),
        ("ops-inc", 12, "DB", "ops-inc-12-db"),
        ("inc", 7, "a" * 73 + " b", "inc-7-" + "a" * 73),
    ],
)
def test_channel_name_title_gives_readable_slug(
    prefix: str, number: int, title: str, expected: str
) -> None:
    name = channel_name(prefix, number, title)
    assert name == expected
    assert_well_formed(name)


def test_channel_name_4000_char_title_cut_to_80() -> None:
    name = channel_name("inc", 7, "Checkout API failing " * 200)
    assert len(name) <= CHANNEL_NAME_MAX
    assert name.startswith("inc-7-checkout-api-failing-checkout-api-failing")
    assert_well_formed(name)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(prefix=PREFIXES, number=st.integers(min_value=1, max_value=10**9), title=st.text())
def test_channel_name_any_title_is_valid_slack_name(prefix: str, number: int, title: str) -> None:
    name = channel_name(prefix, number, title)
    assert_well_formed(name)
    base = f"{prefix}-{number}"
    assert name == base or name.startswith(base + "-")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(prefix=PREFIXES, number=st.integers(min_value=1, max_value=10**9), title=MARKED_UP)
def test_channel_name_any_markup_title_is_valid_slack_name(
    prefix: str, number: int, title: str
) -> None:
    name = channel_name(prefix, number, title)
    assert_well_formed(name)
    assert name.startswith(f"{prefix}-{number}")


@pytest.mark.parametrize(
    ("name", "attempt", "expected"),
    [
        ("inc-7-checkout", 2, "inc-7-checkout-2"),
        ("inc-7", 10, "inc-7-10"),
        ("x" * 80, 2, "x" * 78 + "-2"),
        ("x" * 77 + "-yy", 2, "x" * 77 + "-2"),
    ],
)
def test_with_suffix_name_gets_attempt_within_80(name: str, attempt: int, expected: str) -> None:
    result = with_suffix(name, attempt)
    assert result == expected
    assert_well_formed(result)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    number=st.integers(min_value=1, max_value=10**6),
    title=st.text(),
    attempt=st.integers(min_value=2, max_value=9999),
)
def test_with_suffix_any_channel_name_stays_valid(number: int, title: str, attempt: int) -> None:
    result = with_suffix(channel_name("inc", number, title), attempt)
    assert_well_formed(result)
    assert result.endswith(f"-{attempt}")
    assert result.startswith(f"inc-{number}")


@pytest.mark.parametrize(
    ("text", "reader_sees"),
    [
        ("<!channel> checkout down", "@channel checkout down"),
        ("<!here> look", "@here look"),
        ("<!here|here> look", "@here look"),
        ("<!everyone>!", "@everyone!"),
        ("page <!subteam^S123|@oncall> now", "page @oncall now"),
        ("page <!subteam^S123> now", "page @group now"),
        (
            "at <!date^1700000000^{date_short} {time}|2023-11-14 22:13 UTC>",
            "at 2023-11-14 22:13 UTC",
        ),
        ("odd <!foo^bar> token", "odd  token"),
        ("no markup, just text", "no markup, just text"),
    ],
)
def test_neutralize_broadcast_markup_becomes_plain_words(text: str, reader_sees: str) -> None:
    result = neutralize(text)
    assert "<!" not in result
    assert visible(result) == reader_sees


@pytest.mark.parametrize(
    "text",
    [
        "<@U123> and <@U456|bob> please look",
        "see <#C1|ops> and <https://x.y|the graph>",
        "a &lt; b &amp;&amp; c",
    ],
)
def test_neutralize_user_mentions_links_and_entities_kept(text: str) -> None:
    assert neutralize(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "<<!x>!channel>",
        "<<!foo>!here> checkout",
        "<<!date^1^{time}|>!everyone>",
    ],
)
def test_neutralize_markup_hidden_inside_removed_token_notifies_nobody(text: str) -> None:
    # Modal inputs reach us unescaped; removing the inner token must not rebuild a broadcast.
    assert "<!" not in neutralize(text)
    assert "<!" not in quiet_mentions(text)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(text=MARKED_UP)
def test_neutralize_any_markup_leaves_no_special_token(text: str) -> None:
    assert not SPECIAL_RE.search(neutralize(text))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(tokens=st.lists(st.sampled_from(WELL_FORMED), max_size=10))
def test_neutralize_well_formed_markup_keeps_every_user_mention(tokens: list[str]) -> None:
    text = " ".join(tokens)
    result = neutralize(text)
    assert "<!" not in result
    mentions = [t for t in tokens if t.startswith("<@")]
    assert re.findall(r"<@[^>]+>", result) == mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123|bob> and <@U456>", "@bob and @U456"),
        ("<!channel> <@U1|amy>", f"@{WORD_JOINER}channel @amy"),
        ("<#C1|ops> stays", "<#C1|ops> stays"),
        ("plain", "plain"),
    ],
)
def test_quiet_mentions_user_mentions_become_names(text: str, expected: str) -> None:
    assert quiet_mentions(text) == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=MARKED_UP)
def test_quiet_mentions_any_markup_notifies_nobody(text: str) -> None:
    result = quiet_mentions(text)
    assert not SPECIAL_RE.search(result)
    assert not MENTION_RE.search(result)


@pytest.mark.parametrize("text", ["<<@U0CEO|U0CEO>>", "<<@U1|>> hi"])
def test_quiet_mentions_mention_hidden_inside_mention_notifies_nobody(text: str) -> None:
    # A name-less inner mention is replaced by `@U..`, which must not complete an outer one.
    assert not MENTION_RE.search(quiet_mentions(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U1|bob> fixed it", "@bob fixed it"),
        ("<@U1> fixed it", "@U1 fixed it"),
        ("see <#C1|ops>", "see #ops"),
        ("see <#C1>", "see #C1"),
        ("<https://x.y|text>", "text"),
        ("<https://x.y/a?b=1>", "https://x.y/a?b=1"),
        ("<mailto:a@b.c|write us>", "write us"),
        ("&lt;b&gt; &amp; co", "<b> & co"),
        ("<!channel> now", "@channel now"),
        ("<!subteam^S1|@oncall>", "@oncall"),
        ("<!date^1700000000^{date_short}|Nov 14>", "Nov 14"),
        ("multi\nline", "multi\nline"),
    ],
)
def test_slack_to_plain_markup_becomes_readable_text(text: str, expected: str) -> None:
    assert slack_to_plain(text) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("  many   spaces\n\nand\tlines  ", 100, "many spaces and lines"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 10, "one two t…"),
        ("abcdefghij", 5, "abcd…"),
        ("", 5, ""),
    ],
)
def test_one_line_text_is_flattened_and_cut(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(), limit=st.integers(min_value=1, max_value=300))
def test_one_line_any_text_fits_limit_on_one_line(text: str, limit: int) -> None:
    result = one_line(text, limit)
    assert len(result) <= limit
    assert "\n" not in result
    assert "\r" not in result
    if len(" ".join(text.split())) > limit:
        assert result.endswith("…")
