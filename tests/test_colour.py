"""Colour: on a terminal unless NO_COLOR or TERM=dumb; never piped; FORCE_COLOR wins over all three.

Run through a real pseudo-terminal (pexpect), since whether stdout is a terminal is the point.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pexpect
import pytest

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

SGR = re.compile(r"\x1b\[[0-9;]*m")
ACTIVE_IN_GREEN = "\x1b[32mactive\x1b[0m"


def on_terminal(env: dict[str, str], cwd: Path, *args: str, **variables: str) -> str:
    """Everything `sess ARGS` writes to a pseudo-terminal, with these variables (and no others of the three)."""
    child_env = {k: v for k, v in env.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    child_env.update({"TERM": "xterm", **variables})
    child = pexpect.spawn(sys.executable, ["-m", "sess", *args], cwd=str(cwd), env=child_env,
                          encoding="utf-8", timeout=20, dimensions=(40, 120))
    child.expect(pexpect.EOF)
    output = str(child.before)
    child.close()
    assert child.exitstatus == 0, output
    assert "Traceback" not in output
    return output


def piped(env: dict[str, str], cwd: Path, *args: str, **variables: str) -> str:
    child_env = {k: v for k, v in env.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    child_env.update({"TERM": "xterm", **variables})
    result = subprocess.run([sys.executable, "-m", "sess", *args], cwd=cwd, env=child_env, capture_output=True,
                            text=True, check=True, stdin=subprocess.DEVNULL)
    return result.stdout


@pytest.fixture
def active(sess: SessRunner, repo: Repo) -> Repo:
    sess("start", "add-oauth", "--no-issue", check=0)
    return repo


def test_colour_on_a_terminal(env: dict[str, str], active: Repo) -> None:
    assert ACTIVE_IN_GREEN in on_terminal(env, active.path, "status")


@pytest.mark.parametrize("variables", [{"NO_COLOR": "1"}, {"NO_COLOR": "anything"}, {"TERM": "dumb"}])
def test_no_colour_on_a_terminal(env: dict[str, str], active: Repo, variables: dict[str, str]) -> None:
    output = on_terminal(env, active.path, "status", **variables)
    assert "Session active" in output
    assert not SGR.search(output), repr(output)


def test_an_empty_no_color_is_not_set(env: dict[str, str], active: Repo) -> None:
    """no-color.org: NO_COLOR counts when present and not empty."""
    assert ACTIVE_IN_GREEN in on_terminal(env, active.path, "status", NO_COLOR="")


def test_no_colour_when_piped(env: dict[str, str], active: Repo) -> None:
    output = piped(env, active.path, "status")
    assert "Session active" in output and "\x1b" not in output


@pytest.mark.parametrize("variables", [
    {},  # piped
    {"NO_COLOR": "1"},
    {"TERM": "dumb"},
    {"NO_COLOR": "1", "TERM": "dumb"},
])
def test_force_color_wins(env: dict[str, str], active: Repo, variables: dict[str, str]) -> None:
    assert ACTIVE_IN_GREEN in piped(env, active.path, "status", FORCE_COLOR="1", **variables)


@pytest.mark.parametrize("value", ["", "0"])
def test_force_color_empty_or_zero_forces_nothing(env: dict[str, str], active: Repo, value: str) -> None:
    assert "\x1b" not in piped(env, active.path, "status", FORCE_COLOR=value)


@pytest.mark.parametrize("args", [["projects"], ["history"], ["report"]])
def test_every_command_follows_the_same_rule(env: dict[str, str], active: Repo, args: list[str]) -> None:
    assert ACTIVE_IN_GREEN in on_terminal(env, active.path, *args)
    assert not SGR.search(on_terminal(env, active.path, *args, NO_COLOR="1"))
    assert not SGR.search(on_terminal(env, active.path, *args, TERM="dumb"))


def test_a_dumb_terminal_gets_plain_progress_lines(env: dict[str, str], repo: Repo) -> None:
    """No live line redrawn in place (cursor movement) where the terminal cannot do it."""
    output = on_terminal(env, repo.path, "start", "add-oauth", "--no-issue", "--type", "feature", TERM="dumb")
    assert "Creating feature/add-oauth" in output
    assert "\x1b" not in output, repr(output)
