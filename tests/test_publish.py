"""Issue 15 items 5-8: what `end` publishes (full ref names, PR templates, unresolved merges,
`end.never_commit` and the list of committed files)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"


def origin_git(repo: Repo, *args: str) -> str:
    assert repo.origin is not None
    return repo.git("--git-dir", str(repo.origin), *args)


def pushed_subjects(repo: Repo, branch: str = BRANCH) -> list[str]:
    text = origin_git(repo, "log", "--format=%s", f"refs/heads/{branch}")
    return text.splitlines()


# --- item 5: full ref names ----------------------------------------------------------------------

def test_a_tag_named_origin_main_is_not_the_rebase_target(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.teammate_push("mate.txt", "mate\n", "Teammate commit")
    # Anyone with push rights pushes a tag `origin/main`; sess's own fetch brings it.
    evil = repo.commit("evil.txt", "evil\n", "Evil commit")
    repo.git("push", "-q", "origin", f"{evil}:refs/tags/origin/main")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    r = sess("end", "--summary", "S", check=0)
    assert repo.git("tag", "--list", "origin/main") == "origin/main"  # the fetch brought it
    subjects = pushed_subjects(repo)
    assert "Evil commit" not in subjects, r
    assert subjects[:2] == ["Add the feature", "Teammate commit"], r


def test_a_local_branch_named_origin_main_is_not_the_rebase_target(sess: SessRunner, repo: Repo,
                                                                   gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("feature.txt", "x\n", "Add the feature")
    repo.git("branch", "origin/main", "HEAD")  # a branch that would hide the remote-tracking ref
    repo.teammate_push("mate.txt", "mate\n", "Teammate commit")
    r = sess("end", "--summary", "S", check=0)
    assert pushed_subjects(repo)[:2] == ["Add the feature", "Teammate commit"], r


def test_git_saying_a_ref_name_is_ambiguous_is_an_error(repo: Repo) -> None:
    import pytest

    from sess import git
    from sess.errors import SessError

    repo.git("tag", "twin")
    repo.git("branch", "twin")
    with pytest.raises(SessError, match="'twin' is ambiguous"):
        git.git(str(repo.path), "rev-parse", "twin")
    assert git.out(str(repo.path), "rev-parse", "refs/heads/twin")  # named in full: no question
