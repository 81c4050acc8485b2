"""Defects from a user's first week (issue 10), each reproduced as the user met it."""
from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dbhelp import sessions
from test_interactive import ENTER, Spawn, spawn, terminals  # noqa: F401  (fixtures)

from sess import rules

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, Result, SessRunner

BRANCH = "feature/x"


def start(sess: SessRunner, *args: str) -> None:
    sess("start", *(args or ("x", "--no-issue")), check=0)


def origin_git(repo: Repo, *args: str) -> str:
    assert repo.origin is not None
    return repo.git("--git-dir", str(repo.origin), *args)


def origin_has(repo: Repo, branch: str) -> bool:
    return bool(origin_git(repo, "branch", "--list", branch))


def journal(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT step, status FROM end_journal").fetchall()


def error(r: Result) -> str:
    at = r.err.find("Error: ")
    assert at >= 0, r
    return r.err[at:]


# --- 1: the commit reported is the one that was pushed ------------------------------------------

def test_end_reports_the_rebased_commit_that_was_pushed(sess: SessRunner, repo: Repo) -> None:
    start(sess)
    repo.write("x.txt", "x\n")
    repo.teammate_push("mate.txt", "m\n", "Teammate's work")
    r = sess("end", "-m", "Add x", "--no-pr", check=0)
    pushed = origin_git(repo, "rev-parse", BRANCH)
    assert origin_git(repo, "log", "-1", "--format=%s", BRANCH) == "Add x"
    assert f"Committed your changes as {pushed[:7]} · Add x" in r.out.splitlines(), r


# --- 2: end on another branch with uncommitted changes ------------------------------------------

def test_end_refuses_to_carry_another_branchs_changes(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "f\n", "Add the feature")
    repo.git("checkout", "-q", "main")
    repo.write("README", "edited on main\n")
    repo.write("notes.txt", "mine\n")
    r = sess("end", "-m", "stray", "--no-pr", check=1)
    message = error(r)
    assert "main" in message and "README" in message and "notes.txt" in message, r
    assert "Traceback" not in r.err
    assert repo.current_branch() == "main"
    assert (repo.path / "README").read_text() == "edited on main\n"
    assert repo.git("log", "-1", "--format=%s", BRANCH) == "Add the feature"
    assert not origin_has(repo, BRANCH)
    assert sessions(db_path)[0]["state"] == "active" and journal(db_path) == []


def test_end_continue_refuses_to_carry_another_branchs_changes(sess: SessRunner, repo: Repo,
                                                               db_path: Path) -> None:
    start(sess)
    repo.write("work.txt", "w\n")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    sess("end", "-m", "Work", "--no-pr", check=1)  # stopped at the commit step
    hook.unlink()
    repo.git("stash", "-q", "-u")
    repo.git("checkout", "-q", "main")
    repo.write("README", "edited on main\n")
    r = sess("end", "--continue", check=1)
    assert "main" in error(r) and "README" in error(r), r
    assert repo.current_branch() == "main" and (repo.path / "README").read_text() == "edited on main\n"
    assert repo.git("log", "-1", "--format=%s", BRANCH) == "Initial commit"
    assert sessions(db_path)[0]["state"] == "active"


# --- 3: gh checked before anything changes -------------------------------------------------------

def assert_nothing_changed(repo: Repo, db_path: Path) -> None:
    assert repo.current_branch() == BRANCH and repo.is_dirty()
    assert repo.git("log", "-1", "--format=%s", BRANCH) == "Initial commit"
    assert not origin_has(repo, BRANCH)
    assert sessions(db_path)[0]["state"] == "active" and journal(db_path) == []


def test_end_checks_gh_login_before_the_first_step(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start(sess)
    repo.write("work.txt", "w\n")
    gh.logout()
    r = sess("end", "-m", "Work", check=1)
    assert error(r).startswith("Error: gh is not logged in"), r
    assert "gh auth login" in r.err and "--no-pr" in r.err
    assert gh.calls() == [["auth", "status"]]
    assert_nothing_changed(repo, db_path)


def test_end_checks_for_an_expired_gh_token(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    start(sess)
    repo.write("work.txt", "w\n")
    gh.set(token_invalid=True)
    r = sess("end", "-m", "Work", check=1)
    assert error(r).startswith("Error: gh's login to github.com is no longer valid"), r
    assert "gh auth login" in r.err and "--no-pr" in r.err
    assert_nothing_changed(repo, db_path)


def test_end_checks_that_gh_is_installed(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.remove_from_path()
    start(sess)
    repo.write("work.txt", "w\n")
    r = sess("end", "-m", "Work", check=1)
    assert error(r).startswith("Error: gh is not installed"), r
    assert "--no-pr" in r.err
    assert_nothing_changed(repo, db_path)


def test_end_without_a_pr_does_not_ask_gh(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    start(sess)
    repo.write("work.txt", "w\n")
    gh.logout()
    sess("end", "-m", "Work", "--no-pr", check=0)
    assert gh.calls() == []


def test_continue_checks_gh_before_the_pull_request_step_is_reached(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                                    db_path: Path) -> None:
    start(sess)
    repo.commit("feature.txt", "f\n", "Add the feature")
    gh.fail("pr list", "HTTP 502: Bad Gateway", times=None)
    sess("end", check=1)  # stops at the pull-request step, after the push
    gh.set(fail={})
    gh.logout()
    r = sess("end", "--continue", check=1)
    assert error(r).startswith("Error: gh is not logged in"), r
    assert journal(db_path) == [("pull-request", "failed")]


# --- 5: accents fold to their base letters ----------------------------------------------------------

@pytest.mark.parametrize(("text", "slug"), [
    ("Naïve café: ünïcode", "naive-cafe-unicode"),
    ("Crème brûlée", "creme-brulee"),
    ("ﬁle Ångström", "file-angstrom"),
    ("日本語", ""),
])
def test_slug_folds_accents(text: str, slug: str) -> None:
    assert rules.slugify(text) == slug


def test_start_folds_accents_in_the_branch_name(sess: SessRunner, repo: Repo) -> None:
    start(sess, "Naïve café: ünïcode", "--no-issue")
    assert repo.current_branch() == "feature/naive-cafe-unicode"


# --- 6: issue forms, and a missing issue -------------------------------------------------------------

@pytest.mark.parametrize("ref", ["42", "#42", "https://github.com/acme/widgets/issues/42",
                                 "https://github.com/acme/widgets/issues/42/"])
def test_issue_forms(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, ref: str) -> None:
    gh.add_issue(42, "Fix the crash")
    start(sess, "--issue", ref)
    assert repo.current_branch() == "feature/fix-the-crash"
    assert sessions(db_path)[0]["issue_id"] == "42"


@pytest.mark.parametrize("ref", ["abc", "https://github.com/acme/widgets/pull/42", "4 2", "https://github.com/acme"])
def test_issue_forms_that_are_not_issues(sess: SessRunner, repo: Repo, gh: FakeGh, ref: str) -> None:
    r = sess("start", f"--issue={ref}", check=2)
    assert error(r).startswith("Error: --issue"), r
    assert "Run 'sess start --help'" in r.err
    assert gh.calls() == []


def test_a_missing_issue_is_one_line_naming_it(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    r = sess("start", "--issue", "#99", check=1)
    assert r.err == "Error: issue #99 does not exist in this repository on GitHub\n", r
    assert repo.current_branch() == "main"


# --- 7 and 8: prompts ----------------------------------------------------------------------------------

def test_name_prompt_asks_again_for_a_name_without_letters(spawn: Spawn, repo: Repo) -> None:  # noqa: F811
    term = spawn("start", "--no-issue", "--type", "bugfix")
    term.expect("Branch name")
    term.send("!!!" + ENTER)
    term.expect("letters or digits")
    term.send("\x7f" * 3 + "Good name" + ENTER)
    assert term.finish() == 0, term.seen
    assert repo.current_branch() == "bugfix/good-name"


def test_commit_message_prompt_offers_its_default_without_prefilling(spawn: Spawn, repo: Repo,  # noqa: F811
                                                                     sess: SessRunner) -> None:
    start(sess, "spinner check", "--no-issue")
    repo.write("y.txt", "y\n")
    term = spawn("end", "--no-pr", "--keep-branch")
    term.expect("Commit message")
    term.expect("Spinner check")  # the default is shown
    term.send("Add y" + ENTER)
    assert term.finish() == 0, term.seen
    assert repo.git("log", "-1", "--format=%s", "feature/spinner-check") == "Add y"


# --- 10: the base follows origin after end ----------------------------------------------------------

def test_end_fast_forwards_the_base(sess: SessRunner, repo: Repo) -> None:
    start(sess)
    repo.write("x.txt", "x\n")
    mate = repo.teammate_push("mate.txt", "m\n", "Teammate's work")
    r = sess("end", "-m", "Add x", "--no-pr", check=0)
    assert repo.current_branch() == "main"
    assert repo.git("rev-parse", "main") == mate == repo.git("rev-parse", "origin/main")
    assert "behind" not in repo.git("status", "-sb").splitlines()[0]
    assert (repo.path / "mate.txt").exists() and not repo.is_dirty()
    assert any("origin/main" in line and "1 commit" in line for line in r.out.splitlines()), r


def test_end_leaves_a_base_with_its_own_commits_alone(sess: SessRunner, repo: Repo) -> None:
    start(sess)
    repo.write("x.txt", "x\n")
    repo.git("checkout", "-q", "main")
    own = repo.commit("local.txt", "l\n", "Local only")
    repo.git("checkout", "-q", BRANCH)
    repo.teammate_push("mate.txt", "m\n", "Teammate's work")
    r = sess("end", "-m", "Add x", "--no-pr", check=0)
    assert repo.current_branch() == "main" and repo.git("rev-parse", "main") == own  # no merge, no rewrite
    assert any("not fast-forwarded" in line for line in r.out.splitlines()), r


# --- 11: wording ---------------------------------------------------------------------------------------

def test_resume_without_a_session_says_no_paused_session(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    start(sess)
    sess("end", "--no-pr", check=0)
    r = sess("resume", check=1)
    assert error(r).startswith("Error: no paused session"), r


def test_resume_while_active_gives_a_hint(sess: SessRunner, repo: Repo) -> None:
    start(sess)
    r = sess("resume", check=1)
    lines = error(r).splitlines()
    assert lines[0].startswith("Error: ") and "already active" in lines[0]
    assert len(lines) == 3 and lines[1] == "" and "sess pause" in lines[2], r


def test_bad_flag_value_and_unknown_flag_point_at_the_same_help(sess: SessRunner, repo: Repo) -> None:
    bad_value = sess("history", "--limit", "many", check=2)
    unknown = sess("history", "--bogus", check=2)
    assert bad_value.err.splitlines()[-1] == unknown.err.splitlines()[-1] == "Run 'sess history --help' for usage."


# --- 12: long texts never go on a command line ------------------------------------------------------

def test_a_pr_body_past_128k_goes_through_a_private_file(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                          env: dict[str, str]) -> None:
    start(sess)
    repo.commit("feature.txt", "f\n", "Add the feature")
    part = "y" * (50 * 1024)
    sess("end", "--summary", part, "--testing", part, "--notes", part, check=0)
    (pr,) = gh.prs()
    assert pr["body"].count(part) == 3
    (create,) = [call for call in gh.calls() if call[:2] == ["pr", "create"]]
    assert not any(part in arg for arg in create)
    body_file = Path(next(arg.split("=", 1)[1] for arg in create if arg.startswith("--body-file=")))
    assert not body_file.exists()  # removed after
    assert body_file.parent == Path(env["SESS_HOME"]) / "tmp"  # private: the state directory's own
    assert stat.S_IMODE(body_file.parent.stat().st_mode) == 0o700


def test_a_body_file_left_by_a_killed_end_is_removed_later(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                           env: dict[str, str]) -> None:
    left = Path(env["SESS_HOME"]) / "tmp" / "pr-body-killed.md"
    left.parent.mkdir(parents=True)
    left.write_text("a body nobody reads\n")
    an_hour_ago = time.time() - 2 * 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    start(sess)
    repo.commit("feature.txt", "f\n", "Add the feature")
    sess("end", check=0)
    assert not left.exists() and list(left.parent.iterdir()) == []


def test_a_long_commit_message_does_not_go_on_the_command_line(tmp_path: Path, env: dict[str, str],
                                                               repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from sess import git

    for key in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, env[key])
    message = "Subject\n\n" + "z" * (200 * 1024)
    repo.write("big.txt", "b\n")
    sha = git.commit_all(str(repo.path), message)
    assert repo.git("log", "-1", "--format=%B", sha).strip() == message.strip()


def test_an_issue_titled_with_blanks_only(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.set(issues=[{"number": 5, "title": "\r\t "}])
    sess("start", "--issue", "5", check=0)
    assert repo.current_branch() == "feature/5"  # the issue key names it (issue 15 item 27)


def test_end_sync_base_false_leaves_the_base_where_it_was(sess: SessRunner, repo: Repo,
                                                          env: dict[str, str], tmp_path: Path) -> None:
    user_file = tmp_path / "user.toml"
    user_file.write_text("[end]\nsync_base = false\n")
    env["SESS_CONFIG"] = str(user_file)
    start(sess)
    repo.write("x.txt", "x\n")
    before = repo.git("rev-parse", "main")
    repo.teammate_push("mate.txt", "m\n", "Teammate's work")
    r = sess("end", "-m", "Add x", "--no-pr", check=0)
    assert repo.current_branch() == "main" and repo.git("rev-parse", "main") == before
    assert "On branch main" in r.out.splitlines(), r
