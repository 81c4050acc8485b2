"""`sess completion bash|zsh|fish`: scripts generated from the parser, exercised in the shells.

bash for real: the script is sourced, COMP_WORDS/COMP_CWORD set, the completion function called
and COMPREPLY read. fish: `complete -C` on the sourced script. zsh: parsed (`zsh -n`). Values
that come from sess at completion time (branch types, slices) are asked of the `sess` found on
PATH, as a user's shell would.
"""
from __future__ import annotations

import argparse
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sess import config
from sess.cli import COMMANDS, build_parser
from sess.completion import commands, fish_script, script

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

needs_fish = pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
needs_zsh = pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def sess_on_path(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """env with a `sess` command first on PATH that runs this checkout (as an installed sess would)."""
    bin_dir = tmp_path / "sessbin"
    executable(bin_dir / "sess", f'#!/bin/sh\nexec "{sys.executable}" -m sess "$@"\n')
    return {**env, "PATH": f"{bin_dir}:{env['PATH']}"}


def generated(sess: SessRunner, tmp_path: Path, shell: str) -> Path:
    result = sess("completion", shell, cwd=tmp_path, check=0)
    assert result.err == ""
    path = tmp_path / f"sess.{shell}"
    path.write_text(result.out)
    return path


def bash_complete(script_path: Path, words: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    """The candidates bash offers for the last of `words` (the word being completed)."""
    program = f"""
source {script_path}
fn=$(complete -p sess | sed -E 's/.*-F ([^ ]+).*/\\1/')
COMP_WORDS=({" ".join(_bash_quote(word) for word in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
"$fn" sess "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stderr == "", result
    return [line for line in result.stdout.splitlines() if line]


def _bash_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def fish_complete(script_path: Path, line: str, env: dict[str, str], cwd: Path) -> list[str]:
    result = subprocess.run(["fish", "--no-config", "-c", f"source {script_path}; complete -C {_bash_quote(line)}"],
                            env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stderr == "", result
    return [entry.split("\t")[0] for entry in result.stdout.splitlines() if entry]


# --- bash, for real -----------------------------------------------------------------------------

def test_bash_commands_and_options(sess: SessRunner, sess_on_path: dict[str, str], tmp_path: Path) -> None:
    path = generated(sess, tmp_path, "bash")
    assert sorted(bash_complete(path, ["sess", "sta"], sess_on_path, tmp_path)) == ["start", "stats", "status"]
    assert set(bash_complete(path, ["sess", ""], sess_on_path, tmp_path)) >= set(COMMANDS)
    assert bash_complete(path, ["sess", "status", "--j"], sess_on_path, tmp_path) == ["--json"]
    start_options = bash_complete(path, ["sess", "start", "--"], sess_on_path, tmp_path)
    assert {"--issue", "--no-issue", "--type", "--base", "--dirty", "--message"} <= set(start_options)
    assert "--no-pr" in bash_complete(path, ["sess", "end", "--no-"], sess_on_path, tmp_path)
    assert bash_complete(path, ["sess", "end", "--no-p"], sess_on_path, tmp_path) == ["--no-pr"]


def test_bash_flag_values(sess: SessRunner, sess_on_path: dict[str, str], repo: Repo, tmp_path: Path) -> None:
    path = generated(sess, tmp_path, "bash")
    assert bash_complete(path, ["sess", "start", "--dirty", ""], sess_on_path, repo.path) == \
        ["stash", "commit", "discard", "carry"]
    assert bash_complete(path, ["sess", "start", "--dirty", "c"], sess_on_path, repo.path) == ["commit", "carry"]
    assert bash_complete(path, ["sess", "completion", ""], sess_on_path, repo.path) == ["bash", "zsh", "fish"]
    assert bash_complete(path, ["sess", "history", "--since", "yes"], sess_on_path, repo.path) == ["yesterday"]
    repo.git("branch", "release-2")
    assert bash_complete(path, ["sess", "start", "--base", "rel"], sess_on_path, repo.path) == ["release-2"]


def test_bash_branch_types_from_the_configuration(sess: SessRunner, sess_on_path: dict[str, str], repo: Repo,
                                                  tmp_path: Path) -> None:
    path = generated(sess, tmp_path, "bash")
    offered = bash_complete(path, ["sess", "start", "--type", ""], sess_on_path, repo.path)
    assert offered == list(config.DEFAULT_BRANCH_TYPES)
    repo.write(".sess.toml", '[branch]\ntypes = ["feature", "spike"]\ndefault_type = "spike"\n')
    assert bash_complete(path, ["sess", "start", "--type", ""], sess_on_path, repo.path) == ["feature", "spike"]


def test_bash_values_asked_of_sess_at_completion_time(sess: SessRunner, env: dict[str, str], tmp_path: Path) -> None:
    """Branch types and `amend @N` come from the `sess` on PATH, through its documented output."""
    document = {"session": {"id": 7}, "slices": [{"n": 1, "start": "x", "end": None, "seconds": 5},
                                                 {"n": 2, "start": "y", "end": "z", "seconds": 60}]}
    fake = executable(tmp_path / "fakebin" / "sess", f"""#!/bin/sh
case "$*" in
  "config get branch.types") printf 'feature\\nspike\\n' ;;
  "log --json") cat <<'JSON'
{json.dumps(document, indent=2)}
JSON
;;
  "log --json --session 9") printf '{{"slices": [{{"n": 1}}, {{"n": 2}}, {{"n": 3}}]}}\n' ;;
  *) exit 2 ;;
esac
""")
    fake_env = {**env, "PATH": f"{fake.parent}:{env['PATH']}"}
    path = tmp_path / "amend.bash"
    path.write_text(script("bash", _parser_with_config_and_amend()))
    assert bash_complete(path, ["sess", "start", "--type", ""], fake_env, tmp_path) == ["feature", "spike"]
    assert bash_complete(path, ["sess", "amend", ""], fake_env, tmp_path) == ["@1", "@2"]
    assert bash_complete(path, ["sess", "amend", "--session", "9", ""], fake_env, tmp_path) == ["@1", "@2", "@3"]
    assert bash_complete(path, ["sess", "config", "get", "branch.t"], fake_env, tmp_path) == \
        ["branch.types", "branch.template"]
    assert bash_complete(path, ["sess", "config", "set", "pr.draft", ""], fake_env, tmp_path) == ["true", "false"]
    assert bash_complete(path, ["sess", "config", "set", "branch.default_type", "s"], fake_env, tmp_path) == \
        ["spike"]
    assert bash_complete(path, ["sess", "config", "unset", "hooks.pre-"], fake_env, tmp_path) == \
        ["hooks.pre-start", "hooks.pre-end"]


def _parser_with_config_and_amend() -> argparse.ArgumentParser:
    """The shape `config` and `amend` have in the contract (SPEC Part 2), for the generator's rules."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "config" not in sub.choices:
        group = sub.add_parser("config", help="read and write the configuration").add_subparsers(dest="action")
        group.add_parser("get").add_argument("key")
        setter = group.add_parser("set")
        setter.add_argument("key")
        setter.add_argument("value")
        setter.add_argument("--repo", action="store_true")
        group.add_parser("unset").add_argument("key")
    if "amend" not in sub.choices:
        amend = sub.add_parser("amend", help="change one slice")
        amend.add_argument("slice", metavar="@N")
        amend.add_argument("--session", type=int, metavar="ID")
        amend.add_argument("--drop", action="store_true")
    return parser


def test_real_config_and_amend_commands_complete(sess: SessRunner, sess_on_path: dict[str, str], repo: Repo,
                                                 tmp_path: Path) -> None:
    """The real `sess config` and `sess amend`: keys, values and the open session's slices."""
    paths = {command.path for command in commands(build_parser())}
    assert ("config", "get") in paths and ("amend",) in paths
    path = generated(sess, tmp_path, "bash")
    assert bash_complete(path, ["sess", "config", "get", "pr.d"], sess_on_path, repo.path) == ["pr.draft"]
    assert bash_complete(path, ["sess", "config", "set", "end.sync_base", ""], sess_on_path, repo.path) == \
        ["true", "false"]
    assert bash_complete(path, ["sess", "amend", ""], sess_on_path, repo.path) == []  # no session, no slices
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    sess("resume", check=0)
    assert bash_complete(path, ["sess", "amend", ""], sess_on_path, repo.path) == ["@1", "@2"]
    assert "--drop" in bash_complete(path, ["sess", "amend", "@1", "--"], sess_on_path, repo.path)


# --- zsh and fish -------------------------------------------------------------------------------

@needs_zsh
def test_zsh_script_parses(sess: SessRunner, tmp_path: Path) -> None:
    path = generated(sess, tmp_path, "zsh")
    result = subprocess.run(["zsh", "-n", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    text = path.read_text()
    assert text.startswith("#compdef sess")
    for name in ("_sess_complete_branch_types", "_sess_complete_config_keys", "stash commit discard carry"):
        assert name in text


@needs_fish
def test_fish_script_parses_and_completes(sess: SessRunner, sess_on_path: dict[str, str], repo: Repo,
                                          tmp_path: Path) -> None:
    path = generated(sess, tmp_path, "fish")
    result = subprocess.run(["fish", "--no-execute", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert fish_complete(path, "sess sta", sess_on_path, repo.path) == ["start", "stats", "status"]
    assert fish_complete(path, "sess start --dirty ", sess_on_path, repo.path) == \
        ["carry", "commit", "discard", "stash"]
    assert fish_complete(path, "sess start --type ", sess_on_path, repo.path) == sorted(config.DEFAULT_BRANCH_TYPES)
    assert "--json" in fish_complete(path, "sess status --", sess_on_path, repo.path)
    assert fish_complete(path, "sess completion ", sess_on_path, repo.path) == ["bash", "fish", "zsh"]


@needs_fish
def test_fish_config_keys_and_slices(env: dict[str, str], tmp_path: Path) -> None:
    fake = executable(tmp_path / "fakebin" / "sess", """#!/bin/sh
case "$*" in
  "log --json") printf '{"slices": [\\n  {"n": 1},\\n  {"n": 2}\\n]}\\n' ;;
  "log --json --session 9") printf '{"slices": [{"n": 1}, {"n": 2}, {"n": 3}]}\\n' ;;
  *) exit 2 ;;
esac
""")
    fake_env = {**env, "PATH": f"{fake.parent}:{env['PATH']}"}
    path = tmp_path / "full.fish"
    path.write_text(fish_script(_parser_with_config_and_amend()))
    assert fish_complete(path, "sess amend ", fake_env, tmp_path) == ["@1", "@2"]
    assert fish_complete(path, "sess amend --session 9 ", fake_env, tmp_path) == ["@1", "@2", "@3"]
    assert fish_complete(path, "sess amend --session=9 ", fake_env, tmp_path) == ["@1", "@2", "@3"]
    assert {"get", "set", "unset"} <= set(fish_complete(path, "sess config ", fake_env, tmp_path))
    end_keys = sorted(key for key in config.KEYS if key.startswith("end."))
    assert "end.delete_branch" in end_keys
    assert fish_complete(path, "sess config get end.", fake_env, tmp_path) == end_keys
    assert fish_complete(path, "sess config set time.exclusive ", fake_env, tmp_path) == ["false", "true"]


def test_unknown_shell_is_a_usage_error(sess: SessRunner, tmp_path: Path) -> None:
    result = sess("completion", "tcsh", cwd=tmp_path, check=2)
    assert result.err.startswith("Error: unknown value 'tcsh' for SHELL")
