"""Milestones: the times people type, the order they must keep, and durations read aloud."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import UsageError
from bot.domain.milestones import (
    TIME_FORMS,
    Milestone,
    Milestones,
    human,
    parse_time,
    repeated_note,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
# 2026-01-15 14:30 UTC is 09:30 EST in New York, 15:30 CET in Paris and 20:00 IST in Kolkata.
NOW = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)


def utc(*args: int) -> datetime:
    """Return a UTC instant."""
    return datetime(*args, tzinfo=UTC)


# (typed, zone, now, the UTC instant it means)
PARSED: list[tuple[str, ZoneInfo, datetime, datetime]] = [
    # HH:MM today, in the caller's zone
    ("10:15", ZoneInfo("UTC"), NOW, utc(2026, 1, 15, 10, 15)),
    ("09:05", NEW_YORK, NOW, utc(2026, 1, 15, 14, 5)),
    ("9:05", NEW_YORK, NOW, utc(2026, 1, 15, 14, 5)),
    ("15:00", PARIS, NOW, utc(2026, 1, 15, 14, 0)),
    ("19:45", KOLKATA, NOW, utc(2026, 1, 15, 14, 15)),
    ("  09:05\n", NEW_YORK, NOW, utc(2026, 1, 15, 14, 5)),
    # HH:MM equal to now is now; a minute later than now means yesterday
    ("09:30", NEW_YORK, NOW, utc(2026, 1, 15, 14, 30)),
    ("09:31", NEW_YORK, NOW, utc(2026, 1, 14, 14, 31)),
    # 23:50 typed at 00:10 local is yesterday, in the local calendar
    ("23:50", NEW_YORK, utc(2026, 1, 15, 5, 10), utc(2026, 1, 15, 4, 50)),
    ("23:50", PARIS, utc(2026, 1, 14, 23, 10), utc(2026, 1, 14, 22, 50)),
    ("23:50", KOLKATA, utc(2026, 1, 14, 18, 40), utc(2026, 1, 14, 18, 20)),
    ("23:50", ZoneInfo("UTC"), utc(2026, 1, 15, 0, 10), utc(2026, 1, 14, 23, 50)),
    # ... also when yesterday had another offset (00:10 EDT on 2026-03-09, 23:50 EDT on 03-08)
    ("23:50", NEW_YORK, utc(2026, 3, 9, 4, 10), utc(2026, 3, 9, 3, 50)),
    # ... and when today is the spring-forward day (00:10 EST, yesterday 23:50 EST)
    ("23:50", NEW_YORK, utc(2026, 3, 8, 5, 10), utc(2026, 3, 8, 4, 50)),
    # date and time, in the caller's zone, with the offset of that date
    ("2026-01-14 22:00", NEW_YORK, NOW, utc(2026, 1, 15, 3, 0)),
    ("2026-01-14T22:00", PARIS, NOW, utc(2026, 1, 14, 21, 0)),
    ("2026-01-15 9:05", KOLKATA, NOW, utc(2026, 1, 15, 3, 35)),
    ("2025-07-01 09:00", NEW_YORK, NOW, utc(2025, 7, 1, 13, 0)),
    ("2025-07-01 09:00", PARIS, NOW, utc(2025, 7, 1, 7, 0)),
    # ISO 8601 without an offset reads as the date form: in the caller's zone
    ("2026-11-25T10:00", NEW_YORK, NOW, utc(2026, 11, 25, 15, 0)),
    # ISO 8601 with an offset or Z: the caller's zone does not matter
    ("2026-01-15T10:00:00+05:30", NEW_YORK, NOW, utc(2026, 1, 15, 4, 30)),
    ("2026-01-15T10:00+01:00", KOLKATA, NOW, utc(2026, 1, 15, 9, 0)),
    ("2026-01-15T10:00:00-05:00", PARIS, NOW, utc(2026, 1, 15, 15, 0)),
    ("2026-01-15T10:00:00Z", NEW_YORK, NOW, utc(2026, 1, 15, 10, 0)),
    ("2026-01-15T10:00Z", KOLKATA, NOW, utc(2026, 1, 15, 10, 0)),
    ("2026-01-15 10:00+02:00", NEW_YORK, NOW, utc(2026, 1, 15, 8, 0)),
    # relative to now, whatever the zone
    ("-25m", NEW_YORK, NOW, NOW - timedelta(minutes=25)),
    ("-2h", PARIS, NOW, NOW - timedelta(hours=2)),
    ("-1h30m", KOLKATA, NOW, NOW - timedelta(hours=1, minutes=30)),
    ("-1d", ZoneInfo("UTC"), NOW, NOW - timedelta(days=1)),
    ("-1d2h5m", NEW_YORK, NOW, NOW - timedelta(days=1, hours=2, minutes=5)),
    ("-90m", NEW_YORK, NOW, NOW - timedelta(minutes=90)),
    # DST, spring forward in New York: 02:00 EST jumps to 03:00 EDT
    ("2026-03-08 01:30", NEW_YORK, NOW, utc(2026, 3, 8, 6, 30)),
    ("2026-03-08 03:30", NEW_YORK, NOW, utc(2026, 3, 8, 7, 30)),
    # (02:30 never happened: refused, see SKIPPED below)
    # DST, fall back in New York: 01:30 happens twice; the first (EDT) is taken
    ("2026-11-01 01:30", NEW_YORK, NOW, utc(2026, 11, 1, 5, 30)),
    ("2026-11-01 00:30", NEW_YORK, NOW, utc(2026, 11, 1, 4, 30)),
    ("2026-11-01 02:30", NEW_YORK, NOW, utc(2026, 11, 1, 7, 30)),
]


@pytest.mark.parametrize(("typed", "zone", "now", "expected"), PARSED)
def test_parse_time_accepted_form_returns_utc_instant(
    typed: str, zone: ZoneInfo, now: datetime, expected: datetime
) -> None:
    parsed = parse_time(typed, now=now, zone=zone)
    assert parsed.tzinfo is not None
    assert parsed.astimezone(UTC) == expected


def test_parse_time_clock_in_caller_zone_keeps_the_zone() -> None:
    parsed = parse_time("09:05", now=NOW, zone=NEW_YORK)
    assert parsed.utcoffset() == timedelta(hours=-5)
    assert parsed.strftime("%H:%M %Z") == "09:05 EST"


# (typed, how the refusal starts)
REFUSED: list[tuple[str, str]] = [
    ("25:00", "`25:00` is not a real date or time."),
    ("12:60", "`12:60` is not a real date or time."),
    ("2026-02-30 10:00", "`2026-02-30 10:00` is not a real date or time."),
    ("2026-13-01 10:00", "`2026-13-01 10:00` is not a real date or time."),
    ("yesterday", "I can't read `yesterday` as a time."),
    ("-", "I can't read `-` as a time."),
    ("+5m", "I can't read `+5m` as a time."),
    ("5m", "I can't read `5m` as a time."),
    ("-5s", "I can't read `-5s` as a time."),
    ("-2h-5m", "I can't read `-2h-5m` as a time."),
    ("2026-11-25", "I can't read `2026-11-25` as a time."),
    ("10:00:00", "I can't read `10:00:00` as a time."),
    ("10h05", "I can't read `10h05` as a time."),
    ("", "I can't read `` as a time."),
    ("   ", "I can't read `` as a time."),
]


@pytest.mark.parametrize(("typed", "start"), REFUSED)
def test_parse_time_unreadable_input_raises_usage_error_naming_input_and_forms(
    typed: str, start: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_time(typed, now=NOW, zone=NEW_YORK)
    message = caught.value.message
    assert message.startswith(start)
    assert f"`{typed.strip()}`" in message
    assert message.endswith(f"Use {TIME_FORMS}.")
    for form in ("`HH:MM`", "`YYYY-MM-DD HH:MM`", "ISO 8601 with offset", "`-25m`"):
        assert form in message


# Daylight saving in Los Angeles, 2026: clocks go 02:00 PST -> 03:00 PDT on 03-08 and
# 02:00 PDT -> 01:00 PST on 11-01.
AFTER_2026 = utc(2026, 12, 1, 12, 0)

# (typed, now): a local time the clocks skipped, typed as a date and time or as `HH:MM`
SKIPPED: list[tuple[str, datetime]] = [
    ("2026-03-08 02:30", AFTER_2026),
    ("2026-03-08T02:30", AFTER_2026),
    # `HH:MM` just after the jump (03:10 PDT): by the wall clock, today's 02:30 is past
    ("02:30", utc(2026, 3, 8, 10, 10)),
    # `HH:MM` the next night at 01:00 PDT: the most recent 02:30 is yesterday's, which was skipped
    ("02:30", utc(2026, 3, 9, 8, 0)),
]


@pytest.mark.parametrize(("typed", "now"), SKIPPED)
def test_parse_time_skipped_local_time_is_refused_with_the_jump_and_a_way_to_write_it(
    typed: str, now: datetime
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_time(typed, now=now, zone=LOS_ANGELES)
    assert caught.value.message == (
        "02:30 did not exist on 2026-03-08 in America/Los_Angeles: clocks went from 02:00 to 03:00."
    )
    assert caught.value.hint == (
        "Write it in UTC or ISO 8601 with an offset, e.g. `2026-03-08T10:30Z` or "
        "`2026-03-08T02:30-08:00` (02:30 PST, 03:30 PDT)."
    )


def test_parse_time_skipped_half_hour_names_the_half_hour_jump() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 02:00 -> 02:30 on 2026-10-04.
    with pytest.raises(UsageError) as caught:
        parse_time("2026-10-04 02:15", now=AFTER_2026, zone=ZoneInfo("Australia/Lord_Howe"))
    assert caught.value.message.endswith("clocks went from 02:00 to 02:30.")


def test_parse_time_clock_before_the_jump_means_yesterday_not_the_skipped_time() -> None:
    # 01:45 PST on 03-08: today's 02:30 is still ahead, so `02:30` is 03-07 02:30 PST.
    parsed = parse_time("02:30", now=utc(2026, 3, 8, 9, 45), zone=LOS_ANGELES)
    assert parsed.astimezone(UTC) == utc(2026, 3, 7, 10, 30)
    assert repeated_note(parsed) is None


# (typed, now): 01:30 on 2026-11-01 in Los Angeles, which happened twice
REPEATED: list[tuple[str, datetime]] = [
    ("2026-11-01 01:30", AFTER_2026),
    ("2026-11-01T01:30", AFTER_2026),
    # `HH:MM` at 01:45 PST, during the second 01:xx hour: still the first occurrence
    ("01:30", utc(2026, 11, 1, 9, 45)),
    # `HH:MM` at 03:00 PST, after both
    ("01:30", utc(2026, 11, 1, 11, 0)),
]


@pytest.mark.parametrize(("typed", "now"), REPEATED)
def test_parse_time_repeated_local_time_is_the_first_and_the_note_says_so(
    typed: str, now: datetime
) -> None:
    parsed = parse_time(typed, now=now, zone=LOS_ANGELES)
    assert parsed.astimezone(UTC) == utc(2026, 11, 1, 8, 30)
    assert parsed.strftime("%H:%M %Z") == "01:30 PDT"
    assert repeated_note(parsed) == (
        "01:30 happened twice on 2026-11-01 in America/Los_Angeles; I took the first "
        "(01:30 PDT, 08:30 UTC). For the second, type `2026-11-01T01:30-08:00`."
    )


# (typed, the UTC instant): ordinary times around both changes read as before, with no note
ORDINARY: list[tuple[str, datetime]] = [
    ("2026-03-08 01:59", utc(2026, 3, 8, 9, 59)),
    ("2026-03-08 03:00", utc(2026, 3, 8, 10, 0)),
    ("2026-11-01 00:59", utc(2026, 11, 1, 7, 59)),
    ("2026-11-01 02:00", utc(2026, 11, 1, 10, 0)),
    ("2026-07-01 12:00", utc(2026, 7, 1, 19, 0)),
    ("2026-11-01T01:30-08:00", utc(2026, 11, 1, 9, 30)),  # the second 01:30, by its offset
    ("2026-03-08T10:30Z", utc(2026, 3, 8, 10, 30)),
    ("-25m", AFTER_2026 - timedelta(minutes=25)),
]


@pytest.mark.parametrize(("typed", "expected"), ORDINARY)
def test_parse_time_ordinary_time_near_a_change_is_unchanged_without_note(
    typed: str, expected: datetime
) -> None:
    parsed = parse_time(typed, now=AFTER_2026, zone=LOS_ANGELES)
    assert parsed.astimezone(UTC) == expected
    assert repeated_note(parsed) is None


def test_repeated_note_second_occurrence_or_fixed_offset_says_nothing() -> None:
    first = datetime(2026, 11, 1, 1, 30, tzinfo=LOS_ANGELES)
    assert repeated_note(first.replace(fold=1)) is None
    assert repeated_note(first.astimezone(UTC)) is None
    assert repeated_note(datetime(2026, 11, 1, 1, 30)) is None


# 2026-01-15: impact 09:00, detected 09:10, mitigated 10:00, resolved 11:00 (UTC).
T0 = utc(2026, 1, 15, 9, 0)
KNOWN = Milestones(
    started=T0,
    detected=T0 + timedelta(minutes=10),
    mitigated=T0 + timedelta(hours=1),
    resolved=T0 + timedelta(hours=2),
)
OPEN = Milestones(started=T0, detected=T0 + timedelta(minutes=10))
LATER = T0 + timedelta(hours=3)

# (milestones, which, new time)
IN_ORDER: list[tuple[Milestones, Milestone, datetime]] = [
    (KNOWN, Milestone.STARTED, T0 - timedelta(hours=1)),
    (KNOWN, Milestone.STARTED, T0 + timedelta(minutes=10)),  # equal to detected is fine
    (KNOWN, Milestone.DETECTED, T0),
    (KNOWN, Milestone.DETECTED, T0 + timedelta(minutes=59)),
    (KNOWN, Milestone.MITIGATED, T0 + timedelta(minutes=10)),
    (KNOWN, Milestone.MITIGATED, T0 + timedelta(hours=2)),
    (KNOWN, Milestone.RESOLVED, T0 + timedelta(hours=1)),
    (KNOWN, Milestone.RESOLVED, LATER),
    (OPEN, Milestone.MITIGATED, T0 + timedelta(minutes=30)),
    (OPEN, Milestone.RESOLVED, T0 + timedelta(minutes=45)),
    (OPEN, Milestone.DETECTED, T0 + timedelta(hours=2)),  # nothing later is known yet
    # the same instant given in another zone is the same instant
    (KNOWN, Milestone.DETECTED, datetime(2026, 1, 15, 4, 20, tzinfo=NEW_YORK)),
]


@pytest.mark.parametrize(("before", "which", "at"), IN_ORDER)
def test_milestones_with_in_order_change_is_accepted(
    before: Milestones, which: Milestone, at: datetime
) -> None:
    after = before.with_(which, at, now=LATER)
    assert after.get(which) == at
    for other in Milestone:
        if other is not which:
            assert after.get(other) == before.get(other)


# (milestones, which, new time, the refusal)
OUT_OF_ORDER: list[tuple[Milestones, Milestone, datetime, str]] = [
    (
        KNOWN,
        Milestone.DETECTED,
        T0 - timedelta(minutes=5),
        "Detected (2026-01-15 08:55 UTC) can't be before impact started (2026-01-15 09:00 UTC).",
    ),
    (
        KNOWN,
        Milestone.MITIGATED,
        T0 + timedelta(minutes=5),
        "Mitigated (2026-01-15 09:05 UTC) can't be before detected (2026-01-15 09:10 UTC).",
    ),
    (
        KNOWN,
        Milestone.RESOLVED,
        T0 + timedelta(minutes=30),
        "Resolved (2026-01-15 09:30 UTC) can't be before mitigated (2026-01-15 10:00 UTC).",
    ),
    (
        OPEN,
        Milestone.RESOLVED,
        T0 + timedelta(minutes=5),
        "Resolved (2026-01-15 09:05 UTC) can't be before detected (2026-01-15 09:10 UTC).",
    ),
    # impact starting after everything else: the first pair out of order is named
    (
        KNOWN,
        Milestone.STARTED,
        T0 + timedelta(hours=2, minutes=30),
        "Detected (2026-01-15 09:10 UTC) can't be before impact started (2026-01-15 11:30 UTC).",
    ),
    (
        KNOWN,
        Milestone.STARTED,
        T0 + timedelta(minutes=11),
        "Detected (2026-01-15 09:10 UTC) can't be before impact started (2026-01-15 09:11 UTC).",
    ),
    (
        KNOWN,
        Milestone.DETECTED,
        T0 + timedelta(hours=1, minutes=1),
        "Mitigated (2026-01-15 10:00 UTC) can't be before detected (2026-01-15 10:01 UTC).",
    ),
]


@pytest.mark.parametrize(("before", "which", "at", "message"), OUT_OF_ORDER)
def test_milestones_with_out_of_order_raises_usage_error_naming_both(
    before: Milestones, which: Milestone, at: datetime, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        before.with_(which, at, now=LATER)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("which", "message"),
    [
        (Milestone.STARTED, "Impact started can't be in the future."),
        (Milestone.DETECTED, "Detected can't be in the future."),
        (Milestone.MITIGATED, "Mitigated can't be in the future."),
        (Milestone.RESOLVED, "Resolved can't be in the future."),
    ],
)
def test_milestones_with_future_time_raises_usage_error(which: Milestone, message: str) -> None:
    everything_now = Milestones(started=LATER, detected=LATER, mitigated=LATER, resolved=LATER)
    with pytest.raises(UsageError) as caught:
        everything_now.with_(which, LATER + timedelta(minutes=2), now=LATER)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "skew", [timedelta(seconds=1), timedelta(seconds=59), timedelta(minutes=1)]
)
def test_milestones_with_one_minute_clock_skew_is_tolerated(skew: timedelta) -> None:
    after = KNOWN.with_(Milestone.RESOLVED, LATER + skew, now=LATER)
    assert after.resolved == LATER + skew


def test_milestones_with_beyond_one_minute_skew_raises_usage_error() -> None:
    with pytest.raises(UsageError, match="can't be in the future"):
        KNOWN.with_(Milestone.RESOLVED, LATER + timedelta(minutes=1, seconds=1), now=LATER)


def test_milestones_with_leaves_original_unchanged() -> None:
    KNOWN.with_(Milestone.STARTED, T0 - timedelta(hours=1), now=LATER)
    assert KNOWN.started == T0


# (milestones, the durations expected)
DURATIONS: list[tuple[Milestones, dict[str, timedelta | None]]] = [
    (
        KNOWN,
        {
            "Time to detect": timedelta(minutes=10),
            "Time to mitigate": timedelta(hours=1),
            "Time to resolve": timedelta(hours=2),
            "Total impact": timedelta(hours=1),
        },
    ),
    (
        OPEN,
        {
            "Time to detect": timedelta(minutes=10),
            "Time to mitigate": None,
            "Time to resolve": None,
            "Total impact": None,
        },
    ),
    # resolved without a mitigation: impact lasted until resolution
    (
        Milestones(started=T0, detected=T0, resolved=T0 + timedelta(hours=4, minutes=22)),
        {
            "Time to detect": timedelta(0),
            "Time to mitigate": None,
            "Time to resolve": timedelta(hours=4, minutes=22),
            "Total impact": timedelta(hours=4, minutes=22),
        },
    ),
    # mitigated, not resolved yet
    (
        Milestones(started=T0, detected=T0 + timedelta(minutes=3), mitigated=LATER),
        {
            "Time to detect": timedelta(minutes=3),
            "Time to mitigate": timedelta(hours=3),
            "Time to resolve": None,
            "Total impact": timedelta(hours=3),
        },
    ),
]


@pytest.mark.parametrize(("milestones", "expected"), DURATIONS)
def test_milestones_durations_known_values_are_measured_from_impact_start(
    milestones: Milestones, expected: dict[str, timedelta | None]
) -> None:
    durations = milestones.durations()
    assert durations == expected
    assert list(durations) == [
        "Time to detect",
        "Time to mitigate",
        "Time to resolve",
        "Total impact",
    ]


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (None, "not yet"),
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=59, milliseconds=900), "59s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=1, seconds=29), "1m"),
        # rounded to the nearest minute: 39m59s reads as 40m
        (timedelta(minutes=1, seconds=59), "2m"),
        (timedelta(minutes=39, seconds=59), "40m"),
        (timedelta(minutes=59, seconds=31), "1h"),
        (timedelta(hours=23, minutes=59, seconds=45), "1d"),
        (timedelta(minutes=59), "59m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=1, seconds=29), "1h"),
        (timedelta(hours=4, minutes=22), "4h 22m"),
        (timedelta(hours=23, minutes=59), "23h 59m"),
        (timedelta(days=1), "1d"),
        (timedelta(days=1, hours=3), "1d 3h"),
        (timedelta(days=1, hours=3, minutes=45), "1d 3h"),
        (timedelta(days=2, minutes=30), "2d"),
        (timedelta(seconds=-1), "0s"),
        (timedelta(minutes=-5), "0s"),
        (timedelta(days=-2), "0s"),
    ],
)
def test_human_duration_reads_as_people_say_it(span: timedelta | None, said: str) -> None:
    assert human(span) == said
