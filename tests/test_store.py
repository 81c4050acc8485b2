"""The database: its place and permissions, migrations from the Go tool, locking, concurrency."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dbhelp import ago, connect, execute, go_time, make_go_db, open_sessions, rows, sessions, slices, stamp

from sess.store import MIGRATIONS

if TYPE_CHECKING:
    from conftest import Repo, Result, SessRunner

SESS_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")
GO_SESSION_COLUMNS = {"id", "project_id", "branch", "issue_id", "issue_title", "state", "start_time",
                      "pause_time", "end_time", "current_slice_start", "total_elapsed", "branch_type",
                      "pr_number", "pr_url"}
GO_PROJECT_COLUMNS = {"id", "name", "path", "created_at", "last_used_at", "base_branch", "is_active"}
NS = 1_000_000_000


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def columns(db_path: Path, table: str) -> set[str]:
    return {row["name"] for row in rows(db_path, f"PRAGMA table_info({table})")}


def top(repo: Repo) -> str:
    return repo.git("rev-parse", "--show-toplevel")


def iso_with_offset(value: object) -> datetime:
    assert isinstance(value, str)
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, value
    return moment


def no_lock_errors(*results: Result) -> None:
    for result in results:
        text = result.out + result.err
        assert "database is locked" not in text and "Traceback" not in text and "unexpected" not in text, result


# --- place, permissions, layout -----------------------------------------------------------

def test_fresh_database(sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str]) -> None:
    sess("start", "x", "--no-issue", check=0)
    assert mode(db_path.parent) == 0o700
    assert mode(db_path) == 0o600
    assert not (Path(env["HOME"]) / ".sess-cli").exists()  # $SESS_HOME wins
    assert [r["name"] for r in rows(db_path, "SELECT name FROM schema_migrations ORDER BY rowid")] == [
        name for name, _ in MIGRATIONS]
    assert rows(db_path, "PRAGMA user_version")[0]["user_version"] == len(MIGRATIONS)
    assert rows(db_path, "PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert columns(db_path, "sessions") >= GO_SESSION_COLUMNS
    assert columns(db_path, "projects") >= GO_PROJECT_COLUMNS
    assert {"session_id", "start_time", "end_time"} <= columns(db_path, "session_slices")


def test_default_state_dir_is_under_home(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    del env["SESS_HOME"]
    sess("start", "x", "--no-issue", check=0)
    state = Path(env["HOME"]) / ".sess-cli"
    assert mode(state) == 0o700 and mode(state / "sess.db") == 0o600
    assert len(open_sessions(state / "sess.db")) == 1


def test_readers_do_not_create_the_database(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    for args in (["status"], ["status", "--json"], ["projects"], ["projects", "--json"]):
        sess(*args, check=0)
    assert not db_path.parent.exists()


def test_written_rows_keep_the_go_conventions(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    (project,) = rows(db_path, "SELECT * FROM projects")
    (session,) = sessions(db_path)
    assert project["path"] == top(repo) and project["name"] == "widgets" and project["is_active"] == 1
    assert project["base_branch"] == "main"
    assert session["issue_id"] == "" and session["issue_title"] == ""  # what the Go tool wrote for none
    assert session["state"] == "active" and session["total_elapsed"] == 0
    assert session["branch"] == "feature/x" and session["branch_type"] == "feature"
    for value in (project["created_at"], project["last_used_at"], session["start_time"],
                  session["current_slice_start"]):
        assert SESS_STAMP.match(value), value
    assert session["current_slice_start"] == session["start_time"]


# --- slices -------------------------------------------------------------------------------

def test_every_active_stretch_is_a_slice(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    (session,) = sessions(db_path)
    (first,) = slices(db_path, session["id"])
    assert first["end_time"] is None and first["start_time"] == session["start_time"]
    sess("pause", check=0)
    sess("resume", check=0)
    sess("pause", check=0)
    sess("resume", check=0)
    got = slices(db_path, session["id"])
    assert len(got) == 3
    assert [s["end_time"] is None for s in got] == [False, False, True]
    for piece in got:
        assert SESS_STAMP.match(piece["start_time"])
        assert piece["start_epoch"] == pytest.approx(datetime.fromisoformat(piece["start_time"]).timestamp())
    # completed slices add up to total_elapsed (nanoseconds)
    (session,) = sessions(db_path)
    closed = sum(s["end_epoch"] - s["start_epoch"] for s in got[:2])
    assert session["total_elapsed"] == pytest.approx(closed * NS, abs=NS // 1000)
    assert session["current_slice_start"] == got[2]["start_time"]


# --- several open sessions per project (SPEC Part 3): one per branch, one running clock ---------

def test_database_refuses_a_second_open_session(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    (session,) = sessions(db_path)
    insert = ("INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time, total_elapsed,"
              " branch_type) VALUES (?, ?, '', '', ?, ?, 0, 'feature')")
    now = stamp(datetime.now(UTC))
    for state in ("active", "paused"):  # the same branch twice: never (racing starts make one)
        with pytest.raises(sqlite3.IntegrityError):
            execute(db_path, insert, (session["project_id"], session["branch"], state, now))
    with pytest.raises(sqlite3.IntegrityError):  # a second running clock in the project: never
        execute(db_path, insert, (session["project_id"], "feature/y", "active", now))
    execute(db_path, insert, (session["project_id"], "feature/y", "paused", now))  # another branch, paused: fine
    execute(db_path, insert, (session["project_id"], "feature/old", "ended", now))  # ended ones are fine
    with pytest.raises(sqlite3.IntegrityError):  # reopened on a branch already open
        execute(db_path, "UPDATE sessions SET state = 'paused', branch = 'feature/y' WHERE branch = 'feature/old'")
    execute(db_path, "UPDATE sessions SET state = 'paused' WHERE branch = 'feature/old'")
    assert rows(db_path, "SELECT name FROM schema_migrations WHERE name = '0017_several_open_sessions'")
    execute(db_path, "INSERT INTO projects (name, path, created_at, last_used_at, base_branch) "
                     "VALUES ('other', '/elsewhere', ?, ?, 'main')", (now, now))
    other = rows(db_path, "SELECT id FROM projects WHERE path = '/elsewhere'")[0]["id"]
    execute(db_path, insert, (other, "feature/z", "active", now))  # another project may have its own
    assert len(open_sessions(db_path)) == 4


# --- a database written by the Go tool -----------------------------------------------------

@pytest.fixture
def go_db(db_path: Path, repo: Repo, repo_no_remote: Repo) -> dict[str, object]:
    """The Go tool's pre-v0.4 file: old schema, Go time strings, nanosecond totals, 0644."""
    started = datetime(2026, 4, 2, 8, 15, 30, 123456, tzinfo=UTC)
    paused = started + timedelta(hours=1, minutes=2, seconds=3)
    solo_start = ago(hours=2)
    conn = make_go_db(db_path)
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)",
                 (top(repo), go_time(started - timedelta(days=30)), go_time(paused)))
    conn.execute("INSERT INTO projects VALUES (2, 'solo', ?, ?, ?, 'main', 1)",
                 (top(repo_no_remote), go_time(solo_start, "UTC", 0), go_time(solo_start, "UTC", 0)))
    conn.execute("INSERT INTO projects VALUES (3, 'gone', '/nowhere/gone', ?, ?, 'dev', 0)",
                 (go_time(started), go_time(started)))
    conn.execute("INSERT INTO sessions VALUES (1, 1, 'feature/old-work', '', '', 'ended', ?, ?, ?, ?, 'feature')",
                 (go_time(started - timedelta(days=1)), go_time(started - timedelta(days=1, hours=-1)),
                  go_time(started - timedelta(days=1, hours=-2)), 5400 * NS))
    conn.execute("INSERT INTO sessions VALUES (2, 1, 'feature/add-oauth', '123', 'Add OAuth2 authentication support',"
                 " 'paused', ?, ?, NULL, ?, 'feature')",
                 (go_time(started), go_time(paused), 3723 * NS + 999_999_999))
    conn.execute("INSERT INTO sessions VALUES (3, 2, 'bugfix/crash', '#7', 'Crash on start', 'active', ?, NULL,"
                 " NULL, 0, 'bugfix')", (go_time(solo_start, "UTC", 0, monotonic=False),))
    conn.close()
    os.chmod(db_path, 0o644)
    repo.git("branch", "feature/add-oauth")
    repo_no_remote.git("checkout", "-q", "-b", "bugfix/crash")
    return {"started": started, "paused": paused, "solo_start": solo_start}


def test_go_database_migrates_and_reads(sess: SessRunner, repo: Repo, repo_no_remote: Repo, db_path: Path,
                                        go_db: dict[str, object]) -> None:
    before = rows(db_path, "SELECT * FROM sessions ORDER BY id")
    status = json.loads(sess("status", "--json", check=0).out)

    assert status["project"] == {"name": "widgets", "path": top(repo), "base_branch": "main"}
    session = status["session"]
    assert session["id"] == 2 and session["state"] == "paused"
    assert session["branch"] == "feature/add-oauth" and session["branch_type"] == "feature"
    # A Go row's issue is GitHub's; its address was never recorded.
    assert session["issue"] == {"id": "123", "title": "Add OAuth2 authentication support", "tracker": "github",
                                "url": None}
    assert session["elapsed_seconds"] == 3723  # nanoseconds (floored), not seconds or milliseconds
    assert iso_with_offset(session["started_at"]) == go_db["started"]
    assert session["started_at"].endswith("+02:00")  # the Go string's own offset is kept
    assert iso_with_offset(session["paused_at"]) == go_db["paused"]
    assert session["ended_at"] is None and session["pr"] is None

    # migrated in place: every step recorded, the Go data untouched, the file made private
    assert [r["name"] for r in rows(db_path, "SELECT name FROM schema_migrations ORDER BY rowid")] == [
        name for name, _ in MIGRATIONS]
    assert columns(db_path, "sessions") >= GO_SESSION_COLUMNS
    after = rows(db_path, "SELECT * FROM sessions ORDER BY id")
    for old, new in zip(before, after, strict=True):
        assert {k: new[k] for k in old} == old
    assert mode(db_path) == 0o600
    assert rows(db_path, "PRAGMA journal_mode")[0]["journal_mode"] == "wal"

    # the active session the Go tool left gets an explicit running slice
    solo = next(s for s in after if s["id"] == 3)
    assert solo["current_slice_start"] == solo["start_time"]
    assert len(slices(db_path, 3)) == 1


def test_go_database_projects_json(sess: SessRunner, repo: Repo, repo_no_remote: Repo,
                                   go_db: dict[str, object]) -> None:
    listing = json.loads(sess("projects", "--json", check=0).out)["projects"]
    by_name = {p["name"]: p for p in listing}
    assert set(by_name) == {"widgets", "solo"}  # is_active = 0 stays hidden
    widgets, solo = by_name["widgets"], by_name["solo"]
    assert widgets["state"] == "paused" and widgets["current"] is True
    assert widgets["session"]["elapsed_seconds"] == 3723
    assert widgets["session"]["issue"] == {"id": "123", "title": "Add OAuth2 authentication support",
                                           "tracker": "github", "url": None}
    assert iso_with_offset(widgets["last_used_at"]) == go_db["paused"]
    assert solo["state"] == "active" and solo["current"] is False and solo["base_branch"] == "main"
    assert solo["session"]["issue"]["id"] == "7"  # stored as '#7' by hand: read without the '#'
    elapsed = solo["session"]["elapsed_seconds"]
    assert 7200 <= elapsed < 7200 + 60, elapsed


def test_go_database_text_and_then_writes(sess: SessRunner, repo: Repo, db_path: Path,
                                          go_db: dict[str, object]) -> None:
    lines = sess("status", check=0).out.splitlines()
    assert lines[:2] == ["On branch main", "Session paused · 1h2m · #123"]
    assert lines[-1] == "  Add OAuth2 authentication support"

    resumed = sess("resume", check=0)
    assert resumed.out.splitlines()[0] == "Switched to branch 'feature/add-oauth'"
    assert repo.current_branch() == "feature/add-oauth"
    paused = sess("pause", check=0)
    assert paused.out.splitlines() == ["Paused session on feature/add-oauth (feature)",
                                       "Issue #123 · Add OAuth2 authentication support",
                                       "Total elapsed: 1h2m"]
    (session,) = rows(db_path, "SELECT * FROM sessions WHERE id = 2")
    assert 3724 * NS <= session["total_elapsed"] < 3734 * NS
    assert session["issue_id"] == "123"
    assert len(slices(db_path, 2)) == 1

    # opening again migrates nothing twice
    applied = rows(db_path, "SELECT * FROM schema_migrations ORDER BY rowid")
    sess("status", check=0)
    assert rows(db_path, "SELECT * FROM schema_migrations ORDER BY rowid") == applied


def test_go_v04_database_with_a_running_slice(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    slice_start = ago(minutes=10)
    conn = make_go_db(db_path, v04=True)
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)",
                 (top(repo), go_time(ago(days=3)), go_time(slice_start)))
    conn.execute("INSERT INTO sessions (id, project_id, branch, issue_id, issue_title, state, start_time,"
                 " pause_time, end_time, total_elapsed, branch_type, current_slice_start)"
                 " VALUES (1, 1, 'feature/x', '', '', 'active', ?, ?, NULL, ?, 'feature', ?)",
                 (go_time(ago(days=2)), go_time(ago(hours=1)), 600 * NS, go_time(slice_start)))
    conn.close()
    repo.git("checkout", "-q", "-b", "feature/x")

    session = json.loads(sess("status", "--json", check=0).out)["session"]
    assert session["state"] == "active" and session["issue"] is None and session["paused_at"] is None
    assert 1200 <= session["elapsed_seconds"] < 1260
    lines = sess("status", check=0).out.splitlines()
    assert lines[0] == "On branch feature/x (feature)" and lines[2] == "Started 2 days ago"
    assert lines[1].startswith("Session active · 20m"), lines

    sess("pause", check=0)
    (row,) = sessions(db_path)
    assert 1200 * NS <= row["total_elapsed"] < 1260 * NS
    (piece,) = slices(db_path, 1)  # the Go slice, recorded when it closed
    assert piece["end_time"] is not None
    assert piece["start_epoch"] == pytest.approx(slice_start.timestamp(), abs=0.001)


def test_go_database_with_two_open_sessions_in_one_project(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    conn = make_go_db(db_path)
    t = go_time(ago(hours=5))
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)", (top(repo), t, t))
    conn.execute("INSERT INTO sessions VALUES (1, 1, 'feature/a', '', '', 'paused', ?, ?, NULL, ?, 'feature')",
                 (t, go_time(ago(hours=4)), 3600 * NS))
    conn.execute("INSERT INTO sessions VALUES (2, 1, 'feature/b', '', '', 'paused', ?, ?, NULL, ?, 'feature')",
                 (go_time(ago(hours=3)), go_time(ago(hours=2)), 60 * NS))
    conn.close()
    session = json.loads(sess("status", "--json", check=0).out)["session"]
    assert session["id"] == 2
    old, new = sessions(db_path)
    assert old["state"] == "ended" and old["total_elapsed"] == 3600 * NS and old["end_time"]
    assert new["state"] == "paused"


def test_go_times_in_other_zones_and_forms(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    start = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
    conn = make_go_db(db_path, v04=True)
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, '2026-01-15T12:00:00Z', "
                 "'2026-01-15 12:00:00.5-05:00', 'main', 1)", (top(repo),))
    conn.execute("INSERT INTO sessions (project_id, branch, issue_id, state, start_time, pause_time,"
                 " total_elapsed, branch_type) VALUES (1, 'feature/x', NULL, 'paused', ?, ?, 30000000000, NULL)",
                 ("2026-01-15 07:00:00.000000001 -0500 EST m=+0.000000001", "2026-01-15T18:30:00+05:30"))
    conn.close()
    status = json.loads(sess("status", "--json", check=0).out)
    session = status["session"]
    assert iso_with_offset(session["started_at"]) == start
    assert iso_with_offset(session["paused_at"]) == datetime(2026, 1, 15, 13, 0, tzinfo=UTC)
    assert session["elapsed_seconds"] == 30 and session["issue"] is None and session["branch_type"] is None
    lines = sess("status", check=0).out.splitlines()
    assert lines[0] == "On branch main" and lines[1] == "Session paused · 30s"


# --- files that are not a sess database ---------------------------------------------------

GARBAGE = {
    "text": b"this is not a database\n" * 50,
    "binary": bytes(range(256)) * 16,
    "sqlite-header": b"SQLite format 3\x00" + b"\xff" * 4000,
}


@pytest.mark.parametrize("kind", sorted(GARBAGE))
@pytest.mark.parametrize("args", [["status"], ["status", "--json"], ["start", "x", "--no-issue"], ["pause"],
                                  ["projects"], ["resume"]])
def test_garbage_file_is_reported_never_overwritten(sess: SessRunner, repo: Repo, db_path: Path,
                                                    kind: str, args: list[str]) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.write_bytes(GARBAGE[kind])
    before = sorted(p.name for p in db_path.parent.iterdir())
    result = sess(*args)
    assert result.code == 1, result
    assert result.err.startswith("Error: ") and str(db_path) in result.err.splitlines()[0], result
    assert "Traceback" not in result.err and result.out == ""
    assert db_path.read_bytes() == GARBAGE[kind]
    assert sorted(p.name for p in db_path.parent.iterdir() if not p.name.startswith("crash")) == before
    assert repo.current_branch() == "main"


def test_database_path_is_a_directory(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    db_path.mkdir(parents=True)
    result = sess("start", "x", "--no-issue")
    assert result.code == 1 and result.err.startswith("Error: ") and "Traceback" not in result.err, result
    assert db_path.is_dir() and repo.current_branch() == "main"


def test_unwritable_state_dir(sess: SessRunner, repo: Repo, tmp_path: Path, env: dict[str, str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    env["SESS_HOME"] = str(locked / "state")
    result = sess("start", "x", "--no-issue")
    assert result.code == 1 and result.err.startswith("Error: ") and "Traceback" not in result.err


def test_empty_file_becomes_a_database(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o700)
    db_path.touch(mode=0o600)
    sess("start", "x", "--no-issue", check=0)
    assert len(open_sessions(db_path)) == 1


# --- locking and concurrency --------------------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def hold_lock(db_path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db_path), str(seconds)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.parametrize("args", [["pause"], ["start", "y", "--no-issue"]])
def test_writer_waits_for_a_database_locked_by_another_process(sess: SessRunner, repo: Repo, db_path: Path,
                                                               args: list[str]) -> None:
    sess("start", "x", "--no-issue", check=0)
    if args[0] == "start":
        execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL")
        repo.git("checkout", "-q", "main")
    holder = hold_lock(db_path, 3)
    began = time.monotonic()
    result = sess(*args, timeout=60)
    waited = time.monotonic() - began
    assert holder.wait(timeout=30) == 0
    assert result.code == 0, result
    no_lock_errors(result)
    assert waited >= 2.0, f"sess did not wait for the lock ({waited:.1f}s)"
    assert len(open_sessions(db_path)) == 1


def test_go_database_locked_while_sess_migrates(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    """Rollback journal (as the Go tool leaves it): even reads wait for the lock."""
    conn = make_go_db(db_path)
    t = go_time(ago(hours=1))
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)", (top(repo), t, t))
    conn.execute("INSERT INTO sessions VALUES (1, 1, 'feature/a', '', '', 'paused', ?, ?, NULL, ?, 'feature')",
                 (t, t, 90 * NS))
    conn.close()
    holder = hold_lock(db_path, 3)
    began = time.monotonic()
    result = sess("status", "--json", timeout=60)
    waited = time.monotonic() - began
    assert holder.wait(timeout=30) == 0
    assert result.code == 0, result
    no_lock_errors(result)
    assert waited >= 2.0
    assert json.loads(result.out)["session"]["elapsed_seconds"] == 90
    assert len(rows(db_path, "SELECT * FROM schema_migrations")) == len(MIGRATIONS)


def test_parallel_first_opens_migrate_once(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    procs = [sess.start("pause") for _ in range(8)]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 1 and err.startswith("Error: not a tracked project"), (code, out, err)
    assert [r["name"] for r in rows(db_path, "SELECT name FROM schema_migrations ORDER BY rowid")] == [
        name for name, _ in MIGRATIONS]


def test_readers_and_writers_in_parallel(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    mix = ["pause", "resume", "status", "status --json", "projects --json", "pause", "resume", "projects",
           "pause", "resume", "status", "pause", "resume", "status --json"]
    procs = [(args, sess.start(*args.split())) for args in mix]
    outcomes: list[tuple[str, int, str, str]] = []
    for args, proc in procs:
        out, err = proc.communicate(timeout=90)
        outcomes.append((args, proc.returncode, out, err))
    for args, code, out, err in outcomes:
        assert "database is locked" not in err and "Traceback" not in err and "unexpected" not in err, (args, err)
        if args.split()[0] in ("status", "projects"):
            assert code == 0, (args, err)
            if "--json" in args:
                json.loads(out)
        else:
            assert code == 0 or "already" in err, (args, code, err)
    paused = sum(1 for a, c, _, _ in outcomes if a == "pause" and c == 0)
    resumed = sum(1 for a, c, _, _ in outcomes if a == "resume" and c == 0)
    assert paused - resumed in (0, 1)  # the transitions alternated
    (session,) = open_sessions(db_path)
    pieces = slices(db_path, session["id"])
    assert len(pieces) == 1 + resumed
    open_pieces = [p for p in pieces if p["end_time"] is None]
    if paused == resumed:
        assert session["state"] == "active" and len(open_pieces) == 1
    else:
        assert session["state"] == "paused" and open_pieces == []
    closed = sum(p["end_epoch"] - p["start_epoch"] for p in pieces if p["end_time"] is not None)
    assert session["total_elapsed"] == pytest.approx(closed * NS, abs=NS // 100)


def test_transactions_leave_nothing_behind(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    conn = connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_timestamps_written_with_the_local_offset(sess: SessRunner, repo: Repo, db_path: Path,
                                                  env: dict[str, str]) -> None:
    env["TZ"] = "Asia/Kolkata"
    sess("start", "x", "--no-issue", check=0)
    (session,) = sessions(db_path)
    assert session["start_time"].endswith("+05:30")
    moment = datetime.fromisoformat(session["start_time"])
    assert abs((moment - datetime.now(UTC)).total_seconds()) < 60
    started_at = json.loads(sess("status", "--json", check=0).out)["session"]["started_at"]
    assert started_at.endswith("+05:30")


def test_a_lock_that_outlasts_the_busy_timeout_is_reported(sess: SessRunner, repo: Repo, db_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process with a short busy timeout: a clear StoreError, never 'not a database' or a crash."""
    from sess.errors import StoreError
    from sess.store import core as store_module  # where Store.open reads the timeout

    sess("start", "x", "--no-issue", check=0)
    monkeypatch.setenv("SESS_HOME", str(db_path.parent))
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    holder = hold_lock(db_path, 1)
    try:
        store = store_module.Store.open()
        assert store is not None
        assert store.status(top(repo))[1] is not None  # WAL: reading still works
        with pytest.raises(StoreError, match="locked by another process"), store.transaction():
            pass
        store.close()
    finally:
        holder.wait(timeout=30)


def test_go_database_locked_past_the_busy_timeout(repo: Repo, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sess.errors import StoreError
    from sess.store import core as store_module  # where Store.open reads the timeout

    make_go_db(db_path).close()
    monkeypatch.setenv("SESS_HOME", str(db_path.parent))
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    holder = hold_lock(db_path, 1)
    try:
        with pytest.raises(StoreError) as caught:
            store_module.Store.open()
        assert "locked by another process" in caught.value.message
        assert "Move the file aside" not in (caught.value.hint or "")
    finally:
        holder.wait(timeout=30)
    store = store_module.Store.open()  # once free, it migrates
    assert store is not None
    store.close()
    assert len(rows(db_path, "SELECT * FROM schema_migrations")) == len(MIGRATIONS)


def test_the_database_file_alone_holds_the_history_after_each_command(sess: SessRunner, repo: Repo, db_path: Path,
                                                                      tmp_path: Path) -> None:
    """sess leaves its process without the interpreter's teardown (cli.main_and_exit), but still
    closes the database, which folds SQLite's write-ahead log back into sess.db: a copy of that
    one file (a backup, the Go tool on another machine) has everything."""
    import shutil

    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    assert not db_path.with_name("sess.db-wal").exists()
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_path, copy)
    assert [(s["branch"], s["state"]) for s in sessions(copy)] == [("feature/x", "paused")]
