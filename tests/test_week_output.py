"""A week of real use, what sess writes out (issue 15 items 23, 29, 30): spreadsheets, ids and
dates in history, the HTML report."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dbhelp import execute, stamp
from test_export import HEADER

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, SessRunner


def test_csv_cells_that_would_be_formulas_are_text(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    gh.add_issue(7, "=1+2")  # no comma, no quote: the fast path of whole lines from SQLite
    gh.add_issue(8, '=HYPERLINK("http://evil.example","click")')  # quoted field by field
    gh.add_issue(9, "@SUM(A1) and -2")
    for hours, issue in ((3, "7"), (2, "8"), (1, "9")):
        sess("start", "--issue", issue, "--at", f"{hours}h", check=0)
        sess("pause", "--at", f"{hours * 60 - 30}m", check=0)
        sess("cancel", check=0)
    rows = list(csv.reader(io.StringIO(sess("export", check=0).out)))
    assert rows[0] == HEADER
    titles = sorted(row[HEADER.index("issue_title")] for row in rows[1:])
    assert titles == ["'=1+2", "'=HYPERLINK(\"http://evil.example\",\"click\")", "'@SUM(A1) and -2"]
    # JSON is data, not a spreadsheet: unchanged.
    slices = json.loads(sess("export", "--format", "json", check=0).out)["slices"]
    assert sorted(s["issue_title"] for s in slices) == ["=1+2", '=HYPERLINK("http://evil.example","click")',
                                                        "@SUM(A1) and -2"]


def test_history_shows_ids_that_log_takes_and_dates_past_a_week(sess: SessRunner, repo: Repo,
                                                                db_path: Path) -> None:
    sess("start", "--no-issue", "old", "--at", "2h", check=0)
    sess("pause", "--at", "90m", check=0)
    sess("cancel", check=0)
    sess("start", "--no-issue", "new", "--at", "1h", check=0)
    long_ago = datetime.now(UTC) - timedelta(days=10)
    execute(db_path, "UPDATE sessions SET start_time = ? WHERE id = 1", (stamp(long_ago),))
    lines = sess("history", check=0).out.splitlines()
    assert lines[2].startswith("[2] feature/new (feature) · active")
    assert lines[4].startswith("[1] feature/old (feature) · cancelled")
    assert lines[5] == f"  {long_ago.date().isoformat()}"
    assert json.loads(sess("log", "--session", "1", "--json", check=0).out)["slices"]


def test_html_report_links_prs_and_fits_a_phone_and_paper(sess: SessRunner, repo: Repo, db_path: Path,
                                                          tmp_path: Path) -> None:
    for hours, name in ((3, "linked"), (2, "hostile")):
        sess("start", "--no-issue", name, "--at", f"{hours}h", check=0)
        sess("pause", "--at", f"{hours * 60 - 30}m", check=0)
        sess("cancel", check=0)
    execute(db_path, "UPDATE sessions SET pr_number = 7, pr_url = 'https://github.com/acme/widgets/pull/7' "
                     "WHERE branch = 'feature/linked'")
    execute(db_path, "UPDATE sessions SET pr_number = 8, pr_url = 'javascript:alert(1)' "
                     "WHERE branch = 'feature/hostile'")
    target = tmp_path / "report.html"
    sess("report", "--html", str(target), check=0)
    document = target.read_text(encoding="utf-8")
    assert '<a class="ref" href="https://github.com/acme/widgets/pull/7">#7</a>' in document
    assert "javascript:" not in document and '<span class="ref">#8</span>' in document
    assert "@media print" in document and "@media (max-width: 480px)" in document
    assert "repeat(4, 1fr)" not in document  # grid tracks that can shrink below their content
