"""`sess end` interrupted while git works (issue 15, item 1), with real signals and processes.

git runs in a process group of its own with its output going to a file: a Ctrl-C, SIGTERM or a
closed terminal reaches sess alone, and a `kill -9` of sess leaves git no broken pipe to die of
halfway through a pick. sess stops git, when it must, with a signal git cleans up after (never
SIGKILL), so no lock file is left behind; and `end --continue` continues a rebase only where it
stopped on conflicts, otherwise it undoes it and rebases again, and checks that every commit of
the branch has its counterpart before it pushes or deletes anything.
"""
from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

from test_end_kill import WAIT_S, alive, hook, query, wait_for

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"
LOCKS = ("index.lock", "CHERRY_PICK_HEAD.lock", "packed-refs.lock", "HEAD.lock", "ORIG_HEAD.lock")


def git_dir(repo: Repo) -> Path:
    return Path(repo.git("rev-parse", "--absolute-git-dir"))


def lock_files(repo: Repo) -> list[str]:
    found = [str(path.relative_to(git_dir(repo))) for path in git_dir(repo).rglob("*.lock")]
    return sorted(found)


def pushed(repo: Repo, branch: str = BRANCH) -> list[str]:
    assert repo.origin is not None
    return repo.git("--git-dir", str(repo.origin), "log", "--format=%s", f"main..{branch}").splitlines()


def held_in_a_ref_update(repo: Repo, marks: Path) -> Path:
    """A reference-transaction hook that holds git while it has the ref's lock taken (the state
    'prepared'); returns the file that holds it."""
    hold = marks / "hold"
    hold.touch()
    hook(git_dir(repo) / "hooks" / "reference-transaction",
         f'[ "$1" = prepared ] || exit 0\necho $PPID > "{marks}/parent.pid"\n'
         f'while [ -e "{hold}" ]; do sleep 0.02; done\n')
    return hold


def test_ctrl_c_while_git_commit_holds_a_lock_leaves_no_lock(
        sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """git commit holds the branch's lock while it updates it: Ctrl-C then stops git with SIGTERM
    (git removes its lock), not SIGKILL (the lock would stay, and fail every git after)."""
    sess("start", "x", "--no-issue", check=0)
    repo.write("dirty.txt", "the dirty work\n")
    hold = held_in_a_ref_update(repo, tmp_path)
    proc = sess.start("end", "-m", "Dirty work")
    wait_for("the commit's ref update", lambda: (tmp_path / "parent.pid").exists()
             and bool((tmp_path / "parent.pid").read_text().strip()))
    committing = int((tmp_path / "parent.pid").read_text())
    assert lock_files(repo) != []
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 130, err
    assert "Error: interrupted at step 'commit'; the end is unfinished" in err
    wait_for("git commit to be gone", lambda: not alive(committing))
    assert lock_files(repo) == []
    hold.unlink()

    sess("end", "--continue", check=0)
    assert pushed(repo) == ["Dirty work"]
    assert query(db_path, "SELECT state FROM sessions") == [("ended",)]
