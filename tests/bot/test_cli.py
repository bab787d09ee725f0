"""The real `python -m bot` command line, run as a subprocess the way operators run it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support import PG_URL, drop_database, free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG_VARS = {
    "DATABASE_URL",
    "DEFAULT_SEVERITY",
    "HOST",
    "INCIDENT_ANNOUNCE_CHANNEL",
    "INCIDENT_CHANNEL_PREFIX",
    "LOG_LEVEL",
    "OUTBOX_DEAD_AFTER",
    "PORT",
    "PYTHONPATH",
}
BOT_TOKEN = "xoxb-2222-CLITOPSECRETBOT"
SIGNING_SECRET = "CLITOPSECRETSIGNING5a4b"
APP_TOKEN = "xapp-1-CLITOPSECRETAPP"
TABLES = {"incident", "timeline_entry", "role_assignment", "outbox", "processed_event", "counter"}


def cli_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment without Slack or warroom settings, plus `env`."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SLACK_") and key not in CONFIG_VARS
    }
    clean.update(env or {})
    clean["PYTHONPATH"] = str(REPO)
    return clean


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot <args>` in `cwd` with no Slack or warroom settings except `env`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tables(db: Path) -> set[str]:
    """Return the table names in a SQLite file."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


@pytest.mark.parametrize("args", [["serve"], []], ids=["serve", "default"])
def test_cli_missing_bot_token_exits_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(args, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "PORT": "abc"},
            "PORT",
        ),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-CLITOPSECRETUSER", "SLACK_APP_TOKEN": APP_TOKEN},
            "SLACK_BOT_TOKEN",
        ),
    ],
)
def test_cli_bad_setting_exits_2_naming_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = run_cli(["serve"], tmp_path, env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert variable in line
    assert "CLITOPSECRET" not in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_migrate_valid_env_creates_tables(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": f"sqlite:///{db}",
    }
    first = run_cli(["migrate"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert tables(db) >= TABLES
    again = run_cli(["migrate"], tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert tables(db) >= TABLES


def test_cli_migrate_reads_dotenv_in_working_directory(tmp_path: Path) -> None:
    db = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\n"
        f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
        f"DATABASE_URL=sqlite:///{db}\n",
        encoding="utf-8",
    )
    result = run_cli(["migrate"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert tables(db) >= TABLES


def test_cli_migrate_never_prints_secrets(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "LOG_LEVEL": "DEBUG",
    }
    result = run_cli(["migrate"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output  # DEBUG logging did say something
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, "CLITOPSECRET"):
        assert secret not in output


NOTICE = ":globe_with_meridians: Published on "
LONGEST_DEFAULT = 155  # "about 150 lines" (issue #14), with the private incident and the Home tab
REVIEW_SECTIONS = ("## Summary", "## Root cause", "## What went well", "## Where we got lucky")
CHANNEL = "#inc-1-checkout-api-failing-5xx-on-pay"
IN_CHANNEL = "      in the channel: "


@pytest.fixture(scope="module")
def demo_once(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """Run `warroom demo --once` once for the tests of its default output (DATABASE_URL set)."""
    where = tmp_path_factory.mktemp("demo")
    env = {"DATABASE_URL": f"sqlite:///{where / 'ignored.db'}"}
    result = run_cli(["demo", "--once", "--port", "0"], where, env, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (where / "ignored.db").exists()
    return result


def test_cli_demo_once_plays_incident_to_the_end(
    demo_once: subprocess.CompletedProcess[str],
) -> None:
    out = demo_once.stdout
    lines = out.splitlines()
    # Which database, in one line: its own, whatever DATABASE_URL says.
    assert re.fullmatch(
        r"warroom demo: database sqlite:///\S+/warroom-demo-\w+/warroom\.db, a fresh SQLite file "
        r"removed on exit \(the demo does not read DATABASE_URL; --database-url picks another\)",
        lines[1],
    ), lines[1]
    # People press buttons and fill forms, not only type commands.
    assert (
        "  alice presses [Take command] on the pinned summary → only alice sees: @alice is now "
        "the Incident commander of INC-1."
    ) in lines
    assert (
        "  carol presses [Post update] on the pinned summary → a form opens; carol types “Rolled "
        "back config 4512 in eu-west” and submits it"
    ) in lines
    # The public page: the banner from the components, a page per incident, served from memory.
    public = section(out, "=== The public status page http://127.0.0.1:")
    assert public[1] == (
        "  Degraded performance: Checkout, API (Checkout degraded_performance · "
        "API degraded_performance · Dashboard operational)"
    )
    assert re.fullmatch(
        r"  Incident: Checkout errors for some customers \(monitoring, impact major\), its own "
        r"page: http://127\.0\.0\.1:\d+/incidents/[a-z0-9]{12}",
        public[2],
    ), public[2]
    assert public[4] == (
        "    identified    We found the cause of checkout errors and are rolling back a "
        "configuration change (Checkout, API: partial_outage)"
    )
    served = r"  \(served from memory: [\d,]+ bytes, [\d,]+ gzipped; a reload: 304\)"
    assert re.fullmatch(served, public[5]), public[5]
    # A reminder comes when no update did, and its button opens the form.
    assert re.search(
        r"\n  \(nobody posts an update for 2 seconds\) → in the channel: warroom: :alarm_clock: "
        r"@bob it has been \d+s since the last update on INC-1; stakeholders expect one every "
        r"2s\. \[Post update\]\n",
        out,
    )
    assert (
        "  bob presses [Post update] on the reminder → a form opens; bob types “Error rates "
        "normal for 10 minutes; still watching” and submits it"
    ) in lines
    assert "`sev9` is not a severity" in out
    # A crowd types at once: every update answered as recorded, and each posted once.
    assert any(
        re.fullmatch(
            r"  alice, bob, carol, dave type 8 updates at once → each sees \(\d+ ms at most\): "
            r"Update recorded on INC-1\. 8 of 8 are in the channel, each once\.",
            line,
        )
        for line in lines
    )


def test_cli_demo_default_output_folds_channel_under_its_causes(
    demo_once: subprocess.CompletedProcess[str],
) -> None:
    out = demo_once.stdout
    lines = out.splitlines()

    def under(command: str) -> list[str]:
        """Return what the incident channel got, printed under the command."""
        at = next(i for i, x in enumerate(lines) if x.startswith(f"  {command}"))
        after = lines[at + 1 :]
        below = after[: _run(after, "      ")]  # its further lines, indented under it
        return [x.removeprefix(IN_CHANNEL) for x in below if x.startswith(IN_CHANNEL)]

    assert under("alice in #general: /incident declare sev2") == [
        "📌 warroom: INC-1: Checkout API failing: @channel 5xx on /pay (its pinned live summary: "
        "12 more lines, kept up to date)"
    ]
    assert under("alice: /incident severity sev1") == [
        "warroom: :pager: Paged *payments* on PagerDuty: INC-1 is a SEV1 (PAGE_ON_SEV1)",
        "warroom: :busts_in_silhouette: Invited @dave (SEV1 responders: @oncall)",
    ]
    # The first notice that names a page gives its link; the same notice again is not printed.
    [partial] = under("bob: /incident impact Checkout,API partial")
    assert re.fullmatch(
        re.escape(NOTICE) + r"the status page \(http://127\.0\.0\.1:\d+/status\)\.", partial
    )
    [identified] = under("bob: /incident status identified")
    assert re.fullmatch(
        re.escape(NOTICE) + r"the status page and Atlassian Statuspage \(http://stspg\.io/\w+\)\. "
        r"\(edited\)",
        identified,
    )
    assert under("bob: /incident impact Checkout,API degraded") == []
    assert under("bob: /incident status monitoring") == []
    assert under("bob: /incident action Canary config") == [
        ":ticket: GitHub #2 (https://github.com/acme/backlog/issues/2) (edited)"
    ]
    [draft] = under("alice: /incident resolve")
    assert draft.startswith("warroom: :memo: *Post-mortem draft for INC-1* (SEV1): impact 35m")
    assert draft.endswith("[file: INC-1 post-mortem draft]")
    assert (
        under("bob: /incident postmortem publish")[-1] == NOTICE + "Atlassian Statuspage. (edited)"
    )
    notices = [x for x in lines if x.startswith(IN_CHANNEL + NOTICE)]
    assert len(notices) == 3
    assert [x.count("(http") for x in notices] == [1, 1, 0]
    assert "Public update published" not in out
    # The incident channel: one line with its topic; --full prints its messages.
    assert any(
        re.fullmatch(
            rf"=== {CHANNEL} \(topic: SEV1 \| resolved \| Incident commander: @alice\): \d+ "
            r"messages, each change above as everyone saw it \(what it added under its "
            r"command\); --full prints them",
            line,
        )
        for line in lines
    )
    # The stakeholders' channel (no topic, so none printed): one headline, edited, with the
    # announced changes in its thread: the first, and a count of the others.
    assert "=== #incidents" in lines
    assert "(topic: )" not in out
    stakeholders = section(out, "=== #incidents")
    head, context, reply, told = stakeholders[1:]
    assert head.endswith(
        "warroom: *INC-1* · SEV1 · :white_check_mark: resolved · Checkout errors for some customers"
    )
    assert re.fullmatch(
        rf"    Incident commander: @alice · Lasted \d+[sm] · {CHANNEL} · "
        r"status page \(http://127\.0\.0\.1:\d+/status\) \(edited\)",
        context,
    ), context
    assert reply.endswith(
        "warroom: :rotating_light: Declared by @alice: Checkout API failing: @\u2060channel "
        "5xx on /pay"
    )
    assert told == "(… and 4 more replies in its thread, a change each; --full prints them)"


def _run(lines: list[str], prefix: str) -> int:
    """Return how many of the lines, from the first, start with `prefix`."""
    return next((i for i, x in enumerate(lines) if not x.startswith(prefix)), len(lines))


def test_cli_demo_shows_a_private_incident_beside_the_public_one_and_the_home_tab(
    demo_once: subprocess.CompletedProcess[str],
) -> None:
    story = section(demo_once.stdout, "=== What people typed")
    [declared] = [x for x in story if "/incident declare private" in x]
    assert "It is private: only the people you add see it" in declared
    # Who sees it: its declarer (list, Home), not the others; the public page never does.
    carol = next(
        i for i, x in enumerate(story) if x.startswith("  carol in #general: /incident list")
    )
    assert story[carol].endswith("Open incidents (1)*")
    assert "INC-2" not in story[carol + 1]
    dave = next(
        i for i, x in enumerate(story) if x.startswith("  dave in #general: /incident list")
    )
    assert story[dave].endswith("Open incidents (2)*")
    assert "INC-2* SEV2 · investigating · Suspicious logins" in story[dave + 1]
    bob = story.index("  bob opens warroom's Home tab in Slack → it shows:")
    home = story[bob + 1 : bob + 1 + _run(story[bob + 1 :], "        ")]
    assert "        Open incidents (1)" in home
    assert any(x.endswith("Join the call (https://meet.example.com/inc-1)") for x in home)
    assert not any("INC-2" in x for x in home)
    assert any(
        x.startswith("  dave opens warroom's Home tab → among its open incidents: INC-2 ·")
        for x in story
    )
    assert any(x.endswith("INC-2 is canceled as a false alarm.") for x in story)
    outside = demo_once.stdout[demo_once.stdout.index("=== The public status page") :]
    assert "Suspicious" not in outside
    assert "INC-2" not in outside


def test_cli_demo_default_output_is_the_story_with_postmortem_header_and_timeline(
    demo_once: subprocess.CompletedProcess[str],
) -> None:
    out = demo_once.stdout
    lines = out.splitlines()
    assert len(lines) <= LONGEST_DEFAULT, len(lines)
    story = section(out, "=== What people typed")
    # A private reply of several lines: its further lines indented under its first.
    sev9 = next(i for i, x in enumerate(story) if "`sev9` is not a severity" in x)
    assert story[sev9].startswith("  dave: /incident severity sev9 → only dave sees (")
    assert story[sev9 + 1 : sev9 + 3] == [
        "        Usage: `/incident severity <sev1|sev2|sev3|sev4>`",
        "        Example: `/incident severity sev2`",
    ]
    assert all(x.startswith("  ") for x in story[1:]), [x for x in story if x[:2] != "  "]
    # What the declarer is told privately when the channel is ready, in the story.
    assert any(
        x.startswith(f"      then only alice sees: INC-1 is open in {CHANNEL}.") for x in story
    )
    # The post-mortem: its header and its timeline, not the sections left to fill in.
    draft = section(out, "=== INC-1-postmortem.md, the post-mortem draft")
    assert draft[1] == "# INC-1: Checkout API failing: @channel 5xx on /pay"
    assert "| Incident | INC-1, SEV2 → SEV1, resolved |" in draft
    timeline = draft[draft.index("## Timeline") + 1 :]
    assert timeline[0].startswith("### ")  # grouped by day
    assert timeline[1].endswith("**Impact started**")
    assert any(
        x.endswith(
            "Alice Ng declared the incident (SEV2): Checkout API failing: @channel 5xx on /pay"
        )
        for x in timeline
    )
    assert any(
        x.endswith("Alice Ng resolved the incident: Checkout has been healthy for 30 minutes")
        for x in timeline
    )
    assert draft[-1].startswith("(--full prints its other sections too: Impact, Summary, ")
    for heading in (*REVIEW_SECTIONS, "## Roles", "## Record changes"):
        assert heading not in lines
    # The crowd's notes: counted in one line (the story said all 8 came, each once).
    assert [x for x in lines if "crowd note" in x] == [
        "(… 8 crowd notes, one entry each; --full prints them)"
    ]
    # The public summary in full once; where it appears again, a mention of it.
    assert out.count("Preventive measures:") == 1
    assert any(
        x.endswith("; postmortem (published): the one published above, word for word")
        for x in lines
    )
    assert (
        "  Past incident: Checkout errors for some customers (resolved); its post-incident "
        "summary: the one published above, word for word"
    ) in lines
    assert (
        "  its updates: identified, monitoring, resolved, each in the words of its command above"
        in lines
    )


def test_cli_demo_full_prints_everything(tmp_path: Path) -> None:
    result = run_cli(["demo", "--once", "--port", "0", "--full"], tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    lines = out.splitlines()
    draft = section(out, "=== INC-1-postmortem.md, the post-mortem draft")
    for heading in (*REVIEW_SECTIONS, "## Roles", "## Timeline", "## Record changes"):
        assert heading in draft
    assert "*The chain of causes, down to the one we can fix for good.*" in draft
    channel = section(out, "=== #inc-1-")
    for n in range(1, 9):
        assert sum(f"crowd note {n}:" in x for x in channel) == 1
        assert sum(f"crowd note {n}:" in x for x in draft) == 1
    assert out.count("Preventive measures:") == 3  # in the form, on Statuspage, on the page
    assert "more crowd notes" not in out
    assert "more replies in its thread" not in out
    assert len(lines) > LONGEST_DEFAULT
    # The incident channel as its members read it: the role by its label, posts without a
    # repeated time, and where a public update went folded into its own message.
    assert channel[0].endswith("(topic: SEV1 | resolved | Incident commander: @alice)")
    assert any(
        x.endswith(
            "warroom: :bust_in_silhouette: @alice is now *Incident commander*, assigned by @alice"
        )
        for x in channel
    )
    assert any(
        x.endswith("warroom: :stopwatch: @alice set the update cadence to *2s*") for x in channel
    )
    published = [x.strip() for x in channel if x.strip().startswith(NOTICE)]
    # Two statuses and the resolution went to both pages; the two impacts to the built-in page
    # at once, and to Statuspage with the next message; then the summary.
    assert ["the status page" in x for x in published] == [True, True, True, True, True, False]
    statuspage = ["Atlassian Statuspage" in x for x in published]
    assert statuspage == [False, True, False, True, True, True]
    # Each page's link is printed once, with the first notice that names the page.
    assert [x.count("(http") for x in published] == [1, 1, 0, 0, 0, 0]
    assert published[-1] == NOTICE + "Atlassian Statuspage. (edited)"
    stakeholders = section(out, "=== #incidents")
    replies = [x.split("warroom: ", 1)[1] for x in stakeholders if x.startswith("↳ ")]
    assert replies == [
        ":rotating_light: Declared by @alice: Checkout API failing: @\u2060channel 5xx on /pay",
        ":rotating_light: Severity is now *SEV1* (was SEV2)",
        ":bulb: *Identified*: We found the cause of checkout errors and are rolling back a "
        "configuration change",
        ":eyes: *Monitoring*: A fix is in place; error rates are back to normal and we are "
        "watching closely",
        ":white_check_mark: *INC-1 is resolved*: Checkout has been healthy for 30 minutes "
        "(also sent to the channel)",
    ]
    assert re.search(r"\n=== GitHub \(emulated\): INC-1's actions became issues #1, #2\n", out)


@pytest.mark.parametrize(
    ("signum", "after"),
    [
        (signal.SIGINT, "The server keeps running: "),
        (signal.SIGTERM, "The server keeps running: "),
        (signal.SIGTERM, "      then only alice sees:"),
    ],
    ids=["SIGINT-serving", "SIGTERM-serving", "SIGTERM-mid-story"],
)
async def test_cli_demo_signal_stops_cleanly_exit_0_no_temp_folder(
    tmp_path: Path, signum: signal.Signals, after: str
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    demo = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "demo", "--port", str(free_port())),
        cwd=tmp_path,
        env=cli_env({"TMPDIR": str(temp)}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert demo.stdout is not None
        seen = await asyncio.wait_for(printed(demo.stdout, after), 120)
        assert list(temp.glob("warroom-demo-*")), "the demo did not make its temporary folder"
        demo.send_signal(signum)
        out, err = await asyncio.wait_for(demo.communicate(), 30)
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
    assert demo.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode()
    assert list(temp.iterdir()) == []
    assert (seen + out.decode()).splitlines()[-1] == (
        "warroom demo: stopped; its server, emulators and files are gone."
    )


async def printed(stream: asyncio.StreamReader, start: str) -> str:
    """Read lines until one starts with `start`; return all read so far."""
    lines: list[str] = []
    while not (lines and lines[-1].startswith(start)):
        line = await stream.readline()
        assert line, f"the demo ended before printing {start!r}:\n" + "".join(lines)
        lines.append(line.decode())
    return "".join(lines)


def test_cli_demo_busy_port_one_line_naming_port_flag(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(["demo", "--port", str(port)], tmp_path, {"TMPDIR": str(temp)})
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert re.fullmatch(rf"warroom demo: port {port} is in use; try --port \d+", line), line
    assert result.stdout == ""
    assert list(temp.iterdir()) == []


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """Create an empty database of this test's own next to TEST_DATABASE_URL; drop it after."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = make_url(PG_URL)
    name = f"{url.database or 'warroom'}_demo_{os.getpid()}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"cannot create a database next to TEST_DATABASE_URL: {error}")
    fresh = url.set(database=name).render_as_string(hide_password=False)
    yield fresh
    drop_database(fresh, via=PG_URL)


def test_cli_demo_database_url_postgres_plays_then_refuses_used(
    tmp_path: Path, fresh_postgres: str
) -> None:
    args = ["demo", "--once", "--port", "0", "--database-url", fresh_postgres]
    first = run_cli(args, tmp_path, timeout=90)
    assert first.returncode == 0, first.stderr[-2000:]
    lines = first.stdout.splitlines()
    shown = make_url(fresh_postgres).render_as_string(hide_password=True)
    assert lines[1] == (
        f"warroom demo: database {shown} (--database-url); the demo's incidents stay in it"
    )
    assert any(x.endswith(" 8 of 8 are in the channel, each once.") for x in lines)
    assert (
        "  alice presses [Take command] on the pinned summary → only alice sees: @alice is now "
        "the Incident commander of INC-1."
    ) in lines
    # Its incidents (INC-1, and INC-2 beside it) are there now: a second run would not be the
    # story, so it says so.
    again = run_cli(args, tmp_path, timeout=90)
    assert again.returncode == 1
    assert again.stderr.splitlines() == [
        f"warroom demo: {shown} already holds incidents (up to INC-2); the demo numbers its "
        "incident INC-1, so give it a database with none, e.g. a new one"
    ]
    assert again.stdout == ""


def section(out: str, heading: str) -> list[str]:
    """Return the lines of the demo's output section that starts with `heading`."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("===")), len(lines))
    return [line for line in lines[start:end] if line]


def test_cli_demo_readme_names_every_flag_and_how_to_stop(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("## What `warroom demo` shows")[1].split("\n## ")[0]
    usage = run_cli(["demo", "--help"], tmp_path)
    flags = set(re.findall(r"--[a-z][a-z-]+", usage.stdout)) - {"--help"}
    assert flags >= {"--once", "--port", "--full", "--database-url"}
    for flag in flags:
        assert f"`{flag}" in paragraph, flag
    for stop in ("Ctrl-C", "SIGTERM"):
        assert stop in paragraph
