"""How many git processes each command starts (issue 10: start and end as fast as the git
underneath), and that reading the repository's files gives what git itself would say."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


@pytest.fixture
def git_log(env: dict[str, str], tmp_path: Path) -> Path:
    """A `git` first on PATH that logs its arguments, one call per line, then runs the real one."""
    real = next(Path(d) / "git" for d in env["PATH"].split(os.pathsep) if (Path(d) / "git").is_file())
    wrapper_dir = tmp_path / "gitlog"
    wrapper_dir.mkdir()
    log = tmp_path / "git-calls.txt"
    wrapper = wrapper_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    env["PATH"] = f"{wrapper_dir}{os.pathsep}{env['PATH']}"
    return log


def calls(log: Path) -> list[str]:
    """The git calls logged since the last look (the log is emptied)."""
    lines = log.read_text().splitlines() if log.exists() else []
    log.write_text("")
    return lines


def test_status_starts_no_git(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    calls(git_log)
    assert sess("status", check=0).out.startswith("On branch feature/x (feature)\n")
    assert sess("status", "--json", check=0).out.startswith("{")
    assert calls(git_log) == []


def test_status_reads_branches_as_git_does(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sub = repo.path / "deep" / "er"
    sub.mkdir(parents=True)
    assert sess("status", cwd=sub, check=0).out.startswith("On branch feature/x (feature)\n")
    # A linked worktree: .git is a file pointing at the main repository's worktrees/<name>.
    other = tmp_path / "other-tree"
    repo.git("worktree", "add", "-q", "-b", "elsewhere", str(other), "main")
    assert sess("status", cwd=other, check=0).out.startswith("Not a tracked project")
    sess("start", "y", "--no-issue", "--base", "main", cwd=other, check=0)
    assert sess("status", cwd=other, check=0).out.startswith("On branch feature/y (feature)\n")
    repo.git("checkout", "-q", "--detach", "HEAD")
    assert sess("status", check=0).out.splitlines()[0] == "HEAD detached"


def test_status_off_the_session_branch_starts_no_git(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    calls(git_log)
    assert "Session branch feature/x (feature) is not checked out" in sess("status", check=0).out
    repo.git("pack-refs", "--all")  # the branch now lives in packed-refs only
    assert "is not checked out" in sess("status", check=0).out
    assert calls(git_log) == ["pack-refs --all"]
