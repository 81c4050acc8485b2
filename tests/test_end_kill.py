"""`sess end` killed with SIGKILL at its slowest waits, then recovered.

The kill points are slow stand-ins: a pre-receive hook in the bare origin that holds the push,
a post-commit hook that holds the commit, and the fake gh's delays around `gh pr create`. The
test kills the real sess process; whatever it started keeps running, as it would after a
`kill -9` (or is killed too, as after a closed laptop). Recovery must end with exactly one
commit of the dirty work, one pull request and one ended session.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"
WAIT_S = 15.0


def wait_for(what: str, condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def kill_sess(proc: subprocess.Popen[str]) -> None:
    assert proc.poll() is None, f"sess finished before it could be killed: {proc.communicate()}"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT_S)
    assert proc.returncode == -signal.SIGKILL


def hook(path: Path, script: str) -> None:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def holding_hook(path: Path, marks: Path) -> Path:
    """A hook that records itself, then waits while the `hold` file exists; returns `hold`."""
    hold = marks / "hold"
    hold.touch()
    hook(path, f'echo run >> "{marks}/runs"\necho $$ > "{marks}/hook.pid"\necho $PPID > "{marks}/parent.pid"\n'
               f'while [ -e "{hold}" ]; do sleep 0.02; done\n')
    return hold


def query(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def dirty_session(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.write("dirty.txt", "the dirty work\n")


def assert_recovered(repo: Repo, gh: FakeGh, db_path: Path) -> None:
    """Exactly one commit of the dirty work, one PR and one ended session."""
    assert repo.origin is not None
    origin = ["--git-dir", str(repo.origin)]
    subjects = repo.git(*origin, "log", "--format=%s", f"main..{BRANCH}").splitlines()
    assert subjects == ["Dirty work", "Add the feature"]
    assert repo.git(*origin, "show", f"{BRANCH}:dirty.txt") == "the dirty work"
    assert repo.git("rev-parse", BRANCH) == repo.git(*origin, "rev-parse", BRANCH)
    assert not repo.is_dirty() and repo.current_branch() == "main"
    prs = gh.prs()
    assert len(prs) == 1 and prs[0]["headRefName"] == BRANCH and prs[0]["state"] == "OPEN"
    assert query(db_path, "SELECT state, pr_number FROM sessions") == [("ended", prs[0]["number"])]
    assert query(db_path, "SELECT count(*) FROM end_journal") == [(0,)]


def end_held_at_the_push(sess: SessRunner, repo: Repo, tmp_path: Path) -> tuple[subprocess.Popen[str], Path, int]:
    """A dirty session whose `sess end` is running and held by origin's pre-receive hook:
    the sess process, the file that holds the hook, and the receive-pack pid."""
    assert repo.origin is not None
    dirty_session(sess, repo)
    hold = holding_hook(repo.origin / "hooks" / "pre-receive", tmp_path)
    proc = sess.start("end", "-m", "Dirty work")
    wait_for("the push to reach the hook", (tmp_path / "parent.pid").exists)
    wait_for("the hook to record itself", lambda: bool((tmp_path / "parent.pid").read_text().strip()))
    return proc, hold, int((tmp_path / "parent.pid").read_text())


@pytest.mark.parametrize("orphans", ["finish", "die"])
def test_killed_while_pushing(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path,
                              orphans: str) -> None:
    """finish: the push sess started outlives it and lands; die: it dies with sess (a closed laptop)."""
    proc, hold, receive_pack = end_held_at_the_push(sess, repo, tmp_path)
    kill_sess(proc)

    status = sess("status", check=0).out
    assert "End stopped at step 'push'" in status and "--continue" in status and "--abort" in status
    if orphans == "die":
        for pid in (parent_of(receive_pack), receive_pack, int((tmp_path / "hook.pid").read_text())):
            kill(pid)
    hold.unlink()
    wait_for("the push sess started to finish", lambda: not alive(receive_pack))
    landed = bool(repo.git("--git-dir", str(repo.origin), "branch", "--list", BRANCH))
    assert landed == (orphans == "finish")

    r = sess("end", check=0)  # a plain end picks up where the killed one stopped
    assert "Continuing the end that stopped at step 'push'" in r.err, r
    assert_recovered(repo, gh, db_path)
    # A push that landed is not pushed again; one that died is.
    pushes = len((tmp_path / "runs").read_text().splitlines())
    assert pushes == (1 if orphans == "finish" else 2)


def test_killed_while_committing(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """The commit is made, but sess dies before it can write down that it was."""
    dirty_session(sess, repo)
    hold = holding_hook(repo.path / ".git" / "hooks" / "post-commit", tmp_path)
    proc = sess.start("end", "-m", "Dirty work")
    wait_for("the commit's post-commit hook", (tmp_path / "parent.pid").exists)
    kill_sess(proc)
    assert query(db_path, "SELECT step, status FROM end_journal") == [("commit", "running")]
    hold.unlink()
    wait_for("git commit to finish", lambda: not (repo.path / ".git" / "index.lock").exists())

    r = sess("end", "--continue", check=0)
    assert "Committed your changes as" in r.out, r
    assert_recovered(repo, gh, db_path)


def test_killed_while_gh_creates_the_pr(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    """gh made the PR and is still running when sess dies: the recovery finds it, not a second one."""
    dirty_session(sess, repo)
    gh.delay("pr create", after=2.0)
    proc = sess.start("end", "-m", "Dirty work")
    wait_for("gh to record the PR", lambda: len(gh.prs()) == 1)
    kill_sess(proc)
    assert query(db_path, "SELECT step, status FROM end_journal") == [("pull-request", "running")]

    r = sess("end", "--continue", check=0)
    assert "already open" in r.out, r
    assert_recovered(repo, gh, db_path)
    assert [c[:2] for c in gh.calls()].count(["pr", "create"]) == 1


def test_killed_before_gh_creates_the_pr(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    """sess dies while gh is still on its way: the orphan and the recovery race; one PR either way."""
    dirty_session(sess, repo)
    gh.delay("pr create", before=1.0)
    proc = sess.start("end", "-m", "Dirty work")
    wait_for("gh pr create to start", lambda: any(c[:2] == ["pr", "create"] for c in gh.calls()))
    kill_sess(proc)
    assert gh.prs() == []

    sess("end", "--continue", check=0)
    assert_recovered(repo, gh, db_path)
    time.sleep(1.2)  # let the orphaned gh finish: it must not have made a second PR
    assert len(gh.prs()) == 1


def test_ctrl_c_while_pushing(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    proc, hold, receive_pack = end_held_at_the_push(sess, repo, tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=WAIT_S)
    hold.unlink()
    wait_for("the interrupted push to finish", lambda: not alive(receive_pack))
    assert proc.returncode == 130, err
    assert "Error: interrupted at step 'push'; the end is unfinished" in err
    assert query(db_path, "SELECT step, status, error FROM end_journal") == [("push", "failed", "interrupted")]

    sess("end", "--continue", check=0)
    assert_recovered(repo, gh, db_path)
