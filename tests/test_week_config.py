"""A week of real use, the configuration (issue 15 items 21, 25): a team file from a newer sess,
`config set` checking the file it writes on its own, and a broken file that does not stop the clock."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import refused
from dbhelp import session_row
from test_config import write_user

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


def second_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    from conftest import Repo as RepoClass
    from conftest import run_git

    other = tmp_path / "work" / "gadgets"
    other.mkdir(parents=True)
    run_git(other, env, "init", "-q", "-b", "main")
    RepoClass(other, env).commit("README", "g\n", "init")
    return other


def test_an_unknown_key_in_the_team_file_is_a_warning(sess: SessRunner, repo: Repo) -> None:
    repo.commit(".sess.toml", '[branch]\ntempalte = "x/{slug}"\ntypes = ["feature", "spike"]\n'
                '[future]\nsetting = 1\n', "Team config from a newer sess")
    result = sess("start", "--no-issue", "--type", "spike", "probe", check=0)
    assert repo.current_branch() == "spike/probe"  # the rest applies
    assert (f"Warning: {repo.path}/.sess.toml: unknown key 'branch.tempalte' (did you mean 'branch.template'?); "
            "ignored") in result.err, result
    assert "unknown key 'future.setting'" in result.err
    assert result.err.count("branch.tempalte") == 1
    sess("status", check=0)


def test_an_unknown_key_in_your_own_file_stays_an_error(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, '[branch]\ntempalte = "x/{slug}"\n')
    refused(sess("start", "--no-issue", "probe"), "unknown key 'branch.tempalte'", "branch.template", code=1)
    assert repo.current_branch() == "main"


def test_config_set_checks_your_file_on_its_own(sess: SessRunner, repo: Repo, env: dict[str, str],
                                               tmp_path: Path) -> None:
    repo.commit(".sess.toml", '[branch]\ntypes = ["feature", "spike"]\n', "Team types")
    # Valid here only because of the team's file: your file is used everywhere, so it is refused.
    refused(sess("config", "set", "branch.default_type", "spike"), "'spike'", "branch.types", code=1)
    assert not Path(env["HOME"], ".config", "sess", "config.toml").exists()
    # Valid on its own, in conflict with the team's file only: a warning here, nothing elsewhere.
    result = sess("config", "set", "branch.default_type", "chore", check=0)
    assert "Warning:" in result.err and "branch.default_type" in result.err, result
    result = sess("start", "--no-issue", "here", check=0)
    assert repo.current_branch() == "feature/here" and "Warning:" in result.err
    other = second_repo(tmp_path, env)
    result = sess("start", "--no-issue", "there", cwd=other, check=0)
    assert "Warning" not in result.err
    assert (other / ".git" / "refs" / "heads" / "chore" / "there").exists()


def test_a_broken_file_does_not_stop_the_clock(sess: SessRunner, repo: Repo, env: dict[str, str],
                                              db_path: Path) -> None:
    sess("start", "--no-issue", "x", "--at", "1h", check=0)
    write_user(env, "[time\nidle_after = 5m\n")  # a typo: not TOML
    for args in (("pause",), ("resume",), ("status",), ("log",), ("amend", "@2", "--start", "50m"),
                 ("pause",), ("undo",), ("cancel",), ("undo",)):
        result = sess(*args)
        assert result.code == 0, result
        if args[0] in ("pause", "resume", "status", "amend", "undo"):
            assert result.err.count("Warning:") == 1 and "config.toml" in result.err, result
    assert session_row(db_path)["state"] == "paused"
    prompt = sess("prompt", check=0)
    assert prompt.err == "" and "feature/x" in prompt.out
    # start and end act on the configuration: they refuse.
    refused(sess("end", "--no-pr"), "config.toml", "not valid TOML", code=1)
    assert json.loads(sess("status", "--json", check=0).out)["session"]["state"] == "paused"
