"""A week of real use, the smaller ones (issue 15 item 30)."""
from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import refused
from dbhelp import session_row
from test_hooks import hook_dir, user_hooks

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


def test_a_blank_end_message_is_refused_up_front(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "--no-issue", "x", check=0)
    repo.write("work.txt", "w\n")
    refused(sess("end", "--no-pr", "-m", "   "), "--message is blank")
    assert session_row(db_path)["state"] == "active" and repo.is_dirty()
    assert sess("status", check=0).out.count("--continue") == 0


def test_config_set_takes_a_value_that_begins_with_a_dash(sess: SessRunner, repo: Repo) -> None:
    result = sess("config", "set", "time.idle_after", "-5m")
    assert result.code == 1 and "'time.idle_after' must be a duration" in result.err, result
    assert "unrecognized arguments" not in result.err
    sess("config", "set", "branch.template", "-{type}/{slug}", "--repo", check=0)  # a value, then the flag


def test_ctrl_c_in_a_slow_post_start_hook_says_the_session_started(sess: SessRunner, repo: Repo,
                                                                   env: dict[str, str], tmp_path: Path,
                                                                   db_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    user_hooks(env, post_start='touch "$HOOK_OUT/ran"; sleep 60')
    proc = sess.start("start", "--no-issue", "x")
    deadline = time.monotonic() + 15
    while not (out / "ran").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert "the session on feature/x is started" in err and "back as it was" not in err, err
    assert session_row(db_path)["state"] == "active" and repo.current_branch() == "feature/x"


HOOK_LINES = ("line-one-{e}", "line-two-{e}", "line-three-{e}")


def _noisy(event: str, status: int) -> str:
    return "; ".join(f"echo {line.format(e=event)}" for line in HOOK_LINES) + f"; exit {status}"


def _shown_once(output: str, event: str) -> None:
    for line in HOOK_LINES:
        assert output.count(line.format(e=event)) == 1, output


def test_a_failing_hook_s_output_is_shown_once(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    # From your own file: pre-start fails (nothing starts), then post-start, pre-end, post-end.
    user_hooks(env, pre_start=_noisy("pre-start", 3))
    r = sess("start", "--no-issue", "x")
    assert r.code == 1 and "Error: pre-start hook failed (exit status 3)" in r.err, r
    _shown_once(r.err, "pre-start")
    user_hooks(env, post_start=_noisy("post-start", 4), pre_end=_noisy("pre-end", 5))
    r = sess("start", "--no-issue", "x", check=0)
    assert "Warning: post-start hook failed (exit status 4)" in r.err, r
    _shown_once(r.err, "post-start")
    repo.write("work.txt", "w\n")
    r = sess("end", "--no-pr", "--keep-branch", "-m", "Work")
    assert r.code == 1 and "Error: pre-end hook failed (exit status 5)" in r.err, r
    _shown_once(r.err, "pre-end")
    # From a trusted .sess.toml: the same.
    user_hooks(env)
    repo.write(".sess.toml", f'[hooks]\npost-end = "{_noisy("post-end", 6)}"\n')
    sess("config", "trust", check=0)
    r = sess("end", "--no-pr", "--keep-branch", "-m", "Work", check=0)
    assert "Warning: post-end hook failed (exit status 6)" in r.err, r
    _shown_once(r.err, "post-end")


def test_a_failing_hook_s_output_is_shown_once_on_a_terminal(repo: Repo, env: dict[str, str]) -> None:
    from test_interactive import Terminal

    user_hooks(env, pre_start=_noisy("pre-start", 2))
    terminal = Terminal(env, repo.path, "start", "--no-issue", "--type", "feature", "x")
    assert terminal.finish() == 1
    assert "pre-start hook failed (exit status 2)" in terminal.seen, terminal.seen
    _shown_once(terminal.seen, "pre-start")
    user_hooks(env, post_start=_noisy("post-start", 7))
    terminal = Terminal(env, repo.path, "start", "--no-issue", "--type", "feature", "x")
    assert terminal.finish() == 0
    assert "post-start hook failed (exit status 7)" in terminal.seen, terminal.seen
    _shown_once(terminal.seen, "post-start")
