"""`sess start`: branches, issues, dirty trees, base branches, pulls, rollbacks, races, Ctrl-C."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dbhelp import execute, open_sessions, rows, sessions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sess import rules

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, Result, SessRunner


def snapshot(repo: Repo) -> dict[str, Any]:
    """What the user would call 'my repository': branch, local refs, stash, tree and its files."""
    status = repo.git("status", "--porcelain=v1", "--untracked-files=all")
    files = {}
    for line in status.splitlines():
        path = repo.path / line[3:]
        files[line[3:]] = path.read_bytes() if path.is_file() else None
    return {
        "branch": repo.current_branch(),
        "head": repo.git("rev-parse", "HEAD"),
        "refs": repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/stash"),
        "stash": repo.git("stash", "list"),
        "status": status,
        "files": files,
    }


def assert_failed(result: Result, code: int, *needles: str) -> None:
    """Exit `code` and one `Error: ...` line (after any progress lines) holding every needle."""
    assert result.code == code, result
    errors = [line for line in result.err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result
    for needle in needles:
        assert needle in result.err, result
    assert "Traceback" not in result.err + result.out, result
    assert result.out == "", result


def check_ref_format(branch: str) -> bool:
    return subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True,
                          check=False).returncode == 0


def end_all(db_path: Path) -> None:
    execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL "
                     "WHERE state IN ('active', 'paused')")


def make_dirty(repo: Repo) -> None:
    """A tracked file with staged and unstaged edits, a staged new file and an untracked file."""
    repo.write("README", "widgets, staged\n")
    repo.git("add", "README")
    repo.write("README", "widgets, edited\n")
    repo.write("staged.txt", "staged\n")
    repo.git("add", "staged.txt")
    repo.write("notes/untracked.txt", "untracked\n")


def topic_branch(repo: Repo) -> str:
    """A branch off main with a commit of its own, checked out."""
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic.txt", "topic\n", "Topic work")
    return repo.git("rev-parse", "HEAD")


# --- the plain path -------------------------------------------------------------------------

def test_start_with_a_name(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    main = repo.git("rev-parse", "main")
    result = sess("start", "--no-issue", "Add Login!", check=0)
    assert result.out.splitlines() == ["On branch feature/add-login (feature)", "Session active · from main"]
    assert "Creating feature/add-login" in result.err
    assert repo.current_branch() == "feature/add-login"
    assert repo.git("rev-parse", "HEAD") == main
    (session,) = sessions(db_path)
    assert session["branch"] == "feature/add-login" and session["state"] == "active"
    assert session["branch_type"] == "feature" and session["issue_id"] == ""


@pytest.mark.parametrize("branch_type", rules.BRANCH_TYPES)
def test_type_flag(sess: SessRunner, repo: Repo, branch_type: str) -> None:
    result = sess("start", "--no-issue", "x", "--type", branch_type, check=0)
    assert result.out.splitlines()[0] == f"On branch {branch_type}/x ({branch_type})"
    assert repo.current_branch() == f"{branch_type}/x"


def test_name_after_double_dash_is_never_an_option(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "--", "--upload-pack=evil", check=0)
    assert repo.current_branch() == "feature/upload-pack-evil"


def test_a_name_with_no_letters_or_digits(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "--", "...!!!"), 1, "empty branch name")
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


def test_path_with_spaces_and_unicode(sess: SessRunner, repo: Repo, tmp_path: Path, db_path: Path) -> None:
    assert repo.origin is not None
    odd = tmp_path / "work" / "my wïdgets $(x) 'q'"
    subprocess.run(["git", "clone", "-q", str(repo.origin), str(odd)], env=sess.env, check=True)
    sess("start", "--no-issue", "x", cwd=odd, check=0)
    assert rows(db_path, "SELECT path, name FROM projects") == [{"path": str(odd), "name": odd.name}]
    assert sess("status", cwd=odd, check=0).out.startswith("On branch feature/x (feature)")
    assert f"  {odd}" in sess("projects", cwd=odd, check=0).out.splitlines()


def test_without_any_remote(sess: SessRunner, repo_no_remote: Repo, db_path: Path) -> None:
    result = sess("start", "--no-issue", "solo", check=0)
    assert result.out.splitlines() == ["On branch feature/solo (feature)", "Session active · from main"]
    assert "Pulling" not in result.err
    assert repo_no_remote.current_branch() == "feature/solo"
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "main"


def test_a_session_already_open(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "first", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    before = snapshot(repo)
    # SPEC Part 3: Part 1's refusal stays the default, exit 2 naming the two ways on.
    assert_failed(sess("start", "--no-issue", "second"), 2, "already open: feature/first (paused)")
    assert "--park" in sess("start", "--no-issue", "second", check=2).err
    assert snapshot(repo) == before
    assert [s["branch"] for s in sessions(db_path)] == ["feature/first"]


@pytest.mark.parametrize("where", ["local", "remote"])
def test_existing_branch_changes_nothing(sess: SessRunner, repo: Repo, db_path: Path, where: str) -> None:
    if where == "local":
        repo.git("branch", "feature/taken")
    else:
        repo.git("push", "-q", "origin", "main:refs/heads/feature/taken")
        repo.git("fetch", "-q")
    make_dirty(repo)
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "taken", "--dirty", "stash"), 1, "feature/taken", "already exists")
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


# --- issues ---------------------------------------------------------------------------------

def test_start_from_an_issue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(12, "Fix the widget crash")
    result = sess("start", "--issue", "12", check=0)
    assert result.out.splitlines() == ["On branch feature/fix-the-widget-crash (feature)",
                                       "Session active · from main · #12", "", "  Fix the widget crash"]
    (session,) = sessions(db_path)
    assert (session["issue_id"], session["issue_title"]) == ("12", "Fix the widget crash")
    assert gh.calls()[0][:3] == ["issue", "view", "12"]


def test_issue_with_hash_and_a_name(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(7, "Some long issue title")
    sess("start", "short", "--issue", "#7", "--type", "bugfix", check=0)
    assert repo.current_branch() == "bugfix/short"
    assert sessions(db_path)[0]["issue_id"] == "7"


def test_a_closed_issue_is_started_with_a_warning(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(32, "  Old bug  ", state="CLOSED")
    result = sess("start", "--issue", "32", check=0)
    assert "Issue #32 is closed" in result.err
    assert result.out.splitlines()[-1] == "  Old bug"  # the title as GitHub has it, trimmed
    assert sessions(db_path)[0]["issue_title"] == "Old bug"


def test_unknown_issue(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    before = snapshot(repo)
    assert_failed(sess("start", "--issue", "99"), 1, "99")
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


def test_issue_that_is_not_a_number(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    assert_failed(sess("start", "--issue", "--upload-pack=x"), 2)  # argparse: an option, not a value
    assert_failed(sess("start", "--issue=abc"), 2, "abc")  # a bad flag value
    assert gh.calls() == []


def test_issue_when_gh_is_not_logged_in(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(12, "Fix it")
    gh.logout()
    make_dirty(repo)
    before = snapshot(repo)
    result = sess("start", "--issue", "12", "--dirty", "stash")
    assert_failed(result, 1, "gh is not logged in", "gh auth login")
    assert result.err.startswith("Error: gh is not logged in")
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


def test_issue_when_gh_is_missing(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.remove_from_path()
    assert_failed(sess("start", "--issue", "12"), 1, "gh is not installed")
    assert repo.current_branch() == "main"


def test_no_issue_needs_no_gh(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.remove_from_path()
    sess("start", "x", "--no-issue", check=0)
    sess("start", "--help", check=0)
    assert repo.current_branch() == "feature/x"


def test_gh_failing(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(12, "Fix it")
    gh.fail("issue view", "HTTP 502: Bad Gateway (https://api.github.com/graphql)")
    assert_failed(sess("start", "--issue", "12"), 1, "HTTP 502")
    assert repo.current_branch() == "main"


# --- hostile titles -------------------------------------------------------------------------

HOSTILE_TITLES = [
    "$(rm -rf ~)", "; echo pwned > pwned.txt", "`touch pwned.txt`", "--upload-pack=evil", "-b",
    "..", "@{-1}", "x.lock", "~^:?*[\\", "Ünïcödé 日本語 title", "x" * 300, "refs/heads/main", "HEAD",
    "-", "日本語",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_issue_title(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str], db_path: Path,
                             title: str) -> None:
    canary = Path(env["HOME"]) / "canary"
    canary.write_text("still here\n")
    gh.add_issue(5, title)
    before = snapshot(repo)
    result = sess("start", "--issue", "5")
    assert "Traceback" not in result.err
    slug = rules.slugify(title) or "5"  # a title without a slug: the issue key (issue 15 item 27)
    assert result.code == 0, result
    branch = f"feature/{slug}"
    assert repo.current_branch() == branch and check_ref_format(branch)
    assert len(slug) <= 60
    assert sessions(db_path)[0]["issue_title"] == title  # the title itself is kept as it was
    assert snapshot(repo) != before
    assert canary.read_text() == "still here\n"
    assert not list(repo.path.rglob("pwned*")) and not (repo.path.parent / "pwned.txt").exists()


@given(title=st.one_of(st.sampled_from(HOSTILE_TITLES), st.text(min_size=1, max_size=120)))
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_hostile_titles_end_to_end(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, title: str) -> None:
    gh.set(issues=[{"number": 5, "title": title}])
    result = sess("start", "--issue", "5")
    assert "Traceback" not in result.err
    assert result.code == 0, result  # a title without a slug names the branch after the issue key
    branch = repo.current_branch()
    assert check_ref_format(branch) and (rules.slugify(title) or branch == "feature/5")
    end_all(db_path)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "--", branch)


# --- dirty working trees ------------------------------------------------------------------

def test_dirty_stash(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    make_dirty(repo)
    result = sess("start", "--no-issue", "x", "--dirty", "stash", check=0)
    assert repo.current_branch() == "feature/x" and not repo.is_dirty()
    stash = repo.git("stash", "list").splitlines()
    assert len(stash) == 1 and "sess" in stash[0]
    assert "git stash list" in result.out
    shown = repo.git("stash", "show", "--include-untracked", "--name-only", "stash@{0}").splitlines()
    assert sorted(shown) == ["README", "notes/untracked.txt", "staged.txt"]
    assert len(sessions(db_path)) == 1


def test_dirty_commit_lands_on_the_original_branch(sess: SessRunner, repo: Repo) -> None:
    topic = topic_branch(repo)
    make_dirty(repo)
    sess("start", "--no-issue", "x", "--dirty", "commit", "--message", "WIP: before the session", check=0)
    assert repo.current_branch() == "feature/x" and not repo.is_dirty()
    assert repo.git("log", "-1", "--format=%s", "topic") == "WIP: before the session"
    assert repo.git("rev-parse", "topic~1") == topic
    committed = repo.git("show", "--name-only", "--format=", "topic").splitlines()
    assert sorted(committed) == ["README", "notes/untracked.txt", "staged.txt"]
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "main")  # cut from the base, not topic
    assert repo.git("stash", "list") == ""


def test_dirty_commit_message_that_looks_like_an_option(sess: SessRunner, repo: Repo) -> None:
    topic_branch(repo)
    repo.write("README", "edited\n")
    sess("start", "--no-issue", "x", "--dirty", "commit", "--message=--amend", check=0)
    assert repo.git("log", "-1", "--format=%s", "topic") == "--amend"


def test_dirty_discard(sess: SessRunner, repo: Repo) -> None:
    make_dirty(repo)
    sess("start", "--no-issue", "x", "--dirty", "discard", check=0)
    assert repo.current_branch() == "feature/x" and not repo.is_dirty()
    assert repo.git("stash", "list") == ""
    assert (repo.path / "README").read_text() == "widgets\n"
    assert not (repo.path / "staged.txt").exists() and not (repo.path / "notes" / "untracked.txt").exists()


def test_dirty_carry(sess: SessRunner, repo: Repo) -> None:
    topic_branch(repo)
    make_dirty(repo)
    sess("start", "--no-issue", "x", "--dirty", "carry", check=0)
    assert repo.current_branch() == "feature/x"
    assert (repo.path / "README").read_text() == "widgets, edited\n"
    assert (repo.path / "staged.txt").read_text() == "staged\n"
    assert (repo.path / "notes" / "untracked.txt").read_text() == "untracked\n"
    assert not (repo.path / "topic.txt").exists()  # cut from main, not from topic
    assert repo.git("stash", "list") == ""
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "main")
    # the original branch is left clean: the changes moved, they were not copied
    repo.git("stash", "-q", "--include-untracked")
    repo.git("checkout", "-q", "topic")
    assert not repo.is_dirty()


def test_dirty_carry_conflict_rolls_back(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("README", "topic version\n", "Change README on topic")
    repo.write("README", "topic version, edited\n")
    repo.write("new.txt", "new\n")
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "x", "--dirty", "carry"), 1, "do not apply cleanly")
    assert snapshot(repo) == before
    assert sessions(db_path) == []


def test_clean_tree_ignores_dirty_flag(sess: SessRunner, repo: Repo) -> None:
    sess("start", "--no-issue", "x", "--dirty", "commit", check=0)  # nothing to commit: no message needed
    assert repo.git("log", "--format=%s") == "Initial commit"


def test_detached_head_commit_rolls_back(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    diverge(repo)
    topic_branch(repo)
    repo.git("checkout", "-q", "--detach", "topic")
    make_dirty(repo)
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "x", "--dirty", "commit", "-m", "wip"), 1, "could not pull main")
    assert snapshot(repo) == before
    assert repo.current_branch() == ""  # still detached, at the same commit


# --- the base branch ------------------------------------------------------------------------

def test_base_from_origin_head_not_the_current_branch(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    topic_branch(repo)
    result = sess("start", "--no-issue", "x", check=0)
    assert "from main" in result.out
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "main")
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "main"


def test_base_follows_origin_head(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    dev = repo.teammate_push("dev.txt", "dev\n", "Develop work", branch="develop")
    repo.git("fetch", "-q")
    repo.git("remote", "set-head", "origin", "develop")
    result = sess("start", "--no-issue", "x", check=0)
    assert "from develop" in result.out
    assert repo.git("rev-parse", "HEAD") == dev  # the local develop came from origin/develop
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "develop"


def test_base_without_origin_head_is_asked_of_origin(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    """Never the side branch one stands on: it would be every later session's base (issue 15 item 15)."""
    repo.git("remote", "set-head", "origin", "-d")
    topic_branch(repo)
    result = sess("start", "--no-issue", "x", check=0)
    assert "from main" in result.out, result


def test_base_flag(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "release")
    release = repo.commit("release.txt", "r\n", "Release prep")
    repo.git("checkout", "-q", "main")
    result = sess("start", "--no-issue", "x", "--base", "release", check=0)
    assert "from release" in result.out
    assert repo.git("rev-parse", "HEAD") == release
    assert "Pulling" not in result.err  # release is not on origin


@pytest.mark.parametrize("base", ["nope", "--upload-pack=evil", "main; rm -rf ~", "main..x", "@{-1}"])
def test_base_flag_that_does_not_exist(sess: SessRunner, repo: Repo, db_path: Path, base: str) -> None:
    make_dirty(repo)
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "x", f"--base={base}", "--dirty", "stash"), 1, "base branch")
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


@pytest.mark.parametrize("stored", ["gone", "dev", ""])
def test_stored_base_that_no_longer_exists_is_repaired(sess: SessRunner, repo: Repo, db_path: Path,
                                                       stored: str) -> None:
    sess("start", "--no-issue", "first", check=0)
    end_all(db_path)
    repo.git("checkout", "-q", "main")
    execute(db_path, "UPDATE projects SET base_branch = ?", (stored,))
    result = sess("start", "--no-issue", "second", check=0)
    assert "from main" in result.out
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "main"
    assert repo.git("rev-parse", "HEAD") == repo.git("rev-parse", "main")


def test_stored_base_wins_over_origin_head(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "first", check=0)
    end_all(db_path)
    repo.git("checkout", "-q", "-b", "develop", "main")
    dev = repo.commit("dev.txt", "d\n", "Develop")
    repo.git("checkout", "-q", "main")
    execute(db_path, "UPDATE projects SET base_branch = 'develop'")
    result = sess("start", "--no-issue", "second", check=0)
    assert "from develop" in result.out and repo.git("rev-parse", "HEAD") == dev


def test_base_flag_is_for_this_session_only(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.git("branch", "release")
    sess("start", "--no-issue", "x", "--base", "release", check=0)
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "main"


# --- pulling the base -----------------------------------------------------------------------

def test_pulls_what_a_teammate_pushed(sess: SessRunner, repo: Repo) -> None:
    sha = repo.teammate_push("mate.txt", "from a teammate\n", "Teammate change")
    result = sess("start", "--no-issue", "x", check=0)
    assert result.out.splitlines()[1] == "Session active · from main · pulled 1 commit"
    repo.git("merge-base", "--is-ancestor", sha, "HEAD")  # raises if it is not
    assert repo.git("rev-parse", "main") == sha and (repo.path / "mate.txt").exists()


def test_pull_from_another_branch_than_base(sess: SessRunner, repo: Repo) -> None:
    topic_branch(repo)
    first = repo.teammate_push("a.txt", "a\n", "One")
    second = repo.teammate_push("b.txt", "b\n", "Two")
    result = sess("start", "--no-issue", "x", check=0)
    assert "pulled 2 commits" in result.out
    assert repo.git("rev-parse", "HEAD") == second
    assert first in repo.git("log", "--format=%H")


def diverge(repo: Repo) -> None:
    """Local main and origin/main each have a commit the other lacks: --ff-only must fail."""
    repo.commit("local.txt", "local\n", "Local only commit on main")
    repo.teammate_push("mate.txt", "mate\n", "Teammate change")


@pytest.mark.parametrize("mode", ["stash", "carry", "commit", "discard"])
def test_failed_pull_rolls_everything_back(sess: SessRunner, repo: Repo, db_path: Path, mode: str) -> None:
    diverge(repo)
    topic_branch(repo)
    make_dirty(repo)
    before = snapshot(repo)
    result = sess("start", "--no-issue", "x", "--dirty", mode, "--message", "wip")
    assert_failed(result, 1, "could not pull main")
    assert snapshot(repo) == before  # staged stays staged, untracked stays untracked
    assert "MM README" in before["status"] and "A  staged.txt" in before["status"]
    assert sessions(db_path) == []
    assert repo.git("branch", "--list", "feature/*") == ""


@pytest.mark.parametrize("mode", ["stash", "commit"])
def test_branch_that_cannot_be_created_rolls_back(sess: SessRunner, repo: Repo, db_path: Path, mode: str) -> None:
    """A branch named `feature` blocks every `feature/...`: the last git step fails, all is put back."""
    repo.teammate_push("mate.txt", "mate\n", "Teammate change")
    topic_branch(repo)
    repo.git("branch", "feature", "main")
    make_dirty(repo)
    before = snapshot(repo)
    main_before = repo.git("rev-parse", "main")
    result = sess("start", "--no-issue", "x", "--dirty", mode, "-m", "wip")
    assert_failed(result, 1, "feature/x")
    after = snapshot(repo)
    after["refs"] = after["refs"].replace(repo.git("rev-parse", "main"), main_before)
    assert after == before
    assert sessions(db_path) == []
    # the base was brought up to date on the way; that is kept, it loses nothing
    repo.git("merge-base", "--is-ancestor", main_before, "main")  # raises if it is not


def test_failed_pull_from_the_base_branch_itself(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    diverge(repo)
    repo.write("README", "edited on main\n")
    before = snapshot(repo)
    assert_failed(sess("start", "--no-issue", "x", "--dirty", "carry"), 1, "could not pull main")
    assert snapshot(repo) == before
    assert sessions(db_path) == []


def test_unreachable_origin_starts_from_the_local_base(sess: SessRunner, repo: Repo, db_path: Path,
                                                       tmp_path: Path) -> None:
    """No network, no clock? No: the session starts from the local base, with one warning (issue 15 item 17)."""
    repo.git("fetch", "-q", "origin")  # origin/main's reflog: when it was last brought up to date
    repo.git("remote", "set-url", "origin", str(tmp_path / "moved-away.git"))
    topic_branch(repo)
    make_dirty(repo)
    local_main = repo.git("rev-parse", "main")
    result = sess("start", "--no-issue", "x", "--dirty", "stash")
    assert result.code == 0, result
    warnings = [line for line in result.err.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "cannot reach origin" in warnings[0], result
    assert warnings[0].endswith("starting from the local main, last updated from origin just now"), result
    assert repo.current_branch() == "feature/x" and repo.git("rev-parse", "HEAD") == local_main
    assert len(sessions(db_path)) == 1


# --- races ----------------------------------------------------------------------------------

def test_parallel_starts_in_one_repository(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.write("README", "work in progress\n")
    names = [f"racer-{i}" for i in range(6)]
    procs = [sess.start("start", name, "--no-issue", "--dirty", "carry") for name in names]
    results = []
    for name, proc in zip(names, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append((name, proc.returncode, out, err))
    winners = [r for r in results if r[1] == 0]
    assert len(winners) == 1, results
    for name, code, _, err in results:
        assert "Traceback" not in err and "database is locked" not in err, (name, err)
        if code:  # lost to the session that won, and said so; nothing else went wrong
            (error,) = [line for line in err.splitlines() if line.startswith("Error: ")]
            # Refused as any start with a session open (exit 2), or lost the race after its own look.
            assert (code == 2 and "already open: feature/racer-" in error) or \
                (code == 1 and "won the race" in error), err
    winner = f"feature/{winners[0][0]}"
    (session,) = sessions(db_path)
    assert session["branch"] == winner and session["state"] == "active"
    assert repo.current_branch() == winner
    assert repo.git("branch", "--list", "feature/*").split() == ["*", winner]
    assert repo.git("status", "--porcelain") == "M README" and repo.git("stash", "list") == ""
    assert (repo.path / "README").read_text() == "work in progress\n"


# --- failures after the branch exists, and Ctrl-C -----------------------------------------

SLOW_UPLOAD_PACK = """#!/bin/sh
trap 'kill $nap 2>/dev/null; exit 1' INT TERM
echo $$ > "{marker}.tmp" && mv "{marker}.tmp" "{marker}"
sleep {seconds} &
nap=$!
wait $nap
exec git-upload-pack "$@"
"""


def slow_pulls(repo: Repo, tmp_path: Path, seconds: float) -> Path:
    """Make fetching from origin wait: upload-pack runs behind a script that sleeps first."""
    marker = tmp_path / "upload-pack.pid"
    script = tmp_path / "slow-upload-pack"
    script.write_text(SLOW_UPLOAD_PACK.format(marker=marker, seconds=seconds))
    script.chmod(0o755)
    repo.git("config", "remote.origin.uploadpack", str(script))
    return marker


def wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the slow step never began"
        time.sleep(0.02)


def start_logging(sess: SessRunner, repo: Repo, tmp_path: Path, *args: str,
                  **popen: Any) -> tuple[subprocess.Popen[str], Path]:
    """sess started in the background with its stderr going to a file, for `wait_for_step`."""
    log = tmp_path / "sess-stderr.txt"
    with log.open("w") as handle:
        proc = subprocess.Popen(sess.argv(*args), cwd=repo.path, env=sess.env, text=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=handle, **popen)
    return proc, log


def wait_for_step(log: Path, step: str, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    """Until sess has said it is at `step` (the fetch it waits for began earlier, with sess)."""
    deadline = time.monotonic() + timeout
    while step not in log.read_text():
        assert proc.poll() is None, (proc.communicate(), log.read_text())
        assert time.monotonic() < deadline, f"sess never reached {step!r}"
        time.sleep(0.02)


def stop_sleeper(marker: Path) -> None:
    """The sleeping upload-pack script is orphaned when git is killed: end it by its pid."""
    with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
        os.kill(int(marker.read_text().strip()), signal.SIGTERM)


@pytest.mark.parametrize(("mode", "to_group"), [("stash", False), ("carry", False), ("commit", False),
                                              ("stash", True)])
def test_ctrl_c_during_a_slow_pull(sess: SessRunner, repo: Repo, db_path: Path, tmp_path: Path,
                                   mode: str, to_group: bool) -> None:
    """SIGINT to sess alone, or (as a terminal's Ctrl-C does) to its whole process group, git included."""
    repo.teammate_push("mate.txt", "mate\n", "Teammate change")
    marker = slow_pulls(repo, tmp_path, 30)
    topic_branch(repo)
    make_dirty(repo)
    before = snapshot(repo)
    proc, log = start_logging(sess, repo, tmp_path, "start", "--no-issue", "x", "--dirty", mode, "--message", "wip",
                              start_new_session=to_group)
    try:
        wait_for(marker, proc)
        wait_for_step(log, "Fetching main from origin", proc)
        began = time.monotonic()
        if to_group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        err = log.read_text()
    finally:
        stop_sleeper(marker)
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - began < 10  # it did not sit out the pull
    assert proc.returncode == 130, (out, err)
    assert "Error: interrupted" in err and "Traceback" not in err
    assert snapshot(repo) == before
    assert sessions(db_path) == []


def test_ctrl_c_while_gh_is_slow(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(3, "Slow issue")
    gh.delay("issue view", before=30)
    make_dirty(repo)
    before = snapshot(repo)
    proc = sess.start("start", "--issue", "3", "--dirty", "stash")
    deadline = time.monotonic() + 20
    while not gh.calls():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, (out, err)
    assert err.startswith("Error: interrupted") and "Traceback" not in err
    assert snapshot(repo) == before
    assert not db_path.exists() or sessions(db_path) == []


def test_losing_the_race_after_the_branch_exists_rolls_back(sess: SessRunner, repo: Repo, db_path: Path,
                                                           tmp_path: Path) -> None:
    """Another session appears in the database while start is pulling: the unique index refuses ours."""
    sess("start", "--no-issue", "first", check=0)
    end_all(db_path)
    repo.git("checkout", "-q", "main")
    marker = slow_pulls(repo, tmp_path, 1.5)
    topic_branch(repo)
    make_dirty(repo)
    before = snapshot(repo)
    proc, log = start_logging(sess, repo, tmp_path, "start", "--no-issue", "x", "--dirty", "stash")
    try:
        wait_for_step(log, "Fetching main from origin", proc)  # past its own look for an open session
        project_id = rows(db_path, "SELECT id FROM projects")[0]["id"]
        execute(db_path, "INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time,"
                         " total_elapsed, branch_type) VALUES (?, 'feature/other', '', '', 'paused',"
                         " '2026-01-01 10:00:00.000000+00:00', 0, 'feature')", (project_id,))
        out, _ = proc.communicate(timeout=30)
        err = log.read_text()
    finally:
        stop_sleeper(marker)
    assert proc.returncode == 1, (out, err)
    assert "another sess start won the race" in err
    assert "Error: " in err and "Traceback" not in err
    assert snapshot(repo) == before
    assert [s["branch"] for s in open_sessions(db_path)] == ["feature/other"]
    assert "feature/x" not in repo.git("branch", "--list")


def test_python_m_sess_matches_console_script(repo: Repo, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "sess", "--version"], cwd=repo.path, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("SESS v")


def test_a_base_checked_out_in_another_worktree_is_refused_before_anything_changes(
        sess: SessRunner, repo: Repo, tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other-tree"
    repo.git("worktree", "add", "-q", "-b", "elsewhere", str(other))
    (other / "README").write_text("changed here\n")
    r = sess("start", "x", "--no-issue", "--base", "main", "--dirty", "stash", cwd=other, check=1)
    assert r.err.splitlines()[0] == f"Error: main is checked out in another worktree ({repo.path})"
    assert "Start the session there" in r.err
    def there(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=other, env=repo.env, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert there("status", "--short") == "M README"
    assert there("stash", "list") == "" and there("branch", "--show-current") == "elsewhere"
    assert not db_path.exists() or sessions(db_path) == []
    # Its folder gone, git still holds the branch for it until told to forget.
    repo.git("checkout", "-q", "-b", "side")
    gone = tmp_path / "gone-tree"
    repo.git("worktree", "add", "-q", str(gone), "main")
    import shutil

    shutil.rmtree(gone)
    r = sess("start", "y", "--no-issue", "--base", "main", check=1)
    assert "git worktree prune" in r.err
