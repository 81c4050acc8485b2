"""A week of real use, start (issue 15 items 15, 17, 24, 27): the base, offline, --dirty commit on
the base, slugs and names."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


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
