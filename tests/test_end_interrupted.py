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
from typing import TYPE_CHECKING, Any

import pytest
from test_end_kill import WAIT_S, alive, holding_hook, hook, kill_sess, query, wait_for

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


@pytest.mark.slow
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


def session_of_commits(sess: SessRunner, repo: Repo, count: int) -> None:
    """A session of `count` commits, and a teammate's commit on origin's main to rebase onto."""
    sess("start", "x", "--no-issue", check=0)
    for number in range(1, count + 1):
        repo.commit(f"f{number}.txt", f"{number}\n", f"Commit {number}")
    repo.teammate_push("mate.txt", "mate\n", "Teammate's work")


def rebase_held_at_its_start(sess: SessRunner, repo: Repo, tmp_path: Path, *args: str) -> tuple[Any, Path, int]:
    """`sess end ARGS` running, its git rebase held by a post-checkout hook (which git runs once
    it has set the rebase up, before the first pick): the sess process, the file that holds the
    hook, and the pid of git rebase."""
    hold = holding_hook(git_dir(repo) / "hooks" / "post-checkout", tmp_path)
    proc = sess.start("end", *args)
    wait_for("the rebase's post-checkout hook", lambda: (tmp_path / "parent.pid").exists()
             and bool((tmp_path / "parent.pid").read_text().strip()))
    assert (git_dir(repo) / "rebase-merge").is_dir()
    return proc, hold, int((tmp_path / "parent.pid").read_text())


def test_killed_as_the_rebase_begins_then_continue_keeps_every_commit(
        sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """The issue's repro with three commits: kill -9 as soon as .git/rebase-merge exists. git used
    to die of the broken pipe as it announced its first pick, after it had marked the pick done;
    `git rebase --continue` then skipped it. Now git finishes the rebase on its own, and
    `--continue` waits for it."""
    session_of_commits(sess, repo, 3)
    proc, hold, rebasing = rebase_held_at_its_start(sess, repo, tmp_path, "--summary", "S", "--delete-branch")
    kill_sess(proc)
    hold.unlink()

    r = sess("end", "--continue", check=0)
    assert pushed(repo) == ["Commit 3", "Commit 2", "Commit 1"], r
    assert not alive(rebasing)
    assert repo.git("branch", "--list", BRANCH) == ""  # deleted, once every commit was on origin
    assert len(gh.prs()) == 1 and query(db_path, "SELECT state FROM sessions") == [("ended",)]
    assert lock_files(repo) == []


@pytest.mark.slow
def test_an_interrupted_rebase_is_done_again_not_continued(
        sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """SIGTERM while git is held in the middle of the rebase: sess gives git a moment, then stops
    it with SIGTERM (no lock left behind) and says the end is unfinished; --continue undoes the
    half-done rebase and rebases again from the journaled head, rather than continuing it."""
    session_of_commits(sess, repo, 3)
    proc, hold, rebasing = rebase_held_at_its_start(sess, repo, tmp_path, "--no-pr")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Error: interrupted at step 'rebase'; the end is unfinished" in err
    assert not alive(rebasing) and (git_dir(repo) / "rebase-merge").is_dir()
    assert lock_files(repo) == []
    hold.unlink()

    r = sess("end", "--continue", check=0)
    assert "Undoing the interrupted rebase onto origin/main" in r.err, r
    assert pushed(repo) == ["Commit 3", "Commit 2", "Commit 1"]
    assert query(db_path, "SELECT state FROM sessions") == [("ended",)]


def test_a_rebased_branch_that_lost_a_commit_is_not_pushed(
        sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """The end stopped at the push; meanwhile the rebased branch lost a commit (as a half-done pick
    continued by hand does): --continue refuses to push it, and --abort puts every commit back."""
    assert repo.origin is not None
    session_of_commits(sess, repo, 3)
    before = repo.git("rev-parse", "HEAD")
    hook(repo.origin / "hooks" / "pre-receive", "exit 1\n")
    r = sess("end", "--no-pr", check=1)
    assert "end stopped at step 'push'" in r.err, r
    (repo.origin / "hooks" / "pre-receive").unlink()
    repo.git("rebase", "--quiet", "--onto", "HEAD~2", "HEAD~1")  # "Commit 2" is gone

    r = sess("end", "--continue", check=1)
    assert "lacks" in r.err and "Commit 2" in r.err and "nothing was pushed" in r.err, r
    assert f"'git reset --keep {before[:7]}'" in r.err
    assert repo.git("ls-remote", "origin", f"refs/heads/{BRANCH}") == ""
    repo.git("reset", "--quiet", "--keep", before)
    sess("end", "--continue", check=0)
    assert pushed(repo) == ["Commit 3", "Commit 2", "Commit 1"]


def test_a_branch_with_a_merge_is_not_rebased(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    """main merged into the branch with a conflict fixed in the merge: a rebase would drop the
    merge and the fix. sess refuses, says how; merging the base in instead then ends it."""
    sess("start", "x", "--no-issue", check=0)
    repo.commit("README", "ours\n", "Our README")
    repo.teammate_push("README", "theirs\n", "Their README")
    repo.git("fetch", "-q", "origin")
    repo.git("merge", "-q", "origin/main", check=False)
    repo.write("README", "both, fixed while merging\n")
    repo.git("add", "README")
    repo.git("commit", "-q", "--no-edit")
    repo.teammate_push("later.txt", "later\n", "Later work on main")

    r = sess("end", "--no-pr", check=1)
    assert "has merge commits" in r.err and "git merge origin/main" in r.err and "--rebase-merges" in r.err, r
    assert repo.git("ls-remote", "origin", f"refs/heads/{BRANCH}") == ""

    repo.git("fetch", "-q", "origin")
    repo.git("merge", "-q", "--no-edit", "origin/main")
    sess("end", "--continue", check=0)
    assert repo.git("--git-dir", str(repo.origin), "show", f"{BRANCH}:README") == "both, fixed while merging"


def test_abort_after_a_kill_puts_back_the_rebase_git_finished_alone(
        sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path, tmp_path: Path) -> None:
    """kill -9 as the rebase begins: git finishes it on its own, unrecorded. --abort waits for it,
    then puts the branch back where it was before the rebase."""
    session_of_commits(sess, repo, 3)
    before = repo.git("rev-parse", "HEAD")
    proc, hold, rebasing = rebase_held_at_its_start(sess, repo, tmp_path, "--no-pr")
    kill_sess(proc)
    hold.unlink()

    r = sess("end", "--abort", check=0)
    assert not alive(rebasing)
    assert repo.git("rev-parse", BRANCH) == before, r
    assert repo.current_branch() == BRANCH and not repo.is_dirty()
    assert query(db_path, "SELECT state FROM sessions") == [("active",)]
    assert query(db_path, "SELECT count(*) FROM end_journal") == [(0,)]
