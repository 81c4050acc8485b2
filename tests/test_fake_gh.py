"""Tests for the fake gh (tests/fakegh/gh) and the shared fixtures; no sess involved."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: works under any pytest import mode
    from pathlib import Path

    from conftest import FakeGh, Repo, Result

BRANCH = "feature/x"


def push_feature(repo: Repo, branch: str = BRANCH) -> None:
    repo.git("checkout", "-q", "-b", branch)
    repo.commit("feature.txt", "x\n", "Add feature")
    repo.git("push", "-q", "origin", branch)


def create_pr(gh: FakeGh, repo: Repo, *extra: str, head: str = BRANCH) -> Result:
    return gh.run("pr", "create", "--base", "main", "--head", head, *extra, cwd=repo.path)


def test_version_and_auth_status(gh: FakeGh, repo: Repo) -> None:
    r = gh.run("--version", cwd=repo.path)
    assert r.code == 0 and r.out.startswith("gh version 2.62.0 (2024-11-14)\nhttps://")
    r = gh.run("auth", "status", cwd=repo.path)  # gh >= 2.52: all is well -> stdout
    assert r.code == 0 and "\u2713 Logged in to github.com account fake" in r.out and r.err == ""
    assert gh.run("auth", "status", "--hostname", "github.com", cwd=repo.path).code == 0
    r = gh.run("auth", "status", "--hostname", "ghe.example.com", cwd=repo.path)
    assert r.code == 1 and "not logged into any accounts on ghe.example.com" in r.err


def test_expired_token(gh: FakeGh, repo: Repo) -> None:
    gh.set(token_invalid=True)
    r = gh.run("auth", "status", cwd=repo.path)
    assert r.code == 1 and r.out == ""
    assert "X Failed to log in to github.com account fake" in r.err and "token in keyring is invalid" in r.err
    r = gh.run("issue", "list", "--json", "number", cwd=repo.path)
    assert r.code == 1 and r.err.startswith("HTTP 401: Bad credentials")


def test_unauthenticated(gh: FakeGh, repo: Repo) -> None:
    gh.logout()
    r = gh.run("auth", "status", cwd=repo.path)
    assert r.code == 1
    assert "You are not logged into any GitHub hosts. To log in, run: gh auth login" in r.err
    r = gh.run("issue", "list", "--json", "number", cwd=repo.path)
    assert r.code == 4 and r.err.startswith("To get started with GitHub CLI, please run:  gh auth login\n")
    assert gh.run("--version", cwd=repo.path).code == 0


def test_issue_list_filters_state_limit_and_fields(gh: FakeGh, repo: Repo) -> None:
    gh.add_issue(3, "three")
    gh.add_issue(12, "twelve", labels=["bug"])
    gh.add_issue(7, "seven", state="CLOSED")
    gh.add_issue(5, "five", state="open")  # lower-case state in the file still counts as open

    r = gh.run("issue", "list", "--json", "number,title,url", cwd=repo.path)
    assert r.code == 0, r
    assert json.loads(r.out) == [
        {"number": 12, "title": "twelve", "url": "https://github.com/acme/origin/issues/12"},
        {"number": 5, "title": "five", "url": "https://github.com/acme/origin/issues/5"},
        {"number": 3, "title": "three", "url": "https://github.com/acme/origin/issues/3"},
    ]
    r = gh.run("issue", "list", "--state", "closed", "--json", "number,state", cwd=repo.path)
    assert json.loads(r.out) == [{"number": 7, "state": "CLOSED"}]
    r = gh.run("issue", "list", "--state=all", "-L", "2", "--json", "number,labels", cwd=repo.path)
    assert json.loads(r.out) == [{"number": 12, "labels": [{"name": "bug"}]}, {"number": 7, "labels": []}]


def test_issue_list_unknown_field(gh: FakeGh, repo: Repo) -> None:
    r = gh.run("issue", "list", "--json", "number,nope", cwd=repo.path)
    assert r.code == 1 and r.out == ""
    assert r.err.startswith('Unknown JSON field: "nope"\nAvailable fields:\n  body\n')


def test_issue_view(gh: FakeGh, repo: Repo) -> None:
    gh.add_issue(123, "Fix the widget", body="details")
    r = gh.run("issue", "view", "#123", "--json", "title,body,number", cwd=repo.path)
    assert r.code == 0 and json.loads(r.out) == {"title": "Fix the widget", "body": "details", "number": 123}
    r = gh.run("issue", "view", "99", "--json", "title", cwd=repo.path)
    assert r.code == 1
    assert r.err == ("GraphQL: Could not resolve to an issue or pull request with the number of 99. "
                     "(repository.issue)\n")


def test_pr_create_refuses_unpushed_branch(gh: FakeGh, repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", BRANCH)
    repo.commit("feature.txt", "x\n", "Add feature")
    r = create_pr(gh, repo, "--title", "T", "--body", "B")
    assert r.code == 1
    assert r.err.startswith("pull request create failed: GraphQL: Head sha can't be blank")
    assert f"No commits between main and {BRANCH}" in r.err
    assert gh.prs() == []


def test_pr_create_refuses_branch_without_new_commits(gh: FakeGh, repo: Repo) -> None:
    repo.git("push", "-q", "origin", f"main:refs/heads/{BRANCH}")
    r = create_pr(gh, repo, "--title", "T", "--body", "B")
    assert r.code == 1
    assert r.err == f"pull request create failed: GraphQL: No commits between main and {BRANCH} (createPullRequest)\n"


def test_pr_create_requires_title_and_body(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    r = create_pr(gh, repo, "--title", "T")
    assert r.code == 1 and r.err.startswith("must provide --title and --body")


def test_pr_create_then_list_and_duplicate_refused(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    r = create_pr(gh, repo, "--title", "Add feature", "--body", "Closes #1")
    assert r.code == 0, r
    assert r.out == "https://github.com/acme/origin/pull/1\n"

    r = gh.run("pr", "list", "--head", BRANCH, "--json", "number,url,headRefName,isDraft,state",
               cwd=repo.path)
    assert json.loads(r.out) == [{"number": 1, "url": "https://github.com/acme/origin/pull/1",
                                  "headRefName": BRANCH, "isDraft": False, "state": "OPEN"}]
    r = gh.run("pr", "list", "--head", "other", "--json", "number", cwd=repo.path)
    assert json.loads(r.out) == []

    r = create_pr(gh, repo, "--title", "Again", "--body", "")
    assert r.code == 1
    assert r.err == (f'a pull request for branch "{BRANCH}" into branch "main" already exists:\n'
                     "https://github.com/acme/origin/pull/1\n")
    assert len(gh.prs()) == 1


def test_pr_create_flag_forms_and_draft(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    r = gh.run("pr", "create", "-B", "main", f"--head={BRANCH}", "--title=-x", "--body-file", "-",
               "-d", cwd=repo.path, input="from stdin\n")
    assert r.code == 0, r
    (pr,) = gh.prs()
    assert pr["title"] == "-x" and pr["body"] == "from stdin\n" and pr["isDraft"] is True
    assert pr["baseRefName"] == "main" and pr["headRefName"] == BRANCH and pr["number"] == 1
    assert gh.state()["next_pr_number"] == 2


def test_pr_create_body_file(gh: FakeGh, repo: Repo, tmp_path: Path) -> None:
    push_feature(repo)
    body = tmp_path / "body.md"
    body.write_text("from a file\n")
    missing = tmp_path / "missing.md"
    r = gh.run("pr", "create", "-B", "main", f"--head={BRANCH}", "-t", "T", f"--body-file={missing}", cwd=repo.path)
    assert r.code == 1 and r.err == f"failed to read file {missing}: open {missing}: no such file or directory\n"
    r = gh.run("pr", "create", "-B", "main", f"--head={BRANCH}", "-t", "T", "-F", str(body), cwd=repo.path)
    assert r.code == 0, r
    assert gh.prs()[0]["body"] == "from a file\n"


def test_fail_injection_counts_down(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    gh.fail("pr create", "HTTP 502: Bad Gateway", exit=1, times=2)
    for _ in range(2):
        r = create_pr(gh, repo, "--title", "T", "--body", "B")
        assert (r.code, r.err) == (1, "HTTP 502: Bad Gateway\n")
    assert "pr create" not in gh.state()["fail"]
    assert create_pr(gh, repo, "--title", "T", "--body", "B").code == 0
    assert [c[:2] for c in gh.calls()] == [["pr", "create"]] * 3


def test_after_delay_records_before_printing(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    gh.delay("pr create", after=1.5)
    proc = subprocess.Popen(
        ["gh", "pr", "create", "-B", "main", "-H", BRANCH, "-t", "T", "-b", "B"],
        cwd=repo.path, env=gh.env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while not gh.prs() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gh.prs() and proc.poll() is None  # recorded, but still sleeping before output
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and out.endswith("/pull/1\n")


def test_unknown_command_and_call_log(gh: FakeGh, repo: Repo) -> None:
    r = gh.run("frobnicate", cwd=repo.path)
    assert (r.code, r.err) == (1, 'unknown command "frobnicate" for "gh"\n')
    assert gh.calls() == [["frobnicate"]]


def test_missing_state_env_fails(gh: FakeGh, repo: Repo) -> None:
    env = {k: v for k, v in gh.env.items() if k != "FAKE_GH_STATE"}
    proc = subprocess.run(["gh", "--version"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "FAKE_GH_STATE" in proc.stderr


def test_remove_from_path(gh: FakeGh, env: dict[str, str]) -> None:
    assert shutil.which("gh", path=env["PATH"]) is not None
    gh.remove_from_path()
    assert shutil.which("gh", path=env["PATH"]) is None
    assert shutil.which("git", path=env["PATH"]) is not None


def test_repo_fixtures(repo: Repo, repo_no_remote: Repo, env: dict[str, str], db_path: Path) -> None:
    assert repo.current_branch() == "main" and not repo.is_dirty()
    assert repo.git("symbolic-ref", "refs/remotes/origin/HEAD") == "refs/remotes/origin/main"
    sha = repo.teammate_push("other.txt", "hi\n", "Teammate change")
    repo.git("fetch", "-q")
    assert repo.git("rev-parse", "origin/main") == sha
    repo.write("scratch.txt", "dirty")
    assert repo.is_dirty()
    assert repo_no_remote.git("remote") == ""
    assert not db_path.parent.exists() and env["HOME"] != str(db_path.parent)


# --- where the stand-in must agree with the real gh (tests/test_real_gh.py) ----------------------

def test_pr_list_names_the_head_owner_and_whether_it_is_a_fork(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    assert create_pr(gh, repo, "--title", "Ours", "--body", "").code == 0
    assert create_pr(gh, repo, "--title", "A fork's", "--body", "", head=f"mallory:{BRANCH}").code == 0
    r = gh.run("pr", "list", "--head", BRANCH, "--json", "number,headRepositoryOwner,isCrossRepository",
               cwd=repo.path)
    listed = sorted((p["headRepositoryOwner"]["login"], p["isCrossRepository"]) for p in json.loads(r.out))
    assert listed == [("acme", False), ("mallory", True)]


def test_issue_view_of_a_pr_number_answers_with_the_pr(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    url = create_pr(gh, repo, "--title", "A PR", "--body", "").out.strip()
    r = gh.run("issue", "view", url.rsplit("/", 1)[1], "--json", "number,title,url,state", cwd=repo.path)
    assert r.code == 0 and json.loads(r.out)["url"] == url


def test_pr_create_that_fails_at_the_reviewers_exits_1_with_the_url(gh: FakeGh, repo: Repo) -> None:
    push_feature(repo)
    r = create_pr(gh, repo, "--title", "T", "--body", "", "--reviewer", "fake")
    assert r.code == 1 and r.out.strip().endswith("/pull/1")
    assert "Review cannot be requested from pull request author" in r.err
    assert [p["number"] for p in gh.prs()] == [1]


def test_api_user_and_several_accounts_and_no_network(gh: FakeGh, repo: Repo) -> None:
    assert json.loads(gh.run("api", "user", cwd=repo.path).out)["login"] == "fake"
    gh.set(stale_account="old")
    r = gh.run("auth", "status", "--hostname", "github.com", cwd=repo.path)
    assert r.code == 1 and "Logged in to github.com account fake" in r.err
    assert "Failed to log in to github.com account old" in r.err and "Active account: false" in r.err
    gh.set(stale_account=None, unreachable=True)
    r = gh.run("auth", "status", cwd=repo.path)  # as real gh: no network reads as an invalid token
    assert r.code == 1 and "token in keyring is invalid" in r.err
    r = gh.run("api", "user", cwd=repo.path)
    assert r.code == 1 and "no such host" in r.err


def test_the_base_repository_is_resolved_as_real_gh_does(gh: FakeGh, repo: Repo) -> None:
    gh.add_issue(1, "one")

    def listed_at() -> str:
        r = gh.run("issue", "list", "--json", "url", cwd=repo.path)
        return "/".join(json.loads(r.out)[0]["url"].split("/")[3:5])

    assert listed_at() == "acme/origin"  # origin, a path: the fake's owner and the folder's name
    repo.git("remote", "add", "upstream", "git@github.com:upstream-org/widgets.git")
    assert listed_at() == "upstream-org/widgets"
    repo.git("remote", "add", "team", "https://github.com/team-org/widgets.git")
    repo.git("config", "remote.team.gh-resolved", "base")
    assert listed_at() == "team-org/widgets"
    r = gh.run("issue", "list", "--repo", "other/lib", "--json", "url", cwd=repo.path)
    assert json.loads(r.out)[0]["url"].startswith("https://github.com/other/lib/")
