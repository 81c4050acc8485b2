"""`sess start --pr N`: reviewing someone else's pull request (SPEC Part 3, "Reviewing someone
else's PR"), with real git against a bare origin and the stand-in gh's `pr view` / `pr checkout`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import SessRunner, refused, run_git
from dbhelp import session_row

if TYPE_CHECKING:
    from conftest import FakeGh, Repo


def teammates_pr(repo: Repo, gh: FakeGh, head: str = "fix-typo", state: str = "OPEN") -> str:
    """A teammate's branch on origin with one commit, and their open PR #5 for it; its tip."""
    tip = repo.teammate_push("typo.txt", "fixed\n", "Fix the typo", branch=head)
    with gh._locked() as data:
        data["prs"].append({"number": 5, "headRefName": head, "baseRefName": "main", "state": state,
                            "title": "Fix the typo"})
        data["next_pr_number"] = 6
    return tip


def origin_tip(repo: Repo, branch: str) -> str:
    assert repo.origin is not None
    return run_git(repo.origin, repo.env, "rev-parse", f"refs/heads/{branch}")


def test_a_review_checks_out_the_pr_and_its_end_pushes_only_what_is_new(sess: SessRunner, repo: Repo,
                                                                        db_path: Path, gh: FakeGh) -> None:
    tip = teammates_pr(repo, gh)
    started = sess("start", "--pr", "#5", check=0)
    assert started.out.splitlines()[:2] == ["On branch fix-typo (review)", "Session active · reviewing #5"]
    assert repo.current_branch() == "fix-typo" and repo.git("rev-parse", "HEAD") == tip
    row = session_row(db_path, 1)
    assert (row["branch_type"], row["pr_number"], row["issue_id"]) == ("review", 5, "")
    assert row["pr_url"].endswith("/pull/5")
    assert sess("status", check=0).out.splitlines()[1].endswith(" · reviewing #5")
    repo.write("typo.txt", "fixed, and reworded\n")
    ended = sess("end", "--message", "Reword", check=0)
    assert "No pull request · a review" in ended.out
    assert "Pushing fix-typo to the pull request's branch fix-typo" in ended.err
    assert origin_tip(repo, "fix-typo") == repo.git("rev-parse", "fix-typo")
    assert repo.git("rev-parse", "fix-typo~1") == tip  # on top of the author's commit: no rebase
    assert repo.current_branch() == "main"
    assert len(gh.prs()) == 1 and not [c for c in gh.calls() if c[:2] == ["pr", "create"]]
    assert session_row(db_path, 1)["state"] == "ended"
    stats = json.loads(sess("stats", "--json", check=0).out)
    assert "review" in json.dumps(stats)


def test_a_review_with_nothing_new_ends_with_exit_0_and_pushes_nothing(sess: SessRunner, repo: Repo,
                                                                      db_path: Path, gh: FakeGh) -> None:
    tip = teammates_pr(repo, gh)
    repo.git("branch", "fix-typo", "main")  # a local branch of that name already: the review gets review/5
    sess("start", "--pr", "5", check=0)
    assert repo.current_branch() == "review/5"
    ended = sess("end", check=0)
    assert "No pull request · a review; nothing new to push" in ended.out
    assert origin_tip(repo, "fix-typo") == tip and repo.current_branch() == "main"
    assert repo.git("rev-parse", "fix-typo") == repo.git("rev-parse", "main")  # the user's own branch untouched


def test_a_review_start_does_not_ask_origin_for_the_base(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    """A review never checks the base out: its start does not wait for the base's fetch."""
    teammates_pr(repo, gh)
    before = repo.git("rev-parse", "refs/remotes/origin/main")
    repo.teammate_push("news.txt", "new\n", "Meanwhile on main")
    sess("start", "--pr", "5", check=0)
    assert repo.current_branch() == "fix-typo"
    assert repo.git("rev-parse", "refs/remotes/origin/main") == before


def test_start_pr_refuses_what_is_no_open_pr_of_this_repository(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    teammates_pr(repo, gh, state="MERGED")
    refused(sess("start", "--pr", "5"), "#5 is merged", code=1)
    refused(sess("start", "--pr", "5", "--type", "bugfix"), "--pr and --type do not go together")
    refused(sess("start", "--pr", "5", "--issue", "3"), "not allowed with argument")
    refused(sess("start", "--pr", "five"), "is not a pull request")
    refused(sess("start", "--pr", "0"), "is not a pull request")
    refused(sess("start", "--pr", "99"), "pull request #99 does not exist in ", " on GitHub", code=1)
    refused(sess("start", "--pr", "https://github.com/other/lib/pull/5"), "is not a pull request of this repository",
            code=1)
    assert repo.current_branch() == "main" and "fix-typo" not in repo.git("branch")


def test_a_pr_url_of_another_repository_on_origins_host_is_refused_before_gh_is_asked(
        sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.git("remote", "set-url", "origin", "git@github.com:acme/widgets.git")
    sess.env["GIT_SSH_COMMAND"] = "false"  # refused before origin or gh is asked anything
    refused(sess("start", "--pr", "https://github.com/acme/widgets-fork/pull/5"),
            "is a pull request of acme/widgets-fork, not of acme/widgets", code=1)
    refused(sess("start", "--pr", "https://gitlab.com/acme/widgets/-/merge_requests/5"),
            "is on gitlab.com, and origin is on github.com", code=1)
    assert not [c for c in gh.calls() if c[:2] == ["pr", "view"]]
    assert repo.current_branch() == "main"
    # From a fork (origin), pull requests go to upstream: its URLs are the ones taken.
    repo.git("remote", "set-url", "origin", "git@github.com:ada/widgets.git")
    repo.git("remote", "add", "upstream", "git@github.com:acme/widgets.git")
    refused(sess("start", "--pr", "https://github.com/ada/widgets/pull/5"),
            "is a pull request of ada/widgets, not of acme/widgets", code=1)
    sess("start", "--pr", "https://github.com/acme/widgets/pull/5/files#discussion_r12")  # as a browser shows it
    assert [c for c in gh.calls() if c[:2] == ["pr", "view"]][0][2:4] == ["5", "--repo=acme/widgets"]


def test_a_fork_pr_that_takes_no_pushes_refuses_the_end_before_anything(sess: SessRunner, repo: Repo,
                                                                        db_path: Path, gh: FakeGh) -> None:
    """gh checks a fork's PR out from refs/pull/N/head when maintainers may not push to it."""
    teammates_pr(repo, gh)
    sess("start", "--pr", "5", check=0)
    repo.git("config", "branch.fix-typo.merge", "refs/pull/5/head")
    repo.write("typo.txt", "my suggestion\n")
    result = sess("end", "--message", "Suggestion", check=1)
    refused(result, "comes from a fork that does not let maintainers push", "Nothing was changed", code=1)
    assert repo.current_branch() == "fix-typo" and repo.is_dirty()
    assert session_row(db_path, 1)["state"] == "active"
    sess("cancel", "--dirty", "stash", check=0)


def test_undo_of_start_pr_removes_the_branch_it_made(sess: SessRunner, repo: Repo, db_path: Path,
                                                     gh: FakeGh) -> None:
    teammates_pr(repo, gh)
    sess("start", "--pr", "5", check=0)
    sess("undo", check=0)
    assert repo.current_branch() == "main"
    assert "fix-typo" not in repo.git("branch", "--list", "fix-typo")


def test_start_pr_with_a_session_open_asks_on_a_terminal(sess: SessRunner, repo: Repo, db_path: Path,
                                                         env: dict[str, str], gh: FakeGh) -> None:
    """Without a terminal exit 2 naming --park; on one, the choice, driven through a pty."""
    from test_interactive import DOWN, ENTER, Terminal

    teammates_pr(repo, gh)
    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "unfinished on a\n")
    refused(sess("start", "--pr", "5"), "a session is already open: feature/a (active)", "--park", "--worktree")
    term = Terminal(env, repo.path, "start", "--pr", "5")
    try:
        term.expect("A session is open: feature/a")
        term.expect("park it and start the review")
        term.send(ENTER)
        term.expect("reviewing #5")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    assert repo.current_branch() == "fix-typo" and session_row(db_path, 1)["parked_stash"]
    assert session_row(db_path, 1)["state"] == "paused"
    sess("cancel", check=0)  # the review; then the choice of a worktree, on the terminal too
    sess("switch", "feature/a", check=0)
    term = Terminal(env, repo.path, "start", "--pr", "5")
    try:
        term.expect("review in a new worktree")
        term.send(DOWN)
        term.send(ENTER)
        term.expect("In the new worktree ")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    assert repo.current_branch() == "feature/a" and (repo.path / "README").read_text() == "unfinished on a\n"
    assert session_row(db_path, 3)["worktree"]


def test_a_review_in_a_new_worktree_leaves_the_work_here_alone(sess: SessRunner, repo: Repo, db_path: Path,
                                                                gh: FakeGh) -> None:
    tip = teammates_pr(repo, gh)
    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "unfinished on a\n")
    started = sess("start", "--pr", "5", "--worktree", check=0)
    place = Path(started.out.strip())  # stdout is the new worktree's path only: cd "$(sess start ...)"
    assert place.is_dir() and "reviewing #5" in started.err, started
    assert repo.current_branch() == "feature/a" and (repo.path / "README").read_text() == "unfinished on a\n"
    assert run_git(place, repo.env, "rev-parse", "--abbrev-ref", "HEAD") == "fix-typo"
    assert run_git(place, repo.env, "rev-parse", "HEAD") == tip
    row = session_row(db_path, 2)
    assert (row["branch_type"], row["pr_number"], row["worktree"]) == ("review", 5, str(place))
    assert session_row(db_path, 1)["state"] == "paused"  # one clock per project
    (place / "typo.txt").write_text("fixed, and reworded\n")
    ended = sess("end", "--message", "Reword", cwd=place, check=0)
    assert "No pull request · a review" in ended.out and not place.exists(), ended
    assert origin_tip(repo, "fix-typo") == repo.git("rev-parse", "fix-typo")
    assert repo.git("rev-parse", "fix-typo~1") == tip
    assert repo.current_branch() == "feature/a" and (repo.path / "README").read_text() == "unfinished on a\n"
    assert not [c for c in gh.calls() if c[:2] == ["pr", "create"]]


def test_undo_of_a_review_in_a_worktree_removes_the_worktree_and_the_branch(sess: SessRunner, repo: Repo,
                                                                           gh: FakeGh) -> None:
    teammates_pr(repo, gh)
    place = Path(sess("start", "--pr", "5", "--worktree", check=0).out.strip())
    sess("undo", check=0)
    assert not place.exists() and "fix-typo" not in repo.git("branch", "--list", "fix-typo")
    assert "branch.fix-typo" not in repo.git("config", "--list")
    assert repo.current_branch() == "main"


def test_a_failed_checkout_of_the_pr_leaves_nothing_behind(sess: SessRunner, repo: Repo, db_path: Path,
                                                           gh: FakeGh) -> None:
    """The forge's checkout fails: no branch, back on the branch it started from, the changes back."""
    teammates_pr(repo, gh)
    repo.write("README", "unfinished\n")
    gh.fail("pr checkout", "failed to run git: fatal: couldn't find remote ref refs/pull/5/head")
    failed = sess("start", "--pr", "5", "--dirty", "stash", check=1)
    assert "Error: gh pr checkout failed" in failed.err and "Traceback" not in failed.err
    assert repo.current_branch() == "main" and (repo.path / "README").read_text() == "unfinished\n"
    assert repo.git("branch", "--list", "fix-typo") == "" and repo.git("stash", "list") == ""
    assert repo.git("config", "--get-regexp", "^branch\\.fix-typo\\.", check=False) == ""
    sess("start", "--pr", "5", "--dirty", "carry", check=0)  # and it works once the forge does
    assert repo.current_branch() == "fix-typo" and (repo.path / "README").read_text() == "unfinished\n"
    assert repo.git("stash", "list") == ""  # carried, not left in the stash


def test_a_review_end_stopped_at_the_push_goes_on_with_continue(sess: SessRunner, repo: Repo, db_path: Path,
                                                                gh: FakeGh) -> None:
    """The author pushed while we looked: end stops before pushing, journal kept; --continue after a pull."""
    teammates_pr(repo, gh)
    sess("start", "--pr", "5", check=0)
    repo.write("mine.txt", "mine\n")
    theirs = repo.teammate_push("theirs.txt", "theirs\n", "More from the author", branch="fix-typo")
    stopped = sess("end", "--message", "Mine", check=1)
    assert "the pull request's branch has commits fix-typo does not have" in stopped.err, stopped
    assert "sess end --continue" in stopped.err and "Traceback" not in stopped.err
    assert origin_tip(repo, "fix-typo") == theirs and session_row(db_path, 1)["state"] == "active"
    repo.git("pull", "-q", "--rebase", "origin", "fix-typo")
    sess("end", "--continue", check=0)
    assert origin_tip(repo, "fix-typo") == repo.git("rev-parse", "fix-typo")
    assert repo.git("rev-parse", "fix-typo~1") == theirs and repo.current_branch() == "main"
    assert session_row(db_path, 1)["state"] == "ended"
