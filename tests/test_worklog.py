"""`sess worklog` and tracker.log_time (SPEC Part 3 "Time back to the tracker"), against a local
server that answers like Jira (tests/trackerservers.py)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeGh, Repo, SessRunner
from dbhelp import sessions
from trackerservers import FakeJira, FakeLinear

TOKEN = "jira-worklog-token-77"


def user_config(env: dict[str, str], text: str) -> None:
    path = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def jira(env: dict[str, str]) -> Iterator[FakeJira]:
    fake = FakeJira(TOKEN, "ada@acme.com")
    with fake.running():
        fake.add_issue("PROJ-123", "Add login page")
        env["JIRA_API_TOKEN"] = TOKEN
        user_config(env, f'[tracker]\ntype = "jira"\nurl = "{fake.url}"\nuser = "ada@acme.com"\n')
        yield fake


def worked(sess: SessRunner, start: str, pause: str, issue: str = "PROJ-123") -> None:
    sess("start", "--issue", issue, "--at", start, check=0)
    sess("pause", "--at", pause, check=0)


def posts(fake: FakeJira) -> list[dict[str, object]]:
    return [r.body for r in fake.requests if r.method == "POST" and r.path.endswith("/worklog")]


def uuid_of(db_path: Path) -> str:
    (row,) = sessions(db_path)
    return str(row["uuid"])


def test_one_entry_per_day_then_nothing(sess: SessRunner, repo: Repo, jira: FakeJira, db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    r = sess("worklog", check=0)
    assert r.out.splitlines() == ["Worklog for widgets · sent 1 entry · 1h30m", "",
                                  "  PROJ-123  2026-11-30  1h30m"]
    marker = f"sess:{uuid_of(db_path)}:2026-11-30"
    (body,) = posts(jira)
    assert body["timeSpentSeconds"] == 5400 and body["started"] == "2026-11-30T09:30:00.000+0000"
    comment = body["comment"]
    assert isinstance(comment, dict) and comment["type"] == "doc" and comment["version"] == 1
    assert jira.worklog_texts("PROJ-123") == [f"Worked in sess ({marker})"]
    again = sess("worklog", check=0)
    assert again.out == "Worklog for widgets · nothing to send\n"
    assert len(posts(jira)) == 1


def test_added_time_pushes_only_the_difference(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    sess("worklog", check=0)
    sess("amend", "@1", "--start", "2026-11-30 09:00", check=0)
    r = sess("worklog", check=0)
    assert "  PROJ-123  2026-11-30  30m0s  (1h30m sent before)" in r.out.splitlines()
    first, second = posts(jira)
    assert second["timeSpentSeconds"] == 1800
    marker = f"sess:{uuid_of(db_path)}:2026-11-30"
    assert all(marker in text for text in jira.worklog_texts("PROJ-123"))


def test_time_that_went_down_is_reported_not_sent(sess: SessRunner, repo: Repo, jira: FakeJira) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    sess("worklog", check=0)
    sess("amend", "@1", "--start", "2026-11-30 10:30", check=0)
    r = sess("worklog", check=0)
    assert "PROJ-123 2026-11-30: 1h30m was sent, 30m0s is recorded now; nothing sent" in r.err
    assert len(posts(jira)) == 1


def test_a_push_killed_before_its_record_is_not_sent_twice(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                           db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    sess("worklog", "--dry-run", check=0)  # opens the database: the migrations ran
    (row,) = sessions(db_path)
    marker = f"sess:{row['uuid']}:2026-11-30"
    # What a kill -9 between Jira's answer and the record leaves: Jira has the entry, the
    # record only the pending row written before the call.
    jira.worklogs["PROJ-123"] = [{"id": "1", "timeSpentSeconds": 5400, "started": "x",
                                  "comment": {"type": "doc", "version": 1, "content": [
                                      {"type": "paragraph", "content": [{"type": "text", "text": marker}]}]}}]
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO worklog_pushed (session_id, day, seconds, tracker, issue_id, state, created_at) "
                     "VALUES (?, '2026-11-30', 5400, 'jira', 'PROJ-123', 'pending', '2026-12-01 10:00:00+00:00')",
                     (row["id"],))
    r = sess("worklog", check=0)
    assert r.out == "Worklog for widgets · nothing to send\n"
    assert posts(jira) == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT state, seconds FROM worklog_pushed").fetchall() == [("pushed", 5400)]


def test_dry_run_sends_nothing(sess: SessRunner, repo: Repo, jira: FakeJira, db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    r = sess("worklog", "--dry-run", check=0)
    assert r.out.splitlines() == ["Worklog for widgets · would send 1 entry · 1h30m (dry run: nothing was sent)",
                                  "", "  PROJ-123  2026-11-30  1h30m"]
    assert posts(jira) == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM worklog_pushed").fetchone() == (0,)


def test_a_slice_across_midnight_is_split_there(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    worked(sess, "2026-11-30 23:00", "2026-12-01 01:30")
    data = json.loads(sess("worklog", "--json", check=0).out)
    assert [(e["day"], e["seconds"], e["status"]) for e in data["entries"]] == [
        ("2026-11-30", 3600, "sent"), ("2026-12-01", 5400, "sent")]
    first, second = posts(jira)
    assert first["started"] == "2026-11-30T23:00:00.000+0100"
    assert second["started"] == "2026-12-01T00:00:00.000+0100"  # local midnight


def test_the_period_clips_the_slices(sess: SessRunner, repo: Repo, jira: FakeJira) -> None:
    worked(sess, "2026-11-30 23:00", "2026-12-01 01:30")
    data = json.loads(sess("worklog", "--since", "2026-12-01", "--until", "2026-12-02", "--json", check=0).out)
    assert [(e["day"], e["seconds"]) for e in data["entries"]] == [("2026-12-01", 5400)]
    assert data["scope"] == "project" and data["dry_run"] is False
    assert data["entries"][0]["issue"] == {"id": "PROJ-123", "tracker": "jira"}


def test_github_has_no_time_tracking(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(5, "Dark mode")
    gh.add_issue(6, "Light mode")
    worked(sess, "2026-11-30 09:00", "2026-11-30 10:00", issue="5")
    sess("end", "--no-pr", check=0)
    worked(sess, "2026-11-30 10:00", "2026-11-30 11:00", issue="6")
    r = sess("worklog", check=0)
    assert r.err.count("GitHub has no time tracking") == 1
    assert r.out == "Worklog for widgets · nothing to send\n"


def test_linear_has_no_time_tracking(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    fake = FakeLinear("lin_key")
    with fake.running():
        fake.add_issue("ENG-7", "Faster search")
        env["LINEAR_API_KEY"] = "lin_key"
        user_config(env, f'[tracker]\ntype = "linear"\nurl = "{fake.url}/graphql"\n')
        worked(sess, "2026-11-30 09:00", "2026-11-30 10:00", issue="ENG-7")
        count = len(fake.requests)
        r = sess("worklog", check=0)
        assert "Linear has no time tracking" in r.err and len(fake.requests) == count


def test_an_unreachable_tracker_fails_and_records_nothing(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                           db_path: Path) -> None:
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    jira.fail_status = 503
    r = sess("worklog")
    assert r.code == 1 and "HTTP 503" in r.err and "Traceback" not in r.err
    jira.fail_status = None
    sess("worklog", check=0)
    assert len(posts(jira)) == 1


def test_log_time_at_end(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str], gh: FakeGh) -> None:
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\nuser = "ada@acme.com"\nlog_time = true\n')
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    repo.commit("a.py", "a\n", "work")
    r = sess("end", "--at", "2026-11-30 11:00", check=0)
    assert "Logged 1h30m on PROJ-123" in r.err
    assert [b["timeSpentSeconds"] for b in posts(jira)] == [5400]


def test_a_failing_log_time_is_a_warning(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str],
                                         gh: FakeGh, db_path: Path) -> None:
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\nuser = "ada@acme.com"\nlog_time = true\n')
    worked(sess, "2026-11-30 09:30", "2026-11-30 11:00")
    repo.commit("a.py", "a\n", "work")
    jira.fail_status = 500
    r = sess("end", check=0)
    assert "Warning: worked time not logged" in r.err
    (row,) = sessions(db_path)
    assert row["state"] == "ended" and len(gh.prs()) == 1
