"""Ctrl-C, SIGTERM and SIGHUP in `start` and `cancel` (issue 15, item 9), with real signals sent
to the real sess while git is held at a point by a hook.

Each way back is in place before its step runs and looks at what the step did, so whichever
signal lands wherever, the repository is as it was and nothing is recorded, and sess says so;
the exit code is 130 for Ctrl-C, 128 + the signal for the others.
"""
from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_end_kill import WAIT_S, hook, query, wait_for
from test_start import snapshot

if TYPE_CHECKING:  # annotations only
    from conftest import Repo, SessRunner

SIGNALS = {"SIGINT": (signal.SIGINT, 130), "SIGTERM": (signal.SIGTERM, 143), "SIGHUP": (signal.SIGHUP, 129)}


def hold_checkout_of(repo: Repo, branch: str, marks: Path) -> Path:
    """A post-checkout hook that holds git once it has checked out `branch` (git has done its
    work then: only its exit is still to come); returns the file that holds it."""
    hold = marks / "hold"
    hold.touch()
    hook(Path(repo.git("rev-parse", "--absolute-git-dir")) / "hooks" / "post-checkout",
         f'[ "$(git symbolic-ref --short -q HEAD)" = "{branch}" ] || exit 0\n'
         f'echo $PPID > "{marks}/held"\nwhile [ -e "{hold}" ]; do sleep 0.02; done\n')
    return hold


def interrupt(sess: SessRunner, marks: Path, signum: int, *args: str) -> tuple[int, str]:
    proc = sess.start(*args)
    wait_for("git to be held", lambda: (marks / "held").exists() and bool((marks / "held").read_text().strip()))
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=WAIT_S)
    return proc.returncode, err


def dirty_topic(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("README", "edited on topic\n")
    repo.write("new.txt", "new\n")


@pytest.mark.slow
@pytest.mark.parametrize("point", ["main", "feature/x"])
@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_start_interrupted_puts_everything_back(sess: SessRunner, repo: Repo, db_path: Path, tmp_path: Path,
                                                point: str, name: str) -> None:
    """point: just after the checkout of the base, or just after the session branch was made."""
    dirty_topic(repo)
    before = snapshot(repo)
    hold = hold_checkout_of(repo, point, tmp_path)
    signum, code = SIGNALS[name]
    returncode, err = interrupt(sess, tmp_path, signum, "start", "x", "--no-issue", "--dirty", "stash")
    hold.unlink()
    assert returncode == code, err
    assert "Error: interrupted; the repository is back as it was" in err, err
    assert snapshot(repo) == before
    assert query(db_path, "SELECT count(*) FROM sessions") == [(0,)]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_cancel_interrupted_puts_everything_back(sess: SessRunner, repo: Repo, db_path: Path, tmp_path: Path,
                                                 name: str) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.write("README", "edited in the session\n")
    before = snapshot(repo)
    hold = hold_checkout_of(repo, "main", tmp_path)
    signum, code = SIGNALS[name]
    returncode, err = interrupt(sess, tmp_path, signum, "cancel", "--dirty", "stash")
    hold.unlink()
    assert returncode == code, err
    assert "Error: interrupted; the repository and the session are as they were" in err, err
    assert snapshot(repo) == before
    assert query(db_path, "SELECT state FROM sessions") == [("active",)]
