"""`sess cancel` and `sess undo` (SPEC Part 2, "Time you can correct")."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conftest import refused
from dbhelp import rows, session_row, sessions, slices

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

NS = 1_000_000_000


def branches(repo: Repo) -> list[str]:
    return repo.git("branch", "--format=%(refname:short)").split()


def state(db_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return sessions(db_path), rows(db_path, "SELECT * FROM session_slices ORDER BY id")


# --- cancel ---------------------------------------------------------------------------------------

def test_cancel_keeps_the_time_and_shows_cancelled(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "1h", check=0)
    result = sess("cancel", check=0)
    assert result.out.startswith("Cancelled session on feature/x (feature) · 1h0m")
    assert repo.current_branch() == "main" and "feature/x" in branches(repo)
    data = session_row(db_path)
    assert data["state"] == "ended" and data["outcome"] == "cancelled" and data["pr_url"] is None
    assert abs(data["total_elapsed"] / NS - 3600) < 10 and data["current_slice_start"] is None
    history = sess("history", check=0).out
    assert "feature/x (feature) · cancelled · 1h0m" in history
    assert json.loads(sess("history", "--json", check=0).out)["sessions"][0]["outcome"] == "cancelled"
    stats = json.loads(sess("stats", "--json", check=0).out)
    assert stats["by_state"]["ended"] == 1 and stats["by_outcome"] == {"ended": 0, "cancelled": 1}
    sess("start", "--no-issue", "y", check=0)
    sess("end", "--no-pr", check=0)
    stats = json.loads(sess("stats", "--all", "--json", check=0).out)
    assert stats["by_outcome"] == {"ended": 1, "cancelled": 1}
    assert "1 ended · 1 cancelled" in sess("stats", check=0).out
    # No push, no PR: origin never saw the branch.
    assert repo.git("ls-remote", "--heads", "origin", "feature/x") == ""


def test_cancel_with_the_branch_deleted(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "gone", check=0)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "feature/gone")
    result = sess("cancel", "--delete-branch", check=0)
    assert "already gone" in result.out
    assert session_row(db_path)["outcome"] == "cancelled" and repo.current_branch() == "main"


def test_cancel_delete_branch_keeps_local_only_commits(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "work", check=0)
    repo.commit("f.txt", "1\n", "local only")
    result = sess("cancel", "--delete-branch", check=0)
    assert "Kept branch feature/work: 1 commit on it is not on origin" in result.out
    assert "feature/work" in branches(repo)
    # A branch whose commits are all on origin goes.
    sess("start", "--no-issue", "pushed", check=0)
    repo.commit("g.txt", "1\n", "pushed")
    repo.git("push", "-q", "origin", "feature/pushed")
    result = sess("cancel", "--delete-branch", check=0)
    assert "Deleted branch feature/pushed" in result.out and "feature/pushed" not in branches(repo)


def test_cancel_with_a_dirty_tree(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "dirty", check=0)
    repo.write("wip.txt", "wip\n")
    before = state(db_path)
    refused(sess("cancel"), "--dirty", code=2)
    assert state(db_path) == before and repo.current_branch() == "feature/dirty"
    refused(sess("cancel", "--dirty", "commit"), "--message", code=2)
    assert state(db_path) == before
    result = sess("cancel", "--dirty", "stash", check=0)
    assert "stashed" in result.out and not repo.is_dirty() and repo.current_branch() == "main"
    assert "sess: cancel feature/dirty" in repo.git("stash", "list")
    sess("start", "--no-issue", "dirty2", check=0)
    repo.write("wip2.txt", "wip\n")
    sess("cancel", "--dirty", "commit", "-m", "keep this", check=0)
    assert repo.git("log", "-1", "--format=%s", "feature/dirty2") == "keep this"
    assert repo.current_branch() == "main" and not (repo.path / "wip2.txt").exists()


def test_cancel_refuses_without_a_session(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("cancel", check=0)
    refused(sess("cancel"), "no active session", code=1)


# --- undo -----------------------------------------------------------------------------------------

def test_undo_start_restores_branch_and_stash(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("wip.txt", "mine\n")
    sess("start", "--no-issue", "x", "--dirty", "stash", check=0)
    assert repo.current_branch() == "feature/x" and not repo.is_dirty()
    result = sess("undo", check=0)
    assert "Undid the start of feature/x" in result.out and "Deleted branch feature/x" in result.out
    assert repo.current_branch() == "topic" and (repo.path / "wip.txt").read_text() == "mine\n"
    assert repo.git("stash", "list") == "" and "feature/x" not in branches(repo)
    assert sessions(db_path) == []
    refused(sess("undo"), "nothing to undo", code=1)


def test_undo_start_keeps_a_branch_with_commits(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.commit("f.txt", "1\n", "work")
    result = sess("undo", check=0)
    assert "Kept branch feature/x: it has 1 new commit" in result.out
    assert "feature/x" in branches(repo) and repo.current_branch() == "main" and sessions(db_path) == []


def test_undo_never_drops_a_stash_it_did_not_make(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.write("other.txt", "theirs\n")
    repo.git("stash", "push", "-q", "--include-untracked", "-m", "the user's own")
    sess("start", "--no-issue", "x", check=0)
    sess("undo", check=0)
    assert "the user's own" in repo.git("stash", "list")


def test_undo_pause_resume_amend_cancel_in_a_chain(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "3h", check=0)
    sess("pause", "--at", "2h", check=0)
    after_pause = state(db_path)
    sess("resume", "--at", "1h", check=0)
    after_resume = state(db_path)
    sess("amend", "@2", "--start", "2h30m", check=0)
    after_amend = state(db_path)
    sess("cancel", check=0)
    listing = json.loads(sess("undo", "--list", "--json", check=0).out)["entries"]
    assert [entry["action"] for entry in listing] == ["cancel", "amend", "resume", "pause", "start"]
    assert "cancel of feature/x" in sess("undo", "--list", check=0).out

    result = sess("undo", check=0)
    assert "Undid the cancel of feature/x" in result.out
    data = session_row(db_path)
    assert data["state"] == "paused" and data["outcome"] is None and data["end_time"] is None
    assert abs(data["total_elapsed"] / NS - 3600 * 1.5) < 30
    # On from there, each undo puts back the state before that change, exactly.
    assert "Undid amend @2 of feature/x" in sess("undo", check=0).out
    assert state(db_path) == after_resume
    assert "Undid the resume of feature/x" in sess("undo", check=0).out
    assert state(db_path) == after_pause
    assert "Undid the pause of feature/x" in sess("undo", check=0).out
    data = session_row(db_path)
    assert data["state"] == "active" and data["pause_time"] is None and len(slices(db_path, 1)) == 1
    assert "Undid the start of feature/x" in sess("undo", check=0).out
    assert sessions(db_path) == [] and repo.current_branch() == "main"
    assert after_amend != after_resume


def test_undo_walks_back_each_kind_exactly(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "3h", check=0)
    started = state(db_path)
    sess("pause", "--at", "2h", check=0)
    paused = state(db_path)
    sess("resume", "--at", "1h", check=0)
    resumed = state(db_path)
    sess("amend", "@2", "--start", "2h30m", check=0)
    sess("undo", check=0)
    assert state(db_path) == resumed
    sess("undo", check=0)
    assert state(db_path) == paused
    sess("undo", check=0)
    assert state(db_path) == started


def test_undo_is_refused_after_an_end(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.commit("f.txt", "1\n", "work")
    sess("end", "--no-pr", check=0)
    before = state(db_path)
    refused(sess("undo"), "cannot be undone", "pushed", code=1)
    assert state(db_path) == before
    listing = sess("undo", "--list", check=0).out
    assert "cannot be undone" in listing.splitlines()[1]


def test_undo_twenty_deep(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "5h", check=0)
    for minutes in range(280, 30, -24):  # 11 pauses and resumes, 22 changes
        sess("pause", "--at", f"{minutes}m", check=0)
        sess("resume", "--at", f"{minutes - 12}m", check=0)
    assert len(json.loads(sess("undo", "--list", "--json", check=0).out)["entries"]) == 23
    for _ in range(22):
        sess("undo", check=0)
    assert len(slices(db_path, 1)) == 1 and session_row(db_path)["state"] == "active"
    sess("undo", check=0)
    assert sessions(db_path) == []
