"""A week of real use, the clock (issue 15 items 16, 18, 22, 28): a failed end continued the
next morning, one total, moments, slices that look wrong."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dbhelp import session_row
from test_interactive import Spawn, spawn, terminals  # noqa: F401  (fixtures)
from test_time import NS, backdate_slice, commit_at, db_time, now

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
