"""Several sessions at once (SPEC Part 3): park, switch, --session, worktrees, path; real git,
linked worktrees on disk."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import SessRunner, refused
from dbhelp import connect, execute, open_sessions, rows, session_row, slices

if TYPE_CHECKING:
    from conftest import FakeGh, Repo


def stash_list(repo: Repo) -> list[str]:
    return [line for line in repo.git("stash", "list", "--format=%H %s").splitlines() if line]


def two_sessions(sess: SessRunner, repo: Repo) -> None:
    """feature/a with uncommitted work (a tracked edit, a new file) parked; bugfix/b running."""
    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "widgets, edited on a\n")
    repo.write("notes.txt", "new on a\n")
    result = sess("start", "b", "--no-issue", "--type", "bugfix", "--park", check=0)
    assert result.out.splitlines()[:2] == [
        f"Parked your changes with feature/a ({session_row_parked(sess, 1)[:7]})",
        "Stopped the clock of feature/a (feature) (one clock per project)"]


def session_row_parked(sess: SessRunner, session_id: int) -> str:
    db = Path(sess.env["SESS_HOME"]) / "sess.db"
    return str(session_row(db, session_id)["parked_stash"])


def handed_over_at_one_instant(db_path: Path, stopped: int, started: int) -> None:
    """The clock that stopped ended exactly where the other one began: no gap, no overlap."""
    last_stopped = slices(db_path, stopped)[-1]
    first_started = [s for s in slices(db_path, started) if s["end_time"] is None][0]
    assert last_stopped["end_epoch"] == first_started["start_epoch"]
    assert last_stopped["end_time"] == first_started["start_time"]


# --- park, switch -------------------------------------------------------------------------------

def test_park_then_switch_back_and_forth(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    two_sessions(sess, repo)
    assert repo.current_branch() == "bugfix/b" and not repo.is_dirty()
    a, b = session_row(db_path, 1), session_row(db_path, 2)
    assert (a["state"], b["state"]) == ("paused", "active")
    (entry,) = stash_list(repo)
    assert entry == f"{a['parked_stash']} On feature/a: sess: parked feature/a (session 1)"
    handed_over_at_one_instant(db_path, 1, 2)

    status = sess("status", check=0).out.splitlines()
    assert status[:2] == ["On branch bugfix/b (bugfix)", status[1]] and status[1].startswith("Session active")
    assert status[3].startswith("Also open: feature/a (paused · ") and status[3].endswith(" · parked changes)")
    document = json.loads(sess("status", "--json", check=0).out)
    assert [(s["branch"], s["parked"], s["worktree"]) for s in document["open_sessions"]] == [
        ("bugfix/b", False, None), ("feature/a", True, None)]
    projects = json.loads(sess("projects", "--json", check=0).out)["projects"]
    assert projects[0]["open_count"] == 2 and "· 2 open" in sess("projects", check=0).out

    repo.write("b.txt", "work on b\n")
    result = sess("switch", "feature/a", check=0)
    assert result.out.splitlines()[:4] == [
        f"Parked your changes with bugfix/b ({session_row(db_path, 2)['parked_stash'][:7]})",
        "Stopped the clock of bugfix/b (bugfix) (one clock per project)",
        "Switched to branch 'feature/a'", "On branch feature/a (feature)"]
    assert "Your parked changes are back" in result.out
    assert repo.current_branch() == "feature/a"
    assert (repo.path / "README").read_text() == "widgets, edited on a\n"
    assert (repo.path / "notes.txt").read_text() == "new on a\n" and not (repo.path / "b.txt").exists()
    assert session_row(db_path, 1)["parked_stash"] is None and session_row(db_path, 1)["state"] == "active"
    assert [line.split(" ", 1)[1] for line in stash_list(repo)] == ["On bugfix/b: sess: parked bugfix/b (session 2)"]
    handed_over_at_one_instant(db_path, 2, 1)

    sess("switch", "--base", check=0)
    assert repo.current_branch() == "main" and not repo.is_dirty()
    assert [s["state"] for s in open_sessions(db_path)] == ["paused", "paused"]
    assert sess("status", check=0).out.splitlines()[:2] == ["On branch main", "No session here"]
    refused(sess("switch"), "which session?", "feature/a", "bugfix/b")
    sess("switch", "2", check=0)
    assert (repo.path / "b.txt").read_text() == "work on b\n" and repo.current_branch() == "bugfix/b"
    sess("switch", "feature/a", check=0)
    assert (repo.path / "notes.txt").exists() and stash_list(repo) == [stash_list(repo)[0]]
    assert "parked bugfix/b" in stash_list(repo)[0]


def test_parked_changes_found_by_id_after_other_stashes_and_a_hand_drop(sess: SessRunner, repo: Repo,
                                                                         db_path: Path) -> None:
    two_sessions(sess, repo)
    parked = session_row(db_path, 1)["parked_stash"]
    repo.write("mine.txt", "the user's own stash\n")
    repo.git("stash", "push", "-q", "-u", "-m", "my own")
    repo.git("stash", "drop", "-q", "stash@{1}")  # the parked entry, dropped by hand
    assert [line.split(" ", 1)[1] for line in stash_list(repo)] == ["On bugfix/b: my own"]
    sess("switch", "feature/a", check=0)
    assert (repo.path / "notes.txt").read_text() == "new on a\n"
    assert repo.git("diff", "--quiet", parked, "--", check=False) == ""
    assert [line.split(" ", 1)[1] for line in stash_list(repo)] == ["On bugfix/b: my own"]  # theirs untouched


def test_switch_fails_closed_when_the_parked_changes_conflict(sess: SessRunner, repo: Repo,
                                                              db_path: Path) -> None:
    two_sessions(sess, repo)
    # feature/a moves on meanwhile (a commit made elsewhere): its parked README edit now conflicts.
    elsewhere = repo.path.parent / "elsewhere"
    repo.git("worktree", "add", "-q", str(elsewhere), "feature/a")
    (elsewhere / "README").write_text("widgets, changed another way\n")
    subprocess.run(["git", "commit", "-qam", "elsewhere"], cwd=elsewhere, env=repo.env, check=True)
    repo.git("worktree", "remove", str(elsewhere))
    repo.write("b.txt", "work on b\n")
    before = (session_row(db_path, 1), session_row(db_path, 2), slices(db_path, 2))
    result = sess("switch", "feature/a", check=1)
    refused(result, "parked changes of feature/a do not apply cleanly", code=1)
    assert repo.current_branch() == "bugfix/b"
    assert (repo.path / "b.txt").read_text() == "work on b\n" and not (repo.path / "notes.txt").exists()
    assert repo.git("status", "--porcelain") == "?? b.txt"
    assert (session_row(db_path, 1), session_row(db_path, 2), slices(db_path, 2)) == before  # clock included
    assert len(stash_list(repo)) == 1 and before[0]["parked_stash"] in stash_list(repo)[0]


def test_undo_of_start_park_brings_the_parked_session_back(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    two_sessions(sess, repo)
    result = sess("undo", check=0)
    assert "Re-applied your parked changes" in result.out
    assert repo.current_branch() == "feature/a"
    assert (repo.path / "notes.txt").read_text() == "new on a\n"
    assert stash_list(repo) == [] and "bugfix/b" not in repo.git("branch", "--list")
    (a,) = open_sessions(db_path)
    assert (a["branch"], a["state"], a["parked_stash"]) == ("feature/a", "active", None)


def test_cancel_of_a_parked_session_keeps_its_entry_and_this_work_tree(sess: SessRunner, repo: Repo,
                                                                       db_path: Path) -> None:
    two_sessions(sess, repo)
    repo.write("b.txt", "work on b\n")
    result = sess("cancel", "--session", "feature/a", check=0)
    assert "Its parked changes stay in the stash entry" in result.out
    assert repo.current_branch() == "bugfix/b" and (repo.path / "b.txt").exists()
    assert len(stash_list(repo)) == 1 and [s["branch"] for s in open_sessions(db_path)] == ["bugfix/b"]


# --- which session a command means -------------------------------------------------------------

def test_which_session_a_command_means(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "a", "--no-issue", check=0)
    sess("switch", "--base", check=0)
    sess("start", "b", "--no-issue", "--park", check=0)
    sess("switch", "--base", check=0)
    # On the base, two open sessions, neither checked out anywhere: which one is not clear.
    for command in (["pause"], ["resume"], ["log"], ["end", "--no-pr"], ["cancel"]):
        refused(sess(*command), "several sessions are open", "feature/a", "feature/b", "--session")
    assert sess("prompt", check=0).out == ""
    lines = sess("status", check=0).out.splitlines()
    assert lines[1] == "No session here" and lines[2].startswith("Also open: feature/b (paused · ")
    resumed = sess("resume", "--session", "feature/a", check=0)
    assert resumed.out.splitlines()[:2] == ["Switched to branch 'feature/a'", "On branch feature/a (feature)"]
    assert sess("prompt", check=0).out.startswith("feature/a ")
    sess("pause", check=0)  # the one checked out here
    assert session_row(db_path, 1)["state"] == "paused"
    assert "session 2" in sess("log", "--session", "feature/b", check=0).out
    refused(sess("pause", "--session", "feature/nope"), "no open session feature/nope", code=1)


# --- worktrees ---------------------------------------------------------------------------------

def test_start_in_a_worktree_then_end_removes_it(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.commit(".gitignore", ".env\n", "ignore .env")
    repo.git("push", "-q", "origin", "main")
    repo.write(".env", "SECRET=1\n")
    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "unfinished on a\n")
    result = sess("start", "api", "--no-issue", "--worktree", check=0)
    path = repo.path.parent / "widgets.feature-api"
    assert result.out == f"{path}\n"  # only the path: cd "$(sess start api --worktree)"
    assert "Copied .env (worktree.copy)" in result.err and "Stopped the clock of feature/a" in result.err
    assert (path / ".env").read_text() == "SECRET=1\n"
    assert repo.current_branch() == "feature/a" and (repo.path / "README").read_text() == "unfinished on a\n"
    assert session_row(db_path, 2)["worktree"] == str(path)
    handed_over_at_one_instant(db_path, 1, 2)

    # From the main work tree the worktree's session is listed; from inside it, it is the one meant.
    main_status = json.loads(sess("status", "--json", check=0).out)
    assert main_status["session"]["branch"] == "feature/a"
    assert [s["worktree"] for s in main_status["open_sessions"]] == [str(path), None]
    assert sess("path", "feature/api", check=0).out == f"{path}\n"
    assert sess("path", check=0).out == f"{repo.path}\n"
    inside = sess("status", cwd=path, check=0).out.splitlines()
    assert inside[0] == "On branch feature/api (feature)" and inside[1].startswith("Session active")
    switched = sess("switch", "feature/api", check=0)
    assert switched.out == f"{path}\n"

    (path / "api.txt").write_text("the api\n")
    ended = sess("end", "--no-pr", "--message", "Add the api", cwd=path, check=0)
    lines = ended.out.splitlines()
    assert lines[-2:] == [f"Removed the worktree {path}", str(repo.path)]
    assert not path.exists() and "feature/api" in repo.git("ls-remote", "--heads", "origin")
    assert [s["branch"] for s in open_sessions(db_path)] == ["feature/a"]


def test_a_worktree_session_ends_while_the_main_work_tree_is_on_the_base(sess: SessRunner, repo: Repo,
                                                                         db_path: Path, gh: FakeGh) -> None:
    """The usual way to use --worktree: main stays checked out in the main work tree."""
    path = Path(sess("start", "api", "--no-issue", "--worktree", check=0).out.strip())
    assert repo.current_branch() == "main"
    main_before = repo.git("rev-parse", "main")
    repo.teammate_push("news.txt", "new\n", "Meanwhile on main")  # local main is behind at the end
    (path / "api.txt").write_text("the api\n")
    ended = sess("end", "--message", "Add the api", cwd=path, check=0)
    assert ended.out.splitlines()[-3:] == ["HEAD detached (main is checked out in another worktree)",
                                           f"Removed the worktree {path}", str(repo.path)], ended
    assert repo.git("rev-parse", "main") == main_before  # the main work tree's branch, not moved from there
    assert not path.exists() and "feature/api" in repo.git("ls-remote", "--heads", "origin")
    assert len(gh.prs()) == 1 and repo.current_branch() == "main"
    assert session_row(db_path, 1)["state"] == "ended"


def test_worktree_with_uncommitted_work_is_kept_and_one_deleted_by_hand_is_handled(
        sess: SessRunner, repo: Repo, db_path: Path) -> None:
    out = sess("start", "one", "--no-issue", "--worktree-path", "../one", check=0).out
    one = Path(out.strip())
    assert one == repo.path.parent / "one"
    refused(sess("start", "one-more", "--no-issue", "--worktree-path", "../one"), "already exists", code=1)
    (one / "left.txt").write_text("uncommitted\n")
    result = sess("cancel", "--session", "feature/one", check=0)  # from the main work tree: one is left as is
    assert f"Kept the worktree {one}: it has uncommitted changes" in result.out
    assert (one / "left.txt").exists() and str(repo.path) not in result.out.splitlines()[-1:]

    two = Path(sess("start", "two", "--no-issue", "--worktree", check=0).out.strip())
    shutil.rmtree(two)  # deleted by hand
    status = sess("status", "--session", "feature/two", check=0).out
    assert f"Its worktree {two} is gone" in status
    sess("cancel", "--session", "feature/two", check=0)
    assert "feature/two" not in repo.git("worktree", "list")
    assert open_sessions(db_path) == []


def test_an_earlier_per_worktree_project_is_merged(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    linked = repo.path.parent / "linked"
    repo.git("worktree", "add", "-q", "-b", "feature/old", str(linked))
    sess("start", "here", "--no-issue", check=0)
    conn = connect(db_path)
    with conn:  # as an earlier sess recorded it: the linked worktree as a project of its own
        conn.execute("INSERT INTO projects (name, path, created_at, last_used_at, base_branch) "
                     "VALUES ('linked', ?, '2026-01-01 10:00:00.000000+00:00', '2026-01-01 10:00:00.000000+00:00',"
                     " 'main')", (str(linked),))
        old = conn.execute("SELECT id FROM projects WHERE path = ?", (str(linked),)).fetchone()[0]
        conn.execute("INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time,"
                     " total_elapsed, branch_type) VALUES (?, 'feature/old', '', '', 'paused',"
                     " '2026-01-01 10:00:00.000000+00:00', 60000000000, 'feature')", (old,))
    conn.close()
    status = sess("status", cwd=linked, check=0).out.splitlines()
    assert status[0] == "On branch feature/old (feature)" and status[1].startswith("Session paused · 1m0s")
    assert [p["path"] for p in rows(db_path, "SELECT path FROM projects")] == [str(repo.path)]
    assert {s["branch"] for s in open_sessions(db_path)} == {"feature/here", "feature/old"}


# --- kill -9 in the middle of a switch ---------------------------------------------------------

SLOW_CHECKOUT = """#!/bin/sh
for arg in "$@"; do
  if [ "$arg" = checkout ]; then echo $$ > "{marker}"; sleep 30; fi
done
exec "{git}" "$@"
"""


@pytest.mark.slow
def test_kill_9_after_the_park_before_the_checkout(sess: SessRunner, repo: Repo, db_path: Path,
                                                   tmp_path: Path) -> None:
    two_sessions(sess, repo)
    repo.write("b.txt", "work on b\n")
    wrapper = tmp_path / "slowgit"
    wrapper.mkdir()
    marker = tmp_path / "checkout.pid"
    real = shutil.which("git", path=sess.env["PATH"])
    assert real is not None
    (wrapper / "git").write_text(SLOW_CHECKOUT.format(marker=marker, git=real))
    (wrapper / "git").chmod(0o755)
    slow = SessRunner({**sess.env, "PATH": f"{wrapper}{os.pathsep}{sess.env['PATH']}"}, lambda: repo.path)
    proc = slow.start("switch", "feature/a")
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    os.kill(int(marker.read_text()), signal.SIGTERM)  # the waiting wrapper: git never ran
    # Parked, not yet checked out: b's changes are in their entry, recorded with b; its clock runs.
    assert repo.current_branch() == "bugfix/b" and not repo.is_dirty()
    b = session_row(db_path, 2)
    assert b["parked_stash"] and b["state"] == "active"
    assert any(b["parked_stash"] in line for line in stash_list(repo))
    status = sess("status", check=0).out
    assert "Its parked changes are not back (an interrupted switch?): 'sess resume' brings them back" in status
    sess("switch", "feature/a", check=0)  # completes it
    assert repo.current_branch() == "feature/a" and (repo.path / "notes.txt").exists()
    assert (session_row(db_path, 1)["state"], session_row(db_path, 2)["state"]) == ("active", "paused")
    sess("switch", "bugfix/b", check=0)
    assert (repo.path / "b.txt").read_text() == "work on b\n"
    assert session_row(db_path, 2)["parked_stash"] is None


@pytest.mark.slow
def test_after_the_kill_resume_brings_the_parked_changes_back(sess: SessRunner, repo: Repo,
                                                              db_path: Path) -> None:
    two_sessions(sess, repo)
    repo.write("b.txt", "work on b\n")
    # The state a kill -9 right after the park leaves (the test above makes it for real).
    sha = repo.git("stash", "push", "-q", "-u", "-m", "sess: parked bugfix/b (session 2)") or \
        repo.git("rev-parse", "refs/stash")
    execute(db_path, "UPDATE sessions SET parked_stash = ? WHERE id = 2", (sha,))
    result = sess("resume", check=0)
    assert "Your parked changes are back" in result.out
    assert (repo.path / "b.txt").read_text() == "work on b\n" and session_row(db_path, 2)["parked_stash"] is None


# --- the choices on a terminal -----------------------------------------------------------------

def test_start_with_a_session_open_asks_on_a_terminal(sess: SessRunner, repo: Repo, db_path: Path,
                                                      env: dict[str, str]) -> None:
    from test_interactive import DOWN, ENTER, Terminal

    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "unfinished on a\n")
    term = Terminal(env, repo.path, "start", "b", "--no-issue", "--type", "bugfix")
    try:
        term.expect("A session is open: feature/a (active)")
        term.expect("park it and start here")
        term.expect("start in a new worktree")
        term.send(ENTER)
        term.expect("Session active")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    assert repo.current_branch() == "bugfix/b" and session_row(db_path, 1)["parked_stash"]

    coloured = {k: v for k, v in env.items() if k != "NO_COLOR"}  # the picker as most terminals see it
    term = Terminal(coloured, repo.path, "switch")
    try:
        term.expect("Switch to")
        term.expect("feature/a (paused")
        term.send(DOWN)  # past bugfix/b (the running one, listed first) to feature/a
        term.send(ENTER)
        term.expect("Your parked changes are back")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    assert "\\x1b" not in term.seen, term.seen  # colour codes shown as text, escaped
    assert repo.current_branch() == "feature/a"
    assert (repo.path / "README").read_text() == "unfinished on a\n"


# --- review rounds: reopen ---------------------------------------------------------------------

def ended_with_a_pr(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.write("x.txt", "first round\n")
    sess("end", "--message", "First round", check=0)


def test_reopen_a_review_round_on_the_open_pr(sess: SessRunner, repo: Repo, db_path: Path, gh: FakeGh) -> None:
    ended_with_a_pr(sess, repo)
    (pr,) = gh.prs()
    first = session_row(db_path, 1)
    assert first["state"] == "ended" and first["pr_number"] == pr["number"]
    repo.git("branch", "-D", "feature/x")  # deleted locally after the handoff
    result = sess("reopen", "feature/x", check=0)
    assert "Re-created feature/x from origin/feature/x" in result.out
    assert "Reopened session on feature/x (feature)" in result.out and f"PR #{pr['number']}" in result.out
    assert repo.current_branch() == "feature/x"
    again = session_row(db_path, 1)
    assert (again["state"], again["end_time"], again["outcome"]) == ("active", None, None)
    assert len(slices(db_path, 1)) == 2 and calls_for(gh, "pr", "view")
    repo.write("x.txt", "review fixes\n")
    ended = sess("end", "--message", "Review fixes", check=0)
    assert "already open" in ended.out and len(gh.prs()) == 1
    final = session_row(db_path, 1)
    assert final["state"] == "ended" and final["total_elapsed"] >= first["total_elapsed"]
    assert "review fixes" in repo.git("show", "origin/feature/x:x.txt")


def test_reopen_refuses_a_merged_pr_and_undo_reverts_it(sess: SessRunner, repo: Repo, db_path: Path,
                                                       gh: FakeGh) -> None:
    ended_with_a_pr(sess, repo)
    sess("reopen", "feature/x", check=0)
    assert session_row(db_path, 1)["state"] == "active"
    undone = sess("undo", check=0)
    assert "reopen" in undone.out
    assert session_row(db_path, 1)["state"] == "ended"
    with gh._locked() as state:
        state["prs"][0]["state"] = "MERGED"
    refused(sess("reopen", "feature/x"), "is merged", code=1)
    assert session_row(db_path, 1)["state"] == "ended"


def calls_for(gh: FakeGh, *words: str) -> list[list[str]]:
    return [call for call in gh.calls() if call[:len(words)] == list(words)]


def test_which_session_is_asked_on_a_terminal(sess: SessRunner, repo: Repo, db_path: Path,
                                              env: dict[str, str]) -> None:
    from test_interactive import DOWN, ENTER, Terminal

    sess("start", "a", "--no-issue", check=0)
    sess("start", "b", "--no-issue", "--park", check=0)
    sess("switch", "--base", check=0)
    sess("resume", "--session", "feature/a", check=0)
    sess("switch", "--base", check=0)
    term = Terminal(env, repo.path, "resume")
    try:
        term.expect("Which session?")
        term.expect("feature/b (paused)")
        term.send(DOWN)  # feature/a is listed first (the newest first: b, then a)
        term.send(ENTER)
        term.expect("Session active")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    active = [s["branch"] for s in open_sessions(db_path) if s["state"] == "active"]
    assert active == ["feature/a"] == [repo.current_branch()]


def test_switch_takes_the_look_started_early_only_while_head_and_index_are_unchanged(
        repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """switch's look at the work tree starts before the project's lock is taken (issue 16's
    budget): it serves only if nothing moved HEAD or the index meanwhile, else a new look is taken."""
    for key, value in repo.env.items():
        monkeypatch.setenv(key, value)
    from sess import git, spawn

    top = str(repo.path)
    repo.write("a.txt", "one\n")
    spawn.prefetch_status(top)
    spawn._early[(top, spawn.STATUS)].wait()  # it has looked
    repo.write("b.txt", "two\n")  # the work tree only: the early look is taken, and does not know b.txt
    assert git.work_tree_fresh(top).untracked == ("a.txt",)

    spawn.prefetch_status(top)
    spawn._early[(top, spawn.STATUS)].wait()
    repo.git("add", "a.txt")  # the index moved: a new look
    fresh = git.work_tree_fresh(top)
    assert (fresh.added, fresh.untracked) == (("a.txt",), ("b.txt",))

    spawn.prefetch_status(top)
    spawn._early[(top, spawn.STATUS)].wait()
    repo.git("checkout", "-q", "-b", "other")  # HEAD moved
    assert git.work_tree_fresh(top).branch == "other"


def test_a_session_is_named_as_it_was_started(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    """`sess start a` then `sess switch a`: the name given to start means feature/a, as long as
    only one open session has it; with two, the refusal names both."""
    two_sessions(sess, repo)
    result = sess("switch", "a", check=0)
    assert repo.current_branch() == "feature/a"
    assert "Your parked changes are back" in result.out
    assert sess("path", "b", check=0).out.strip() == str(repo.path)
    sess("start", "a", "--no-issue", "--type", "bugfix", "--park", check=0)
    refused(sess("switch", "a", check=1), "a names several open sessions: ", "feature/a", "bugfix/a", code=1)
    assert repo.current_branch() == "bugfix/a"
