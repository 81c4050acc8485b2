"""What start and cancel set aside, and what their rollback takes back (issue 15, items 2 and 3):
never a stash sess did not make in this run, never a file it did not put there."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # annotations only
    from conftest import Repo, SessRunner


def stashes(repo: Repo) -> list[str]:
    return repo.git("stash", "list", "--format=%H %s").splitlines()


def with_submodule(repo: Repo, tmp_path: Path) -> None:
    """A submodule `lib`, committed and pushed; the user's own older stash on top."""
    lib = tmp_path / "lib"
    lib.mkdir()
    repo.git("-C", str(lib), "init", "-q", "-b", "main")
    (lib / "code.txt").write_text("code\n")
    repo.git("-C", str(lib), "add", "code.txt")
    repo.git("-C", str(lib), "commit", "-q", "-m", "Library")
    repo.git("-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(lib), "lib")
    repo.git("commit", "-q", "-m", "Add the library")
    repo.git("push", "-q", "origin", "main")
    repo.write("README", "the user's own stashed edit\n")
    repo.git("stash", "push", "-q", "-m", "mine, from last week")


@pytest.mark.parametrize("mode", ["discard", "carry", "stash"])
def test_start_with_changes_only_inside_a_submodule_leaves_the_users_stash(
        sess: SessRunner, repo: Repo, tmp_path: Path, mode: str) -> None:
    with_submodule(repo, tmp_path)
    mine = stashes(repo)
    repo.write("lib/code.txt", "edited inside the submodule\n")

    r = sess("start", "x", "--no-issue", "--dirty", mode, check=1)
    assert "changes inside submodule lib cannot be set aside" in r.err, r
    assert stashes(repo) == mine
    assert (repo.path / "lib" / "code.txt").read_text() == "edited inside the submodule\n"
    assert repo.current_branch() == "main" and repo.git("branch", "--list", "feature/x") == ""


def test_cancel_discard_with_changes_only_inside_a_submodule_leaves_the_users_stash(
        sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    with_submodule(repo, tmp_path)
    mine = stashes(repo)
    sess("start", "x", "--no-issue", check=0)
    repo.write("lib/code.txt", "edited inside the submodule\n")

    r = sess("cancel", "--dirty", "discard", check=1)
    assert "changes inside submodule lib cannot be set aside" in r.err, r
    assert stashes(repo) == mine
    assert (repo.path / "lib" / "code.txt").read_text() == "edited inside the submodule\n"
    assert "active" in sess("status", check=0).out


def test_a_failed_carry_deletes_no_file_it_did_not_put_there(sess: SessRunner, repo: Repo) -> None:
    """.env is ignored on the user's branch but not on main: the old rollback's `git clean -fd`
    on main deleted it."""
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit(".gitignore", ".env\n", "Ignore .env")
    repo.commit("README", "topic version\n", "Change README on topic")
    repo.write(".env", "SECRET=only copy\n")
    repo.write("README", "topic version, edited\n")
    repo.write("new.txt", "new\n")

    r = sess("start", "--no-issue", "x", "--dirty", "carry", check=1)
    assert "do not apply cleanly" in r.err, r
    assert (repo.path / ".env").read_text() == "SECRET=only copy\n"
    assert repo.current_branch() == "topic"
    assert (repo.path / "README").read_text() == "topic version, edited\n"
    assert (repo.path / "new.txt").read_text() == "new\n"
    assert stashes(repo) == []


def test_changes_beside_a_submodule_are_stashed_and_the_submodule_named(
        sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    with_submodule(repo, tmp_path)
    repo.write("lib/code.txt", "edited inside the submodule\n")
    repo.write("notes.txt", "mine\n")

    r = sess("start", "x", "--no-issue", "--dirty", "stash", check=0)
    assert "Your changes are stashed" in r.out, r
    assert "changes inside submodule lib cannot be set aside: they stay as they are" in r.out, r
    assert len(stashes(repo)) == 2 and not (repo.path / "notes.txt").exists()
    assert (repo.path / "lib" / "code.txt").read_text() == "edited inside the submodule\n"
