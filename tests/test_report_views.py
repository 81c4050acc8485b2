"""`sess report --chart` (time per day in the terminal) and `sess report --html FILE` (one
self-contained page), over sessions whose slices are laid out at known moments (TZ=UTC)."""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pexpect
import pytest
from dbhelp import execute, rows, stamp

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

HOSTILE = "<script>alert('x')</script> \"><img src=x onerror=alert(1)> & co"
TODAY = datetime.now(UTC).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def session_with_slices(sess: SessRunner, db_path: Path, repo: Repo, name: str,
                        slices: list[tuple[datetime, datetime]], issue: tuple[str, str] | None = None) -> None:
    """A paused session whose whole recorded time is exactly `slices`."""
    sess("start", name, "--no-issue", "--type", "feature", cwd=repo.path, check=0)
    sess("pause", cwd=repo.path, check=0)
    session_id = rows(db_path, "SELECT MAX(id) AS id FROM sessions")[0]["id"]
    total = sum((end - start).total_seconds() for start, end in slices)
    execute(db_path, "DELETE FROM session_slices WHERE session_id = ?", (session_id,))
    for start, end in slices:
        execute(db_path, "INSERT INTO session_slices (session_id, start_time, end_time, start_epoch, end_epoch) "
                "VALUES (?, ?, ?, ?, ?)", (session_id, stamp(start), stamp(end), start.timestamp(), end.timestamp()))
    execute(db_path, "UPDATE sessions SET start_time = ?, start_epoch = ?, pause_time = ?, total_elapsed = ?, "
            "issue_id = ?, issue_title = ? WHERE id = ?",
            (stamp(slices[0][0]), slices[0][0].timestamp(), stamp(slices[-1][1]), int(total * 1e9),
             issue[0] if issue else "", issue[1] if issue else "", session_id))
    if name != "last":
        sess("end", "--no-pr", "--message", "done", cwd=repo.path, check=0)


@pytest.fixture
def worked(sess: SessRunner, db_path: Path, repo: Repo) -> Repo:
    """Yesterday 10:00-12:00 (no issue); three days ago 23:00 to two days ago 01:00 (a hostile issue)."""
    session_with_slices(sess, db_path, repo, "across-midnight",
                        [(at(TODAY - timedelta(days=3), 23), at(TODAY - timedelta(days=2), 1))], ("66", HOSTILE))
    session_with_slices(sess, db_path, repo, "last", [(at(TODAY - timedelta(days=1), 10),
                                                       at(TODAY - timedelta(days=1), 12))])
    return repo


# --- the terminal chart --------------------------------------------------------------------------

def day_line(out: str, day: date) -> str:
    return next(line for line in out.splitlines() if f" {day.isoformat()}  " in line)


def test_chart_piped_is_plain_and_to_scale(sess: SessRunner, worked: Repo) -> None:
    result = sess("report", "--chart", check=0)
    out = result.out
    assert "\x1b" not in out and "█" not in out
    assert out.startswith("Time per day for widgets · ")
    days = [line for line in out.splitlines() if re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-", line)]
    assert len(days) == 14 and days[-1].split()[1] == TODAY.isoformat()
    yesterday = day_line(out, TODAY - timedelta(days=1))
    two_ago, three_ago = day_line(out, TODAY - timedelta(days=2)), day_line(out, TODAY - timedelta(days=3))
    assert yesterday.endswith(" 2h0m") and two_ago.endswith(" 1h0m") and three_ago.endswith(" 1h0m")
    assert day_line(out, TODAY).endswith(" -")
    full = yesterday.count("#")
    assert full >= 10 and two_ago.count("#") == round(full / 2) and day_line(out, TODAY).count("#") == 0
    assert "Total 4h0m · 3 of 14 days worked" in out


def test_chart_on_a_terminal_draws_blocks(env: dict[str, str], worked: Repo) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "sess", "report", "--chart"], cwd=str(worked.path),
                          env={**env, "TERM": "xterm"}, encoding="utf-8", timeout=20, dimensions=(40, 100))
    child.expect(pexpect.EOF)
    out = str(child.before)
    child.close()
    assert child.exitstatus == 0, out
    yesterday = day_line(out, TODAY - timedelta(days=1))
    assert "████" in yesterday and "#" not in yesterday


def test_chart_period_and_flags(sess: SessRunner, worked: Repo) -> None:
    since = (TODAY - timedelta(days=2)).isoformat()
    out = sess("report", "--chart", "--since", since, check=0).out
    assert len([line for line in out.splitlines() if re.match(r"^\w{3} \d{4}-", line)]) == 3
    assert f"{since} to {TODAY.isoformat()}" in out.splitlines()[0]
    assert "Total 3h0m" in out  # the hour before midnight three days ago is outside
    result = sess("report", "--chart", "--json", check=2)
    assert result.err.startswith("Error: --json and --chart cannot be combined")


# --- the HTML page -------------------------------------------------------------------------------

class Page(HTMLParser):
    """Every tag and attribute, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        self.text.append(data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    return page


def test_html_is_self_contained_and_escapes_everything(sess: SessRunner, worked: Repo, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result = sess("report", "--html", str(target), check=0)
    assert result.out.startswith(f"Wrote {target} · widgets · ")
    document = target.read_text(encoding="utf-8")
    page = parse(document)
    names = [tag for tag, _ in page.tags]
    # Nothing from elsewhere, nothing that runs.
    assert "script" not in names and "link" not in names and "iframe" not in names and "img" not in names
    for tag, attrs in page.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, attrs)
            if key in ("src", "href", "xlink:href", "action", "srcset"):
                raise AssertionError(f"a resource reference: {tag} {attrs}")
            assert "javascript:" not in (value or "")
    assert "url(" not in page.style and "@import" not in page.style and "http" not in page.style
    # The hostile title is text, wherever it appears (table, chart labels, tooltips).
    assert "<script>" not in document and "<img" not in document
    assert document.count("&lt;script&gt;") >= 2
    assert any(HOSTILE in chunk for chunk in page.text)
    # Charts as inline SVG: per day, per project, per issue, the heatmap.
    assert names.count("svg") == 4
    yesterday = TODAY - timedelta(days=1)
    assert f"{yesterday.isoformat()} · 2h0m" in document
    weekday = yesterday.strftime("%a")
    assert f"{weekday} 10:00–11:00 · 1h0m" in document and f"{weekday} 11:00–12:00 · 1h0m" in document
    # Sessions table: both sessions, newest first.
    table_rows = [attrs for tag, attrs in page.tags if tag == "tr"]
    assert len(table_rows) == 3
    assert document.index("feature/last") < document.index("feature/across-midnight")


def test_html_to_stdout_and_unwritable_target(sess: SessRunner, worked: Repo, tmp_path: Path) -> None:
    result = sess("report", "--html", "-", check=0)
    assert result.out.startswith("<!DOCTYPE html>") and result.out.rstrip().endswith("</html>")
    missing = tmp_path / "no" / "such" / "dir" / "r.html"
    result = sess("report", "--html", str(missing), check=1)
    assert result.err.startswith(f"Error: cannot write {missing}")
    assert not missing.parent.exists()


def test_html_without_any_session(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    target = tmp_path / "empty.html"
    sess("report", "--html", str(target), "--since", "2020-01-01", "--until", "2020-01-08", check=0)
    assert "No time recorded in this period." in target.read_text()


# --- in a real browser ---------------------------------------------------------------------------

def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG (enough to tell a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, idat = 8, b""
    while position < len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    return width, height, zlib.decompress(idat)


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_html_renders_in_chromium(sess: SessRunner, worked: Repo, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    sess("report", "--html", str(target), check=0)
    shot = tmp_path / "report.png"
    browser = chromium()
    assert browser is not None
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1800", f"--screenshot={shot}",
         target.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1200, 1800)
    # A page that drew its charts has many distinct colours; a blank or error page has a few.
    assert len(set(pixels)) > 64
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", target.as_uri()],
        capture_output=True, text=True, timeout=120, check=False).stdout
    assert "Time per day" in dom and "<script>alert" not in dom


@pytest.mark.parametrize("exclusive", [False, True])
def test_chart_all_counts_each_project_s_own_time_as_report_does(sess: SessRunner, db_path: Path, repo: Repo,
                                                                repo_no_remote: Repo, env: dict[str, str],
                                                                exclusive: bool) -> None:
    """Two projects' slices that overlap (recorded before time.exclusive was on) count in both, in
    the chart as in report, stats and export (SPEC Part 3, 'One total')."""
    total = "4h0m"
    yesterday = TODAY - timedelta(days=1)
    session_with_slices(sess, db_path, repo, "one", [(at(yesterday, 10), at(yesterday, 12))])
    session_with_slices(sess, db_path, repo_no_remote, "two", [(at(yesterday, 11), at(yesterday, 13))])
    settings = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(f"[time]\nexclusive = {'true' if exclusive else 'false'}\n")
    out = sess("report", "--chart", "--all", cwd=repo.path, check=0).out
    assert day_line(out, yesterday).endswith(f" {total}")
    assert f"Total {total}" in out
    assert "Total 4h0m" in sess("report", "--all", cwd=repo.path, check=0).out


def test_chart_total_is_the_report_s(sess: SessRunner, db_path: Path, repo: Repo) -> None:
    """Six slices of 100.6 s in two sessions: each session's whole seconds (301) add up to 602 s,
    in the chart's total as in report's (the days' own sums made it 10m3s)."""
    yesterday = TODAY - timedelta(days=1)
    for number, name in enumerate(("one", "last")):
        starts = [at(yesterday, 10 + number, 10 * k) + timedelta(microseconds=300_000) for k in range(3)]
        session_with_slices(sess, db_path, repo, name, [(a, a + timedelta(seconds=100.6)) for a in starts])
    assert "Total 10m2s" in sess("report", check=0).out
    assert "Total 10m2s" in sess("report", "--chart", check=0).out


def test_html_shows_a_cancelled_session_as_such(sess: SessRunner, repo: Repo) -> None:
    sess("start", "given-up", "--no-issue", check=0)
    sess("cancel", check=0)
    document = sess("report", "--html", "-", check=0).out
    assert '<span class="state cancelled">cancelled</span>' in document
    assert "0 ended · 1 cancelled" in document
