"""`sess end`: real git with a bare origin, the fake gh, sess run as a subprocess."""
from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"


# --- helpers ---------------------------------------------------------------------------------

def start(sess: SessRunner, *args: str) -> None:
    sess("start", *(args or ("x", "--no-issue")), check=0)


def query(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def sessions(db_path: Path) -> list[tuple[Any, ...]]:
    """(branch, state, pr_number, pr_url) of every session, oldest first."""
    return query(db_path, "SELECT branch, state, pr_number, pr_url FROM sessions ORDER BY id")


def journal(db_path: Path) -> list[tuple[Any, ...]]:
    return query(db_path, "SELECT step, status FROM end_journal")


def origin_git(repo: Repo, *args: str) -> str:
    assert repo.origin is not None
    return repo.git("--git-dir", str(repo.origin), *args)


def remote_log(repo: Repo, branch: str = BRANCH) -> list[str]:
    """Subjects of the commits origin's branch has beyond origin's main, newest first."""
    text = origin_git(repo, "log", "--format=%s", f"main..{branch}")
    return text.splitlines() if text else []


def hook(repo: Repo, name: str, script: str) -> Path:
    assert repo.origin is not None
    path = repo.origin / "hooks" / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def error(r: Any) -> str:
    """stderr from the `Error:` line on (progress lines come before it)."""
    text: str = r.err
    at = text.find("Error: ")
    assert at >= 0, r
    return text[at:]


def ended_line(out: str) -> str:
    return out.splitlines()[0]


# --- the happy paths -----------------------------------------------------------------------------

def test_end_without_issue_pushes_opens_pr_and_returns_to_base(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                             db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", "--summary", "Adds x", check=0)

    assert re.fullmatch(r"Ended session on feature/x \(feature\) · \d+s", ended_line(r.out)), r
    assert "PR #1 · https://github.com/acme/origin/pull/1" in r.out.splitlines()
    assert r.out.splitlines()[-1] == "On branch main"
    assert repo.current_branch() == "main"
    assert remote_log(repo) == ["Add the feature"]
    assert repo.git("config", f"branch.{BRANCH}.remote") == "origin"  # pushed with upstream
    (pr,) = gh.prs()
    assert pr["title"] == "Add the feature"  # no issue, no --title: the latest commit subject
    assert pr["headRefName"] == BRANCH and pr["baseRefName"] == "main" and not pr["isDraft"]
    assert pr["body"] == ("## Summary\n\nAdds x\n\n## Testing\n\nNot provided\n\n"
                          "## Notes\n\nNot provided\n")
    assert sessions(db_path) == [(BRANCH, "ended", 1, "https://github.com/acme/origin/pull/1")]
    assert journal(db_path) == []
    assert repo.git("branch", "--list", BRANCH)  # kept by default
    assert "Fetching origin" in r.err and "Pushing feature/x to origin" in r.err  # plain progress when piped
    assert sess("status", check=0).out.splitlines() == ["On branch main", "No active session"]


def test_end_with_issue_titles_pr_after_it_and_closes_it(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                       db_path: Path) -> None:
    gh.add_issue(12, "Fix the widget")
    start(sess, "--issue", "12")
    repo.commit("widget.txt", "fixed\n", "Fix it")
    r = sess("end", "--testing", "ran it", check=0)

    assert re.fullmatch(r"Ended session on feature/fix-the-widget \(feature\) · \d+s · #12", ended_line(r.out)), r
    (pr,) = gh.prs()
    assert pr["title"] == "#12 Fix the widget"
    assert pr["body"] == ("Closes #12\n\n## Summary\n\nNot provided\n\n## Testing\n\nran it\n\n"
                          "## Notes\n\nNot provided\n")
    assert sessions(db_path)[0][1:3] == ("ended", pr["number"])


def test_dirty_work_is_committed_once_with_the_message(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.write("new.txt", "untracked too\n")
    repo.write("README", "changed\n")
    r = sess("end", "-m", "Finish the work", check=0)

    assert re.search(r"^Committed your changes as [0-9a-f]{7} · Finish the work$", r.out, re.M), r
    assert remote_log(repo) == ["Finish the work"]
    assert origin_git(repo, "show", f"{BRANCH}:new.txt") == "untracked too"
    assert not repo.is_dirty()
    assert gh.prs()[0]["title"] == "Finish the work"


def test_dirty_tree_without_message_is_a_usage_error_that_changes_nothing(sess: SessRunner, repo: Repo,
                                                                          db_path: Path) -> None:
    start(sess)
    repo.write("README", "changed\n")
    r = sess("end", check=2)
    assert "--message" in r.err
    assert repo.is_dirty() and repo.current_branch() == BRANCH
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == []


def test_open_pr_is_reused(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.git("push", "-q", "-u", "origin", BRANCH)
    assert gh.run("pr", "create", "--base", "main", "--head", BRANCH, "--title", "Mine", "--body", "b",
                  cwd=repo.path).code == 0
    repo.commit("more.txt", "y\n", "More")

    r = sess("end", check=0)
    assert "PR #1 · https://github.com/acme/origin/pull/1 · already open" in r.out.splitlines(), r
    assert len(gh.prs()) == 1 and gh.prs()[0]["title"] == "Mine"
    assert [c[:2] for c in gh.calls()].count(["pr", "create"]) == 1  # only ours, above
    assert remote_log(repo) == ["More", "Add the feature"]
    assert sessions(db_path)[0][1:3] == ("ended", 1)


def test_draft(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", "--draft", "--title", "-Draft: not an option", check=0)
    (pr,) = gh.prs()
    assert pr["isDraft"] is True
    assert pr["title"] == "-Draft: not an option"  # user text never read as an option
    assert "PR #1 · https://github.com/acme/origin/pull/1 · draft" in r.out.splitlines()


def test_nothing_to_ship(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start(sess)
    r = sess("end", check=2)
    assert "nothing to ship" in r.err and "--no-pr" in r.err
    assert sessions(db_path)[0][1] == "active" and repo.current_branch() == BRANCH

    r = sess("end", "--no-pr", "--delete-branch", check=0)
    assert "No pull request · nothing to ship" in r.out.splitlines(), r
    assert f"Deleted branch {BRANCH}" in r.out.splitlines()  # no commits of its own: nothing lost
    assert not repo.git("branch", "--list", BRANCH)
    assert sessions(db_path) == [(BRANCH, "ended", None, None)]
    assert not [c for c in gh.calls() if c[:1] == ["pr"]]


def test_no_pr_rebases_and_pushes_but_opens_no_pr(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                  db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.teammate_push("team.txt", "t\n", "Teammate work")
    r = sess("end", "--no-pr", "--delete-branch", check=0)
    assert "No pull request · --no-pr" in r.out.splitlines()
    assert remote_log(repo) == ["Add the feature"]  # rebased onto the teammate's main, then pushed
    assert f"Deleted branch {BRANCH}" in r.out.splitlines()  # safe: its commits are on origin
    assert not repo.git("branch", "--list", BRANCH)
    assert gh.calls() == [] and sessions(db_path)[0][1] == "ended"


def test_no_pr_in_a_repository_without_origin_keeps_the_branch(sess: SessRunner, repo_no_remote: Repo,
                                                               db_path: Path) -> None:
    start(sess)
    repo_no_remote.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", "--no-pr", "--delete-branch", check=0)
    assert f"Kept branch {BRANCH}: there is no origin remote to hold its commits" in r.out.splitlines()
    assert repo_no_remote.git("branch", "--list", BRANCH) and sessions(db_path)[0][1] == "ended"


def test_delete_branch_once_it_is_on_origin(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", "--delete-branch", check=0)
    assert f"Deleted branch {BRANCH}" in r.out.splitlines()
    assert not repo.git("branch", "--list", BRANCH)
    assert remote_log(repo) == ["Add the feature"]


def test_paused_session_ends_too(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    sess("pause", check=0)
    sess("end", check=0)
    assert sessions(db_path)[0][1] == "ended"
    assert query(db_path, "SELECT count(*) FROM session_slices WHERE end_time IS NULL") == [(0,)]


# --- rebasing ---------------------------------------------------------------------------------------

def test_rebases_onto_what_a_teammate_pushed(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    mate = repo.teammate_push("other.txt", "theirs\n", "Teammate change")
    sess("end", check=0)
    tip = origin_git(repo, "rev-parse", BRANCH)
    assert origin_git(repo, "merge-base", "--is-ancestor", mate, tip) == ""  # exit 0: rebased on it
    assert remote_log(repo) == ["Add the feature"]
    assert len(gh.prs()) == 1


def test_pushed_then_rebased_branch_is_pushed_with_lease(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.git("push", "-q", "-u", "origin", BRANCH)
    mate = repo.teammate_push("other.txt", "theirs\n", "Teammate change")
    r = sess("end", check=0)
    tip = origin_git(repo, "rev-parse", BRANCH)
    assert tip == repo.git("rev-parse", BRANCH), r
    assert origin_git(repo, "merge-base", "--is-ancestor", mate, tip) == ""
    assert remote_log(repo) == ["Add the feature"]


def test_never_overwrites_commits_only_origin_has(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                  db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.git("push", "-q", "-u", "origin", BRANCH)
    repo.teammate_push("main.txt", "m\n", "Teammate on main")
    theirs = repo.teammate_push("pair.txt", "p\n", "Pair commit", branch=BRANCH)
    r = sess("end", check=1)
    assert "step 'push'" in r.err and "has commits this branch does not have" in r.err, r
    assert origin_git(repo, "rev-parse", BRANCH) == theirs
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == [("push", "failed")]


def conflict(sess: SessRunner, repo: Repo) -> str:
    """A session whose commit conflicts with one a teammate pushed to main; returns the branch tip."""
    start(sess)
    tip = repo.commit("README", "ours\n", "Our README")
    repo.teammate_push("README", "theirs\n", "Their README")
    return tip


def test_rebase_conflict_then_resolve_and_continue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path,
                                                   env: dict[str, str]) -> None:
    conflict(sess, repo)
    r = sess("end", check=1)
    assert error(r).startswith("Error: end stopped at step 'rebase': rebase onto origin/main has conflicts in README")
    assert "sess end --continue" in r.err and "sess end --abort" in r.err
    assert journal(db_path) == [("rebase", "failed")]
    status = sess("status", check=0).out
    assert status.splitlines()[0] == f"Rebasing {BRANCH} (feature)", status
    assert "is not checked out" not in status
    assert "End stopped at step 'rebase'" in status and "--continue" in status and "--abort" in status

    r = sess("end", check=1)  # plain end: the conflict needs the user first
    assert "--continue" in r.err and "conflicts in README" in r.err
    r = sess("end", "--continue", check=1)  # nothing resolved yet
    assert "conflicts in README" in r.err

    repo.write("README", "both\n")
    repo.git("add", "README")
    env["GIT_EDITOR"] = "false"  # an editor that fails: sess must not open one
    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out, r
    assert origin_git(repo, "show", f"{BRANCH}:README") == "both"
    assert remote_log(repo) == ["Our README"]
    assert sessions(db_path)[0][1] == "ended" and journal(db_path) == [] and len(gh.prs()) == 1


def test_rebase_conflict_finished_by_hand_then_continue(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                        db_path: Path) -> None:
    conflict(sess, repo)
    sess("end", check=1)
    repo.write("README", "both\n")
    repo.git("add", "README")
    repo.git("-c", "core.editor=true", "rebase", "--continue")
    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out, r
    assert remote_log(repo) == ["Our README"] and sessions(db_path)[0][1] == "ended"


def test_rebase_conflict_then_abort(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    tip = conflict(sess, repo)
    sess("end", check=1)
    r = sess("end", "--abort", check=0)
    assert r.out.splitlines()[:2] == [f"Aborted the end of {BRANCH} (stopped at step 'rebase')",
                                      f"On branch {BRANCH} (feature)"], r
    assert repo.current_branch() == BRANCH and repo.git("rev-parse", "HEAD") == tip
    assert not (Path(repo.git("rev-parse", "--absolute-git-dir")) / "rebase-merge").exists()
    assert not repo.is_dirty()
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == []
    assert "End stopped" not in sess("status", check=0).out
    assert error(sess("end", "--abort", check=1)).startswith("Error: there is no unfinished end to abort")


# --- failures and recovery -------------------------------------------------------------------------

def test_push_rejected_by_hook_then_continue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path,
                                             tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.touch()
    hook(repo, "pre-receive", f'if [ -e "{closed}" ]; then echo "pushes are closed today" >&2; exit 1; fi\n')
    start(sess)
    repo.write("work.txt", "dirty\n")
    r = sess("end", "-m", "Dirty work", check=1)
    first = error(r).splitlines()[0]
    assert first.startswith("Error: end stopped at step 'push': git push failed: ! [remote rejected]"), r
    assert "pre-receive hook declined" in first and "pushes are closed today" in first
    assert r.err.rstrip().splitlines()[-1].startswith("Run 'sess end --continue'")
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == [("push", "failed")]
    assert "End stopped at step 'push'" in sess("status", check=0).out
    assert gh.calls() == [["auth", "status"]]  # checked before anything, then unused

    closed.unlink()
    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out, r
    assert remote_log(repo) == ["Dirty work"]  # committed once, before the failure
    assert len(gh.prs()) == 1 and sessions(db_path)[0][1] == "ended"


def test_plain_end_continues_an_unfinished_end(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path,
                                               tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.touch()
    hook(repo, "pre-receive", f'[ -e "{closed}" ] && exit 1\nexit 0\n')
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    sess("end", check=1)
    assert error(sess("end", "--continue", "--message", "m", check=2)).startswith(
        "Error: --message cannot be used with --continue")
    closed.unlink()
    r = sess("end", check=0)
    assert "Continuing the end that stopped at step 'push'" in r.err
    assert sessions(db_path)[0][1] == "ended" and len(gh.prs()) == 1


def test_abort_after_a_failed_push_undoes_the_rebase(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                     db_path: Path) -> None:
    start(sess)
    tip = repo.commit("feature.txt", "x\n", "Add the feature")
    repo.teammate_push("other.txt", "theirs\n", "Teammate change")
    hook(repo, "pre-receive", "exit 1\n")
    sess("end", check=1)
    assert repo.git("rev-parse", BRANCH) != tip  # rebased before the push failed
    sess("end", "--abort", check=0)
    assert repo.current_branch() == BRANCH and repo.git("rev-parse", "HEAD") == tip
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == []


def test_pr_create_failure_then_continue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    gh.fail("pr create", "HTTP 502: Bad Gateway (https://api.github.com/graphql)", times=1)
    r = sess("end", check=1)
    assert error(r).startswith("Error: end stopped at step 'pull-request': gh pr create failed: HTTP 502"), r
    assert "sess end --continue" in r.err
    assert remote_log(repo) == ["Add the feature"]  # the push is kept
    assert gh.prs() == [] and sessions(db_path)[0][1] == "active"
    assert repo.current_branch() == BRANCH

    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out and len(gh.prs()) == 1
    assert [c[:2] for c in gh.calls()].count(["pr", "create"]) == 2
    assert sessions(db_path)[0][1:3] == ("ended", 1) and repo.current_branch() == "main"


def test_gh_logged_out_during_the_end(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    # Logged in when end checked, but not any more when the pull request step runs.
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    gh.fail("pr list", "To get started with GitHub CLI, please run:  gh auth login", exit=4)
    r = sess("end", check=1)
    assert error(r).startswith("Error: end stopped at step 'pull-request': gh is not logged in"), r
    assert "gh auth login" in r.err and "--no-pr" in r.err
    assert sessions(db_path)[0][1] == "active"

    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out and len(gh.prs()) == 1 and sessions(db_path)[0][1] == "ended"


def test_gh_missing(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.remove_from_path()
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", check=1)
    assert error(r).startswith("Error: gh is not installed"), r  # found before any step
    assert "--no-pr" in r.err and journal(db_path) == []
    r = sess("end", "--no-pr", check=0)
    assert "No pull request · --no-pr" in r.out.splitlines()
    assert sessions(db_path) == [(BRANCH, "ended", None, None)]


def test_gh_missing_with_no_pr_from_the_start(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.remove_from_path()
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    sess("end", "--no-pr", check=0)
    assert sessions(db_path)[0][1] == "ended"
    assert origin_git(repo, "log", "--format=%s", "-1", BRANCH) == "Add the feature"  # pushed without gh


def test_repository_without_remote(sess: SessRunner, repo_no_remote: Repo, gh: FakeGh, db_path: Path) -> None:
    repo = repo_no_remote
    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.git("checkout", "-q", "main")
    base = repo.commit("main.txt", "m\n", "Main moved on")
    repo.git("checkout", "-q", BRANCH)
    repo.write("dirty.txt", "d\n")

    r = sess("end", "-m", "Dirty", "--delete-branch", check=0)
    lines = r.out.splitlines()
    assert "No pull request · no origin remote" in lines, r
    assert f"Kept branch {BRANCH}: there is no origin remote to hold its commits" in lines
    assert lines[-2:] == ["On branch main", f"Kept branch {BRANCH}: there is no origin remote to hold its commits"]
    assert repo.current_branch() == "main"
    assert repo.git("merge-base", "--is-ancestor", base, BRANCH) == ""  # rebased onto the local base
    assert repo.git("log", "--format=%s", f"main..{BRANCH}").splitlines() == ["Dirty", "Add the feature"]
    assert gh.calls() == [] and sessions(db_path) == [(BRANCH, "ended", None, None)]


def test_continue_without_an_unfinished_end(sess: SessRunner, repo: Repo) -> None:
    start(sess)
    r = sess("end", "--continue", check=1)
    assert error(r).startswith("Error: there is no unfinished end to continue")


# --- on a terminal ---------------------------------------------------------------------------------

def test_interactive_end_asks_through_a_terminal(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path,
                                                 env: dict[str, str]) -> None:
    import pexpect

    start(sess)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.write("dirty.txt", "d\n")
    argv = sess.argv("end")
    terminal = {**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}  # no cursor-position waits
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(repo.path), env=terminal, encoding="utf-8",
                          timeout=20, dimensions=(40, 200))
    try:
        child.expect("Commit message")
        child.send("\r")  # take the default, made from the branch name
        child.expect("PR summary")
        child.send("Typed summary\r")
        child.expect("PR testing")
        child.send("\r")
        child.expect("PR notes")
        child.send("\r")
        child.expect("Delete the local branch feature/x")
        child.send("y\r")
        child.expect("Ended session on feature/x")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    (pr,) = gh.prs()
    assert pr["body"].startswith("## Summary\n\nTyped summary\n\n## Testing\n\nNot provided\n")
    assert remote_log(repo) == ["X", "Add the feature"]
    assert not repo.git("branch", "--list", BRANCH)
    assert sessions(db_path)[0][1] == "ended"


def test_session_started_with_base_ends_onto_that_base(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.git("push", "-q", "origin", "main:refs/heads/release")
    mate = repo.teammate_push("fix.txt", "f\n", "Release fix", branch="release")
    repo.git("fetch", "-q")
    start(sess, "x", "--no-issue", "--base", "release")
    repo.commit("feature.txt", "x\n", "Add the feature")
    r = sess("end", check=0)
    assert r.out.splitlines()[-1] == "On branch release", r
    (pr,) = gh.prs()
    assert pr["baseRefName"] == "release"
    assert origin_git(repo, "merge-base", "--is-ancestor", mate, BRANCH) == ""


def test_the_users_pre_commit_hook_runs_and_can_stop_the_end(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                              db_path: Path) -> None:
    start(sess)
    local_hook = repo.path / ".git" / "hooks" / "pre-commit"
    local_hook.write_text("#!/bin/sh\necho 'lint: trailing whitespace in work.txt' >&2\nexit 1\n")
    local_hook.chmod(0o755)
    repo.write("work.txt", "dirty \n")
    r = sess("end", "-m", "Do the work", check=1)
    assert error(r).startswith("Error: end stopped at step 'commit'"), r
    assert "lint: trailing whitespace" in r.err
    assert sessions(db_path)[0][1] == "active" and journal(db_path) == [("commit", "failed")]
    assert repo.is_dirty() and repo.current_branch() == BRANCH

    local_hook.unlink()
    r = sess("end", "--continue", check=0)
    assert "PR #1" in r.out, r
    assert remote_log(repo) == ["Do the work"] and sessions(db_path)[0][1] == "ended"
