"""Hypothesis settings and strategies shared by property tests: text a person might type."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.domain import grammar as g

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u3000", "\x1c", "\u2028", ""])
WORDS = st.sampled_from(
    [
        *(sub.name for sub in g.SUBCOMMANDS),
        "DECLARE",
        "Sev1",
        "sev2",
        "sev0",
        "sev99999999999999999999",
        "sev\u0661",
        "\u017fev1",
        "me",
        "<@U0BOB|bob>",
        "<@W1>",
        "<@U0BOB",
        "done",
        "publish",
        "-25m",
        "14:02",
        "2024-13-45 25:61",
        "API,,",
        "partial_outage",
        "investigating",
        "resolved",
        "<!channel>",
        "commander",
        "ic",
    ]
)
COMMAND_TEXTS = st.lists(
    st.tuples(st.one_of(WORDS, st.text(max_size=12)), SEPARATORS), max_size=6
).map(lambda parts: "".join(word + sep for word, sep in parts))
ANY_TEXT = st.one_of(COMMAND_TEXTS, st.text())
