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


# --- item 6: PR templates never come from git's own files --------------------------------------

TOKEN = "extraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu"


def team(repo: Repo, text: str) -> None:
    repo.commit(".sess.toml", text, "Team conventions for sess")
    repo.git("push", "-q", "origin", "main")


def end_refused(sess: SessRunner, repo: Repo, gh: FakeGh, *needles: str) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    r = sess("end", "--summary", "S")
    assert r.code == 1, r
    for needle in needles:
        assert needle in r.err, r
    assert gh.prs() == []
    assert TOKEN not in r.out + r.err
    assert repo.git("ls-remote", "--heads", "origin", BRANCH) == ""  # refused before any step


def with_token(repo: Repo) -> None:
    repo.git("config", "http.https://example.com/.extraheader", "AUTHORIZATION: basic c2VjcmV0LXRva2Vu")


def test_repository_file_naming_git_config_as_template_is_refused(sess: SessRunner, repo: Repo,
                                                                  gh: FakeGh) -> None:
    with_token(repo)
    team(repo, '[pr]\ntemplate = ".git/config"\n')
    r = sess("start", "x", "--no-issue")
    assert r.code == 1, r
    assert "'pr.template' must not be in the git directory: '.git/config'" in r.err, r


def test_a_committed_symlink_template_to_git_config_is_refused_unread(sess: SessRunner, repo: Repo,
                                                                      gh: FakeGh) -> None:
    import os

    with_token(repo)
    (repo.path / ".github").mkdir()
    os.symlink("../.git/config", repo.path / ".github" / "pull_request_template.md")
    repo.git("add", ".github")
    repo.git("commit", "-q", "-m", "template")
    repo.git("push", "-q", "origin", "main")
    end_refused(sess, repo, gh, "'.github/pull_request_template.md' (the repository) is in the git directory; "
                                "it was not read")


def test_a_symlink_template_inside_the_repository_is_refused(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    import os

    repo.commit("docs/real.md", "## Summary\n", "real")
    os.symlink("real.md", repo.path / "docs" / "pull_request_template.md")
    repo.git("add", "docs")
    repo.git("commit", "-q", "-m", "template")
    end_refused(sess, repo, gh, "'docs/pull_request_template.md' (the repository) is a symlink")


def test_user_file_naming_a_file_in_the_git_directory_is_refused(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                                 env: dict[str, str]) -> None:
    from test_config import write_user

    with_token(repo)
    write_user(env, f'[pr]\ntemplate = "{repo.path}/.git/config"\n')
    end_refused(sess, repo, gh, "(your configuration) is in the git directory; it was not read")


def test_an_untracked_template_is_not_the_teams(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.write(".github/pull_request_template.md", "## Local only\n")
    (repo.path / ".git" / "info" / "exclude").write_text(".github/\n")
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    sess("end", "--summary", "S", check=0)
    (pr,) = gh.prs()
    assert "Local only" not in pr["body"] and "## Summary\n\nS\n" in pr["body"]


def test_a_configured_template_that_git_does_not_track_is_refused(sess: SessRunner, repo: Repo,
                                                                  gh: FakeGh) -> None:
    team(repo, '[pr]\ntemplate = "meta/pr.md"\n')
    repo.write("meta/pr.md", "## Summary\n")
    (repo.path / ".git" / "info" / "exclude").write_text("meta/\n")
    end_refused(sess, repo, gh, "'meta/pr.md'", "is not tracked by git; it was not read")


# --- item 7: unresolved merges -------------------------------------------------------------------

def conflicting_merge(sess: SessRunner, repo: Repo) -> None:
    """A session branch in the middle of `git merge main` that stopped on a conflict in a.txt."""
    repo.commit("a.txt", "base\n", "a")
    repo.git("push", "-q", "origin", "main")
    sess("start", "x", "--no-issue", check=0)
    repo.commit("a.txt", "ours\n", "Ours")
    repo.git("checkout", "-q", "main")
    repo.commit("a.txt", "theirs\n", "Theirs")
    repo.git("checkout", "-q", BRANCH)
    repo.git("merge", "-q", "main", check=False)
    assert (repo.path / ".git" / "MERGE_HEAD").exists()


def test_end_during_an_unresolved_merge_commits_nothing(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    conflicting_merge(sess, repo)
    tip = repo.git("rev-parse", "HEAD")
    r = sess("end", "-m", "Work", "--summary", "S")
    assert r.code == 1, r
    assert r.err.splitlines()[0] == ("Error: a merge is not concluded (Merge branch 'main' into feature/x); "
                                     "unresolved conflicts in a.txt"), r
    assert "git merge --abort" in r.err
    assert repo.git("rev-parse", "HEAD") == tip and (repo.path / ".git" / "MERGE_HEAD").exists()
    assert repo.git("ls-remote", "--heads", "origin", BRANCH) == "" and gh.prs() == []


def test_end_with_conflicts_resolved_but_the_merge_not_concluded_is_refused(sess: SessRunner, repo: Repo,
                                                                           gh: FakeGh) -> None:
    conflicting_merge(sess, repo)
    repo.write("a.txt", "both\n")
    repo.git("add", "a.txt")
    r = sess("end", "-m", "Work", "--summary", "S")
    assert r.code == 1, r
    assert r.err.startswith("Error: a merge is not concluded (Merge branch 'main' into feature/x)\n"), r
    assert (repo.path / ".git" / "MERGE_HEAD").exists()


def resolved_merge(repo: Repo) -> str:
    """The current branch in the middle of `git merge side`: the conflict resolved and added, not
    yet committed."""
    here = repo.current_branch()
    repo.commit("a.txt", "base\n", "a")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("a.txt", "side\n", "Side")
    repo.git("checkout", "-q", here)
    repo.commit("a.txt", "here\n", "Here")
    repo.git("merge", "-q", "side", check=False)
    repo.write("a.txt", "both\n")
    repo.git("add", "a.txt")
    return (repo.path / ".git" / "MERGE_HEAD").read_text()


def test_start_during_an_unconcluded_merge_keeps_merge_head(sess: SessRunner, repo: Repo) -> None:
    merge_head = resolved_merge(repo)
    r = sess("start", "y", "--no-issue", "--dirty", "stash")
    assert r.code == 1, r
    assert r.err.startswith("Error: a merge is not concluded (Merge branch 'side')\n"), r
    assert (repo.path / ".git" / "MERGE_HEAD").read_text() == merge_head
    assert repo.git("stash", "list") == "" and repo.current_branch() == "main"


def test_cancel_during_an_unconcluded_merge_keeps_merge_head(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    merge_head = resolved_merge(repo)
    r = sess("cancel", "--dirty", "stash")
    assert r.code == 1, r
    assert r.err.startswith("Error: a merge is not concluded (Merge branch 'side' into feature/x)\n"), r
    assert (repo.path / ".git" / "MERGE_HEAD").read_text() == merge_head
    assert repo.git("stash", "list") == ""
