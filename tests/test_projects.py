"""`sess projects`: every tracked project, its state, and the one you stand in."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dbhelp import ago, execute, stamp

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, SessRunner


def top(repo: Repo) -> str:
    return repo.git("rev-parse", "--show-toplevel")


def two_projects(sess: SessRunner, repo: Repo, repo_no_remote: Repo, gh: FakeGh, db_path: Path) -> None:
    """solo: idle, used a day and a half ago; widgets: active on #12, used just now."""
    sess("start", "--no-issue", "scratch", cwd=repo_no_remote.path, check=0)
    execute(db_path, "UPDATE sessions SET state = 'ended', current_slice_start = NULL")
    repo_no_remote.git("checkout", "-q", "main")
    gh.add_issue(12, "Fix the widget crash")
    sess("start", "--issue", "12", cwd=repo.path, check=0)
    execute(db_path, "UPDATE projects SET last_used_at = ? WHERE name = 'solo'", (stamp(ago(days=3)),))


def test_no_projects(sess: SessRunner, tmp_path: Path, db_path: Path) -> None:
    result = sess("projects", cwd=tmp_path, check=0)
    assert result.out == "No tracked projects\n" and "sess start" in result.err
    assert json.loads(sess("projects", "--json", cwd=tmp_path, check=0).out) == {"projects": []}
    assert not db_path.exists()


def test_projects_text(sess: SessRunner, repo: Repo, repo_no_remote: Repo, gh: FakeGh, db_path: Path) -> None:
    two_projects(sess, repo, repo_no_remote, gh, db_path)
    lines = sess("projects", cwd=repo.path, check=0).out.splitlines()
    assert lines[:4] == ["Tracked projects (2)", "", "widgets *", f"  {top(repo)}"]
    assert re.fullmatch(r"  active · feature/fix-the-widget-crash · \d+s · #12", lines[4]), lines
    assert lines[5:] == ["  just now", "", "solo", f"  {top(repo_no_remote)}", "  idle · base main",
                         "  3 days ago"]


def test_projects_marks_where_you_stand(sess: SessRunner, repo: Repo, repo_no_remote: Repo, gh: FakeGh,
                                        db_path: Path, tmp_path: Path) -> None:
    two_projects(sess, repo, repo_no_remote, gh, db_path)
    here = sess("projects", cwd=repo_no_remote.path, check=0).out.splitlines()
    assert "solo *" in here and "widgets" in here and "widgets *" not in here
    sub = repo.path / "src"
    sub.mkdir()
    assert "widgets *" in sess("projects", cwd=sub, check=0).out.splitlines()
    outside = sess("projects", cwd=tmp_path, check=0).out
    assert " *" not in outside


def test_projects_json(sess: SessRunner, repo: Repo, repo_no_remote: Repo, gh: FakeGh, db_path: Path) -> None:
    two_projects(sess, repo, repo_no_remote, gh, db_path)
    document = json.loads(sess("projects", "--json", cwd=repo.path, check=0).out)
    assert list(document) == ["projects"]
    widgets, solo = document["projects"]
    for project in (widgets, solo):
        assert set(project) >= {"name", "path", "base_branch", "state", "current", "last_used_at", "session"}
        assert datetime.fromisoformat(project["last_used_at"]).utcoffset() is not None
    assert (widgets["name"], widgets["path"], widgets["state"], widgets["current"]) == (
        "widgets", top(repo), "active", True)
    session = widgets["session"]
    assert session["branch"] == "feature/fix-the-widget-crash" and session["state"] == "active"
    assert {k: session["issue"][k] for k in ("id", "title")} == {"id": "12", "title": "Fix the widget crash"}
    assert session["issue"]["tracker"] == "github"
    assert session["project"] == {"name": "widgets", "path": top(repo)}
    assert isinstance(session["elapsed_seconds"], int) and session["pr"] is None
    assert (solo["name"], solo["state"], solo["current"], solo["session"]) == ("solo", "idle", False, None)
    assert solo["base_branch"] == "main"
    assert datetime.fromisoformat(widgets["last_used_at"]) - datetime.fromisoformat(solo["last_used_at"]) > \
        timedelta(days=2)


def test_projects_paused(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    sess("pause", check=0)
    lines = sess("projects", check=0).out.splitlines()
    assert re.fullmatch(r"  paused · feature/x · \d+s", lines[4]), lines
    assert json.loads(sess("projects", "--json", check=0).out)["projects"][0]["state"] == "paused"


def test_projects_hides_inactive_and_keeps_missing_paths(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    now = stamp(ago())
    execute(db_path, "INSERT INTO projects (name, path, created_at, last_used_at, base_branch, is_active) "
                     "VALUES ('hidden', '/nowhere/hidden', ?, ?, 'main', 0)", (now, now))
    execute(db_path, "INSERT INTO projects (name, path, created_at, last_used_at, base_branch, is_active) "
                     "VALUES ('moved', '/nowhere/moved', ?, ?, 'main', 1)", (now, stamp(ago(days=30))))
    names = [p["name"] for p in json.loads(sess("projects", "--json", check=0).out)["projects"]]
    assert names == ["widgets", "moved"]
    out = sess("projects", check=0).out
    assert "Tracked projects (2)" in out and "hidden" not in out
    assert re.search(r"^  \d{4}-\d\d-\d\d$", out, re.M)  # older than a week: a date
