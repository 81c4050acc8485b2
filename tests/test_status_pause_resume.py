"""`sess status`, `sess pause`, `sess resume`: their text, their JSON, and failing closed."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dbhelp import ago, execute, open_sessions, rows, sessions, slices, stamp

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, Result, SessRunner

NS = 1_000_000_000
SESSION_KEYS = {"id", "project", "branch", "branch_type", "state", "issue", "started_at", "paused_at",
                "ended_at", "elapsed_seconds", "pr"}


def assert_failed(result: Result, *needles: str) -> None:
    assert result.code == 1, result
    assert result.err.startswith("Error: "), result
    for needle in needles:
        assert needle in result.err, result
    assert "Traceback" not in result.err and result.out == "", result


def start_with_issue(sess: SessRunner, gh: FakeGh, title: str = "Add OAuth2 authentication support") -> None:
    gh.add_issue(123, title)
    sess("start", "add-oauth", "--issue", "123", check=0)


def backdate(db_path: Path, *, started: timedelta, elapsed: timedelta, paused: timedelta | None = None) -> None:
    """Rewrite the open session's times: started `started` ago, `elapsed` worked so far."""
    if paused is None:
        execute(db_path, "UPDATE sessions SET start_time = ?, current_slice_start = ?, total_elapsed = 0 "
                         "WHERE state = 'active'", (stamp(ago() - started), stamp(ago() - elapsed)))
    else:
        execute(db_path, "UPDATE sessions SET start_time = ?, pause_time = ?, total_elapsed = ? "
                         "WHERE state = 'paused'",
                (stamp(ago() - started), stamp(ago() - paused), int(elapsed.total_seconds()) * NS))


def hours_ago_text(delta: timedelta) -> str:
    """What sess says for a moment `delta` ago (TZ=UTC in the test environment)."""
    now = datetime.now(UTC)
    if (now - delta).date() != now.date():
        return "yesterday"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''} ago"


def check_session_json(session: dict[str, Any], repo: Repo) -> None:
    assert set(session) >= SESSION_KEYS
    assert session["project"] == {"name": "widgets", "path": repo.git("rev-parse", "--show-toplevel")}
    assert isinstance(session["id"], int) and isinstance(session["elapsed_seconds"], int)
    for key in ("started_at", "paused_at", "ended_at"):
        if session[key] is not None:
            assert datetime.fromisoformat(session[key]).utcoffset() is not None, session[key]
            assert re.search(r"[+-]\d\d:\d\d$", session[key])


# --- status ---------------------------------------------------------------------------------

def test_status_untracked_repository(sess: SessRunner, repo: Repo) -> None:
    result = sess("status", check=0)
    assert result.out == "Not a tracked project\n"
    assert "sess start" in result.err and "Error" not in result.err
    assert json.loads(sess("status", "--json", check=0).out) == {
        "project": None, "session": None, "end_in_progress": None, "open_sessions": []}


def test_status_idle(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    execute(db_path, "UPDATE sessions SET state = 'ended', end_time = start_time, current_slice_start = NULL")
    repo.git("checkout", "-q", "main")
    assert sess("status", check=0).out.splitlines() == ["On branch main", "No active session"]
    document = json.loads(sess("status", "--json", check=0).out)
    assert document["project"] == {"name": "widgets", "path": repo.git("rev-parse", "--show-toplevel"),
                                   "base_branch": "main"}
    assert document["session"] is None


def test_status_active_with_issue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start_with_issue(sess, gh)
    backdate(db_path, started=timedelta(hours=2, minutes=40), elapsed=timedelta(hours=2, minutes=34, seconds=10))
    result = sess("status", check=0)
    assert result.out.splitlines() == [
        "On branch feature/add-oauth (feature)",
        "Session active · 2h34m · #123",
        f"Started {hours_ago_text(timedelta(hours=2, minutes=40))}",
        "",
        "  Add OAuth2 authentication support",
    ]
    assert result.err == ""


def test_status_paused(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start_with_issue(sess, gh)
    sess("pause", check=0)
    backdate(db_path, started=timedelta(hours=3, minutes=1), elapsed=timedelta(hours=1, minutes=2, seconds=3),
             paused=timedelta(minutes=5, seconds=10))
    assert sess("status", check=0).out.splitlines()[:3] == [
        "On branch feature/add-oauth (feature)",
        "Session paused · 1h2m · #123",
        f"Started {hours_ago_text(timedelta(hours=3, minutes=1))}, paused 5 minutes ago",
    ]


def test_status_without_issue_and_short_times(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    backdate(db_path, started=timedelta(minutes=45, seconds=30), elapsed=timedelta(minutes=45, seconds=12))
    lines = sess("status", check=0).out.splitlines()
    assert lines[0] == "On branch feature/x (feature)"
    assert re.fullmatch(r"Session active · 45m1[2-5]s", lines[1]), lines
    assert lines[2:] == ["Started 45 minutes ago"]


def test_status_json_active(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start_with_issue(sess, gh)
    backdate(db_path, started=timedelta(hours=1), elapsed=timedelta(minutes=30))
    document = json.loads(sess("status", "--json", check=0).out)
    assert document["project"]["base_branch"] == "main"
    session = document["session"]
    check_session_json(session, repo)
    assert session["state"] == "active" and session["branch"] == "feature/add-oauth"
    assert session["branch_type"] == "feature"
    assert {k: session["issue"][k] for k in ("id", "title")} == \
        {"id": "123", "title": "Add OAuth2 authentication support"}
    assert session["issue"]["tracker"] == "github"
    assert isinstance(session["issue"]["id"], str)
    assert session["paused_at"] is None and session["ended_at"] is None and session["pr"] is None
    assert 1800 <= session["elapsed_seconds"] < 1830
    assert document["end_in_progress"] is None


def test_status_json_paused(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    session = json.loads(sess("status", "--json", check=0).out)["session"]
    check_session_json(session, repo)
    assert session["state"] == "paused" and session["issue"] is None
    assert datetime.fromisoformat(session["paused_at"]) >= datetime.fromisoformat(session["started_at"])
    first = session["elapsed_seconds"]
    assert json.loads(sess("status", "--json", check=0).out)["session"]["elapsed_seconds"] == first  # frozen


def test_status_on_another_branch(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.git("checkout", "-q", "main")
    lines = sess("status", check=0).out.splitlines()
    assert lines[0] == "On branch main"
    assert "Session branch feature/x (feature) is not checked out" in lines


def test_status_detached_head(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL")
    repo.git("checkout", "-q", "--detach", "main")
    assert sess("status", check=0).out.splitlines() == ["HEAD detached", "No active session"]


def test_status_from_a_subdirectory(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    sub = repo.path / "deep" / "down"
    sub.mkdir(parents=True)
    assert sess("status", cwd=sub, check=0).out.startswith("On branch feature/x (feature)\n")


def test_status_in_another_repository(sess: SessRunner, repo: Repo, repo_no_remote: Repo) -> None:
    sess("start", "--no-issue", "x", cwd=repo.path, check=0)
    assert sess("status", cwd=repo_no_remote.path, check=0).out == "Not a tracked project\n"


def test_status_shows_an_interrupted_end(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    (session,) = sessions(db_path)
    execute(db_path, "INSERT INTO end_journal (session_id, step, status, data, error, updated_at) "
                     "VALUES (?, 'rebase', 'failed', '{}', 'CONFLICT (content): Merge conflict in README', ?)",
            (session["id"], stamp(datetime.now(UTC))))
    out = sess("status", check=0).out
    assert "rebase" in out and "sess end --continue" in out and "sess end --abort" in out
    document = json.loads(sess("status", "--json", check=0).out)
    assert document["end_in_progress"]["step"] == "rebase"
    sess("pause", check=0)
    assert_failed(sess("resume"), "unfinished", "sess end --continue")
    assert open_sessions(db_path)[0]["state"] == "paused"


# --- pause ----------------------------------------------------------------------------------

def test_pause(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start_with_issue(sess, gh)
    backdate(db_path, started=timedelta(minutes=20), elapsed=timedelta(minutes=10))
    result = sess("pause", check=0)
    lines = result.out.splitlines()
    assert lines[:2] == ["Paused session on feature/add-oauth (feature)",
                         "Issue #123 · Add OAuth2 authentication support"]
    assert re.fullmatch(r"Total elapsed: 10m[0-5]s", lines[2]), lines
    assert len(lines) == 3
    (session,) = sessions(db_path)
    assert session["state"] == "paused" and session["current_slice_start"] is None
    assert 600 * NS <= session["total_elapsed"] < 606 * NS
    assert session["pause_time"] is not None
    assert repo.current_branch() == "feature/add-oauth"  # pausing leaves git alone


def test_pause_without_issue(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    lines = sess("pause", check=0).out.splitlines()
    assert lines[0] == "Paused session on feature/x (feature)"
    assert re.fullmatch(r"Total elapsed: \d+s", lines[1]) and len(lines) == 2


def test_pause_twice(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    before = sessions(db_path)
    result = sess("pause")
    assert_failed(result, "already paused")
    assert "sess resume" in result.err
    assert sessions(db_path) == before


def test_pause_without_a_session(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    assert_failed(sess("pause"), "not a tracked project")
    sess("start", "--no-issue", "x", check=0)
    execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL")
    assert_failed(sess("pause"), "no active session")


def test_pause_from_another_branch(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.git("checkout", "-q", "main")
    sess("pause", check=0)
    assert repo.current_branch() == "main" and open_sessions(db_path)[0]["state"] == "paused"


# --- resume ---------------------------------------------------------------------------------

def test_resume_on_the_session_branch(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start_with_issue(sess, gh)
    sess("pause", check=0)
    before = sessions(db_path)[0]["total_elapsed"]
    lines = sess("resume", check=0).out.splitlines()
    assert lines[0] == "On branch feature/add-oauth (feature)"
    assert re.fullmatch(r"Session active · \d+s · #123", lines[1]), lines
    assert lines[2:] == ["", "  Add OAuth2 authentication support"]
    (session,) = sessions(db_path)
    assert session["state"] == "active" and session["pause_time"] is None
    assert session["current_slice_start"] is not None and session["total_elapsed"] == before
    assert len(slices(db_path, session["id"])) == 2


def test_resume_from_another_branch_checks_out_the_session_branch(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    lines = sess("resume", check=0).out.splitlines()
    assert lines[:2] == ["Switched to branch 'feature/x'", "On branch feature/x (feature)"]
    assert repo.current_branch() == "feature/x"


def test_resume_carries_harmless_changes_like_git_checkout(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    repo.write("scratch.txt", "notes\n")
    sess("resume", check=0)
    assert repo.current_branch() == "feature/x" and (repo.path / "scratch.txt").read_text() == "notes\n"


def test_resume_fails_closed_when_checkout_fails(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.commit("README", "changed on the session branch\n", "Session work")
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    repo.write("README", "uncommitted change on main\n")
    before = sessions(db_path)
    result = sess("resume")
    assert_failed(result, "cannot check out feature/x", "stays paused", "checkout: README")  # names the file
    assert repo.current_branch() == "main"
    assert (repo.path / "README").read_text() == "uncommitted change on main\n"
    assert sessions(db_path) == before
    assert len(slices(db_path, before[0]["id"])) == 1


def test_resume_fails_closed_when_the_branch_is_gone(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "feature/x")
    assert_failed(sess("resume"), "feature/x")
    assert open_sessions(db_path)[0]["state"] == "paused" and repo.current_branch() == "main"


def test_resume_when_active(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.git("checkout", "-q", "main")
    before = sessions(db_path)
    assert_failed(sess("resume"), "already active")
    assert sessions(db_path) == before and repo.current_branch() == "main"  # no checkout either


def test_resume_without_a_session(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    assert_failed(sess("resume"), "not a tracked project")
    sess("start", "--no-issue", "x", check=0)
    execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL")
    assert_failed(sess("resume"), "no paused session")


@pytest.mark.parametrize("cycles", [3])
def test_time_adds_up_over_pauses(sess: SessRunner, repo: Repo, db_path: Path, cycles: int) -> None:
    sess("start", "--no-issue", "x", check=0)
    for _ in range(cycles):
        sess("pause", check=0)
        sess("resume", check=0)
    sess("pause", check=0)
    (session,) = sessions(db_path)
    pieces = slices(db_path, session["id"])
    assert len(pieces) == cycles + 1 and all(p["end_time"] for p in pieces)
    closed = sum(p["end_epoch"] - p["start_epoch"] for p in pieces)
    assert session["total_elapsed"] == pytest.approx(closed * NS, abs=NS // 1000)
    started = datetime.fromisoformat(session["start_time"]).timestamp()
    assert session["total_elapsed"] <= (pieces[-1]["end_epoch"] - started) * NS + NS // 1000
    assert rows(db_path, "SELECT COUNT(*) AS n FROM sessions")[0]["n"] == 1


def test_issue_without_a_title(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    """The Go tool could store an issue id with an empty title."""
    sess("start", "--no-issue", "x", check=0)
    execute(db_path, "UPDATE sessions SET issue_id = '12', issue_title = ''")
    lines = sess("pause", check=0).out.splitlines()
    assert lines[1] == "Issue #12", lines
    status = sess("status", check=0).out
    assert "None" not in status and status.splitlines()[1].endswith(" · #12")
    session = json.loads(sess("status", "--json", check=0).out)["session"]
    assert {k: session["issue"][k] for k in ("id", "title")} == {"id": "12", "title": ""}
    assert session["issue"]["tracker"] == "github"
    assert "None" not in sess("resume", check=0).out


def test_control_characters_in_a_title_never_reach_the_terminal(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    title = "Fix \x1b[2J\x1b[31mlogin\x07 now"
    start_with_issue(sess, gh, title)
    for command in (("status",), ("pause",), ("resume",), ("history",)):
        out = sess(*command, check=0).out
        assert "\x1b" not in out and "\x07" not in out, (command, out)
    assert "Fix \\x1b[2J\\x1b[31mlogin\\x07 now" in sess("status", check=0).out
    # JSON keeps the title as it is; json escapes the control characters itself.
    raw = sess("status", "--json", check=0).out
    assert "\x1b" not in raw and json.loads(raw)["session"]["issue"]["title"] == title
