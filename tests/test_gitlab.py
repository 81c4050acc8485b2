"""GitLab through glab (SPEC Part 3 "GitLab, Jira and Linear"): a faithful stand-in for glab
(tests/fakeglab/glab) first on PATH, real git with a bare origin."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, SessRunner, refused, run_git
from dbhelp import session_row, sessions

FAKEGLAB_DIR = Path(__file__).resolve().parent / "fakeglab"


class FakeGlab:
    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.state_path = tmp_path / "glab" / "state.json"
        self.state_path.parent.mkdir()
        env["FAKE_GLAB_STATE"] = str(self.state_path)
        env["PATH"] = os.pathsep.join([str(FAKEGLAB_DIR), env["PATH"]])

    def state(self) -> dict[str, Any]:
        raw = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}
        return {"authenticated": True, "issues": [], "mrs": [], "notes": [], **raw}

    def set(self, **keys: Any) -> None:
        self.state_path.write_text(json.dumps({**self.state(), **keys}))

    def add_issue(self, iid: int, title: str, state: str = "opened") -> None:
        self.set(issues=[*self.state()["issues"], {"iid": iid, "title": title, "state": state}])

    def calls(self) -> list[list[str]]:
        log = self.state_path.with_name("glab-calls.jsonl")
        return [json.loads(line)["argv"] for line in log.read_text().splitlines()] if log.exists() else []

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(FAKEGLAB_DIR / "glab"), *args], cwd=cwd, env=self.env, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def glab(env: dict[str, str], tmp_path: Path) -> FakeGlab:
    fake = FakeGlab(env, tmp_path)
    fake.add_issue(4, "Add login page")
    config = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[forge]\ntype = "gitlab"\n')
    return fake


def test_start_with_a_gitlab_issue(sess: SessRunner, repo: Repo, glab: FakeGlab, db_path: Path) -> None:
    sess("start", "--issue", "#4", check=0)
    assert repo.current_branch() == "feature/add-login-page"
    assert ["issue", "view", "4", "--output", "json"] in glab.calls()
    issue = json.loads(sess("status", "--json", check=0).out)["session"]["issue"]
    assert issue == {"id": "4", "title": "Add login page", "tracker": "gitlab",
                     "url": "https://gitlab.com/acme/widgets/-/issues/4"}


def test_an_issue_url_with_groups(sess: SessRunner, repo: Repo, glab: FakeGlab) -> None:
    sess("start", "--issue", "https://gitlab.com/acme/sub/widgets/-/issues/4", check=0)
    assert repo.current_branch() == "feature/add-login-page"


def test_a_missing_gitlab_issue(sess: SessRunner, repo: Repo, glab: FakeGlab, db_path: Path) -> None:
    refused(sess("start", "--issue", "99"), "issue #99 does not exist", "GitLab", code=1)
    assert sessions(db_path) == [] and repo.current_branch() == "main"


def test_end_opens_a_merge_request(sess: SessRunner, repo: Repo, glab: FakeGlab, db_path: Path) -> None:
    sess("start", "--issue", "4", check=0)
    repo.commit("login.py", "x\n", "Add the page")
    r = sess("end", "--summary", "Done", "--draft", check=0)
    (mr,) = glab.state()["mrs"]
    assert (mr["source_branch"], mr["target_branch"], mr["title"], mr["draft"]) == (
        "feature/add-login-page", "main", "Draft: #4 Add login page", True)  # glab marks it by the title
    assert mr["description"].startswith("Closes #4\n\n## Summary\n\nDone\n")
    assert "https://gitlab.com/acme/widgets/-/merge_requests/5" in r.out
    (row,) = sessions(db_path)
    assert (row["state"], row["pr_number"], row["pr_url"]) == (
        "ended", 5, "https://gitlab.com/acme/widgets/-/merge_requests/5")
    calls = glab.calls()
    assert ["auth", "status"] in calls  # the preflight, before any step
    assert calls.index(["auth", "status"]) < next(i for i, c in enumerate(calls) if c[:2] == ["mr", "create"])
    create = next(c for c in calls if c[:2] == ["mr", "create"])
    assert create[-1] == "--yes" and "--source-branch=feature/add-login-page" in create


def test_an_open_merge_request_is_reused(sess: SessRunner, repo: Repo, glab: FakeGlab, db_path: Path) -> None:
    sess("start", "reuse", "--no-issue", check=0)
    repo.commit("a.py", "a\n", "A")
    repo.git("push", "-q", "origin", "feature/reuse")
    glab.set(mrs=[{"iid": 12, "title": "Earlier", "description": "", "state": "opened",
                   "source_branch": "feature/reuse", "target_branch": "main"}])
    sess("end", check=0)
    assert len(glab.state()["mrs"]) == 1
    (row,) = sessions(db_path)
    assert row["pr_number"] == 12


def test_a_description_past_128k_is_set_whole_through_a_private_file(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                                     env: dict[str, str], db_path: Path) -> None:
    """Linux refuses one argument over 128 KiB: glab mr create gets the description cut at a line,
    then glab api sets the whole one from a file in sess's private tmp (GitLab allows 1,000,000
    characters)."""
    sess("start", "--issue", "4", check=0)
    repo.commit("login.py", "x\n", "Add the page")
    part = "y" * (70 * 1024)  # three of them: a 210 KiB description
    ended = sess("end", "--summary", part, "--testing", part, "--notes", part, check=0)
    assert "https://gitlab.com/acme/widgets/-/merge_requests/5" in ended.out and "warning" not in ended.err, ended
    (mr,) = glab.state()["mrs"]
    assert mr["description"].count(part) == 3 and mr["description"].startswith("Closes #4\n\n## Summary\n\n")
    calls = glab.calls()
    assert all(len(arg.encode()) < 128 * 1024 for call in calls for arg in call)
    (create,) = [c for c in calls if c[:2] == ["mr", "create"]]
    description = next(arg for arg in create if arg.startswith("--description="))
    assert len(description.encode()) < 128 * 1024 and "cut" in description
    (put,) = [c for c in calls if c[:1] == ["api"]]
    assert put[:3] == ["api", "--method=PUT", "projects/:fullpath/merge_requests/5"]
    body_file = Path(next(arg for arg in put if arg.startswith("--field=description=@"))
                     .removeprefix("--field=description=@"))
    assert not body_file.exists() and body_file.parent == Path(env["SESS_HOME"]) / "tmp"
    (row,) = sessions(db_path)
    assert (row["state"], row["pr_number"]) == ("ended", 5)


def test_a_long_description_that_cannot_be_set_whole_warns(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                           db_path: Path) -> None:
    """The MR exists with the description cut (and saying so); end ends, and warns with glab's words."""
    sess("start", "--issue", "4", check=0)
    repo.commit("login.py", "x\n", "Add the page")
    glab.set(fail={"api": "glab: 403 Forbidden (HTTP 403)"})
    part = "y" * (70 * 1024)
    ended = sess("end", "--summary", part, "--testing", part, "--notes", part, check=0)
    (mr,) = glab.state()["mrs"]
    assert mr["description"].startswith("Closes #4\n\n## Summary\n\n") and len(mr["description"]) < 128 * 1024
    assert "sess cut this description" in mr["description"]
    assert "warning: PR #5 was opened, but not all of it" in ended.err and "403 Forbidden" in ended.err, ended
    assert "description" in ended.err and "Traceback" not in ended.err
    (row,) = sessions(db_path)
    assert (row["state"], row["pr_number"]) == ("ended", 5)


def test_a_strangers_fork_mr_with_the_same_branch_name_is_not_adopted(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                                       tmp_path: Path, db_path: Path) -> None:
    """glab mr list --source-branch B lists every project's B: only an MR whose source project is
    origin's is this branch's (GitHub's defect 1, on GitLab)."""
    fork = tmp_path / "mallory-widgets.git"
    run_git(tmp_path, repo.env, "init", "-q", "--bare", str(fork))
    glab.set(projects={"8": {"path_with_namespace": "mallory/widgets", "ssh_url_to_repo": str(fork)}},
             mrs=[{"iid": 12, "title": "Mallory's", "description": "", "state": "opened", "source_branch": "feature/x",
                   "target_branch": "main", "author": "mallory", "source_project_id": 8}])
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Add x")
    ended = sess("end", check=0)
    assert "already open" not in ended.out, ended
    assert [(m["iid"], m.get("source_project_id", 7)) for m in glab.state()["mrs"]] == [(12, 8), (13, 7)]
    (row,) = sessions(db_path)
    assert row["pr_number"] == 13
    sess("reopen", "feature/x", check=0)  # the next round reuses its own MR, not mallory's
    repo.write("x.txt", "x, again\n")
    again = sess("end", "-m", "Again", check=0)
    assert "PR #13" in again.out and "already open" in again.out, again
    assert len(glab.state()["mrs"]) == 2


def test_logged_out_glab_stops_end_before_anything(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                    db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("a.py", "a\n", "A")
    glab.set(authenticated=False)
    r = sess("end")
    refused(r, "glab is not logged in", "glab auth login", "--no-pr", code=1)
    (row,) = sessions(db_path)
    assert row["state"] == "active"
    assert repo.git("ls-remote", "origin", "refs/heads/feature/x") == ""  # nothing pushed
    sess("end", "--no-pr", check=0)  # works without glab


def test_missing_glab(sess: SessRunner, repo: Repo, glab: FakeGlab, env: dict[str, str]) -> None:
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != FAKEGLAB_DIR)
    sess("start", "x", "--no-issue", check=0)
    repo.commit("a.py", "a\n", "A")
    refused(sess("end"), "glab is not installed", "Install glab", code=1)


def test_forge_host_reaches_glab(sess: SessRunner, repo: Repo, glab: FakeGlab, env: dict[str, str]) -> None:
    config = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    config.write_text('[forge]\ntype = "gitlab"\nhost = "git.example.com"\n')
    glab.set(host="git.example.com")
    sess("start", "x", "--no-issue", check=0)
    repo.commit("a.py", "a\n", "A")
    sess("end", check=0)
    assert ["auth", "status", "--hostname=git.example.com"] in glab.calls()
    log = glab.state_path.with_name("glab-calls.jsonl").read_text().splitlines()
    assert all(json.loads(line)["env"].get("GITLAB_HOST") == "git.example.com" for line in log)


def test_doctor_asks_glab(sess: SessRunner, repo: Repo, glab: FakeGlab) -> None:
    """The forge check runs glab (its version, then auth status), as it runs gh on GitHub."""
    document = json.loads(sess("doctor", "--json").out)
    forge = [f for f in document["findings"] if f["check"] == "forge"]
    assert [f["problem"] for f in forge] == ["glab 1.46.1 (fake for sess)"], forge
    assert ["--version"] in glab.calls() and ["auth", "status"] in glab.calls()
    glab.set(authenticated=False)
    document = json.loads(sess("doctor", "--json").out)
    assert "glab is not logged in" in [f["problem"] for f in document["findings"] if f["check"] == "forge"]


def test_detection_by_exact_host() -> None:
    from sess import forges

    assert forges.forge_type("gitlab.com", forges.Settings()) == "gitlab"
    assert forges.forge_type("github.com", forges.Settings()) == "github"
    assert forges.forge_type("gitlab.example.com", forges.Settings()) is None  # no guessing from the name
    assert forges.forge_type("git.acme.dev", forges.Settings(type="gitlab")) == "gitlab"


# --- reviewing someone's merge request (start --pr), review rounds on your own (reopen) ----------

def teammates_mr(repo: Repo, glab: FakeGlab, head: str = "fix-typo", state: str = "opened",
                 **extra: Any) -> str:
    """A teammate's branch on origin with one commit, and their merge request !5 for it; its tip."""
    tip = repo.teammate_push("typo.txt", "fixed\n", "Fix the typo", branch=head)
    glab.set(mrs=[*glab.state()["mrs"], {"iid": 5, "title": "Fix the typo", "description": "", "state": state,
                                          "source_branch": head, "target_branch": "main", "author": "bob",
                                          **extra}])
    return tip


def origin_tip(repo: Repo, branch: str) -> str:
    assert repo.origin is not None
    return run_git(repo.origin, repo.env, "rev-parse", f"refs/heads/{branch}")


def test_a_review_of_a_merge_request_checks_out_its_source_branch(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                                  db_path: Path) -> None:
    """glab mr checkout fetches the source branch as the review's branch, its upstream the project's
    URL; end pushes only the new commit there, unforced, and opens no merge request."""
    tip = teammates_mr(repo, glab)
    started = sess("start", "--pr", "https://gitlab.com/acme/widgets/-/merge_requests/5", check=0)
    assert started.out.splitlines()[:4] == ["On branch fix-typo (review)", "Session active · reviewing #5",
                                            "Fix the typo", "https://gitlab.com/acme/widgets/-/merge_requests/5"]
    assert ["mr", "checkout", "5", "--branch=fix-typo"] in glab.calls()
    assert repo.current_branch() == "fix-typo" and repo.git("rev-parse", "HEAD") == tip
    assert repo.git("config", "branch.fix-typo.merge") == "refs/heads/fix-typo"
    assert repo.git("config", "branch.fix-typo.remote") == str(repo.origin)
    row = session_row(db_path, 1)
    assert (row["branch_type"], row["pr_number"], row["pr_url"]) == (
        "review", 5, "https://gitlab.com/acme/widgets/-/merge_requests/5")
    repo.write("typo.txt", "fixed, and reworded\n")
    ended = sess("end", "--message", "Reword", check=0)
    assert "No pull request · a review" in ended.out, ended
    assert origin_tip(repo, "fix-typo") == repo.git("rev-parse", "fix-typo")
    assert repo.git("rev-parse", "fix-typo~1") == tip  # on top of the author's commit: no rebase
    assert repo.current_branch() == "main" and session_row(db_path, 1)["state"] == "ended"
    assert len(glab.state()["mrs"]) == 1 and not [c for c in glab.calls() if c[:2] == ["mr", "create"]]
    sess("start", "--pr", "!5", check=0)  # a second look: nothing new, exit 0, nothing pushed
    assert repo.current_branch() == "review/5"
    before = origin_tip(repo, "fix-typo")
    assert "nothing new to push" in sess("end", check=0).out
    assert origin_tip(repo, "fix-typo") == before


def test_a_review_of_a_merge_request_in_a_new_worktree(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                        db_path: Path) -> None:
    """glab mr checkout runs in the new worktree: the review's branch is checked out there."""
    tip = teammates_mr(repo, glab)
    sess("start", "a", "--no-issue", check=0)
    repo.write("README", "unfinished on a\n")
    started = sess("start", "--pr", "5", "--worktree", check=0)
    place = Path(started.out.strip())
    assert run_git(place, repo.env, "rev-parse", "--abbrev-ref", "HEAD") == "fix-typo", started
    assert run_git(place, repo.env, "rev-parse", "HEAD") == tip
    assert repo.current_branch() == "feature/a" and (repo.path / "README").read_text() == "unfinished on a\n"
    (place / "typo.txt").write_text("fixed, and reworded\n")
    ended = sess("end", "--message", "Reword", cwd=place, check=0)
    assert "No pull request · a review" in ended.out and not place.exists(), ended
    assert origin_tip(repo, "fix-typo") == repo.git("rev-parse", "fix-typo")
    assert repo.git("rev-parse", "fix-typo~1") == tip and len(glab.state()["mrs"]) == 1


def test_start_pr_refuses_a_merged_or_missing_merge_request(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                                            db_path: Path) -> None:
    teammates_mr(repo, glab, state="merged")
    refused(sess("start", "--pr", "5"), "#5 is merged", code=1)
    refused(sess("start", "--pr", "9"), "merge request #9 does not exist in this project on GitLab", code=1)
    assert repo.current_branch() == "main" and repo.git("branch", "--list", "fix-typo") == ""


def fork_of_origin(repo: Repo, glab: FakeGlab, tmp_path: Path, readable: bool = True) -> Path:
    """mallory's fork (project 8): a bare clone of origin, known to glab by its URL."""
    fork = tmp_path / "mallory-widgets.git"
    run_git(tmp_path, repo.env, "clone", "-q", "--bare", str(repo.origin), str(fork))
    glab.set(projects={"8": {"path_with_namespace": "mallory/widgets", "ssh_url_to_repo": str(fork),
                             "readable": readable}})
    return fork


def forks_mr(repo: Repo, glab: FakeGlab, fork: Path, allow_collaboration: bool) -> str:
    """mallory's branch feature/y on the fork, her merge request !5 into origin's main; its tip."""
    tip = repo.teammate_push("y.txt", "y\n", "Add y", branch="feature/y")
    assert repo.origin is not None
    run_git(repo.origin, repo.env, "push", "-q", str(fork), "feature/y")
    run_git(repo.origin, repo.env, "update-ref", "refs/merge-requests/5/head", tip)  # GitLab keeps the MR's head
    run_git(repo.origin, repo.env, "update-ref", "-d", "refs/heads/feature/y")  # only the fork has the branch
    glab.set(mrs=[{"iid": 5, "title": "Add y", "description": "", "state": "opened", "source_branch": "feature/y",
                   "target_branch": "main", "author": "mallory", "source_project_id": 8,
                   "allow_collaboration": allow_collaboration}])
    return tip


def test_a_forks_merge_request_open_to_collaboration_is_pushed_to_the_fork(sess: SessRunner, repo: Repo,
                                                                           glab: FakeGlab, tmp_path: Path) -> None:
    fork = fork_of_origin(repo, glab, tmp_path)
    tip = forks_mr(repo, glab, fork, allow_collaboration=True)
    sess("start", "--pr", "5", check=0)
    assert repo.git("rev-parse", "HEAD") == tip
    assert repo.git("config", "branch.feature/y.pushRemote") == str(fork)
    repo.write("y.txt", "y, suggested\n")
    assert "No pull request · a review" in sess("end", "-m", "Suggestion", check=0).out
    assert run_git(fork, repo.env, "rev-parse", "refs/heads/feature/y") == repo.git("rev-parse", "feature/y")
    assert repo.git("ls-remote", "origin", "refs/heads/feature/y") == ""  # nothing went to origin


@pytest.mark.parametrize("readable", [True, False], ids=["fork-readable", "fork-unreadable"])
def test_a_forks_merge_request_closed_to_collaboration_refuses_the_end_before_anything(
        sess: SessRunner, repo: Repo, glab: FakeGlab, tmp_path: Path, db_path: Path, readable: bool) -> None:
    """glab leaves pushRemote unset when the MR does not allow collaboration (and checks out the
    target's refs/merge-requests/N/head when the fork cannot be read): GitLab would refuse the
    push, so end refuses before any step, as for a GitHub fork closed to maintainers."""
    fork = fork_of_origin(repo, glab, tmp_path, readable=readable)
    tip = forks_mr(repo, glab, fork, allow_collaboration=False)
    sess("start", "--pr", "5", check=0)
    assert repo.git("rev-parse", "HEAD") == tip
    assert repo.git("config", "branch.feature/y.merge") == (
        "refs/heads/feature/y" if readable else "refs/merge-requests/5/head")
    assert "nothing new to push" in sess("end", check=0).out  # a look without changes ends
    sess("start", "--pr", "5", check=0)
    repo.write("y.txt", "my suggestion\n")
    refused(sess("end", "-m", "Suggestion"), "comes from a fork that does not let maintainers push",
            "Nothing was changed", code=1)
    assert repo.is_dirty() and sessions(db_path)[-1]["state"] == "active"
    assert run_git(fork, repo.env, "rev-parse", "refs/heads/feature/y") == tip


def test_reopen_of_an_own_merge_request_reuses_it_and_refuses_a_merged_one(sess: SessRunner, repo: Repo,
                                                                          glab: FakeGlab, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Add x")
    first = sess("end", check=0)
    (mr,) = glab.state()["mrs"]
    assert f"PR #{mr['iid']}" in first.out, first
    reopened = sess("reopen", "feature/x", check=0)
    assert "Reopened session on feature/x (feature)" in reopened.out and repo.current_branch() == "feature/x"
    assert ["mr", "view", str(mr["iid"]), "--output", "json"] in glab.calls()
    repo.write("x.txt", "x, after review\n")
    again = sess("end", "-m", "After review", check=0)
    assert f"PR #{mr['iid']}" in again.out and "already open" in again.out, again
    assert len(glab.state()["mrs"]) == 1
    assert origin_tip(repo, "feature/x") == repo.git("rev-parse", "feature/x")
    glab.set(mrs=[{**glab.state()["mrs"][0], "state": "merged"}])
    refused(sess("reopen", "feature/x"), "is merged", code=1)
    assert sessions(db_path)[0]["state"] == "ended"


# --- worked time as /spend notes -------------------------------------------------------------------

def worked(sess: SessRunner, start: str, pause: str) -> None:
    sess("start", "--issue", "4", "--at", start, check=0)
    sess("pause", "--at", pause, check=0)


def test_worklog_spends_on_the_issue(sess: SessRunner, repo: Repo, glab: FakeGlab) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:05")
    r = sess("worklog", check=0)
    assert "  #4  2026-11-30  1h35m" in r.out.splitlines()
    assert glab.state()["notes"] == [{"issue": 4, "body": "/spend 1h35m 2026-11-30"}]
    assert sess("worklog", check=0).out == "Worklog for widgets · nothing to send\n"
    assert len(glab.state()["notes"]) == 1


def test_units_are_always_written(sess: SessRunner, repo: Repo, glab: FakeGlab) -> None:
    worked(sess, "2026-11-30 09:00", "2026-11-30 09:45")
    sess("worklog", check=0)
    assert glab.state()["notes"][0]["body"] == "/spend 0h45m 2026-11-30"


def test_an_unconfirmed_spend_waits_for_retry(sess: SessRunner, repo: Repo, glab: FakeGlab,
                                              db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    sess("worklog", "--dry-run", check=0)
    (row,) = sessions(db_path)
    with sqlite3.connect(db_path) as conn:  # what a kill -9 while glab ran leaves behind
        conn.execute("INSERT INTO worklog_pushed (session_id, day, seconds, tracker, issue_id, state, created_at) "
                     "VALUES (?, '2026-11-30', 5400, 'gitlab', '4', 'pending', '2026-12-01 10:00:00+00:00')",
                     (row["id"],))
    r = sess("worklog", check=0)
    assert "unconfirmed: 'sess worklog --retry' sends it" in r.out and glab.state()["notes"] == []
    sess("worklog", "--retry", check=0)
    assert [n["body"] for n in glab.state()["notes"]] == ["/spend 1h30m 2026-11-30"]
    assert sess("worklog", check=0).out == "Worklog for widgets · nothing to send\n"


# --- the stand-in itself ------------------------------------------------------------------------------

def test_fake_mr_create_refuses_an_unpushed_branch_and_prompts(repo: Repo, glab: FakeGlab) -> None:
    repo.git("checkout", "-q", "-b", "local-only")
    made = glab.run("mr", "create", "--source-branch", "local-only", "--target-branch", "main", "--title", "T",
                    "--description", "D", "--yes", cwd=repo.path)
    assert made.returncode == 1 and "does not exist on the remote" in made.stderr and made.stdout == ""
    repo.git("push", "-q", "origin", "local-only")
    no_description = glab.run("mr", "create", "--source-branch", "local-only", "--target-branch", "main",
                              "--title", "T", "--yes", cwd=repo.path)
    assert no_description.returncode == 1 and "--title or --fill required" in no_description.stderr
    made = glab.run("mr", "create", "--source-branch=local-only", "--target-branch=main", "--title=T",
                    "--description=D", "--yes", cwd=repo.path)
    assert made.returncode == 0 and made.stdout == "https://gitlab.com/acme/widgets/-/merge_requests/5\n"
    assert "Creating merge request" in made.stderr
    listed = json.loads(glab.run("mr", "list", "--source-branch", "local-only", "--output", "json",
                                 cwd=repo.path).stdout)
    assert [(m["iid"], m["state"], m["web_url"]) for m in listed] == [
        (5, "opened", "https://gitlab.com/acme/widgets/-/merge_requests/5")]


def test_fake_api_reads_a_field_from_a_file(repo: Repo, glab: FakeGlab, tmp_path: Path) -> None:
    """glab api's -F key=@FILE takes the file's text (its --field is the one that reads files)."""
    glab.set(mrs=[{"iid": 5, "title": "T", "description": "short", "state": "opened", "source_branch": "b",
                   "target_branch": "main"}])
    text = tmp_path / "description.md"
    text.write_text("line one\n" + "z" * 300_000 + "\n")
    put = glab.run("api", "--method", "PUT", "projects/:fullpath/merge_requests/5", "-F", f"description=@{text}",
                   cwd=repo.path)
    assert put.returncode == 0 and json.loads(put.stdout)["iid"] == 5, put
    assert glab.state()["mrs"][0]["description"] == text.read_text()
    missing = glab.run("api", "-X", "PUT", "projects/:fullpath/merge_requests/5", f"-Fdescription=@{text}.gone",
                       cwd=repo.path)
    assert missing.returncode == 1 and "no such file or directory" in missing.stderr, missing
    gone = glab.run("api", "projects/:fullpath/merge_requests/9", cwd=repo.path)
    assert gone.returncode == 1 and "404" in gone.stderr


def test_fake_auth_status_reports_on_stderr(repo: Repo, glab: FakeGlab) -> None:
    ok = glab.run("auth", "status", cwd=repo.path)
    assert ok.returncode == 0 and ok.stdout == "" and "Logged in to gitlab.com" in ok.stderr
    glab.set(authenticated=False)
    bad = glab.run("auth", "status", cwd=repo.path)
    assert bad.returncode == 1 and bad.stdout == "" and "401" in bad.stderr


def test_the_picker_lists_gitlab_issues(repo: Repo, glab: FakeGlab, env: dict[str, str], db_path: Path) -> None:
    from test_interactive import ENTER, Terminal

    glab.add_issue(6, "Closed one", state="closed")
    term = Terminal(env, repo.path, "start")
    try:
        term.expect("#4  Add login page")
        term.send("login" + ENTER)
        term.expect("Branch type")
        term.send(ENTER)
        term.expect("Branch name")
        term.send(ENTER)
        term.expect("Session active")
        assert "Closed one" not in term.seen
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    (row,) = sessions(db_path)
    assert (row["issue_id"], row["issue_tracker"]) == ("4", "gitlab")
    assert ["issue", "list", "--per-page", "100", "--output", "json"] in glab.calls()


def test_a_synced_gitlab_session_says_gitlab(sess: SessRunner, repo: Repo, glab: FakeGlab) -> None:
    from test_sync import SYNC_ON, origin_refs, records_on_origin

    repo.commit(".sess.toml", SYNC_ON, "Share session records")
    sess("start", "--issue", "#4", check=0)  # a number, which reads like a GitHub issue
    sess("sync", check=0)
    assert repo.origin is not None
    [ref] = origin_refs(repo.origin, repo.env)
    [record] = records_on_origin(repo.origin, repo.env, ref).values()
    assert record["issue"] == {"tracker": "gitlab", "id": "4", "title": "Add login page"}
