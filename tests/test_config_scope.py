"""Issue 15 item 14: a repository's `.sess.toml` cannot set `hooks.timeout` for your own hooks, and a
relative SESS_CONFIG cannot make a file of the current repository your configuration."""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from test_config import write_user

if TYPE_CHECKING:  # annotations only
    from conftest import Repo, SessRunner


def test_the_repository_s_hooks_timeout_does_not_stop_your_hooks(sess: SessRunner, repo: Repo,
                                                                 env: dict[str, str], tmp_path: Path) -> None:
    done = tmp_path / "done"
    write_user(env, f'[hooks]\npost-start = "sleep 2 && touch {done}"\n')
    repo.commit(".sess.toml", '[hooks]\ntimeout = "1s"\n', "team")
    started = time.monotonic()
    r = sess("start", "x", "--no-issue", check=0)
    assert time.monotonic() - started >= 2
    assert "timed out" not in r.err, r
    assert done.exists(), r


def test_the_repository_s_hooks_timeout_applies_to_its_own_hooks(sess: SessRunner, repo: Repo) -> None:
    repo.commit(".sess.toml", '[hooks]\ntimeout = "1s"\npost-start = "sleep 5"\n', "team")
    sess("config", "trust", check=0)
    r = sess("start", "x", "--no-issue", check=0)
    assert "post-start hook timed out after 1s" in r.err, r


def test_your_hooks_timeout_still_applies(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, '[hooks]\ntimeout = "1s"\npost-start = "sleep 5"\n')
    r = sess("start", "x", "--no-issue", check=0)
    assert "post-start hook timed out after 1s" in r.err, r


def test_a_relative_sess_config_is_refused(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    (repo.path / "evil.toml").write_text('[hooks]\npost-start = "touch pwned"\n')
    env["SESS_CONFIG"] = "evil.toml"
    r = sess("start", "x", "--no-issue")
    assert r.code == 1, r
    assert r.err.startswith("Error: SESS_CONFIG must be an absolute path, not 'evil.toml'"), r
    assert not (repo.path / "pwned").exists()
    assert repo.current_branch() == "main"
