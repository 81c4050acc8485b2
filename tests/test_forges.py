"""The forge interface (sess.forges): detection, and what each command loads of it."""
from __future__ import annotations

import pytest
from conftest import FakeGh, Repo, SessRunner
from test_git_calls import imported


@pytest.mark.parametrize(("host", "configured", "expected"), [
    ("github.com", None, "github"),
    ("GitHub.com", "gitlab", "github"),  # origin's exact host wins over forge.type
    ("gitlab.com", None, "gitlab"),
    ("git.example.com", None, None),  # neither known nor configured
    ("git.example.com", "gitlab", "gitlab"),
    ("github.example.com", None, None),  # exact hosts only: no guessing from the name
    (None, "github", "github"),
])
def test_the_forge_is_origins_exact_host_else_forge_type(host: str | None, configured: str | None,
                                                         expected: str | None) -> None:
    from sess import forges

    assert forges.forge_type(host, forges.Settings(type=configured)) == expected


@pytest.mark.parametrize(("url", "host"), [
    ("git@github.com:acme/widgets.git", "github.com"),
    ("https://github.com/acme/widgets.git", "github.com"),
    ("ssh://git@ghe.example.com:2222/acme/widgets.git", "ghe.example.com"),
    ("https://ada@gitlab.com/acme/widgets", "gitlab.com"),
    ("/tmp/origin.git", None),
    ("file:///tmp/origin.git", None),
    ("../origin.git", None),
])
def test_host_of_origin_urls(url: str, host: str | None) -> None:
    from sess import forges

    assert forges.host_of(url) == host


@pytest.mark.parametrize(("url", "path"), [
    ("git@github.com:acme/widgets.git", "acme/widgets"),
    ("https://github.com/acme/widgets.git/", "acme/widgets"),
    ("ssh://git@ghe.example.com:2222/acme/widgets.git", "acme/widgets"),
    ("https://ada@gitlab.com/group/sub/widgets", "group/sub/widgets"),
    ("gh-work:acme/widgets", "acme/widgets"),  # an SSH alias
    ("/tmp/origin.git", None),
    ("file:///tmp/origin.git", None),
])
def test_repo_of_origin_urls(url: str, path: str | None) -> None:
    from sess import forges

    assert forges.repo_of(url) == path


def test_status_and_prompt_import_no_forge_and_start_without_an_issue_no_gh_code(sess: SessRunner, repo: Repo,
                                                                                 gh: FakeGh) -> None:
    gh.add_issue(7, "Add login")
    assert not {m for m in imported(sess, repo, "status") if m.startswith("sess.forges")}
    assert not {m for m in imported(sess, repo, "prompt") if m.startswith("sess.forges")}
    assert "sess.forges.github" not in imported(sess, repo, "start", "x", "--no-issue")
    sess("end", "--no-pr", check=0)
    assert "sess.forges.github" in imported(sess, repo, "start", "--issue", "7", "--type", "feature")


@pytest.mark.parametrize(("text", "message"), [
    ('[forge]\ntype = "bitbucket"\n', "'forge.type' must be one of github, gitlab, not 'bitbucket'"),
    ('[forge]\nhost = "https://git.example.com"\n', "'forge.host' must be a host name"),
    ('[pr]\nrepo = "widgets"\n', "'pr.repo' must be OWNER/NAME, not 'widgets'"),
    ('[pr]\nrepo = "--upload-pack=x/y"\n', "'pr.repo' must be OWNER/NAME"),
])
def test_forge_keys_are_checked(sess: SessRunner, repo: Repo, text: str, message: str) -> None:
    repo.write(".sess.toml", text)
    r = sess("start", "x", "--no-issue")
    assert r.code == 1 and r.err.startswith(f"Error: {repo.path}/.sess.toml: {message}"), r


def test_forge_keys_are_read(sess: SessRunner, repo: Repo) -> None:
    repo.write(".sess.toml", '[forge]\ntype = "github"\nhost = "ghe.example.com"\n[pr]\nrepo = "acme/widgets"\n')
    keys = __import__("json").loads(sess("config", "list", "--json", check=0).out)["keys"]
    assert keys["forge.type"] == {"value": "github", "source": "repo"}
    assert keys["forge.host"] == {"value": "ghe.example.com", "source": "repo"}
    assert keys["pr.repo"] == {"value": "acme/widgets", "source": "repo"}


@pytest.mark.parametrize(("issue_id", "ref", "branch_field"), [
    ("42", "#42", "42"),
    ("other/lib#7", "other/lib#7", "other-lib-7"),
    ("PROJ-123", "PROJ-123", "PROJ-123"),
    ("", "", ""),
])
def test_issue_refs(issue_id: str, ref: str, branch_field: str) -> None:
    from sess import rules

    assert rules.issue_ref(issue_id) == ref
    assert rules.issue_branch_field(issue_id) == branch_field


@pytest.mark.parametrize(("value", "expected"), [
    ("42", ("42", "42")), ("#42", ("42", "42")),
    ("other/lib#7", ("7", "other/lib#7")),
    ("https://github.com/other/lib/issues/7", ("7", "https://github.com/other/lib/issues/7")),
])
def test_issue_forms_of_another_repository(value: str, expected: tuple[str, str]) -> None:
    from sess import forges

    assert forges.issue_reference(value) == expected
