"""Issue 15 item 13: the base in another worktree at `end`, undoing `cancel --delete-branch`, and
`--dirty carry` with partial staging."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"


def test_end_with_the_base_checked_out_in_another_worktree_changes_nothing(sess: SessRunner, repo: Repo,
                                                                           gh: FakeGh, tmp_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    other = tmp_path / "other"
    repo.git("worktree", "add", "-q", str(other), "main")
    r = sess("end", "--summary", "S")
    assert r.code == 1, r
    assert r.err.startswith(f"Error: the base branch main is checked out in another worktree ({other})"), r
    assert f"git -C {other} switch --detach" in r.err
    assert repo.git("ls-remote", "--heads", "origin", BRANCH) == "" and gh.prs() == []  # before any step
    assert sess("status", check=0).out.splitlines()[1].startswith("Session active")
    repo.git("-C", str(other), "switch", "-q", "--detach")
    sess("end", "--summary", "S", check=0)
    assert repo.current_branch() == "main" and len(gh.prs()) == 1


def test_undo_of_cancel_delete_branch_brings_the_branch_back(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    tip = repo.commit("x.txt", "x\n", "Do x")
    repo.git("push", "-q", "origin", BRANCH)
    sess("cancel", "--delete-branch", check=0)
    assert repo.git("branch", "--list", BRANCH) == ""
    r = sess("undo", check=0)
    assert f"Recreated branch {BRANCH} from origin/{BRANCH}" in r.out, r
    assert repo.git("rev-parse", f"refs/heads/{BRANCH}") == tip
    assert sess("status", check=0).out.splitlines()[1].startswith("Session paused")


def test_undo_of_a_cancel_whose_branch_cannot_come_back_is_refused(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("cancel", "--delete-branch", check=0)  # no commits of its own: deleted, and origin never had it
    assert repo.git("branch", "--list", BRANCH) == ""
    r = sess("undo")
    assert r.code == 1, r
    assert r.err.startswith(f"Error: the branch {BRANCH} of that session is gone"), r
    assert sess("status", check=0).out.splitlines()[-1].startswith("No active session") or \
        "No active session" in sess("status", check=0).out


def test_dirty_carry_keeps_partial_staging(sess: SessRunner, repo: Repo) -> None:
    repo.commit("a.txt", "one\ntwo\n", "a")
    repo.write("a.txt", "one\ntwo\nthree\n")
    repo.git("add", "a.txt")
    repo.write("a.txt", "one\ntwo\nthree\nfour\n")  # staged: three; not staged: four
    repo.write("b.txt", "b\n")
    repo.git("add", "b.txt")
    staged = repo.git("diff", "--cached")
    unstaged = repo.git("diff")
    sess("start", "x", "--no-issue", "--dirty", "carry", check=0)
    assert repo.current_branch() == BRANCH
    assert repo.git("diff", "--cached") == staged
    assert repo.git("diff") == unstaged
