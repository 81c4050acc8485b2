"""`sess export`: one row per slice, clipped to the period (SPEC Part 2)."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, SessRunner

HEADER = ["project", "path", "session_id", "branch", "type", "issue_id", "issue_title", "pr_number",
          "start", "end", "seconds"]


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def across_midnight(sess: SessRunner) -> None:
    """A slice from 23:00 two days ago to 01:00 yesterday (TZ=UTC in the tests)."""
    sess("start", "--no-issue", "late", "--at", f"{day(-2)} 23:00", check=0)
    sess("pause", "--at", f"{day(-1)} 01:00", check=0)


def table(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in reader]


def test_export_clips_at_midnight(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    across_midnight(sess)
    whole = table(sess("export", check=0).out)
    assert len(whole) == 1 and whole[0]["seconds"] == "7200"
    assert whole[0]["start"] == f"{day(-2)}T23:00:00.000000+00:00"
    assert whole[0]["end"] == f"{day(-1)}T01:00:00.000000+00:00"
    assert whole[0]["project"] == "widgets" and whole[0]["branch"] == "feature/late" and whole[0]["type"] == "feature"
    before = table(sess("export", "--until", "yesterday", check=0).out)
    assert [(r["start"], r["end"], r["seconds"]) for r in before] == [
        (f"{day(-2)}T23:00:00.000000+00:00", f"{day(-1)}T00:00:00.000000+00:00", "3600")]
    after = table(sess("export", "--since", "yesterday", "--until", "today", check=0).out)
    assert [(r["start"], r["end"], r["seconds"]) for r in after] == [
        (f"{day(-1)}T00:00:00.000000+00:00", f"{day(-1)}T01:00:00.000000+00:00", "3600")]
    assert table(sess("export", "--since", "today", check=0).out) == []


def test_export_json_rows_and_all_projects(sess: SessRunner, repo: Repo, tmp_path: Path, env: dict[str, str],
                                          db_path: Path) -> None:
    across_midnight(sess)
    sess("resume", "--at", "2h", check=0)
    sess("pause", "--at", "1h", check=0)
    document = json.loads(sess("export", "--format", "json", check=0).out)
    assert document["scope"] == "project" and len(document["slices"]) == 2
    first = document["slices"][0]
    assert set(first) == set(HEADER) and first["pr_number"] is None and first["seconds"] == 7200
    assert json.loads(sess("export", "--json", check=0).out) == document
    # Another project: --all has both, the project's own export only its own.
    other = tmp_path / "work" / "gadgets"
    other.mkdir(parents=True)
    from conftest import Repo as RepoClass
    from conftest import run_git
    run_git(other, env, "init", "-q", "-b", "main")
    gadgets = RepoClass(other, env)
    gadgets.commit("README", "g\n", "init")
    sess("start", "--no-issue", "g", "--at", "30m", cwd=other, check=0)
    everything = table(sess("export", "--all", check=0).out)
    assert sorted({row["project"] for row in everything}) == ["gadgets", "widgets"] and len(everything) == 3
    assert everything == sorted(everything, key=lambda row: row["start"])
    assert len(table(sess("export", cwd=other, check=0).out)) == 1


def test_export_refusals(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    result = sess("export", "--since", "soon")
    assert result.code == 2 and "--since" in result.err
    result = sess("export", cwd=tmp_path)
    assert result.code == 1 and "--all" in result.err
    assert sess("export", "--all", cwd=tmp_path, check=0).out.splitlines() == [",".join(HEADER)]


def test_export_times_carry_the_local_offset(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess.env["TZ"] = "Asia/Kolkata"  # +05:30 all year: the minutes of the offset count too
    sess("start", "--no-issue", "x", "--at", f"{day(-2)} 10:00", check=0)
    sess("pause", "--at", f"{day(-2)} 12:00", check=0)
    rows = table(sess("export", "--since", f"{day(-2)}T11:00", check=0).out)
    # The clipped start is formatted by SQLite, the end is the stored timestamp: both local.
    assert [(r["start"], r["end"], r["seconds"]) for r in rows] == [
        (f"{day(-2)}T11:00:00.000000+05:30", f"{day(-2)}T12:00:00.000000+05:30", "3600")]


def test_export_quotes_fields_as_csv_does(sess: SessRunner, repo: Repo, db_path: Path, gh: FakeGh) -> None:
    gh.add_issue(7, 'Fix "quotes", commas\nand lines')
    sess("start", "x", "--issue", "7", "--at", "1h", check=0)
    rows = table(sess("export", check=0).out)
    assert rows[0]["issue_id"] == "7" and rows[0]["issue_title"] == 'Fix "quotes", commas\nand lines'
    assert len(rows) == 1 and rows[0]["end"] and int(rows[0]["seconds"]) >= 3600


def test_rows_add_up_to_the_total_to_the_second(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    """Slices of fractions of a second (a pause or resume at the moment it is typed): each session
    counts its whole seconds, rounded down, as status shows them; export's rows of a session add
    up to exactly that, each within a second of its length, and report and stats add the sessions
    up (SPEC Part 3, 'One total'). Rounding each row on its own made export 606 s, report 603 s and
    the two sessions 301 s each."""
    from test_report_views import session_with_slices

    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    for number, name in enumerate(("one", "last")):
        starts = [base + timedelta(hours=number, minutes=10 * k, microseconds=300_000) for k in range(3)]
        session_with_slices(sess, db_path, repo, name, [(a, a + timedelta(seconds=100.6)) for a in starts])
    sessions = {row["id"]: row["elapsed_seconds"] for row in json.loads(sess("history", "--json", check=0).out)[
        "sessions"]}
    assert sorted(sessions.values()) == [301, 301]
    assert json.loads(sess("status", "--json", check=0).out)["session"]["elapsed_seconds"] == 301
    for period in ([], ["--since", day(-1)]):
        rows = json.loads(sess("export", *period, "--format", "json", check=0).out)["slices"]
        for row in rows:
            length = (datetime.fromisoformat(row["end"]) - datetime.fromisoformat(row["start"])).total_seconds()
            assert abs(row["seconds"] - length) < 1, row
        assert {sid: sum(row["seconds"] for row in rows if row["session_id"] == sid) for sid in sessions} == sessions
        report = json.loads(sess("report", *period, "--json", check=0).out)
        stats = json.loads(sess("stats", *period, "--json", check=0).out)
        assert report["stats"]["total_elapsed_seconds"] == stats["total_elapsed_seconds"] == 602, (period, stats)
        assert sorted(entry["elapsed_seconds"] for entry in report["recent"]) == [301, 301]
