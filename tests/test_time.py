"""Time you can correct: `--at`, the forgotten clock, `log`, `amend` (SPEC Part 2)."""
from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import refused
from dbhelp import execute, rows, session_row, sessions, slices, stamp
from test_interactive import Spawn, spawn, terminals  # noqa: F401  (fixtures)

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

NS = 1_000_000_000


def now() -> datetime:
    return datetime.now(UTC)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def db_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def check_go_columns(db_path: Path, session_id: int = 1) -> None:
    """total_elapsed (ns), current_slice_start and pause_time agree with the slices."""
    row = session_row(db_path, session_id)
    pieces = slices(db_path, session_id)
    closed = [p for p in pieces if p["end_time"] is not None]
    total = sum((db_time(p["end_time"]) - db_time(p["start_time"])).total_seconds() for p in closed)  # type: ignore[operator]
    assert abs(row["total_elapsed"] / NS - total) < 0.01, (row, pieces)
    running = [p for p in pieces if p["end_time"] is None]
    if row["state"] == "active":
        assert len(running) == 1
        assert db_time(row["current_slice_start"]) == db_time(running[0]["start_time"])
    else:
        assert running == [] and row["current_slice_start"] is None
    if row["state"] == "paused" and closed:
        last = max(db_time(p["end_time"]) for p in closed)  # type: ignore[type-var]
        assert db_time(row["pause_time"]) == last
    for p in pieces:  # the epochs agree with the strings
        assert abs(p["start_epoch"] - db_time(p["start_time"]).timestamp()) < 0.001  # type: ignore[union-attr]


def log(sess: SessRunner, *args: str) -> dict[str, Any]:
    return json.loads(sess("log", "--json", *args, check=0).out)


# --- --at -------------------------------------------------------------------------------------

def test_start_at_offset_and_pause_resume_at(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "1h30m", check=0)
    row = session_row(db_path)
    assert abs((now() - db_time(row["start_time"])).total_seconds() - 5400) < 30  # type: ignore[operator]
    sess("pause", "--at", "1h", check=0)
    row = session_row(db_path)
    assert row["state"] == "paused" and abs(row["total_elapsed"] / NS - 1800) < 5
    sess("resume", "--at", "20m", check=0)
    document = log(sess)
    assert [s["n"] for s in document["slices"]] == [1, 2]
    assert document["slices"][0]["end"] is None
    assert abs(document["slices"][1]["seconds"] - 1800) < 5
    assert abs(document["session"]["elapsed_seconds"] - 3000) < 10
    check_go_columns(db_path)


@pytest.mark.parametrize("form", ["clock", "date-time", "iso-offset", "iso-z"])
def test_pause_at_each_form(sess: SessRunner, repo: Repo, db_path: Path, form: str) -> None:
    sess("start", "--no-issue", "x", "--at", "3h", check=0)
    moment = (now() - timedelta(minutes=50)).replace(second=0, microsecond=0)
    if form == "clock" and moment.date() != now().date():
        pytest.skip("HH:MM means today; too close to midnight")
    text = {
        "clock": moment.strftime("%H:%M"),  # TZ=UTC in the tests' environment
        "date-time": moment.strftime("%Y-%m-%d %H:%M"),
        "iso-offset": moment.astimezone(timezone(timedelta(hours=2))).isoformat(),
        "iso-z": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }[form]
    sess("pause", "--at", text, check=0)
    assert db_time(session_row(db_path)["pause_time"]) == moment
    check_go_columns(db_path)


def test_at_refusals(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    refused(sess("start", "--no-issue", "x", "--at", "tomorrow"), "--at", "cannot read 'tomorrow'")
    future = (now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    refused(sess("start", "--no-issue", "x", "--at", future), "in the future")
    assert not db_path.exists() and repo.current_branch() == "main"  # refused before anything
    sess("start", "--no-issue", "x", "--at", "1h", check=0)
    refused(sess("pause", "--at", "2h"), "before the running slice began")
    refused(sess("pause", "--at", future), "in the future")
    refused(sess("pause", "--at", "25:99"), "cannot read")
    assert session_row(db_path)["state"] == "active"
    sess("pause", "--at", "30m", check=0)
    refused(sess("resume", "--at", "40m"), "before the pause")
    refused(sess("resume", "--at", future), "in the future")
    assert session_row(db_path)["state"] == "paused"
    check_go_columns(db_path)


def test_start_at_refuses_overlap_with_the_project_s_last_session(sess: SessRunner, repo: Repo,
                                                                 db_path: Path) -> None:
    sess("start", "--no-issue", "one", "--at", "2h", check=0)
    sess("end", "--no-pr", "--at", "90m", check=0)
    refused(sess("start", "--no-issue", "two", "--at", "100m"), "overlaps", "feature/one")
    assert len(sessions(db_path)) == 1 and repo.current_branch() == "main"
    sess("start", "--no-issue", "two", "--at", "1h", check=0)
    check_go_columns(db_path, 2)


def test_end_at_stops_the_clock_there(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "2h", check=0)
    refused(sess("end", "--no-pr", "--at", "3h"), "before the running slice began")
    assert session_row(db_path)["state"] == "active"
    sess("end", "--no-pr", "--at", "1h", check=0)
    row = session_row(db_path)
    assert row["state"] == "ended" and abs(row["total_elapsed"] / NS - 3600) < 10
    assert abs((now() - db_time(row["end_time"])).total_seconds() - 3600) < 30  # type: ignore[operator]
    check_go_columns(db_path)


# --- the forgotten clock ------------------------------------------------------------------------

def backdate_slice(db_path: Path, hours: float) -> datetime:
    start = now() - timedelta(hours=hours)
    execute(db_path, "UPDATE sessions SET start_time = ?, current_slice_start = ?, start_epoch = ? "
                     "WHERE state = 'active'", (stamp(start), stamp(start), start.timestamp()))
    execute(db_path, "UPDATE session_slices SET start_time = ?, start_epoch = ? WHERE end_time IS NULL",
            (stamp(start), start.timestamp()))
    return start


def commit_at(repo: Repo, moment: datetime, path: str = "work.txt") -> None:
    repo.write(path, f"{moment}\n")
    repo.git("add", "--", path)
    date = moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
    env = {**repo.env, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
    subprocess.run(["git", "commit", "-q", "-m", "work"], cwd=repo.path, env=env, check=True)


def test_status_names_a_forgotten_clock(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 9)
    activity = now() - timedelta(hours=6, minutes=30)
    commit_at(repo, activity)
    out = sess("status", check=0).out
    clock = activity.strftime("%H:%M") if activity.date() == now().date() else activity.strftime("%Y-%m-%d %H:%M")
    arg = clock.replace(" ", "T")
    line = f"Running 9h0m · last activity {clock} · 'sess pause --at {arg}' stops the clock there"
    assert line in out.splitlines(), out
    idle = json.loads(sess("status", "--json", check=0).out)["session"]["idle"]
    assert idle is not None and abs(idle["running_seconds"] - 9 * 3600) < 60
    # Piped, pause stops now and says so on stderr; the suggested moment is then an amend away.
    result = sess("pause", check=0)
    assert line in result.err and "sess amend @1 --end" in result.err
    assert abs(session_row(db_path)["total_elapsed"] / NS - 9 * 3600) < 60
    sess("amend", "@1", "--end", arg, check=0)
    assert abs(session_row(db_path)["total_elapsed"] / NS - 2.5 * 3600) < 60
    check_go_columns(db_path)


def test_fresh_activity_is_not_a_forgotten_clock(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 9)
    commit_at(repo, now() - timedelta(hours=8))
    assert "Running" in sess("status", check=0).out
    # A file changed 10 minutes ago is activity: the line goes away.
    touched = repo.write("draft.txt", "wip\n")
    ten = (now() - timedelta(minutes=10)).timestamp()
    os.utime(touched, (ten, ten))
    assert "Running" not in sess("status", check=0).out
    assert json.loads(sess("status", "--json", check=0).out)["session"]["idle"] is None
    result = sess("pause", check=0)
    assert "Running" not in result.err


def test_old_file_mtime_counts_as_old_activity(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 5)
    commit_at(repo, now() - timedelta(hours=7))
    touched = repo.write("draft.txt", "wip\n")
    four = (now() - timedelta(hours=4)).timestamp()
    os.utime(touched, (four, four))
    out = sess("status", check=0).out
    expected = datetime.fromtimestamp(four, UTC).strftime("%H:%M")
    if datetime.fromtimestamp(four, UTC).date() == now().date():
        assert f"last activity {expected}" in out, out
    assert "Running 5h0m" in out


# --- log and amend ------------------------------------------------------------------------------

def three_slices(sess: SessRunner) -> None:
    """@3 5h..4h, @2 3h..2h, @1 1h..running."""
    sess("start", "--no-issue", "x", "--at", "5h", check=0)
    sess("pause", "--at", "4h", check=0)
    sess("resume", "--at", "3h", check=0)
    sess("pause", "--at", "2h", check=0)
    sess("resume", "--at", "1h", check=0)


def test_log_text_and_json(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    three_slices(sess)
    out = sess("log", check=0).out.splitlines()
    assert out[0].startswith("feature/x (feature) · active · 3h0m")
    assert [line.split()[0] for line in out[1:]] == ["@1", "@2", "@3"]
    assert "running" in out[1] and out[2].rstrip().endswith("1h0m")
    document = log(sess)
    assert [s["n"] for s in document["slices"]] == [1, 2, 3]
    starts = [parse(s["start"]) for s in document["slices"]]
    assert starts == sorted(starts, reverse=True)
    assert document["session"]["id"] == 1 and document["session"]["state"] == "active"
    sess("end", "--no-pr", check=0)
    refused(sess("log"), "no open session", code=1)
    assert len(log(sess, "--session", "1")["slices"]) == 3
    refused(sess("log", "--session", "99"), "session 99 does not exist", code=1)


def test_amend_start_end_drop_keep_the_go_columns(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    three_slices(sess)
    sess("amend", "@2", "--end", "2h30m", check=0)
    assert abs(session_row(db_path)["total_elapsed"] / NS - 5400) < 5
    check_go_columns(db_path)
    sess("amend", "@3", "--start", "4h30m", check=0)
    assert abs(session_row(db_path)["total_elapsed"] / NS - 3600) < 5
    # The session's start follows its first slice.
    assert abs((now() - db_time(session_row(db_path)["start_time"])).total_seconds() - 4.5 * 3600) < 30  # type: ignore[operator]
    check_go_columns(db_path)
    sess("amend", "@1", "--start", "1h30m", check=0)
    check_go_columns(db_path)
    sess("pause", check=0)
    check_go_columns(db_path)
    sess("amend", "@1", "--end", "1h", check=0)  # the last slice's end moves the pause with it
    check_go_columns(db_path)
    sess("amend", "@2", "--drop", check=0)
    assert len(log(sess)["slices"]) == 2
    check_go_columns(db_path)
    assert abs(session_row(db_path)["total_elapsed"] / NS - 3600) < 5


def test_amend_refusals_change_nothing(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "old", "--at", "8h", check=0)
    sess("end", "--no-pr", "--at", "7h", check=0)
    three_slices(sess)
    before = (rows(db_path, "SELECT * FROM sessions ORDER BY id"), rows(db_path, "SELECT * FROM session_slices"))
    future = (now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    refused(sess("amend", "@2", "--end", "3h30m"), "would not be after the start")
    refused(sess("amend", "@2", "--start", future), "in the future")
    refused(sess("amend", "@2", "--end", "30m"), "overlaps @1 of this session")
    refused(sess("amend", "@3", "--start", "7h30m"), "overlaps the session on feature/old")
    refused(sess("amend", "@1", "--end", "30m"), "running slice", "pause --at")
    refused(sess("amend", "@1", "--drop"), "running slice")
    refused(sess("amend", "@4", "--drop"), "has 3 slices")
    refused(sess("amend", "2", "--start", "1h", "--drop"), "--drop cannot be combined")
    refused(sess("amend", "@2"), "--start WHEN, --end WHEN or --drop")
    refused(sess("amend", "two", "--drop"), "not a slice")
    refused(sess("amend", "@2", "--start", "yesterday-ish"), "--start", "cannot read")
    after = (rows(db_path, "SELECT * FROM sessions ORDER BY id"), rows(db_path, "SELECT * FROM session_slices"))
    assert before == after
    # An ended session is amended with --session; the overlap check spans every session of the project.
    sess("amend", "@1", "--session", "1", "--end", "6h30m", check=0)
    check_go_columns(db_path, 1)
    refused(sess("amend", "@1", "--session", "1", "--end", "4h30m"), "overlaps the session on feature/x")


# --- a deleted session branch (issue 10, defect 4) ------------------------------------------------

def test_status_and_resume_say_the_branch_is_gone(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "gone", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "feature/gone")
    out = sess("status", check=0).out
    assert "Session branch feature/gone no longer exists" in out and "sess cancel" in out
    assert json.loads(sess("status", "--json", check=0).out)["session"]["branch_exists"] is False
    result = sess("resume")
    refused(result, "feature/gone no longer exists", "sess cancel", code=1)
    assert "Commit or stash" not in result.err
    assert session_row(db_path)["state"] == "paused"


# --- the forgotten clock on a terminal ------------------------------------------------------------

def test_pause_on_a_terminal_asks_where_to_stop(sess: SessRunner, repo: Repo, db_path: Path,
                                               spawn: Spawn) -> None:  # noqa: F811
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 6)
    activity = now() - timedelta(hours=4, minutes=10)
    commit_at(repo, activity)
    terminal = spawn("pause")
    terminal.expect("Stop it at")
    terminal.expect("the last activity")
    terminal.send("\r")
    assert terminal.finish() == 0
    row = session_row(db_path)
    assert row["state"] == "paused"
    assert db_time(row["pause_time"]) == activity.replace(second=0, microsecond=0)
    check_go_columns(db_path)


def test_ctrl_c_at_the_question_changes_nothing(sess: SessRunner, repo: Repo, db_path: Path,
                                               spawn: Spawn) -> None:  # noqa: F811
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 6)
    commit_at(repo, now() - timedelta(hours=5))
    before = rows(db_path, "SELECT * FROM sessions"), rows(db_path, "SELECT * FROM session_slices")
    terminal = spawn("end", "--no-pr", "--keep-branch")
    terminal.expect("Stop it at")
    terminal.send("\x03")
    assert terminal.finish() == 130
    assert (rows(db_path, "SELECT * FROM sessions"), rows(db_path, "SELECT * FROM session_slices")) == before
    assert repo.current_branch() == "feature/x"


# --- time.exclusive -------------------------------------------------------------------------------

def exclusive_with_gadgets(env: dict[str, str], tmp_path: Path) -> Path:
    """time.exclusive on in the user's file, and a second project ("gadgets") beside the repo fixture's."""
    from conftest import Repo as RepoClass
    from conftest import run_git

    config = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[time]\nexclusive = true\n")
    other = tmp_path / "work" / "gadgets"
    other.mkdir(parents=True)
    run_git(other, env, "init", "-q", "-b", "main")
    RepoClass(other, env).commit("README", "g\n", "init")
    return other


def test_exclusive_pauses_the_other_project_and_report_counts_once(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)

    sess("start", "--no-issue", "w", "--at", "2h", check=0)
    result = sess("start", "--no-issue", "g", "--at", "1h", cwd=other, check=0)
    assert "Paused feature/w in widgets (time.exclusive)" in result.out
    widgets = session_row(db_path, 1)
    assert widgets["state"] == "paused" and abs(widgets["total_elapsed"] / NS - 3600) < 10
    assert session_row(db_path, 2)["state"] == "active"
    check_go_columns(db_path, 1)
    # Resuming widgets stops gadgets' clock in turn.
    result = sess("resume", check=0)
    assert "Paused feature/g in gadgets (time.exclusive)" in result.out
    assert session_row(db_path, 2)["state"] == "paused"
    # With time.exclusive, amend refuses an overlap with another project's slice.
    refused(sess("amend", "@1", "--session", "2", "--start", "90m", cwd=other), "overlaps the session on feature/w",
            "time.exclusive")
    # Time amended into an overlap while time.exclusive was off counts in both projects, in stats
    # as in export (SPEC Part 3, 'One total'): the slices say two clocks ran.
    config = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    config.write_text("[time]\nexclusive = false\n")
    sess("amend", "@1", "--session", "2", "--start", "90m", cwd=other, check=0)
    config.write_text("[time]\nexclusive = true\n")
    stats = json.loads(sess("stats", "--all", "--json", check=0).out)
    exported = json.loads(sess("export", "--all", "--format", "json", check=0).out)["slices"]
    assert abs(stats["total_elapsed_seconds"] - (3600 + 5400)) < 30, stats
    assert abs(stats["total_elapsed_seconds"] - sum(row["seconds"] for row in exported)) < 3, exported


def test_undoing_a_start_or_resume_restarts_the_clock_time_exclusive_stopped(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)

    sess("start", "--no-issue", "w", "--at", "2h", check=0)
    widgets_slices = rows(db_path, "SELECT * FROM session_slices WHERE session_id = 1")
    sess("start", "--no-issue", "g", "--at", "1h", cwd=other, check=0)
    assert session_row(db_path, 1)["state"] == "paused"
    result = sess("undo", cwd=other, check=0)
    assert "The clock of feature/w in widgets runs again (stopped by that start)" in result.out, result
    # As if it had never stopped: the same open slice, begun two hours ago.
    assert session_row(db_path, 1)["state"] == "active"
    assert rows(db_path, "SELECT * FROM session_slices WHERE session_id = 1") == widgets_slices
    check_go_columns(db_path, 1)

    # Resuming a session stops the other clock too; undoing that resume starts it again.
    sess("start", "--no-issue", "g", cwd=other, check=0)  # widgets stops
    sess("pause", cwd=other, check=0)
    sess("resume", check=0)  # widgets runs again (its pause was its own command, not exclusive's)
    sess("resume", cwd=other, check=0)  # gadgets runs, widgets stops
    gadgets = session_row(db_path, 3)["id"]
    assert (session_row(db_path, 1)["state"], session_row(db_path, gadgets)["state"]) == ("paused", "active")
    result = sess("undo", cwd=other, check=0)
    assert "The clock of feature/w in widgets runs again (stopped by that resume)" in result.out, result
    assert (session_row(db_path, 1)["state"], session_row(db_path, gadgets)["state"]) == ("active", "paused")
    # A clock changed since that resume is left as it is.
    sess("resume", cwd=other, check=0)  # widgets stops (exclusive)
    sess("cancel", check=0)  # and is then given up by hand
    result = sess("undo", cwd=other, check=0)
    assert "runs again" not in result.out and session_row(db_path, gadgets)["state"] == "paused"
    assert session_row(db_path, 1)["outcome"] == "cancelled"
