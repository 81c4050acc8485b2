"""`sess doctor`: read-only checks, one line per finding with its fix, `--json`, exit 0/1."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dbhelp

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner


def doctor_json(sess: SessRunner, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    r = sess("doctor", "--json", **kwargs)
    assert "Traceback" not in r.err, r
    return r.code, json.loads(r.out)


def problems(document: dict[str, Any], check: str) -> list[str]:
    return [f["problem"] for f in document["findings"] if f["check"] == check]


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_all_well_is_exit_0_and_changes_nothing(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    before = digest_of(db_path)
    r = sess("doctor", check=0)
    first = r.out.splitlines()[0]
    assert first == ("Checked database, ends, branches, worktrees, parked, overlaps, forge, tracker, configuration, "
                     "sync · nothing wrong"), r
    assert digest_of(db_path) == before
    code, document = doctor_json(sess)
    assert code == 0 and document["ok"] is True
    assert all(f["severity"] == "info" for f in document["findings"]), document
    assert set(document["findings"][0]) == {"check", "problem", "fix", "severity"}


def test_a_gone_branch_and_an_unfinished_end_are_found(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    gh.fail("pr create", "HTTP 502: Bad Gateway")
    sess("end", "--summary", "S", check=1)
    r = sess("doctor")
    assert r.code == 1, r
    line = next(line for line in r.out.splitlines() if line.startswith("error  ends: "))
    assert f"the end of feature/x in {repo.path} stopped at step 'pull-request'" in line, r
    assert f"cd {repo.path} && sess end --continue" in line
    sess("end", "--abort", check=0)
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "feature/x")
    code, document = doctor_json(sess)
    assert code == 1 and document["ok"] is False
    (finding,) = [f for f in document["findings"] if f["check"] == "branches"]
    assert finding["problem"] == f"the active session on feature/x in {repo.path}: the branch is gone"
    assert finding["fix"].startswith(f"cd {repo.path} && sess cancel") and finding["severity"] == "error"


def test_go_columns_that_disagree_with_the_slices(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    dbhelp.execute(db_path, "UPDATE sessions SET total_elapsed = total_elapsed + 3600 * 1000000000")
    code, document = doctor_json(sess)
    assert code == 1, document
    (problem,) = problems(document, "database")
    assert problem.startswith(f"session 1 (feature/x in {repo.path}): the Go columns disagree with its slices: "
                              "total_elapsed is 36"), problem


def test_a_damaged_database_is_reported_and_left_as_it_is(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    db_path.write_bytes(b"this is not a database at all" * 100)
    before = db_path.read_bytes()
    code, document = doctor_json(sess)
    assert code == 1
    (finding,) = [f for f in document["findings"] if f["check"] == "database"]
    assert "cannot be read" in finding["problem"] and "Move" in finding["fix"], finding
    assert db_path.read_bytes() == before


def test_an_older_schema_is_information_and_not_migrated(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    version = dbhelp.rows(db_path, "PRAGMA user_version")[0]["user_version"]
    dbhelp.execute(db_path, f"PRAGMA user_version = {version - 1}")
    code, document = doctor_json(sess)
    assert code == 0, document
    assert f"the database is at schema version {version - 1} of {version}" in problems(document, "database")
    assert dbhelp.rows(db_path, "PRAGMA user_version")[0]["user_version"] == version - 1


def test_gh_missing_or_logged_out(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    (repo.path / ".sess.toml").write_text('[forge]\ntype = "github"\n')  # origin is a local path
    gh.logout()
    code, document = doctor_json(sess)
    assert code == 1
    assert "gh is not logged in" in problems(document, "forge"), document
    gh.remove_from_path()
    code, document = doctor_json(sess)
    assert code == 1
    assert problems(document, "forge") == ["gh is not installed (needed to open pull requests on GitHub)"], document


def test_an_origin_on_no_forge_host_is_information(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.logout()  # gh would say so: but nothing here needs gh
    code, document = doctor_json(sess)
    assert code == 0, document
    (finding,) = [f for f in document["findings"] if f["check"] == "forge"]
    assert finding["severity"] == "info", finding
    assert finding["problem"] == (f"origin is {repo.origin}, a local path and no forge host; forge.type is not set, "
                                  "so no forge CLI is needed"), finding
    assert "forge.type" in finding["fix"]
    repo.git("remote", "set-url", "origin", "https://git.example.com/acme/widgets.git")
    code, document = doctor_json(sess)
    (finding,) = [f for f in document["findings"] if f["check"] == "forge"]
    assert finding["severity"] == "info" and "git.example.com" in finding["problem"], finding


def test_configuration_errors_and_trust(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    (repo.path / ".sess.toml").write_text('[hooks]\npost-start = "echo hi"\n')
    code, document = doctor_json(sess)
    assert code == 0, document  # untrusted is information, not wrong
    (finding,) = [f for f in document["findings"] if f["check"] == "configuration"]
    assert finding["severity"] == "info" and finding["fix"].endswith("sess config trust"), finding
    user = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("[branch]\ntempalte = 'x'\n")
    code, document = doctor_json(sess)
    assert code == 1
    (problem,) = problems(document, "configuration")
    assert "unknown key 'branch.tempalte'" in problem


def test_outside_a_repository_and_without_a_database(sess: SessRunner, tmp_path: Path, env: dict[str, str]) -> None:
    r = sess("doctor", cwd=tmp_path, check=0)
    assert "info" in r.out and "no database yet" in r.out, r
    assert not os.path.exists(env["SESS_HOME"] + "/sess.db")


def test_doctor_is_completed_like_the_other_commands(sess: SessRunner, repo: Repo) -> None:
    from sess.cli import COMMANDS

    assert COMMANDS["doctor"] == "doctor"
    script = sess("completion", "bash", check=0).out
    assert "doctor" in script


def test_a_read_only_database_is_found(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    import pytest

    if os.geteuid() == 0:
        pytest.skip("root writes to read-only files")
    sess("start", "x", "--no-issue", check=0)
    db_path.chmod(0o400)
    try:
        code, document = doctor_json(sess)
    finally:
        db_path.chmod(0o600)
    assert code == 1
    assert f"{db_path} is read-only: sess can show, but not record anything" in problems(document, "database")


def test_parked_changes_whose_stash_is_gone(sess: SessRunner, repo: Repo) -> None:
    sess("start", "a", "--no-issue", check=0)
    repo.write("half.txt", "half done\n")
    sess("start", "b", "--no-issue", "--park", check=0)  # a's change parked in a stash sess made
    assert doctor_json(sess)[0] == 0
    sha = repo.git("rev-parse", "refs/stash")
    repo.git("stash", "drop", "-q")  # by hand
    code, document = doctor_json(sess)
    (finding,) = [f for f in document["findings"] if f["check"] == "parked"]
    assert code == 1 and finding["severity"] == "error", document
    assert finding["problem"].startswith(f"the parked changes of the session on feature/a in {repo.path} "
                                         f"(stash {sha[:12]}) are no longer in the stash list"), finding
    assert finding["fix"] == f"cd {repo.path} && git stash store -m 'sess: parked feature/a' {sha}"
    repo.git("reflog", "expire", "--expire-unreachable=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    code, document = doctor_json(sess)
    (finding,) = [f for f in document["findings"] if f["check"] == "parked"]
    assert finding["problem"].endswith(f"(stash {sha[:12]}) are gone") and "sess cancel --session" in finding["fix"]


def test_a_session_whose_worktree_is_gone(sess: SessRunner, repo: Repo) -> None:
    import shutil

    place = Path(sess("start", "api", "--no-issue", "--worktree", check=0).out.strip().splitlines()[-1])
    assert place.is_dir() and doctor_json(sess)[0] == 0
    shutil.rmtree(place)
    code, document = doctor_json(sess)
    found = [f for f in document["findings"] if f["check"] == "worktrees"]
    assert len(found) == 1, [f["problem"] for f in document["findings"]]
    (finding,) = found
    assert code == 1 and finding["severity"] == "warning", document
    assert finding["problem"] == (f"the active session on feature/api in {repo.path}: its worktree {place} is gone")
    assert finding["fix"].startswith(f"cd {repo.path} && sess cancel --session ")


def test_slices_of_two_projects_that_overlap_are_named_only_under_time_exclusive(
        sess: SessRunner, repo: Repo, env: dict[str, str], tmp_path: Path) -> None:
    """Without time.exclusive two projects' clocks may run at once; with it, their shared time is
    what it was meant to prevent."""
    from test_time import exclusive_with_gadgets

    other = exclusive_with_gadgets(env, tmp_path)
    user_file = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    user_file.write_text("[time]\nexclusive = false\n")
    sess("start", "--no-issue", "w", "--at", "3h", check=0)
    sess("pause", "--at", "1h", check=0)  # widgets 3h..1h ago
    sess("start", "--no-issue", "g", "--at", "2h", cwd=other, check=0)
    sess("pause", "--at", "90m", cwd=other, check=0)  # gadgets 2h..90m ago: 30 minutes in both
    code, document = doctor_json(sess)
    assert code == 0 and not [f for f in document["findings"] if f["check"] == "overlaps"], document
    user_file.write_text("[time]\nexclusive = true\n")
    code, document = doctor_json(sess)
    found = [f for f in document["findings"] if f["check"] == "overlaps"]
    assert code == 1 and len(found) == 1 and found[0]["severity"] == "warning", document
    assert found[0]["problem"].startswith(f"session 1 (feature/w in {repo.path}) and session 2 (feature/g in {other})")
    assert "(30m0s): that time counts in both projects, though time.exclusive is on" in found[0]["problem"], found
    assert "sess amend --session 2 @N" in found[0]["fix"]
    sess("amend", "@1", "--end", "150m", check=0)  # one clock, as it was: widgets 3h..150m ago
    code, document = doctor_json(sess)
    assert not [f for f in document["findings"] if f["check"] == "overlaps"], document


def test_two_sessions_of_one_project_that_share_time_are_a_warning(sess: SessRunner, repo: Repo,
                                                                     db_path: Path) -> None:
    from dbhelp import execute, slices

    sess("start", "--no-issue", "a", "--at", "3h", check=0)
    sess("pause", "--at", "2h", check=0)
    sess("start", "--no-issue", "b", "--at", "90m", "--park", check=0)
    sess("pause", "--at", "1h", check=0)
    (first,) = slices(db_path, 1)
    execute(db_path, "UPDATE session_slices SET end_time = ?, end_epoch = ? WHERE id = ?",  # as another tool did
            (slices(db_path, 2)[0]["end_time"], slices(db_path, 2)[0]["end_epoch"], first["id"]))
    code, document = doctor_json(sess)
    found = [f for f in document["findings"] if f["check"] == "overlaps"]
    assert code == 1 and len(found) == 1 and found[0]["severity"] == "warning", document
    assert "(30m0s): that time counts twice in its project" in found[0]["problem"], found
