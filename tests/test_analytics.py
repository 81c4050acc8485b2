"""history, stats and report over sessions of known durations written into a real database.

Sessions are inserted with plain sqlite3 (the schema itself comes from sess's migrations, or,
for the Go test, is laid out as the Go tool left it); sess runs as a subprocess in the repo.
"""
from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

if TYPE_CHECKING:
    from conftest import Repo, Result, SessRunner

BERLIN = ZoneInfo("Europe/Berlin")
Slice = tuple[datetime, datetime | None]


def stamp(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="microseconds")


def seconds(start: datetime, end: datetime) -> float:
    # Real time between two moments; subtracting aware datetimes of one ZoneInfo gives wall time.
    return end.timestamp() - start.timestamp()


class Db:
    """Writes projects, sessions and slices the way sess records them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def project(self, path: str, name: str | None = None, active: bool = True) -> int:
        now = stamp(datetime.now(UTC))
        self.run("INSERT INTO projects (name, path, created_at, last_used_at, base_branch, is_active) "
                 "VALUES (?, ?, ?, ?, 'main', ?)", (name or Path(path).name, path, now, now, int(active)))
        return int(self.run("SELECT id FROM projects WHERE path = ?", (path,))[0][0])

    def session(self, project_id: int, branch: str, slices: list[Slice], state: str = "ended",
                issue: str | None = None, title: str | None = None, pr: int | None = None,
                total: timedelta | None = None, start: datetime | None = None) -> int:
        """State ended: ends with the last slice; paused: paused there; active: the last slice runs."""
        closed = [(a, b) for a, b in slices if b is not None]
        total_ns = (round(sum(seconds(a, b) for a, b in closed) * 1e6) * 1000 if total is None
                    else int(total.total_seconds() * 1e9))
        start = start or slices[0][0]
        last_end = closed[-1][1] if closed else None
        running = slices[-1][0] if state == "active" else None
        self.run(
            """INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time, pause_time,
                   end_time, current_slice_start, total_elapsed, branch_type, pr_number, pr_url, start_epoch)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (project_id, branch, issue or "", title or "", state, stamp(start),
             stamp(last_end) if state == "paused" and last_end else None,
             stamp(last_end) if state == "ended" and last_end else None,
             stamp(running) if running else None, total_ns, branch.split("/")[0],
             pr, f"https://github.com/acme/widgets/pull/{pr}" if pr else None, start.timestamp()))
        session_id = int(self.run("SELECT MAX(id) FROM sessions")[0][0])
        for a, b in slices:
            self.run("INSERT INTO session_slices (session_id, start_time, end_time, start_epoch, end_epoch) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (session_id, stamp(a), stamp(b) if b else None, a.timestamp(), b.timestamp() if b else None))
        return session_id


@pytest.fixture
def db(env: dict[str, str], db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Db:
    """An empty database with sess's full schema, made by sess's own migrations."""
    monkeypatch.setenv("SESS_HOME", env["SESS_HOME"])
    from sess.store import Store

    store = Store.open()
    assert store is not None
    store.close()
    return Db(db_path)


def top(repo: Repo) -> str:
    return repo.git("rev-parse", "--show-toplevel")


def as_json(result: Result) -> dict[str, Any]:
    assert result.code == 0, result
    document: dict[str, Any] = json.loads(result.out)
    return document


def moment(text: str | None) -> float:
    assert text is not None
    return datetime.fromisoformat(text).timestamp()


def day(when: datetime) -> str:
    return when.astimezone().date().isoformat()


# --- stats ----------------------------------------------------------------------------------------

@pytest.fixture
def base() -> datetime:
    """09:00 UTC, 30 days ago: old enough that sess shows dates, not "3 days ago"."""
    return (datetime.now(UTC) - timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def known(db: Db, repo: Repo, base: datetime) -> dict[str, int]:
    """widgets: 1h (PR #7), 2h30m in two slices, 45m12s paused; gadgets: 10h (PR #9)."""
    widgets = db.project(top(repo), "widgets")
    gadgets = db.project("/elsewhere/gadgets", "gadgets")
    h = timedelta(hours=1)
    return {
        "oauth": db.session(widgets, "feature/add-oauth", [(base, base + h)], pr=7, issue="123",
                            title="Add OAuth2 authentication support"),
        "login": db.session(widgets, "bugfix/login", [(base + 24 * h, base + 25 * h),
                                                      (base + 26 * h, base + 27.5 * h)]),
        "db": db.session(widgets, "refactor/db", [(base + 48 * h, base + 48 * h + timedelta(minutes=45, seconds=12))],
                         state="paused", issue="12", title="Tidy the database layer"),
        "big": db.session(gadgets, "feature/big-thing", [(base + 72 * h, base + 82 * h)], pr=9),
    }


def test_stats_for_the_project_text(sess: SessRunner, known: dict[str, int], base: datetime) -> None:
    result = sess("stats", check=0)
    assert result.out.splitlines() == [
        "Stats for widgets",
        "3 sessions · 0 active · 1 paused · 2 ended · 1 with PR",
        "Total 4h15m · average 1h25m · longest 2h30m (bugfix/login)",
        f"First started {day(base)} · last started {day(base + timedelta(days=2))}",
    ]


def test_stats_for_the_project_json(sess: SessRunner, known: dict[str, int], base: datetime) -> None:
    stats = as_json(sess("stats", "--json"))
    assert stats["scope"] == "project"
    assert stats["total_sessions"] == 3
    assert stats["total_elapsed_seconds"] == 3600 + 9000 + 2712
    assert stats["average_elapsed_seconds"] == (3600 + 9000 + 2712) // 3
    assert stats["by_state"] == {"active": 0, "paused": 1, "ended": 2}
    assert stats["with_pr"] == 1
    assert moment(stats["first_started_at"]) == base.timestamp()
    assert moment(stats["last_started_at"]) == (base + timedelta(days=2)).timestamp()
    longest = stats["longest"]
    assert longest["id"] == known["login"] and longest["elapsed_seconds"] == 9000
    assert longest["branch"] == "bugfix/login" and longest["state"] == "ended"
    assert longest["project"]["name"] == "widgets"
    assert stats["period"] is None


def test_stats_all_across_projects(sess: SessRunner, known: dict[str, int], base: datetime) -> None:
    assert sess("stats", "--all", check=0).out.splitlines() == [
        "Stats for all projects",
        "4 sessions · 0 active · 1 paused · 3 ended · 2 with PR",
        "Total 14h15m · average 3h33m · longest 10h0m (feature/big-thing in gadgets)",
        f"First started {day(base)} · last started {day(base + timedelta(days=3))}",
        "",
        "By project",
        "  gadgets  10h0m ·  70% · 1 session",
        "  widgets  4h15m ·  30% · 3 sessions",
    ]
    stats = as_json(sess("stats", "--all", "--json"))
    assert stats["scope"] == "all"
    assert (stats["total_sessions"], stats["total_elapsed_seconds"], stats["average_elapsed_seconds"]) == (
        4, 51312, 51312 // 4)
    assert stats["by_state"] == {"active": 0, "paused": 1, "ended": 3} and stats["with_pr"] == 2
    assert stats["longest"]["id"] == known["big"] and stats["longest"]["elapsed_seconds"] == 36000
    assert [(p["name"], p["sessions"], p["elapsed_seconds"]) for p in stats["by_project"]] == [
        ("gadgets", 1, 36000), ("widgets", 3, 15312)]


def test_stats_all_leaves_out_untracked_projects(sess: SessRunner, known: dict[str, int], db: Db,
                                                  base: datetime) -> None:
    gone = db.project("/old/retired", "retired", active=False)
    db.session(gone, "feature/ancient", [(base - timedelta(days=5), base - timedelta(days=4))])
    stats = as_json(sess("stats", "--all", "--json"))
    assert stats["total_sessions"] == 4 and moment(stats["first_started_at"]) == base.timestamp()
    assert [s["branch"] for s in as_json(sess("history", "--all", "--json"))["sessions"]][-1] == "feature/add-oauth"


def test_active_and_paused_sessions_count_up_to_now(sess: SessRunner, db: Db, repo: Repo) -> None:
    widgets = db.project(top(repo), "widgets")
    now = datetime.now(UTC)
    # One hour done, then running for the last hour: two hours so far.
    running = db.session(widgets, "feature/live", [(now - timedelta(hours=3), now - timedelta(hours=2)),
                                                   (now - timedelta(hours=1), None)], state="active")
    gadgets = db.project("/elsewhere/gadgets", "gadgets")  # at most one open session per project
    db.session(gadgets, "feature/waiting", [(now - timedelta(hours=6), now - timedelta(hours=5))], state="paused")
    stats = as_json(sess("stats", "--all", "--json"))
    assert stats["by_state"] == {"active": 1, "paused": 1, "ended": 0}
    assert 3 * 3600 <= stats["total_elapsed_seconds"] <= 3 * 3600 + 30
    assert stats["longest"]["id"] == running and 7200 <= stats["longest"]["elapsed_seconds"] <= 7230
    # In a period the running slice counts up to now as well.
    stats = as_json(sess("stats", "--all", "--json", "--since", (now - timedelta(minutes=90)).isoformat()))
    assert stats["total_sessions"] == 1 and 3600 <= stats["total_elapsed_seconds"] <= 3630
    text = sess("stats", "--all", check=0).out.splitlines()
    assert text[1] == "2 sessions · 1 active · 1 paused · 0 ended · 0 with PR"
    assert re.fullmatch(r"Total 3h0m · average 1h30m · longest 2h0m \(feature/live in widgets\)", text[2]), text
    assert as_json(sess("stats", "--json"))["by_state"] == {"active": 1, "paused": 0, "ended": 0}


def test_no_sessions(sess: SessRunner, db: Db, repo: Repo) -> None:
    db.project(top(repo), "widgets")
    assert sess("stats", check=0).out == "Stats for widgets\nNo sessions\n"
    stats = as_json(sess("stats", "--json"))
    assert (stats["total_sessions"], stats["total_elapsed_seconds"], stats["average_elapsed_seconds"]) == (0, 0, 0)
    assert stats["longest"] is None and stats["first_started_at"] is None
    assert sess("history", check=0).out == "No sessions in widgets\n"
    assert as_json(sess("history", "--json"))["sessions"] == []
    assert as_json(sess("report", "--json"))["recent"] == []


# --- history --------------------------------------------------------------------------------------

def test_history_newest_first_with_default_limit(sess: SessRunner, db: Db, repo: Repo, base: datetime) -> None:
    widgets = db.project(top(repo), "widgets")
    order = list(range(12))
    random.Random(4).shuffle(order)  # ids out of step with start times
    ids = {}
    for k in order:
        start = base + timedelta(hours=5 * k)
        ids[k] = db.session(widgets, f"feature/s{k}", [(start, start + timedelta(minutes=10 + k))])
    newest_first = [ids[k] for k in reversed(range(12))]
    history = as_json(sess("history", "--json"))
    assert [s["id"] for s in history["sessions"]] == newest_first[:10]
    assert [s["elapsed_seconds"] for s in history["sessions"]] == [(10 + k) * 60 for k in reversed(range(2, 12))]
    assert [s["id"] for s in as_json(sess("history", "--json", "--limit", "3"))["sessions"]] == newest_first[:3]
    assert len(as_json(sess("history", "--json", "--limit", "50"))["sessions"]) == 12

    lines = sess("history", "--limit", "2", check=0).out.splitlines()
    assert lines == [
        "Sessions in widgets (2 of 12)",
        "",
        f"[{ids[11]}] feature/s11 (feature) · ended · 21m0s",
        f"  {day(base + timedelta(hours=55))}",
        f"[{ids[10]}] feature/s10 (feature) · ended · 20m0s",
        f"  {day(base + timedelta(hours=50))}",
    ]
    assert sess("history", "--limit", "20", check=0).out.splitlines()[0] == "Sessions in widgets (12)"


def test_history_lines_show_state_issue_pr_and_title(sess: SessRunner, known: dict[str, int],
                                                      base: datetime) -> None:
    assert sess("history", check=0).out.splitlines() == [
        "Sessions in widgets (3)",
        "",
        f"[{known['db']}] refactor/db (refactor) · paused · 45m12s · #12",
        f"  Tidy the database layer · {day(base + timedelta(days=2))}",
        f"[{known['login']}] bugfix/login (bugfix) · ended · 2h30m",
        f"  {day(base + timedelta(days=1))}",
        f"[{known['oauth']}] feature/add-oauth (feature) · ended · 1h0m · #123 · PR #7",
        f"  Add OAuth2 authentication support · {day(base)}",
    ]
    sessions = as_json(sess("history", "--json"))["sessions"]
    oauth = sessions[2]
    assert {k: oauth["issue"][k] for k in ("id", "title")} == \
        {"id": "123", "title": "Add OAuth2 authentication support"}
    assert oauth["issue"]["tracker"] == "github"
    assert oauth["pr"] == {"number": 7, "url": "https://github.com/acme/widgets/pull/7"}
    assert sessions[1]["issue"] is None and sessions[1]["pr"] is None
    assert sessions[0]["paused_at"] is not None and sessions[0]["ended_at"] is None


def test_history_all_across_projects(sess: SessRunner, known: dict[str, int], base: datetime) -> None:
    lines = sess("history", "--all", check=0).out.splitlines()
    assert lines[:4] == [
        "Sessions in all projects (4)",
        "",
        f"[{known['big']}] feature/big-thing (feature) · ended · 10h0m · PR #9",
        f"  gadgets · {day(base + timedelta(days=3))}",
    ]
    assert lines[5] == f"  widgets · Tidy the database layer · {day(base + timedelta(days=2))}"
    sessions = as_json(sess("history", "--all", "--json"))["sessions"]
    assert [s["id"] for s in sessions] == [known["big"], known["db"], known["login"], known["oauth"]]
    assert [s["project"]["name"] for s in sessions] == ["gadgets", "widgets", "widgets", "widgets"]
    assert [s["id"] for s in as_json(sess("history", "--json"))["sessions"]] == [
        known["db"], known["login"], known["oauth"]]


# --- report ---------------------------------------------------------------------------------------

def test_report_text(sess: SessRunner, known: dict[str, int], base: datetime) -> None:
    assert sess("report", "--limit", "2", check=0).out.splitlines() == [
        "Report for widgets",
        "3 sessions · 0 active · 1 paused · 2 ended · 1 with PR",
        "Total 4h15m · average 1h25m · longest 2h30m (bugfix/login)",
        f"First started {day(base)} · last started {day(base + timedelta(days=2))}",
        "",
        "Recent sessions (2 of 3)",
        f"[{known['db']}] refactor/db (refactor) · paused · 45m12s · #12",
        f"  Tidy the database layer · {day(base + timedelta(days=2))}",
        f"[{known['login']}] bugfix/login (bugfix) · ended · 2h30m",
        f"  {day(base + timedelta(days=1))}",
    ]
    lines = sess("report", "--all", check=0).out.splitlines()
    assert lines[:3] == ["Report for all projects", "4 sessions · 0 active · 1 paused · 3 ended · 2 with PR",
                         "Total 14h15m · average 3h33m · longest 10h0m (feature/big-thing in gadgets)"]
    assert lines[5:8] == ["By project", "  gadgets  10h0m ·  70% · 1 session", "  widgets  4h15m ·  30% · 3 sessions"]
    assert lines[9] == "Recent sessions (4)"
    assert len(lines) == 10 + 2 * 4


def test_report_json(sess: SessRunner, known: dict[str, int]) -> None:
    report = as_json(sess("report", "--json"))
    assert set(report) >= {"stats", "recent"}
    assert report["stats"] == as_json(sess("stats", "--json"))
    assert [s["id"] for s in report["recent"]] == [known["db"], known["login"], known["oauth"]]
    assert len(as_json(sess("report", "--json", "--limit", "1"))["recent"]) == 1
    everything = as_json(sess("report", "--all", "--json"))
    assert everything["stats"]["scope"] == "all" and everything["stats"]["total_sessions"] == 4
    assert [s["id"] for s in everything["recent"]] == [known["big"], known["db"], known["login"], known["oauth"]]


def test_report_and_stats_load_neither_regular_expressions_nor_json(sess: SessRunner, known: dict[str, int],
                                                                    db: Db, repo: Repo, base: datetime) -> None:
    """`report --all` and `stats --all` over 100,000 sessions are held to 1.5x a bare interpreter
    (issue 18): re (with the enum it loads) and json cost a tenth of that, and a plain report,
    issue keys and numbers shown as before, needs neither."""
    import subprocess
    import sys

    widgets = db.run("SELECT id FROM projects WHERE name = 'widgets'")[0][0]
    db.session(widgets, "feature/jira", [(base + timedelta(days=3), base + timedelta(days=3, hours=1))],
               issue="PROJ-7")
    for args in (["report", "--all"], ["stats", "--all"], ["report"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sess", *args], cwd=repo.path, env=sess.env,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        loaded = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M))
        assert loaded & {"re", "enum", "json"} == set(), args
        if args[0] == "report":
            assert " · PROJ-7" in proc.stdout and " · #12" in proc.stdout, proc.stdout


# --- where and how it is run ----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["history", "stats", "report"])
@pytest.mark.parametrize("with_database", [True, False])
def test_not_a_tracked_project(sess: SessRunner, repo: Repo, env: dict[str, str], command: str,
                               with_database: bool, request: pytest.FixtureRequest) -> None:
    if with_database:
        other: Db = request.getfixturevalue("db")
        other.project("/elsewhere/gadgets", "gadgets")
    for args in ([command], [command, "--json"]):
        result = sess(*args)
        assert result.code == 1, result
        assert result.err.startswith("Error: not a tracked project\n"), result
        assert "--all" in result.err and result.out == "" and "Traceback" not in result.err


def test_all_without_any_database(sess: SessRunner, tmp_path: Path, db_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    assert sess("history", "--all", cwd=outside, check=0).out == "No sessions in all projects\n"
    assert sess("stats", "--all", cwd=outside, check=0).out == "Stats for all projects\nNo sessions\n"
    stats = as_json(sess("stats", "--all", "--json", cwd=outside))
    assert stats["total_sessions"] == 0 and stats["by_project"] == [] and stats["longest"] is None
    assert as_json(sess("report", "--all", "--json", cwd=outside))["recent"] == []
    assert not db_path.exists()  # reading never creates the database


@pytest.mark.parametrize(("args", "needle"), [
    (["history", "--since", "someday"], "--since"),
    (["stats", "--until", "2026-02-30"], "--until"),
    (["report", "--since", "today", "--until", "yesterday"], "--since"),
    (["history", "--limit", "0"], "--limit"),
    (["report", "--limit", "-1"], "--limit"),
])
def test_usage_errors(sess: SessRunner, known: dict[str, int], args: list[str], needle: str) -> None:
    result = sess(*args)
    assert result.code == 2, result
    assert result.err.startswith("Error: ") and needle in result.err.splitlines()[0], result


# --- periods --------------------------------------------------------------------------------------

def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def clipped(start: datetime, end: datetime, since: datetime, until: datetime) -> int:
    return int(max(0.0, min(end.timestamp(), until.timestamp()) - max(start.timestamp(), since.timestamp())))


def test_period_clipped_at_midnight(sess: SessRunner, db: Db, repo: Repo, env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    widgets = db.project(top(repo), "widgets")
    night = db.session(widgets, "feature/night", [(berlin("2026-03-10 22:00"), berlin("2026-03-11 02:00"))])
    db.session(widgets, "feature/morning", [(berlin("2026-03-11 10:00"), berlin("2026-03-11 11:30"))], pr=4)
    db.session(widgets, "feature/before", [(berlin("2026-03-09 10:00"), berlin("2026-03-09 11:00"))])

    stats = as_json(sess("stats", "--json", "--since", "2026-03-11", "--until", "2026-03-12"))
    assert stats["total_sessions"] == 2
    assert stats["total_elapsed_seconds"] == 2 * 3600 + 5400
    assert stats["average_elapsed_seconds"] == (2 * 3600 + 5400) // 2
    assert stats["by_state"] == {"active": 0, "paused": 0, "ended": 2} and stats["with_pr"] == 1
    assert stats["longest"]["id"] == night
    assert stats["longest"]["elapsed_seconds"] == 7200 and stats["longest"]["full_elapsed_seconds"] == 4 * 3600
    assert moment(stats["first_started_at"]) == berlin("2026-03-10 22:00").timestamp()
    assert stats["period"] == {"since": "2026-03-11T00:00:00+01:00", "until": "2026-03-12T00:00:00+01:00"}
    assert sess("stats", "--since", "2026-03-11", "--until", "2026-03-12", check=0).out.splitlines()[:3] == [
        "Stats for widgets · on 2026-03-11",
        "2 sessions · 0 active · 0 paused · 2 ended · 1 with PR",
        "Total 3h30m · average 1h45m · longest 2h0m (feature/night)",
    ]

    before_midnight = as_json(sess("stats", "--json", "--since", "2026-03-10", "--until", "2026-03-11"))
    assert (before_midnight["total_sessions"], before_midnight["total_elapsed_seconds"]) == (1, 7200)
    until_only = as_json(sess("stats", "--json", "--until", "2026-03-11"))
    assert (until_only["total_sessions"], until_only["total_elapsed_seconds"]) == (2, 7200 + 3600)
    since_only = as_json(sess("stats", "--json", "--since", "2026-03-11"))
    assert (since_only["total_sessions"], since_only["total_elapsed_seconds"]) == (2, 7200 + 5400)
    since_time = as_json(sess("stats", "--json", "--since", "2026-03-11T01:30"))
    assert since_time["total_elapsed_seconds"] == 1800 + 5400


def test_history_in_a_period_lists_sessions_with_time_in_it(sess: SessRunner, db: Db, repo: Repo,
                                                            env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    widgets = db.project(top(repo), "widgets")
    night = db.session(widgets, "feature/night", [(berlin("2026-03-10 22:00"), berlin("2026-03-11 02:00"))])
    morning = db.session(widgets, "feature/morning", [(berlin("2026-03-11 10:00"), berlin("2026-03-11 11:30"))])
    db.session(widgets, "feature/before", [(berlin("2026-03-09 10:00"), berlin("2026-03-09 11:00"))])
    # Paused across the whole day: no time in it, so not listed.
    db.session(widgets, "feature/idle", [(berlin("2026-03-10 08:00"), berlin("2026-03-10 09:00")),
                                         (berlin("2026-03-12 08:00"), berlin("2026-03-12 09:00"))])
    history = as_json(sess("history", "--json", "--since", "2026-03-11", "--until", "2026-03-12"))
    assert [(s["id"], s["elapsed_seconds"]) for s in history["sessions"]] == [(morning, 5400), (night, 7200)]
    assert history["period"]["since"] == "2026-03-11T00:00:00+01:00"
    lines = sess("history", "--since", "2026-03-11", "--until", "2026-03-12", check=0).out.splitlines()
    assert lines[0] == "Sessions in widgets (2) · on 2026-03-11"
    assert lines[2] == f"[{morning}] feature/morning (feature) · ended · 1h30m"
    assert lines[4] == f"[{night}] feature/night (feature) · ended · 2h0m of 4h0m"
    assert sess("history", "--since", "2026-03-13", check=0).out == "No sessions in widgets · since 2026-03-13\n"


def test_period_across_daylight_saving_changes(sess: SessRunner, db: Db, repo: Repo, env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    widgets = db.project(top(repo), "widgets")
    # 2026-10-25 03:00 CEST becomes 02:00 CET: the day has 25 hours.
    across_start, across_end = berlin("2026-10-24 23:00"), berlin("2026-10-25 03:00")
    assert seconds(across_start, across_end) == 5 * 3600
    across = db.session(widgets, "feature/across", [(across_start, across_end)])
    forgot_start, forgot_end = berlin("2026-10-24 12:00"), berlin("2026-10-26 12:00")
    forgot = db.session(widgets, "feature/forgot", [(forgot_start, forgot_end)])

    since, until = datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN)
    assert seconds(since, until) == 25 * 3600
    expected = {across: clipped(across_start, across_end, since, until),
                forgot: clipped(forgot_start, forgot_end, since, until)}
    assert expected == {across: 4 * 3600, forgot: 25 * 3600}

    history = as_json(sess("history", "--json", "--since", "2026-10-25", "--until", "2026-10-26"))
    assert {s["id"]: s["elapsed_seconds"] for s in history["sessions"]} == expected
    stats = as_json(sess("stats", "--json", "--since", "2026-10-25", "--until", "2026-10-26"))
    assert stats["total_elapsed_seconds"] == 29 * 3600
    assert stats["period"] == {"since": "2026-10-25T00:00:00+02:00", "until": "2026-10-26T00:00:00+01:00"}
    assert "Total 29h0m · average 14h30m · longest 25h0m (feature/forgot)" in sess(
        "stats", "--since", "2026-10-25", "--until", "2026-10-26", check=0).out

    # 2026-03-29 02:00 CET becomes 03:00 CEST: 23 hours.
    spring_start, spring_end = berlin("2026-03-28 12:00"), berlin("2026-03-30 12:00")
    db.session(widgets, "feature/spring", [(spring_start, spring_end)])
    spring = as_json(sess("stats", "--json", "--since", "2026-03-29", "--until", "2026-03-30"))
    assert spring["total_elapsed_seconds"] == 23 * 3600 == clipped(
        spring_start, spring_end, datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))


def test_period_words_follow_the_local_day(sess: SessRunner, db: Db, repo: Repo, env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    widgets = db.project(top(repo), "widgets")
    today = datetime.now(BERLIN).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=BERLIN)
    yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
    # One hour either side of last midnight, and one the day before yesterday.
    db.session(widgets, "feature/late", [(datetime.fromtimestamp(midnight.timestamp() - 3600, BERLIN),
                                          datetime.fromtimestamp(midnight.timestamp() + 3600, BERLIN))])
    older = datetime.fromtimestamp(yesterday.timestamp() - 12 * 3600, BERLIN)
    db.session(widgets, "feature/older", [(older, older + timedelta(hours=2))])

    def total(*args: str) -> tuple[int, int]:
        stats = as_json(sess("stats", "--json", *args))
        return stats["total_sessions"], stats["total_elapsed_seconds"]

    assert total("--since", "today") == (1, 3600)
    assert total("--since", "1d") == (1, 3600)
    assert total("--since", "yesterday", "--until", "today") == (1, 3600)
    assert total("--since", "7d") == (2, 3600 * 4)
    assert total("--until", "yesterday") == (1, 7200)


# --- data written by other means ------------------------------------------------------------------

def test_time_the_slices_do_not_cover_counts_from_the_start(sess: SessRunner, db: Db, repo: Repo,
                                                           env: dict[str, str]) -> None:
    # Three hours recorded, but one slice: two hours from before sess kept slices.
    env["TZ"] = "Europe/Berlin"
    widgets = db.project(top(repo), "widgets")
    start = berlin("2026-05-04 09:00")
    db.session(widgets, "feature/mixed", [(berlin("2026-05-04 14:00"), berlin("2026-05-04 15:00"))],
               total=timedelta(hours=3), start=start)
    assert as_json(sess("stats", "--json"))["total_elapsed_seconds"] == 3 * 3600
    assert as_json(sess("stats", "--json", "--since", "2026-05-04"))["total_elapsed_seconds"] == 3 * 3600
    assert as_json(sess("stats", "--json", "--since", "2026-05-04T10:00"))["total_elapsed_seconds"] == 2 * 3600
    assert as_json(sess("stats", "--json", "--since", "2026-05-04T12:00"))["total_elapsed_seconds"] == 3600


GO_SCHEMA = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL, last_used_at DATETIME NOT NULL,
    base_branch TEXT NOT NULL DEFAULT 'dev', is_active BOOLEAN NOT NULL DEFAULT 1);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, branch TEXT NOT NULL,
    issue_id TEXT, issue_title TEXT,
    state TEXT NOT NULL CHECK(state IN ('active', 'paused', 'ended')),
    start_time DATETIME NOT NULL, pause_time DATETIME, end_time DATETIME,
    total_elapsed INTEGER NOT NULL DEFAULT 0, branch_type TEXT,
    current_slice_start DATETIME, pr_number INTEGER, pr_url TEXT,
    FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE);
CREATE INDEX idx_sessions_project_id ON sessions(project_id);
CREATE INDEX idx_sessions_state ON sessions(state);
"""


def go_time(when: datetime) -> str:
    """Go's time.Time.String(): nanoseconds, numeric offset, zone name, monotonic reading."""
    local = when.astimezone(BERLIN)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond:06d}789 {local:%z} {local.tzname()} m=+0.004211870"


def go_session(conn: sqlite3.Connection, project_id: int, branch: str, state: str, start: datetime,
               total: timedelta, end: datetime | None = None, running: datetime | None = None,
               pr: int | None = None) -> int:
    cursor = conn.execute(
        """INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time, pause_time, end_time,
               total_elapsed, branch_type, current_slice_start, pr_number, pr_url)
           VALUES (?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (project_id, branch, state, go_time(start), go_time(end) if end and state == "paused" else None,
         go_time(end) if end and state == "ended" else None, int(total.total_seconds() * 1e9) + 789,
         branch.split("/")[0], go_time(running) if running else None, pr,
         f"https://github.com/acme/widgets/pull/{pr}" if pr else None))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def test_database_written_by_the_go_tool(sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.executescript(GO_SCHEMA)
    conn.execute("INSERT INTO projects (name, path, created_at, last_used_at, base_branch) VALUES (?, ?, ?, ?, 'main')",
                 ("widgets", top(repo), go_time(berlin("2026-04-01 09:00")), go_time(berlin("2026-04-01 09:00"))))
    now = datetime.now(UTC)
    one = go_session(conn, 1, "feature/go-ended", "ended", berlin("2026-04-02 10:15:30"),
                     timedelta(hours=1, minutes=30), end=berlin("2026-04-02 11:45:30"), pr=3)
    two = go_session(conn, 1, "bugfix/go-second", "ended", berlin("2026-04-03 09:00"), timedelta(hours=1),
                     end=berlin("2026-04-03 10:00"))
    three = go_session(conn, 1, "feature/go-active", "active", now - timedelta(hours=3), timedelta(hours=1),
                       running=now - timedelta(hours=1))
    conn.close()

    stats = as_json(sess("stats", "--json"))
    assert stats["total_sessions"] == 3
    assert stats["by_state"] == {"active": 1, "paused": 0, "ended": 2} and stats["with_pr"] == 1
    assert 5400 + 3600 + 7200 <= stats["total_elapsed_seconds"] <= 5400 + 3600 + 7200 + 30
    assert stats["longest"]["id"] == three
    assert moment(stats["first_started_at"]) == pytest.approx(berlin("2026-04-02 10:15:30").timestamp(), abs=1e-3)
    history = as_json(sess("history", "--json"))["sessions"]
    assert [s["id"] for s in history] == [three, two, one]
    assert history[2]["elapsed_seconds"] == 5400 and history[2]["pr"]["number"] == 3
    assert history[1]["issue"] is None

    # Without slices, a session's time runs from its start.
    day_one = as_json(sess("stats", "--json", "--since", "2026-04-02", "--until", "2026-04-03"))
    assert (day_one["total_sessions"], day_one["total_elapsed_seconds"]) == (1, 5400)
    late = as_json(sess("stats", "--json", "--since", "2026-04-02T11:00", "--until", "2026-04-03"))
    assert late["total_elapsed_seconds"] == 45 * 60 + 30

    # A row the Go tool writes after sess migrated the file is picked up and put in its place.
    conn = sqlite3.connect(db_path, isolation_level=None)
    four = go_session(conn, 1, "feature/go-later", "ended", berlin("2026-04-05 08:00"), timedelta(hours=2),
                      end=berlin("2026-04-05 10:00"))
    conn.close()
    assert [s["id"] for s in as_json(sess("history", "--json"))["sessions"]] == [three, four, two, one]
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT start_epoch FROM sessions WHERE id = ?", (four,)).fetchone()[0] == pytest.approx(
        berlin("2026-04-05 08:00").timestamp(), abs=1e-3)
    conn.close()
    assert as_json(sess("stats", "--json", "--since", "2026-04-05", "--until", "2026-04-06"))[
        "total_elapsed_seconds"] == 7200


def test_times_in_json_carry_offsets(sess: SessRunner, known: dict[str, int]) -> None:
    stats = as_json(sess("stats", "--json"))
    for key in ("first_started_at", "last_started_at"):
        parsed = datetime.fromisoformat(stats[key])
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)
