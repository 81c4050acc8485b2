"""`sess prompt`: one line or nothing, without ever calling git."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dbhelp import ago, execute, stamp

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

LINE = re.compile(r"^feature/add-oauth (\d+h\d+m|\d+m\d+s|\d+s)( #123)?( paused)?\n$")


@pytest.fixture
def no_git(tmp_path: Path, env: dict[str, str]) -> Path:
    """A `git` first on PATH that records being called and fails: the prompt must never run it."""
    bin_dir = tmp_path / "nogit"
    bin_dir.mkdir()
    marker = tmp_path / "git-was-called"
    script = bin_dir / "git"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> '{marker}'\nexit 97\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return marker


def prompt(sess: SessRunner, env: dict[str, str], cwd: Path, no_git: Path, code: int = 0) -> str:
    saved = env["PATH"]
    env["PATH"] = os.pathsep.join([str(no_git.parent / "nogit"), saved])
    try:
        result = sess("prompt", cwd=cwd, check=code)
    finally:
        env["PATH"] = saved
    assert result.err == "", result
    assert not no_git.exists(), f"sess prompt ran git: {no_git.read_text()}"
    return result.out


def test_nothing_outside_a_repository(sess: SessRunner, env: dict[str, str], tmp_path: Path,
                                      no_git: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert prompt(sess, env, plain, no_git) == ""


def test_nothing_without_a_database_or_a_session(sess: SessRunner, env: dict[str, str], repo: Repo,
                                                 db_path: Path, no_git: Path) -> None:
    assert prompt(sess, env, repo.path, no_git) == ""
    assert not db_path.exists()  # the prompt never creates the database
    sess("start", "add-oauth", "--no-issue", check=0)
    sess("end", "--no-pr", "--message", "m", check=0)
    assert prompt(sess, env, repo.path, no_git) == ""


def test_active_session_from_the_top_and_a_subdirectory(sess: SessRunner, env: dict[str, str], repo: Repo,
                                                       db_path: Path, no_git: Path) -> None:
    sess("start", "add-oauth", "--no-issue", check=0)
    assert LINE.match(prompt(sess, env, repo.path, no_git))
    deep = repo.path / "src" / "deep"
    deep.mkdir(parents=True)
    assert LINE.match(prompt(sess, env, deep, no_git))


def test_time_issue_and_paused(sess: SessRunner, env: dict[str, str], repo: Repo, db_path: Path,
                               no_git: Path, gh: object) -> None:
    sess("start", "add-oauth", "--no-issue", check=0)
    # 1h of completed time, and a running slice begun 2 minutes ago: 1h2m.
    execute(db_path, "UPDATE sessions SET total_elapsed = ?, current_slice_start = ?, issue_id = '123'",
            (3600 * 10**9, stamp(ago(minutes=2, seconds=5))))
    assert prompt(sess, env, repo.path, no_git) == "feature/add-oauth 1h2m #123\n"
    sess("pause", check=0)
    execute(db_path, "UPDATE sessions SET total_elapsed = ?", (3720 * 10**9,))
    assert prompt(sess, env, repo.path, no_git) == "feature/add-oauth 1h2m #123 paused\n"


def test_a_running_slice_in_the_go_tools_form(sess: SessRunner, env: dict[str, str], repo: Repo,
                                              db_path: Path, no_git: Path) -> None:
    from dbhelp import go_time

    sess("start", "add-oauth", "--no-issue", check=0)
    execute(db_path, "UPDATE sessions SET total_elapsed = 0, current_slice_start = ?",
            (go_time(ago(minutes=5, seconds=1)),))
    assert prompt(sess, env, repo.path, no_git) == "feature/add-oauth 5m1s\n"


def test_in_a_linked_worktree(sess: SessRunner, env: dict[str, str], repo: Repo, tmp_path: Path,
                              no_git: Path) -> None:
    """A worktree's `.git` is a file; its session is the worktree's own, not the main checkout's."""
    other = tmp_path / "work" / "widgets-wt"
    repo.git("checkout", "-q", "-b", "spare")  # main is free for the worktree, where the session starts
    repo.git("worktree", "add", "-q", str(other), "main")
    sess("start", "add-oauth", "--no-issue", cwd=other, check=0)
    (other / "sub").mkdir()
    assert LINE.match(prompt(sess, env, other / "sub", no_git))
    assert prompt(sess, env, repo.path, no_git) == ""


def test_control_characters_from_the_database_are_shown_not_sent(sess: SessRunner, env: dict[str, str],
                                                                 repo: Repo, db_path: Path,
                                                                 no_git: Path) -> None:
    sess("start", "add-oauth", "--no-issue", check=0)
    execute(db_path, "UPDATE sessions SET issue_id = ?", ("12\x1b]0;pwned\x07",))
    out = prompt(sess, env, repo.path, no_git)
    assert "\x1b" not in out and "\x07" not in out
    assert "#12\\x1b]0;pwned\\x07" in out


def test_an_unreadable_database_prints_nothing(sess: SessRunner, env: dict[str, str], repo: Repo,
                                               db_path: Path, no_git: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.write_bytes(b"this is not a database" * 100)
    assert prompt(sess, env, repo.path, no_git, code=1) == ""  # silent: it would land in every prompt


def test_help_goes_through_the_parser(sess: SessRunner, tmp_path: Path) -> None:
    result = sess("prompt", "--help", cwd=tmp_path, check=0)
    assert result.out.startswith("usage: sess prompt")
    assert sess("prompt", "--bogus", cwd=tmp_path, check=2).err.startswith("Error: unknown option '--bogus'")
