"""Issue 15 item 12: escape sequences from a remote's messages, in project names and in paths
never reach the terminal raw; they are shown escaped (`\\x1b`)."""
from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import Repo, run_git

from sess import render

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, SessRunner

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"  # a clipboard write
TITLE = "\x1b]0;pwned\x07"  # a window title


def test_the_helper_escapes_controls_but_keeps_sess_s_own_colours() -> None:
    assert render.safe_line(f"a{OSC52}b") == "a\\x1b]52;c;ZWNobyBwd25lZA==\\x07b"
    assert render.safe_line("\x1b[32mactive\x1b[0m") == "\x1b[32mactive\x1b[0m"
    assert render.safe_line("\x1b[2J\x1b[31m") == "\\x1b[2J\\x1b[31m"  # clear screen, a colour not ours
    assert render.safe_line("tab\tstays") == "tab\tstays"


def test_a_project_named_with_escapes_is_shown_escaped(sess: SessRunner, tmp_path: Path, env: dict[str, str],
                                                       gh: FakeGh) -> None:
    work = tmp_path / f"odd{TITLE}name"
    work.mkdir()
    run_git(work, env, "init", "-q", "-b", "main")
    repo = Repo(work, env)
    repo.commit("README", "r\n", "Initial commit")
    started = sess("start", "x", "--no-issue", cwd=work, check=0)
    for r in (started, sess("projects", cwd=work, check=0), sess("status", cwd=work, check=0),
              sess("history", cwd=work, check=0), sess("doctor", cwd=work)):
        assert "\x1b" not in r.out + r.err, r
        assert "\x07" not in r.out + r.err, r
    assert "odd\\x1b]0;pwned\\x07name" in sess("projects", cwd=work, check=0).out


def test_a_remote_s_messages_are_shown_escaped(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    assert repo.origin is not None
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nprintf '%s\\n' 'copy {OSC52} done' 'title {TITLE}' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    r = sess("end", "--summary", "S")
    assert r.code == 1, r
    assert "\x1b" not in r.out + r.err and "\x07" not in r.out + r.err, r
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in r.err, r


def test_config_get_shows_a_team_s_escapes_escaped(sess: SessRunner, repo: Repo) -> None:
    (repo.path / ".sess.toml").write_text('[pr]\ntitle = "{subject} \\u001b]0;pwned\\u0007"\n')
    r = sess("config", "get", "pr.title", check=0)
    assert r.out == "{subject} \\x1b]0;pwned\\x07\n", r
