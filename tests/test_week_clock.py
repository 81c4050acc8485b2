"""A week of real use, the clock (issue 15 items 16, 18, 22, 28): a failed end continued the
next morning, one total, moments, slices that look wrong."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from conftest import refused
from dbhelp import execute, go_time, session_row, sessions
from test_interactive import Spawn, spawn, terminals  # noqa: F401  (fixtures)
from test_time import (
    NS,
    backdate_slice,
    check_go_columns,
    commit_at,
    db_time,
    exclusive_with_gadgets,
    now,
    three_slices,
)

from sess.errors import UsageError
from sess.periods import parse_at, parse_period

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, SessRunner


def failed_end_overnight(sess: SessRunner, repo: Repo, db_path: Path, gh: FakeGh) -> None:
    """A session started 20 h ago whose last work is 16 h old, and an end that stopped at its PR."""
    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 20)
    commit_at(repo, now() - timedelta(hours=16))
    gh.fail("pr create", "HTTP 502: Bad Gateway (https://api.github.com/graphql)", times=1)
    result = sess("end", "--summary", "S", "--testing", "T", "--notes", "N", "--keep-branch")
    assert result.code == 1 and "pull-request" in result.err, result
    assert session_row(db_path)["state"] == "active"  # fixing what failed is work: the clock runs


def test_continue_piped_says_the_clock_was_forgotten(sess: SessRunner, repo: Repo, db_path: Path,
                                                     gh: FakeGh) -> None:
    failed_end_overnight(sess, repo, db_path, gh)
    result = sess("end", "--continue", check=0)
    assert "Running 20h" in result.err and "last activity" in result.err, result


def test_continue_takes_at(sess: SessRunner, repo: Repo, db_path: Path, gh: FakeGh) -> None:
    failed_end_overnight(sess, repo, db_path, gh)
    sess("end", "--continue", "--at", "15h", check=0)
    row = session_row(db_path)
    assert row["state"] == "ended" and abs(row["total_elapsed"] / NS - 5 * 3600) < 60, row


def test_continue_on_a_terminal_asks_where_to_stop(sess: SessRunner, repo: Repo, db_path: Path, gh: FakeGh,
                                                   spawn: Spawn) -> None:  # noqa: F811
    failed_end_overnight(sess, repo, db_path, gh)
    terminal = spawn("end", "--continue")
    terminal.expect("Stop it at")
    terminal.expect("the last activity")
    terminal.send("\r")
    assert terminal.finish() == 0, terminal.seen
    row = session_row(db_path)
    assert row["state"] == "ended" and abs(row["total_elapsed"] / NS - 4 * 3600) < 120, row
    assert abs((now() - db_time(row["end_time"])).total_seconds() - 16 * 3600) < 120  # type: ignore[operator]


# --- questions (item 19) --------------------------------------------------------------------------

def test_yes_no_waits_for_enter_and_keys_typed_ahead_answer_nothing(sess: SessRunner, repo: Repo, db_path: Path,
                                                                    spawn: Spawn) -> None:  # noqa: F811
    import pexpect

    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 6)
    activity = now() - timedelta(hours=4)
    commit_at(repo, activity)
    terminal = spawn("end", "--no-pr")
    terminal.send("y\r")  # typed before any question is on the screen
    terminal.expect("Delete the local branch feature/x")
    terminal.send("n")  # a key alone is not an answer yet
    try:
        terminal.child.expect_exact("Stop it at", timeout=1.5)
        answered = True
    except pexpect.TIMEOUT:
        answered = False
    assert not answered, terminal.child.before
    terminal.send("\r")
    terminal.expect("Stop it at")
    terminal.send("\r")  # the last activity
    assert terminal.finish() == 0, terminal.seen
    row = session_row(db_path)
    assert row["state"] == "ended"
    assert db_time(row["end_time"]) == activity.replace(second=0, microsecond=0)
    assert repo.git("branch", "--list", "feature/x")  # kept: the typed-ahead 'y' deleted nothing


# --- moments (item 22) ----------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
WED = datetime(2026, 11, 18, 15, 30, tzinfo=BERLIN)  # a Wednesday afternoon
AFTER_MIDNIGHT = datetime(2026, 11, 19, 0, 20, tzinfo=BERLIN)


@pytest.mark.parametrize(("text", "now_", "expected"), [
    ("23:30", AFTER_MIDNIGHT, datetime(2026, 11, 18, 23, 30, tzinfo=BERLIN)),  # yesterday's
    ("00:10", AFTER_MIDNIGHT, datetime(2026, 11, 19, 0, 10, tzinfo=BERLIN)),
    ("14:02", WED, datetime(2026, 11, 18, 14, 2, tzinfo=BERLIN)),
    ("yesterday 23:30", WED, datetime(2026, 11, 17, 23, 30, tzinfo=BERLIN)),
    ("Yesterday 9:05", WED, datetime(2026, 11, 17, 9, 5, tzinfo=BERLIN)),
    ("monday 9:10", WED, datetime(2026, 11, 16, 9, 10, tzinfo=BERLIN)),
    ("wed 9:10", WED, datetime(2026, 11, 18, 9, 10, tzinfo=BERLIN)),
    ("wednesday 16:00", WED, datetime(2026, 11, 11, 16, 0, tzinfo=BERLIN)),  # today's is still ahead
    ("2026-11-30 9:10", WED, datetime(2026, 11, 30, 9, 10, tzinfo=BERLIN)),  # (the future: refused later)
    ("2026-11-10T09:10", WED, datetime(2026, 11, 10, 9, 10, tzinfo=BERLIN)),
    ("1d", WED, WED - timedelta(days=1)),
    ("1h 30m", WED, WED - timedelta(hours=1, minutes=30)),
    ("1d2h", WED, WED - timedelta(days=1, hours=2)),
    ("20m", WED, WED - timedelta(minutes=20)),
])
def test_at_forms(text: str, now_: datetime, expected: datetime) -> None:
    moment = parse_at(text, now_, BERLIN)
    assert moment == expected and moment.timestamp() == expected.timestamp()


def test_at_in_the_hour_daylight_saving_skipped_or_repeated() -> None:
    later = datetime(2026, 11, 1, 12, 0, tzinfo=BERLIN)
    with pytest.raises(ValueError, match="skipped"):
        parse_at("2026-03-29 02:30", later, BERLIN)
    first = parse_at("2026-10-25 02:30", later, BERLIN)
    assert first.utcoffset() == timedelta(hours=2)  # the first of the two 02:30s (summer time)


def test_at_skipped_hour_is_a_usage_error(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    env["TZ"] = "Europe/Berlin"
    sess("start", "--no-issue", "x", "--at", "2026-03-29 01:00", check=0)
    refused(sess("pause", "--at", "2026-03-29 02:30"), "does not exist", "daylight saving")
    sess("pause", "--at", "2026-03-29 03:30", check=0)


def test_since_and_until_the_same_day_mean_that_day() -> None:
    period = parse_period("2026-11-16", "2026-11-16", WED, BERLIN)
    assert period is not None
    assert period.since == datetime(2026, 11, 16, tzinfo=BERLIN)
    assert period.until == datetime(2026, 11, 17, tzinfo=BERLIN)
    with pytest.raises(UsageError):
        parse_period("2026-11-17", "2026-11-16", WED, BERLIN)


# --- time.exclusive and one total (item 18) ---------------------------------------------------------

def totals(sess: SessRunner, repo: Repo, other: Path) -> dict[str, float]:
    status = sum(json.loads(sess("status", "--json", cwd=where, check=0).out)["session"]["elapsed_seconds"]
                 for where in (repo.path, other))
    slices = json.loads(sess("export", "--all", "--format", "json", check=0).out)["slices"]
    export = sum(row["seconds"] for row in slices)
    report = json.loads(sess("report", "--all", "--json", check=0).out)["stats"]["total_elapsed_seconds"]
    stats = json.loads(sess("stats", "--all", "--json", check=0).out)["total_elapsed_seconds"]
    return {"status": status, "export": export, "report": report, "stats": stats}


def test_undoing_the_pause_exclusivity_made_stops_the_other_clock_there(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "2h", check=0)
    sess("start", "--no-issue", "g", "--at", "1h", cwd=other, check=0)  # widgets pauses
    result = sess("undo", check=0)  # in widgets: its last change is that pause
    assert "Undid the pause of feature/w" in result.out
    assert "Stopped the clock of feature/g in gadgets" in result.out, result
    assert [row["state"] for row in sessions(db_path)] == ["active", "paused"]
    check_go_columns(db_path, 1)
    check_go_columns(db_path, 2)
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen  # one total, whichever command
    assert abs(seen["report"] - 7200) < 30, seen


def test_one_total_for_a_period_across_status_report_stats_export(sess: SessRunner, repo: Repo, db_path: Path,
                                                                  env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "3h", check=0)
    sess("pause", "--at", "150m", check=0)
    sess("start", "--no-issue", "g", "--at", "2h", cwd=other, check=0)
    sess("resume", "--at", "1h", check=0)  # gadgets pauses
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen
    assert abs(seen["export"] - 2.5 * 3600) < 30, seen


def every_total(sess: SessRunner, repo: Repo, other: Path, *period: str) -> dict[str, float]:
    """What each command says the time was, per project and across both (status, which has no
    period, only without one): the seconds of each export row added up."""
    seen: dict[str, float] = {}
    for scope, cwd, flags in (("widgets", repo.path, []), ("gadgets", other, []), ("all", repo.path, ["--all"])):
        rows = json.loads(sess("export", *flags, *period, "--format", "json", cwd=cwd, check=0).out)["slices"]
        seen[f"export {scope}"] = sum(row["seconds"] for row in rows)
        report = json.loads(sess("report", *flags, *period, "--json", cwd=cwd, check=0).out)["stats"]
        seen[f"report {scope}"] = report["total_elapsed_seconds"]
        stats = json.loads(sess("stats", *flags, *period, "--json", cwd=cwd, check=0).out)
        seen[f"stats {scope}"] = stats["total_elapsed_seconds"]
        if scope == "all":  # the rows add up to the total, each the project's own total
            for row in stats["by_project"]:
                seen[f"stats all, row {row['name']}"] = row["elapsed_seconds"]
            seen["stats all, rows added"] = sum(row["elapsed_seconds"] for row in stats["by_project"])
        elif not period:
            seen[f"status {scope}"] = json.loads(sess("status", "--json", cwd=cwd, check=0).out)["session"][
                "elapsed_seconds"]
    return seen


def agree(seen: dict[str, float], widgets: float, gadgets: float) -> None:
    """Every command gives the same total for the same slices (a second or two for the running clock)."""
    expected = {name: widgets if "widgets" in name else gadgets if "gadgets" in name else widgets + gadgets
                for name in seen}
    off = {name: (value, expected[name]) for name, value in seen.items() if abs(value - expected[name]) > 3}
    assert not off, off


@pytest.mark.parametrize("exclusive", [False, True])
def test_one_total_for_slices_that_overlap_across_projects(sess: SessRunner, repo: Repo, db_path: Path,
                                                            env: dict[str, str], tmp_path: Path,
                                                            exclusive: bool) -> None:
    """Two projects whose clocks ran at once (recorded while time.exclusive was off, as the Go tool
    or an import may have too): each project's total is the time of its own slices, and the total
    across projects their sum, in status, report, stats and export alike, whatever time.exclusive
    says now; a period's bounds cut a slice the same way in each, the running clock counts up to now
    in each, and paused time in none."""
    other = exclusive_with_gadgets(env, tmp_path)
    config = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    config.write_text("[time]\nexclusive = false\n")
    sess("start", "--no-issue", "w", "--at", "3h", check=0)
    sess("pause", "--at", "1h", check=0)  # widgets: 3h..1h ago, then paused
    sess("start", "--no-issue", "g", "--at", "2h", cwd=other, check=0)
    sess("pause", "--at", "30m", cwd=other, check=0)  # gadgets: 2h..30m ago, an hour and a half shared
    sess("resume", "--at", "20m", cwd=other, check=0)  # and running again since 20m ago
    config.write_text(f"[time]\nexclusive = {'true' if exclusive else 'false'}\n")
    agree(every_total(sess, repo, other), 7200, 5400 + 1200)
    # A period that begins inside widgets' slice and gadgets' first one, and one that ends inside
    # gadgets' running slice (20m..now): both cut where the bound lies, in every command.
    moment = now()
    since = (moment - timedelta(minutes=150)).isoformat(timespec="seconds")
    agree(every_total(sess, repo, other, "--since", since), 5400, 5400 + 1200)
    until = (moment - timedelta(minutes=10)).isoformat(timespec="seconds")
    agree(every_total(sess, repo, other, "--since", since, "--until", until), 5400, 5400 + 600)


def project_totals(sess: SessRunner, *period: str) -> dict[str, float]:
    """status (without a period), report, stats and export of the project at hand."""
    rows = json.loads(sess("export", *period, "--format", "json", check=0).out)["slices"]
    seen = {"export": sum(row["seconds"] for row in rows),
            "report": json.loads(sess("report", *period, "--json", check=0).out)["stats"]["total_elapsed_seconds"],
            "stats": json.loads(sess("stats", *period, "--json", check=0).out)["total_elapsed_seconds"]}
    if not period:
        seen["status"] = json.loads(sess("status", "--json", check=0).out)["session"]["elapsed_seconds"]
    return seen


def test_one_total_when_the_go_tool_paused_and_resumed_a_clock_sess_began(sess: SessRunner, repo: Repo,
                                                                          db_path: Path) -> None:
    """The Go tool keeps no slices: pausing a session sess started, it folds the running time into
    total_elapsed and leaves sess's slice open. That time counts once, where it ran."""
    sess("start", "--no-issue", "x", "--at", "3h", check=0)
    moment = now()
    paused_at = go_time(moment - timedelta(hours=2))
    execute(db_path, "UPDATE sessions SET state = 'paused', pause_time = ?, current_slice_start = NULL, "
            "total_elapsed = ? WHERE id = 1", (paused_at, 3600 * NS))
    since = ("--since", (moment - timedelta(minutes=150)).isoformat(timespec="seconds"))
    assert set(project_totals(sess).values()) == {3600}, project_totals(sess)
    assert set(project_totals(sess, *since).values()) == {1800}, project_totals(sess, *since)
    # And resuming it an hour ago: its clock runs from there, the hour before still counted once.
    execute(db_path, "UPDATE sessions SET state = 'active', pause_time = NULL, current_slice_start = ? WHERE id = 1",
            (go_time(moment - timedelta(hours=1)),))
    seen = project_totals(sess)
    assert all(abs(value - 7200) < 30 for value in seen.values()) and max(seen.values()) - min(seen.values()) < 3, seen
    seen = project_totals(sess, *since)
    assert all(abs(value - 5400) < 30 for value in seen.values()) and max(seen.values()) - min(seen.values()) < 3, seen


def test_one_total_for_slices_of_fractions_of_a_second(sess: SessRunner, repo: Repo) -> None:
    """Two slices of 0.00026 s and 0.99974 s: one second in status as in report and export (the
    first slice's length went through a float and came to 259999 ns: 0 s beside export's 1 s)."""
    first = now().replace(microsecond=0) - timedelta(hours=3)
    second = first + timedelta(hours=1)
    for command, moment in (("start", first), ("pause", first + timedelta(microseconds=260)),
                            ("resume", second), ("pause", second + timedelta(microseconds=999_740))):
        sess(command, *(["--no-issue", "x"] if command == "start" else []), "--at", moment.isoformat(), check=0)
    since = ("--since", (first - timedelta(hours=1)).isoformat(timespec="seconds"))
    assert set(project_totals(sess).values()) == {1}, project_totals(sess)
    assert set(project_totals(sess, *since).values()) == {1}, project_totals(sess, *since)


# --- slices that look wrong (item 28) -----------------------------------------------------------------

def test_drop_prints_the_new_numbering(sess: SessRunner, repo: Repo) -> None:
    three_slices(sess)  # @3 5h..4h, @2 3h..2h, @1 1h..running
    five_ago = (now() - timedelta(hours=5)).astimezone().strftime("%Y-%m-%d %H:%M")
    out = sess("amend", "@2", "--drop", check=0).out
    lines = out.splitlines()
    assert "Numbered now:" in lines, out
    numbered = lines[lines.index("Numbered now:") + 1:]
    assert len(numbered) == 2 and numbered[0].split()[0] == "@1" and "running" in numbered[0]
    assert numbered[1].split()[0] == "@2" and five_ago in numbered[1], out


def test_a_slice_over_12_hours_is_stated(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    result = sess("start", "--no-issue", "x", "--at", "13h", check=0)
    assert "--at 13h makes a slice of 13h0m, over 12 hours" in result.err, result
    sess("pause", "--at", "12h30m", check=0)
    result = sess("amend", "@1", "--end", "2h", check=0)
    assert "over 12 hours" not in result.out  # 11 h
    result = sess("amend", "@1", "--start", "15h", check=0)  # 15h..2h ago
    said = [line for line in result.out.splitlines() if line.startswith("amend @1 makes a slice of ")]
    assert said and said[0].endswith(", over 12 hours") and ("12h59m" in said[0] or "13h0m" in said[0]), result


def test_a_slice_over_12_hours_is_asked_on_a_terminal(sess: SessRunner, repo: Repo, db_path: Path,
                                                      spawn: Spawn) -> None:  # noqa: F811
    sess("start", "--no-issue", "x", "--at", "20h", check=0)
    commit_at(repo, now() - timedelta(minutes=5))  # fresh activity: no forgotten-clock question
    before = session_row(db_path)
    terminal = spawn("pause", "--at", "1h")
    terminal.expect("--at 1h makes a slice of 19h0m, over 12 hours. Go on?")
    terminal.send("\r")  # the default: no
    assert terminal.finish() == 1
    assert session_row(db_path) == before
    terminal = spawn("pause", "--at", "1h")
    terminal.expect("Go on?")
    terminal.send("y\r")
    assert terminal.finish() == 0
    assert session_row(db_path)["state"] == "paused"


def test_exclusive_resume_at_refuses_another_project_s_slice(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "5h", check=0)
    sess("pause", "--at", "4h", check=0)
    sess("start", "--no-issue", "g", "--at", "3h", cwd=other, check=0)
    sess("pause", "--at", "1h", cwd=other, check=0)  # gadgets ran 3h..1h ago, its clock stopped
    result = sess("resume", "--at", "2h")
    assert result.code == 2 and "overlaps the time of the session on feature/g" in result.err, result
    assert "time.exclusive" in result.err and sessions(db_path)[0]["state"] == "paused"
    sess("resume", "--at", "50m", check=0)  # after gadgets' slice: fine
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen  # no minute counted twice anywhere
    assert abs(seen["report"] - (3600 + 7200 + 3000)) < 30, seen


def test_exclusive_start_at_refuses_another_project_s_slice(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "g", "--at", "3h", cwd=other, check=0)
    sess("pause", "--at", "1h", cwd=other, check=0)
    result = sess("start", "--no-issue", "w", "--at", "2h")
    assert result.code == 2 and "overlaps the time of the session on feature/g" in result.err, result
    assert len(sessions(db_path)) == 1 and repo.current_branch() == "main"
    sess("start", "--no-issue", "w", "--at", "50m", check=0)
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen
    assert abs(seen["report"] - (7200 + 3000)) < 30, seen


def test_undoing_the_exclusivity_pause_refuses_when_the_other_clock_ran_and_stopped(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "3h", check=0)
    sess("start", "--no-issue", "g", "--at", "2h", cwd=other, check=0)  # widgets pauses at 2h
    sess("pause", "--at", "1h", cwd=other, check=0)  # gadgets ran 2h..1h, stopped
    before = sessions(db_path)
    result = sess("undo")
    assert result.code == 1 and "time.exclusive: one clock at a time" in result.err, result
    assert "feature/g" in result.err and sessions(db_path) == before
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen
    assert abs(seen["report"] - 7200) < 30, seen


def test_undoing_an_amend_refuses_to_give_back_time_another_project_has_taken_since(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "4h", check=0)
    sess("pause", "--at", "1h", check=0)  # widgets ran 4h..1h ago
    sess("amend", "@1", "--end", "2h", check=0)  # now 4h..2h: 2h..1h is free
    sess("start", "--no-issue", "g", "--at", "2h", cwd=other, check=0)  # gadgets takes it
    sess("pause", "--at", "1h", cwd=other, check=0)
    before = sessions(db_path)
    result = sess("undo")
    assert result.code == 1 and "undoing 'amend @1 of feature/w' would give that session back" in result.err, result
    assert "feature/g in another project (time.exclusive: one clock at a time)" in result.err, result
    assert sessions(db_path) == before
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen
    assert abs(seen["report"] - 3 * 3600) < 30, seen


def test_exclusive_resume_at_before_a_running_clock_elsewhere_began_refuses(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Stopping that clock where it began would drop the hour it ran without a word."""
    other = exclusive_with_gadgets(env, tmp_path)
    sess("start", "--no-issue", "w", "--at", "3h", check=0)
    sess("pause", "--at", "150m", check=0)
    sess("start", "--no-issue", "g", "--at", "1h", cwd=other, check=0)  # gadgets runs since 1h ago
    before = sessions(db_path)
    result = sess("resume", "--at", "2h")
    assert result.code == 2 and "is before the clock of feature/g in gadgets started" in result.err, result
    assert sessions(db_path) == before
    sess("resume", "--at", "30m", check=0)  # gadgets stops there
    seen = totals(sess, repo, other)
    assert max(seen.values()) - min(seen.values()) < 5, seen
    assert abs(seen["report"] - (1800 + 1800 + 1800)) < 30, seen
