"""A week of real use, undo (issue 15 item 20): undoing a cancel that stashed re-applies the stash."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from conftest import refused
from dbhelp import session_row

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


def test_undo_of_cancel_dirty_stash_puts_the_changes_back(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.write("README", "edited\n")
    repo.write("new.txt", "new\n")
    sess("cancel", "--dirty", "stash", check=0)
    assert repo.current_branch() == "main" and not repo.is_dirty()
    assert repo.git("stash", "list")
    result = sess("undo", check=0)
    assert "Re-applied your stashed changes" in result.out, result
    assert repo.current_branch() == "feature/x"
    assert (repo.path / "README").read_text() == "edited\n" and (repo.path / "new.txt").read_text() == "new\n"
    assert repo.git("stash", "list") == ""
    assert session_row(db_path)["state"] == "paused"


def test_undo_of_cancel_refuses_over_new_changes(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.write("README", "edited\n")
    sess("cancel", "--dirty", "stash", check=0)
    repo.write("other.txt", "on main\n")
    refused(sess("undo"), "uncommitted changes", code=1)
    assert session_row(db_path)["outcome"] == "cancelled" and repo.git("stash", "list")
