"""What each configuration key does to start and end (real git, bare origin, fake gh)."""
from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_config import session_count, write_user

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner


def team(repo: Repo, text: str) -> None:
    """Commit (and push) a .sess.toml on main, as a team would."""
    repo.commit(".sess.toml", text, "Team conventions for sess")
    repo.git("push", "-q", "origin", "main")


def open_pr(sess: SessRunner, repo: Repo, gh: FakeGh, *end_args: str, name: str = "work") -> dict[str, Any]:
    sess("start", name, "--no-issue", check=0)
    repo.commit(f"{name}.txt", "done\n", f"Do the {name}")
    sess("end", *end_args, check=0)
    prs = gh.prs()
    assert prs, "no pull request was opened"
    return prs[-1]


# --- branch.* ---------------------------------------------------------------------------------

def test_branch_types_limit_type_and_set_the_default(sess: SessRunner, repo: Repo) -> None:
    team(repo, '[branch]\ntypes = ["feat", "fix", "chore"]\ndefault_type = "fix"\n')
    r = sess("start", "x", "--no-issue", "--type", "feature")
    assert r.code == 2
    assert r.err.splitlines()[0] == "Error: unknown branch type 'feature'"
    assert "Choose one of: feat, fix, chore." in r.err
    sess("start", "x", "--no-issue", check=0)
    assert repo.current_branch() == "fix/x"
    sess("end", "--no-pr", check=0)
    sess("start", "y", "--no-issue", "--type", "chore", check=0)
    assert repo.current_branch() == "chore/y"


def test_branch_types_without_a_default_take_the_first(sess: SessRunner, repo: Repo) -> None:
    team(repo, '[branch]\ntypes = ["story", "defect"]\n')
    sess("start", "x", "--no-issue", check=0)
    assert repo.current_branch() == "story/x"


def test_branch_template_fields_and_the_empty_field_rule(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    team(repo, '[branch]\ntemplate = "{user}/{type}/{issue}-{slug}"\n')
    sess("start", "add login", "--no-issue", check=0)
    assert repo.current_branch() == "test-user/feature/add-login"  # no issue: its '-' goes too
    sess("end", "--no-pr", check=0)
    gh.add_issue(123, "Add the login page")
    sess("start", "--issue", "123", check=0)
    assert repo.current_branch() == "test-user/feature/123-add-the-login-page"


def test_branch_template_date_and_a_trailing_empty_field(sess: SessRunner, repo: Repo) -> None:
    team(repo, '[branch]\ntemplate = "{date}.{slug}_{issue}"\n')
    before = datetime.date.today().isoformat()
    sess("start", "x", "--no-issue", check=0)
    after = datetime.date.today().isoformat()
    assert repo.current_branch() in (f"{before}.x", f"{after}.x")


def test_branch_template_giving_an_invalid_name_changes_nothing(sess: SessRunner, repo: Repo,
                                                                env: dict[str, str]) -> None:
    team(repo, '[branch]\ntemplate = "{type}..{slug}.lock"\n')
    before = repo.git("for-each-ref")
    r = sess("start", "x", "--no-issue")
    assert r.code == 1
    assert r.err.splitlines()[0] == "Error: 'feature..x.lock' is not a valid branch name"
    assert "branch.template" in r.err
    assert repo.git("for-each-ref") == before and repo.current_branch() == "main" and session_count(env) == 0


def test_branch_max_length(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, "[branch]\nmax_length = 12\n")
    sess("start", "a rather long description of the work", "--no-issue", check=0)
    assert repo.current_branch() == "feature/a-rather-lon"


def test_branch_max_length_above_sixty(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, "[branch]\nmax_length = 80\n")
    name = "word " * 15
    sess("start", name, "--no-issue", check=0)
    assert repo.current_branch() == "feature/" + "-".join(["word"] * 15)[:80].rstrip("-")


# --- base -------------------------------------------------------------------------------------

def test_base_from_the_repository_file(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.git("checkout", "-q", "-b", "develop")
    repo.git("push", "-q", "-u", "origin", "develop")
    repo.git("checkout", "-q", "main")
    team(repo, 'base = "develop"\n')
    repo.teammate_push("dev.txt", "dev\n", "Work on develop", branch="develop")
    # sess fetches origin/HEAD's branch (main) while it loads, before it has read the file: that
    # guess must not be what it pulls.
    on_main = repo.teammate_push("main.txt", "main\n", "Work on main")
    r = sess("start", "x", "--no-issue", check=0)
    assert "from develop" in r.out and "pulled 1 commit" in r.out
    history = repo.git("rev-list", "HEAD").split()
    assert repo.git("rev-parse", "origin/develop") in history and on_main not in history
    repo.commit("x.txt", "x\n", "Do x")
    sess("end", check=0)
    (pr,) = gh.prs()
    assert pr["baseRefName"] == "develop"
    assert repo.current_branch() == "develop"


def test_a_configured_base_that_does_not_exist_is_an_error(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, 'base = "develop"\n')
    r = sess("start", "x", "--no-issue")
    assert r.code == 1
    assert r.err.splitlines()[0] == "Error: base branch 'develop' does not exist here or on origin"
    assert "It is set as 'base' in ~/.config/sess/config.toml." in r.err
    assert session_count(env) == 0


# --- pr.* -------------------------------------------------------------------------------------

def test_pr_reviewers_labels_assignees_reach_gh(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    team(repo, '[pr]\nreviewers = ["ada", "acme/core"]\nlabels = ["needs review", "sess"]\nassignees = ["@me"]\n')
    pr = open_pr(sess, repo, gh)
    assert pr["reviewers"] == ["ada", "acme/core"]
    assert pr["labels"] == ["needs review", "sess"]
    assert pr["assignees"] == ["fake"]
    (create,) = [call for call in gh.calls() if call[:2] == ["pr", "create"]]
    assert "--reviewer=ada" in create and "--label=needs review" in create and "--assignee=@me" in create
    listed = gh.run("pr", "list", "--json", "labels,reviewRequests,assignees", cwd=repo.path)
    assert '"login": "ada"' in listed.out and '"name": "needs review"' in listed.out


def test_pr_draft_and_ready(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str]) -> None:
    write_user(env, "[pr]\ndraft = true\n")
    assert open_pr(sess, repo, gh, name="one")["isDraft"] is True
    assert open_pr(sess, repo, gh, "--ready", name="two")["isDraft"] is False
    r = sess("end", "--draft", "--ready")
    assert r.code == 2


def test_pr_title_template_and_title_flag(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    team(repo, '[pr]\ntitle = "[{type}] #{issue} {subject}"\n')
    pr = open_pr(sess, repo, gh, name="one")
    assert pr["title"] == "[feature] Do the one"  # no issue: the '#' goes with the empty {issue}
    gh.add_issue(40, "Widgets wobble")
    sess("start", "--issue", "40", check=0)
    repo.commit("w.txt", "w\n", "Steady the widgets")
    sess("end", check=0)
    assert gh.prs()[-1]["title"] == "[feature] #40 Steady the widgets"
    pr = open_pr(sess, repo, gh, "--title", "Chosen by hand", name="three")
    assert pr["title"] == "Chosen by hand"


def test_title_flag_wins_over_the_issue_title(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(12, "Fix the widget")
    sess("start", "--issue", "12", check=0)
    repo.commit("w.txt", "w\n", "Fix it")
    sess("end", "--title", "A better title", check=0)
    (pr,) = gh.prs()
    assert pr["title"] == "A better title"
    assert pr["body"].startswith("Closes #12\n")


# --- end.delete_branch ------------------------------------------------------------------------

def test_end_delete_branch_from_configuration(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str]) -> None:
    write_user(env, "[end]\ndelete_branch = true\n")
    open_pr(sess, repo, gh, name="one")
    assert repo.git("branch", "--list", "feature/one") == ""
    open_pr(sess, repo, gh, "--keep-branch", name="two")
    assert repo.git("branch", "--list", "feature/two").strip() == "feature/two"


# --- the pull request template -------------------------------------------------------------------

TEMPLATE = """\
## Summary

<!-- What does this change, and why? -->

### How was this tested?

<!-- not the Testing heading -->

## TESTING

- [ ] unit tests

## Checklist

- [ ] docs updated
"""


def test_template_gets_the_texts_under_its_headings(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.commit(".github/pull_request_template.md", TEMPLATE, "PR template")
    repo.git("push", "-q", "origin", "main")
    gh.add_issue(9, "Nine")
    sess("start", "--issue", "9", check=0)
    repo.commit("n.txt", "n\n", "Nine")
    sess("end", "--summary", "Makes nine work", "--testing", "ran pytest", "--notes", "look at n.txt", check=0)
    (pr,) = gh.prs()
    assert pr["body"] == """\
Closes #9

## Summary

Makes nine work

### How was this tested?

<!-- not the Testing heading -->

## TESTING

ran pytest

- [ ] unit tests

## Checklist

- [ ] docs updated

## Notes

look at n.txt
"""


def test_template_in_any_case_and_place_and_untouched_without_texts(sess: SessRunner, repo: Repo,
                                                                    gh: FakeGh) -> None:
    repo.commit("docs/PULL_REQUEST_TEMPLATE.md", "# Notes\n<!-- for reviewers -->\n", "PR template")
    repo.git("push", "-q", "origin", "main")
    pr = open_pr(sess, repo, gh)
    assert pr["body"] == "# Notes\n<!-- for reviewers -->\n"


def test_no_template_keeps_the_plain_body(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    pr = open_pr(sess, repo, gh, "--summary", "S")
    assert pr["body"] == "## Summary\n\nS\n\n## Testing\n\nNot provided\n\n## Notes\n\nNot provided\n"


def test_configured_template_inside_the_repository(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.commit("meta/pr.md", "## Summary\n\n## Risk\n\nlow\n", "Our template")
    team(repo, '[pr]\ntemplate = "meta/pr.md"\n')
    pr = open_pr(sess, repo, gh, "--summary", "Sum")
    assert pr["body"] == "## Summary\n\nSum\n\n## Risk\n\nlow\n"


def test_user_file_may_name_a_template_anywhere(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str],
                                                tmp_path: Path) -> None:
    mine = tmp_path / "my-template.md"
    mine.write_text("## Why\n\n## Summary\n")
    write_user(env, f'[pr]\ntemplate = "{mine}"\n')
    pr = open_pr(sess, repo, gh, "--summary", "Sum")
    assert pr["body"] == "## Why\n\n## Summary\n\nSum\n"


SECRET = "ssh-ed25519 AAAA-secret-key"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "home" / ".ssh" / "id_ed25519"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRET + "\n")
    return path


def assert_end_refused(sess: SessRunner, repo: Repo, gh: FakeGh, expected: str) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    r = sess("end")
    assert r.code == 1, r
    assert r.err.splitlines()[-3 if "\n\n" in r.err else -1].startswith(expected), r
    assert gh.prs() == []
    assert repo.current_branch() == "feature/x"
    assert repo.git("ls-remote", "--heads", "origin", "feature/x") == ""  # nothing pushed
    assert sess("status", check=0).out.splitlines()[1].startswith("Session active")
    assert SECRET not in r.out + r.err


def test_repository_template_path_absolute_is_refused(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                      secret: Path) -> None:
    team(repo, f'[pr]\ntemplate = "{secret}"\n')
    r = sess("start", "x", "--no-issue")
    assert r.code == 1
    assert r.err.splitlines()[0] == (f"Error: {repo.path}/.sess.toml: 'pr.template' must be a path inside the "
                                     f"repository, not '{secret}'")


@pytest.mark.parametrize("path", ["../../home/.ssh/id_ed25519", "docs/../../x", "~/.ssh/id_ed25519"])
def test_repository_template_path_leaving_is_refused(sess: SessRunner, repo: Repo, secret: Path, path: str) -> None:
    team(repo, f'[pr]\ntemplate = "{path}"\n')
    r = sess("start", "x", "--no-issue")
    assert r.code == 1
    assert "'pr.template' must be a path inside the repository" in r.err.splitlines()[0]


def test_repository_template_symlink_out_is_refused_and_never_read(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                                    secret: Path) -> None:
    (repo.path / "meta").mkdir()
    os.symlink(secret, repo.path / "meta" / "pr.md")
    repo.git("add", "meta/pr.md")
    team(repo, '[pr]\ntemplate = "meta/pr.md"\n')
    assert_end_refused(sess, repo, gh, "Error: the pull request template 'meta/pr.md' "
                                       f"({repo.path}/.sess.toml) leads outside the repository; it was not read")


def test_default_template_symlink_out_is_refused(sess: SessRunner, repo: Repo, gh: FakeGh, secret: Path) -> None:
    (repo.path / ".github").mkdir()
    os.symlink(secret, repo.path / ".github" / "pull_request_template.md")
    repo.git("add", ".github")
    repo.git("commit", "-q", "-m", "template")
    repo.git("push", "-q", "origin", "main")
    assert_end_refused(sess, repo, gh, "Error: the pull request template '.github/pull_request_template.md' "
                                       "(the repository) leads outside the repository; it was not read")


def test_template_through_a_directory_symlink_out_is_refused(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                             secret: Path) -> None:
    os.symlink(secret.parent, repo.path / "docs")
    repo.git("add", "docs")
    team(repo, '[pr]\ntemplate = "docs/id_ed25519"\n')
    assert_end_refused(sess, repo, gh, "Error: the pull request template 'docs/id_ed25519'")


def test_missing_configured_template_is_an_error(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    team(repo, '[pr]\ntemplate = "meta/none.md"\n')
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    r = sess("end")
    assert r.code == 1
    assert r.err.splitlines()[0] == (f"Error: the pull request template 'meta/none.md' ({repo.path}/.sess.toml) "
                                     "does not exist")
    assert gh.prs() == []


def test_no_pr_does_not_need_the_template(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    team(repo, '[pr]\ntemplate = "meta/none.md"\n')
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    sess("end", "--no-pr", check=0)
