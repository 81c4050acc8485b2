"""The command line as a whole: version, help, usage errors, exit codes, no tracebacks, no waiting."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sess import __version__

if TYPE_CHECKING:
    from conftest import FakeGh, Repo, Result, SessRunner

COMMANDS = ["start", "status", "pause", "resume", "end", "projects", "history", "stats", "report"]


def assert_error(result: Result, code: int, *needles: str) -> None:
    """Exit `code`, stderr starts with one `Error: ...` line holding every needle, no traceback."""
    assert result.code == code, result
    first = result.err.splitlines()[0] if result.err else ""
    assert first.startswith("Error: "), result
    for needle in needles:
        assert needle in first, result
    assert "Traceback" not in result.err + result.out, result
    assert result.err.count("Error:") == 1, result


def test_version(sess: SessRunner, tmp_path: Path) -> None:
    result = sess("--version", cwd=tmp_path, check=0)
    assert result.out == f"SESS v{__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)


def test_sess_script_is_installed_and_imports_only_sess(env: dict[str, str], tmp_path: Path) -> None:
    import sys
    import tomllib

    root = Path(__file__).resolve().parent.parent
    declared = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["script-files"]
    assert declared == ["bin/sess"]
    script = str(root / "bin" / "sess")
    version = subprocess.run([sys.executable, script, "--version"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=True)
    assert version.stdout == f"SESS v{__version__}\n"
    # On the prompt path nothing imports `re` (pip's generated wrapper would, before sess runs).
    prompt = subprocess.run([sys.executable, "-X", "importtime", script, "prompt"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    assert re.search(r"\|\s+sess\.cli$", prompt.stderr, re.M), prompt.stderr
    assert not re.search(r"\|\s+re$", prompt.stderr, re.M), prompt.stderr


def test_no_command_prints_help(sess: SessRunner, tmp_path: Path) -> None:
    result = sess(cwd=tmp_path, check=0)
    assert result.out.startswith("usage: sess")
    for command in COMMANDS:
        assert command in result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(sess: SessRunner, tmp_path: Path, command: str) -> None:
    result = sess(command, "--help", cwd=tmp_path, check=0)
    assert result.out.startswith(f"usage: sess {command}")
    assert result.err == ""


@pytest.mark.parametrize("command", ["status", "projects", "history", "stats", "report"])
def test_json_flag_is_offered(sess: SessRunner, tmp_path: Path, command: str) -> None:
    assert "--json" in sess(command, "--help", cwd=tmp_path, check=0).out


def test_start_help_lists_every_flag(sess: SessRunner, tmp_path: Path) -> None:
    out = sess("start", "--help", cwd=tmp_path, check=0).out
    for flag in ("NAME", "--issue", "--no-issue", "--type", "--base", "--dirty", "--message"):
        assert flag in out
    for mode in ("stash", "commit", "discard", "carry"):
        assert mode in out


@pytest.mark.parametrize(("args", "needle"), [
    (["frobnicate"], "frobnicate"),
    (["--frobnicate"], "--frobnicate"),
    (["status", "--bogus"], "--bogus"),
    (["start", "x", "--dirty", "bogus"], "--dirty"),
    (["start", "x", "--issue", "1", "--no-issue"], "--no-issue"),
    (["start", "x", "--issue"], "--issue"),
    (["start", "a", "b"], "b"),
    (["start", "x", "--no-issue", "--type", "evil"], "evil"),
    (["history", "--limit", "many"], "many"),
    (["end", "--continue", "--abort"], "--abort"),
    (["end", "--keep-branch", "--delete-branch"], "--delete-branch"),
])
def test_usage_errors_exit_2_with_one_error_line(sess: SessRunner, repo: Repo, args: list[str],
                                                 needle: str) -> None:
    result = sess(*args)
    assert_error(result, 2, needle)
    assert result.out == ""
    assert len(result.err.strip().splitlines()) > 1  # then a blank line and the way on


def test_usage_error_changes_nothing(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    repo.write("README", "changed\n")
    assert_error(sess("start", "--no-issue", "x", "--type", "evil", "--dirty", "stash"), 2, "evil")
    assert repo.current_branch() == "main" and repo.is_dirty()
    assert repo.git("stash", "list") == ""
    assert repo.git("branch", "--list", "evil/*") == ""


# --- a choice missing without a terminal is a usage error that names the flag -------------

def test_dirty_tree_without_dirty_names_the_flag(sess: SessRunner, repo: Repo) -> None:
    repo.write("README", "changed\n")
    assert_error(sess("start", "--no-issue", "x"), 2, "--dirty")
    assert repo.current_branch() == "main" and repo.git("stash", "list") == ""


def test_no_issue_and_no_name_names_the_flag(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    assert_error(sess("start"), 2, "--issue")
    assert gh.calls() == []  # nothing was asked of GitHub either


def test_a_name_does_not_stand_in_for_the_issue_choice(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                       db_path: Path) -> None:
    # NAME and --issue combine (the slug comes from NAME), so NAME alone leaves the issue unchosen.
    assert_error(sess("start", "fix-login"), 2, "--no-issue")
    assert repo.current_branch() == "main" and gh.calls() == [] and repo.git("branch", "--list", "feature/*") == ""


def test_no_issue_flag_without_a_name_needs_the_name(sess: SessRunner, repo: Repo) -> None:
    assert_error(sess("start", "--no-issue"), 2, "NAME")


def test_dirty_commit_without_message_names_the_flag(sess: SessRunner, repo: Repo) -> None:
    repo.write("README", "changed\n")
    assert_error(sess("start", "--no-issue", "x", "--dirty", "commit"), 2, "--message")
    assert repo.git("log", "--format=%s") == "Initial commit" and repo.is_dirty()


# --- where sess is run --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["start", "pause", "resume"])
def test_outside_a_git_repository(sess: SessRunner, tmp_path: Path, command: str) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    args = [command, "x", "--no-issue"] if command == "start" else [command]
    assert_error(sess(*args, cwd=outside), 1, "not a git repository")


def test_status_and_projects_outside_a_git_repository(sess: SessRunner, tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    result = sess("status", cwd=outside, check=0)
    assert result.out == "Not a tracked project\n" and "Traceback" not in result.err
    assert sess("projects", cwd=outside, check=0).out == "No tracked projects\n"


def test_empty_repository(sess: SessRunner, tmp_path: Path, env: dict[str, str], db_path: Path) -> None:
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", "-b", "main", str(empty)], env=env, check=True)
    assert_error(sess("start", "x", "--no-issue", cwd=empty), 1, "no commits")
    assert subprocess.run(["git", "branch", "--list"], cwd=empty, env=env, capture_output=True,
                          text=True, check=True).stdout == ""
    assert sess("status", cwd=empty, check=0).out == "Not a tracked project\n"


def test_inside_the_git_directory(sess: SessRunner, repo: Repo) -> None:
    result = sess("start", "x", "--no-issue", cwd=repo.path / ".git")
    assert result.code in (1, 2) and "Traceback" not in result.err
    assert result.err.startswith("Error: ")


# --- nothing waits for input that cannot come ---------------------------------------------

@pytest.mark.parametrize("args", [
    ["start"], ["start", "x"], ["start", "x", "--dirty", "commit"], ["start", "--issue", "1"],
    ["status"], ["pause"], ["resume"], ["projects"], ["end"], ["history"], ["stats"], ["report"],
])
def test_no_command_waits_for_input(sess: SessRunner, repo: Repo, gh: FakeGh, args: list[str]) -> None:
    """stdin is /dev/null and nothing is a terminal: every command answers, quickly."""
    gh.add_issue(1, "One issue")
    repo.write("README", "dirty\n")
    result = sess(*args, timeout=20)
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.err + result.out
    if result.code:
        assert result.err.startswith("Error: "), result


def test_no_colour_when_piped(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    env.pop("NO_COLOR", None)
    sess("start", "x", "--no-issue", check=0)
    for args in (["status"], ["projects"], ["pause"], ["resume"]):
        result = sess(*args, check=0)
        assert "\x1b[" not in result.out + result.err, result


def test_python_dash_m_and_errors_go_to_stderr(sess: SessRunner, repo: Repo) -> None:
    result = sess("pause")
    assert_error(result, 1, "not a tracked project")
    assert result.out == ""
    assert "sess start" in result.err  # how to go on


@pytest.mark.parametrize("args", [["status", "--json"], ["projects"], ["--help"]])
def test_stdout_closed_early(sess: SessRunner, repo: Repo, args: list[str]) -> None:
    """`sess projects | head -0`: no traceback, no complaint."""
    sess("start", "x", "--no-issue", check=0)
    proc = subprocess.Popen(sess.argv(*args), cwd=repo.path, env=sess.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


# --- start and status read without argparse ---------------------------------------------------

QUICK = ["start", "status", "switch"]


def _declared(command: str) -> dict[str, tuple[str, bool, tuple[str, ...] | None]]:
    """Every option string of the command's parser: (dest, takes a value, choices)."""
    import argparse

    from sess.cli import build_parser

    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {option: (action.dest, action.nargs != 0, tuple(action.choices) if action.choices else None)
            for action in sub._actions for option in action.option_strings if option not in ("-h", "--help")}


@pytest.mark.parametrize("command", QUICK)
def test_the_quick_reading_knows_the_options_the_parser_declares(command: str) -> None:
    from sess.commands import start, status, switch

    module = {"start": start, "status": status, "switch": switch}[command]
    assert _declared(command) == module.QUICK_OPTIONS
    assert getattr(module, "quick_" + command)(["--no-hooks"]) is not None


def test_start_is_read_quickly_exactly_as_argparse_reads_it() -> None:
    """Whatever command line quick_start reads, argparse reads the same way; whatever it does not,
    argparse gets (and words the error, if there is one)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sess.cli import build_parser
    from sess.commands.start import QUICK_OPTIONS, quick_start
    from sess.errors import UsageError

    words = st.sampled_from([*QUICK_OPTIONS, "--issue=7", "--dirty=carry", "--dirty=bogus", "--base=",
                             "--no-issue=1", "--iss", "--", "-", "-h", "name", "other", "-5", "stash", "commit", "42",
                             "-x", "--at=-1h"])

    @settings(max_examples=600, deadline=None)
    @given(st.lists(words, max_size=6))
    def check(argv: list[str]) -> None:
        quick = quick_start(argv)
        if quick is None:
            return
        try:
            full = build_parser(["start", *argv]).parse_args(["start", *argv])
        except (UsageError, SystemExit) as exc:
            raise AssertionError(f"quick read {argv} as {quick}, argparse refused it: {exc}") from exc
        assert vars(quick) == vars(full), argv

    check()


def test_status_and_start_load_no_argparse(sess: SessRunner, repo: Repo) -> None:
    import sys

    for args in (["status"], ["status", "--json"], ["start", "x", "--no-issue", "--base", "main"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sess", *args], cwd=repo.path, env=sess.env,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert not re.search(r"\|\s+(argparse|gettext|locale)$", proc.stderr, re.M), args


def test_switch_is_read_quickly_exactly_as_argparse_reads_it() -> None:
    """As for start: what quick_switch reads, argparse reads the same way."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sess.cli import build_parser
    from sess.commands.switch import QUICK_OPTIONS, quick_switch
    from sess.errors import UsageError

    words = st.sampled_from([*QUICK_OPTIONS, "--base=1", "--at=10:00", "--ba", "--", "-", "-h", "feature/a", "#7",
                             "3", "-5", "--at=-1h", "--session"])

    @settings(max_examples=400, deadline=None)
    @given(st.lists(words, max_size=5))
    def check(argv: list[str]) -> None:
        quick = quick_switch(argv)
        if quick is None:
            return
        try:
            full = build_parser(["switch", *argv]).parse_args(["switch", *argv])
        except (UsageError, SystemExit) as exc:
            raise AssertionError(f"quick read {argv} as {quick}, argparse refused it: {exc}") from exc
        assert vars(quick) == vars(full), argv

    check()
