"""A week of real use, start (issue 15 items 15, 17, 24, 27): the base, offline, --dirty commit on
the base, slugs and names."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import refused
from test_config import write_user

from sess.rules import slugify

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, SessRunner


def test_dirty_commit_on_the_base_is_the_new_branch_s_first_commit(sess: SessRunner, repo: Repo,
                                                                   db_path: Path) -> None:
    base_tip = repo.git("rev-parse", "main")
    repo.write("README", "edited on main\n")
    repo.write("notes.txt", "new\n")
    result = sess("start", "--no-issue", "x", "--dirty", "commit", "--message", "Work from main", check=0)
    assert repo.current_branch() == "feature/x" and not repo.is_dirty(), result
    assert repo.git("rev-parse", "main") == base_tip  # the base is untouched
    assert repo.git("log", "--format=%s", "main..feature/x") == "Work from main"
    assert repo.git("show", "feature/x:README") == "edited on main"
    assert repo.git("show", "feature/x:notes.txt") == "new"
    # The next start still pulls the base --ff-only.
    repo.teammate_push("mate.txt", "m\n", "Teammate")
    sess("cancel", check=0)
    sess("start", "--no-issue", "y", check=0)
    assert repo.git("log", "-1", "--format=%s", "main") == "Teammate"


def test_undo_of_that_start_keeps_the_commit_on_the_branch(sess: SessRunner, repo: Repo) -> None:
    repo.write("README", "edited on main\n")
    sess("start", "--no-issue", "x", "--dirty", "commit", "--message", "Work from main", check=0)
    result = sess("undo", check=0)
    assert "Your changes stay committed on feature/x" in result.out, result
    assert "Kept branch feature/x" in result.out
    assert repo.current_branch() == "main"
    assert repo.git("show", "feature/x:README") == "edited on main"


# --- slugs and names (item 27) ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "slug"), [
    ("Straße", "strasse"), ("Søren", "soren"), ("Łódź", "lodz"), ("Ærø þing", "aero-thing"),
    ("Đorđe", "dorde"), ("Naïve café", "naive-cafe"), ("日本語のタイトル", ""),
])
def test_letters_are_transliterated_before_folding(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_a_title_without_a_slug_falls_back_to_the_issue_key(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(22, "日本語のタイトル")
    sess("start", "--issue", "22", check=0)
    assert repo.current_branch() == "feature/22"
    sess("cancel", check=0)
    repo.commit(".sess.toml", '[branch]\ntemplate = "{type}/{issue}-{slug}"\n', "Team template")
    sess("start", "--issue", "22", "--type", "bugfix", check=0)
    assert repo.current_branch() == "bugfix/22"  # the empty slug takes its '-' along
    sess("cancel", check=0)
    refused(sess("start", "--no-issue", "日本語"), "gives an empty branch name", code=1)


def test_a_blank_issue_title_is_no_pr_title(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(8, "   ")
    sess("start", "--issue", "8", check=0)
    assert repo.current_branch() == "feature/8"
    repo.commit("fix.txt", "f\n", "Fix the widget")
    sess("end", "--summary", "S", "--testing", "T", "--notes", "N", "--keep-branch", check=0)
    (pr,) = gh.prs()
    assert pr["title"] == "Fix the widget"


def test_user_field_falls_back_to_the_email_and_branch_user_sets_it(sess: SessRunner, repo: Repo,
                                                                    env: dict[str, str]) -> None:
    repo.commit(".sess.toml", '[branch]\ntemplate = "{user}/{slug}"\n', "Team template")
    repo.git("config", "user.name", "山田太郎")
    repo.git("config", "user.email", "taro.yamada@example.com")
    sess("start", "--no-issue", "x", check=0)
    assert repo.current_branch() == "taro-yamada/x"
    sess("cancel", check=0)
    write_user(env, '[branch]\nuser = "tyamada"\n')
    sess("start", "--no-issue", "y", check=0)
    assert repo.current_branch() == "tyamada/y"


def test_a_template_without_slug_is_refused(sess: SessRunner, repo: Repo) -> None:
    repo.commit(".sess.toml", '[branch]\ntemplate = "{type}"\n', "Team template")
    refused(sess("start", "--no-issue", "x"), "'branch.template' must contain {slug}", code=1)
    assert repo.current_branch() == "main"


def test_a_branch_that_clashes_with_a_ref_is_refused(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.git("branch", "feature")
    repo.write("wip.txt", "w\n")
    refused(sess("start", "--no-issue", "x", "--dirty", "stash"), "'feature/x'", "'feature'", code=1)
    assert repo.current_branch() == "main" and (repo.path / "wip.txt").exists() and not repo.git("stash", "list")
    repo.git("branch", "-D", "feature")
    repo.git("push", "-q", "origin", "main:refs/heads/bugfix/y/old")
    repo.git("fetch", "-q")
    refused(sess("start", "--no-issue", "y", "--type", "bugfix", "--dirty", "stash"), "'bugfix/y/old'", code=1)


# --- the base (item 15) ---------------------------------------------------------------------------

def test_a_clone_of_an_empty_origin_never_takes_a_side_branch_for_the_base(
        sess: SessRunner, tmp_path: Path, env: dict[str, str], db_path: Path) -> None:
    from conftest import Repo as RepoClass
    from conftest import run_git
    from dbhelp import rows

    origin = tmp_path / "empty.git"
    run_git(tmp_path, env, "init", "-q", "--bare", "-b", "main", str(origin))
    run_git(tmp_path, env, "clone", "-q", str(origin), "fresh")
    clone = RepoClass(tmp_path / "fresh", env, origin)
    clone.git("symbolic-ref", "HEAD", "refs/heads/main")
    clone.commit("README", "r\n", "First")
    clone.git("checkout", "-q", "-b", "spike")
    result = sess("start", "--no-issue", "x", cwd=clone.path, check=0)
    assert "from main" in result.out, result
    assert rows(db_path, "SELECT base_branch FROM projects")[0]["base_branch"] == "main"


def test_end_base_retargets_the_open_session(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    from dbhelp import session_row

    repo.git("push", "-q", "origin", "main:refs/heads/release")
    mate = repo.teammate_push("fix.txt", "f\n", "Release fix", branch="release")
    sess("start", "--no-issue", "x", check=0)  # from main
    repo.commit("feature.txt", "x\n", "Add the feature")
    refused(sess("end", "--base", "nowhere", "--summary", "S", "--testing", "T", "--notes", "N"), "'nowhere'")
    assert session_row(db_path)["state"] == "active"
    result = sess("end", "--base", "release", "--summary", "S", "--testing", "T", "--notes", "N", "--keep-branch")
    assert result.code == 0, result
    (pr,) = gh.prs()
    assert pr["baseRefName"] == "release"
    assert repo.git("--git-dir", str(repo.origin), "merge-base", "--is-ancestor", mate, "feature/x") == ""
    assert session_row(db_path)["base_branch"] == "release"


def test_a_base_that_is_not_on_origin_is_a_warning(sess: SessRunner, repo: Repo) -> None:
    repo.git("branch", "local-only")
    result = sess("start", "--no-issue", "x", "--base", "local-only", check=0)
    assert "Warning: the base local-only is not on origin" in result.err, result


# --- an existing branch (Part 3, "An existing branch") ------------------------------------------

def _ended_on_issue(sess: SessRunner, repo: Repo, gh: FakeGh) -> str:
    gh.add_issue(5, "Add login")
    sess("start", "--issue", "5", check=0)
    repo.commit("login.py", "x\n", "Login")
    sess("end", "--keep-branch", check=0)
    return "feature/add-login"


@pytest.mark.parametrize("where", ["both", "origin", "local"])
def test_start_on_an_ended_session_s_branch_points_at_reopen(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                             db_path: Path, where: str) -> None:
    branch = _ended_on_issue(sess, repo, gh)
    if where == "origin":
        repo.git("branch", "-D", branch)
    if where == "local":
        repo.git("push", "-q", "origin", "--delete", branch)
    before = repo.git("for-each-ref")
    refused(sess("start", "--issue", "5"), f"branch '{branch}' already exists", "ended session", "#5",
            f"sess reopen {branch}", code=1)
    assert repo.git("for-each-ref") == before and repo.current_branch() == "main"
    assert sess("status", "--json", check=0).out.count('"session": null') == 1


def test_start_on_a_cancelled_session_s_branch_says_cancelled_and_how_to_go_on(sess: SessRunner, repo: Repo,
                                                                             gh: FakeGh) -> None:
    gh.add_issue(5, "Fix login")
    branch = sess("start", "--issue", "5", check=0).out.splitlines()[0].split()[2]
    repo.write("work.txt", "kept\n")
    repo.git("add", "work.txt")
    repo.git("commit", "-qm", "Work")
    sess("cancel", check=0)
    before = repo.git("for-each-ref")
    result = sess("start", "--issue", "5")
    refused(result, f"branch '{branch}' already exists: it is the branch of your cancelled session [1] on #5",
            f"git branch -D {branch}", code=1)
    assert "reopen" not in result.err and repo.git("for-each-ref") == before


def test_start_on_a_branch_of_no_session_names_it_and_changes_nothing(sess: SessRunner, repo: Repo,
                                                                     db_path: Path) -> None:
    repo.git("branch", "feature/mine")
    before = repo.git("for-each-ref")
    result = sess("start", "--no-issue", "mine")
    refused(result, "branch 'feature/mine' already exists", code=1)
    assert "reopen" not in result.err and repo.git("for-each-ref") == before
