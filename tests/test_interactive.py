"""The interactive `sess start`, driven through a pseudo-terminal as a user would."""
from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pexpect
import pytest
from dbhelp import sessions

if TYPE_CHECKING:
    from conftest import FakeGh, Repo

DOWN = "\x1b[B"
ENTER = "\r"


class Terminal:
    """`python -m sess ...` on a pty; every expect() fails the test after a few seconds."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str, shell: str | None = None) -> None:
        env = {**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "120", "LINES": "40"}
        program, argv = ("/bin/sh", ["-c", shell]) if shell else (sys.executable, ["-m", "sess", *args])
        self.child = pexpect.spawn(program, argv, cwd=str(cwd), env=env, encoding="utf-8", timeout=15,
                                   dimensions=(40, 120))
        self.seen = ""

    def expect(self, text: str) -> None:
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pytest.fail(f"never saw {text!r}; the terminal showed:\n{self.child.before}")
        self.seen += str(self.child.before) + text

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        """Wait for the end; returns the exit status."""
        self.child.expect(pexpect.EOF)
        self.seen += str(self.child.before)
        self.child.close()
        assert "Traceback" not in self.seen, self.seen
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


@pytest.fixture
def terminals(env: dict[str, str]) -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        if terminal.child.isalive():
            terminal.child.terminate(force=True)


Spawn = Callable[..., Terminal]


@pytest.fixture
def spawn(env: dict[str, str], repo: Repo, terminals: list[Terminal]) -> Spawn:
    def run(*args: str, cwd: Path | None = None) -> Terminal:
        terminal = Terminal(env, cwd or repo.path, *args)
        terminals.append(terminal)
        return terminal
    return run


@pytest.fixture
def issues(gh: FakeGh) -> FakeGh:
    gh.add_issue(3, "Fix login crash")
    gh.add_issue(5, "Add dark mode")
    gh.add_issue(9, "Improve docs")
    return gh


def test_pick_an_issue_by_filtering(spawn: Spawn, repo: Repo, issues: FakeGh, db_path: Path) -> None:
    term = spawn("start")
    term.expect("Issue")
    term.expect("Start without an issue")
    term.expect("#3  Fix login crash")
    term.send("dark")
    term.expect("#5  Add dark mode")
    term.send(ENTER)
    term.expect("Branch type")
    term.send(ENTER)  # the default: feature
    term.expect("Branch name")
    term.expect("add-dark-mode")  # suggested from the issue title
    term.send(ENTER)
    term.expect("On branch")
    # The answered line shows the name taken, not an empty answer after the hint.
    answered = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", str(term.child.before))
    assert "(default: add-dark-mode) add-dark-mode" in answered, answered
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "feature/add-dark-mode"
    (session,) = sessions(db_path)
    assert (session["issue_id"], session["issue_title"], session["branch_type"]) == ("5", "Add dark mode", "feature")


def test_a_name_given_still_offers_the_issue_list(spawn: Spawn, repo: Repo, issues: FakeGh, db_path: Path) -> None:
    term = spawn("start", "login-crash", "--type", "bugfix")
    term.expect("#3  Fix login crash")
    term.send("login")
    term.send(ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "bugfix/login-crash"  # NAME names it; the issue is linked
    (session,) = sessions(db_path)
    assert (session["issue_id"], session["issue_title"]) == ("3", "Fix login crash")


def test_pick_with_arrows_another_type_and_own_name(spawn: Spawn, repo: Repo, issues: FakeGh,
                                                    db_path: Path) -> None:
    term = spawn("start")
    term.expect("#3  Fix login crash")
    term.send(DOWN * 3)  # past "start without", #9, #5
    term.send(ENTER)
    term.expect("Branch type")
    term.send(DOWN)  # bugfix
    term.send(ENTER)
    term.expect("Branch name")
    term.expect("fix-login-crash")
    term.send("\x7f" * len("fix-login-crash") + "Login Crash, take 2" + ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "bugfix/login-crash-take-2"
    (session,) = sessions(db_path)
    assert session["issue_id"] == "3" and session["branch_type"] == "bugfix"


def test_the_issue_list_is_asked_of_gh_while_another_question_waits(spawn: Spawn, repo: Repo, issues: FakeGh,
                                                                    env: dict[str, str]) -> None:
    """gh is started for the picker as sess starts (trackers.prefetch_early), not once the
    questions before the picker are answered: its answer, like the prompt library's loading,
    is a wait of its own, and the two overlap."""
    import subprocess
    import time

    subprocess.run([sys.executable, "-m", "sess", "start", "a", "--no-issue"], cwd=repo.path, env=env, check=True,
                   capture_output=True)
    term = spawn("start")
    term.expect("A session is open: feature/a (active)")
    deadline = time.monotonic() + 5
    while not any(call[:2] == ["issue", "list"] for call in issues.calls()):
        assert time.monotonic() < deadline, f"gh was not asked for the issues: {issues.calls()}"
        time.sleep(0.05)
    term.send(ENTER)  # park it
    term.expect("#3  Fix login crash")
    term.send("\x03")  # Ctrl-C: nothing started
    assert term.finish() == 130


def test_start_without_an_issue_from_the_list(spawn: Spawn, repo: Repo, issues: FakeGh,
                                              db_path: Path) -> None:
    term = spawn("start")
    term.expect("Start without an issue")
    term.send(ENTER)
    term.expect("Branch type")
    term.send(ENTER)
    term.expect("Branch name")
    term.send(ENTER)  # empty: refused, asked again
    term.expect("an answer is needed")
    term.send("spike" + ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "feature/spike" and sessions(db_path)[0]["issue_id"] == ""


@pytest.mark.parametrize("gh_state", ["logged out", "missing"])
def test_gh_unavailable_offers_to_start_without_an_issue(spawn: Spawn, repo: Repo, issues: FakeGh,
                                                         db_path: Path, gh_state: str) -> None:
    if gh_state == "logged out":
        issues.logout()
    else:
        issues.remove_from_path()
    term = spawn("start")
    term.expect("gh is not logged in" if gh_state == "logged out" else "gh is not installed")
    term.expect("issues cannot be listed")
    term.expect("Start without an issue?")
    term.send("y" + ENTER)
    term.expect("Branch type")
    term.send(ENTER)
    term.expect("Branch name")
    term.send("offline work" + ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "feature/offline-work"
    assert sessions(db_path)[0]["issue_id"] == ""
    assert term.seen.count("gh is not") == 1  # said once, in one line


def test_gh_unavailable_and_declining(spawn: Spawn, repo: Repo, issues: FakeGh, db_path: Path) -> None:
    issues.logout()
    term = spawn("start")
    term.expect("Start without an issue?")
    term.send("n" + ENTER)
    term.expect("Error: cancelled")
    assert term.finish() == 1
    assert repo.current_branch() == "main"
    assert not db_path.exists() or sessions(db_path) == []


@pytest.mark.parametrize(("presses", "mode"), [(0, "stash"), (2, "carry"), (3, "discard")])
def test_dirty_tree_choice(spawn: Spawn, repo: Repo, db_path: Path, presses: int, mode: str) -> None:
    repo.write("README", "edited\n")
    repo.write("new.txt", "new\n")
    term = spawn("start", "tidy", "--no-issue", "--type", "chore")
    term.expect("Uncommitted changes")
    term.expect("quit")
    term.send(DOWN * presses + ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "chore/tidy"
    carried = (repo.path / "new.txt").exists()
    assert carried == (mode == "carry")
    assert (repo.git("stash", "list") != "") == (mode == "stash")


def test_dirty_tree_commit_asks_for_a_message(spawn: Spawn, repo: Repo, db_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("README", "edited\n")
    term = spawn("start", "tidy", "--no-issue", "--type", "chore")
    term.expect("Uncommitted changes")
    term.send(DOWN + ENTER)
    term.expect("Commit message")
    term.send("Save my edits" + ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.git("log", "-1", "--format=%s", "topic") == "Save my edits"
    assert repo.current_branch() == "chore/tidy" and not repo.is_dirty()


def test_dirty_tree_quit_changes_nothing(spawn: Spawn, repo: Repo, db_path: Path) -> None:
    repo.write("README", "edited\n")
    term = spawn("start", "tidy", "--no-issue", "--type", "feature")
    term.expect("Uncommitted changes")
    term.send(DOWN * 4 + ENTER)
    term.expect("Error: cancelled")
    assert term.finish() == 1
    assert repo.current_branch() == "main" and (repo.path / "README").read_text() == "edited\n"
    assert repo.git("stash", "list") == ""
    assert not db_path.exists() or sessions(db_path) == []


def test_ctrl_c_at_a_prompt(spawn: Spawn, repo: Repo, issues: FakeGh, db_path: Path) -> None:
    repo.write("README", "edited\n")
    term = spawn("start")
    term.expect("#3  Fix login crash")
    term.send("\x03")
    term.expect("Error: interrupted")
    assert term.finish() == 130
    assert repo.current_branch() == "main" and (repo.path / "README").read_text() == "edited\n"
    assert not db_path.exists() or sessions(db_path) == []


def test_flags_skip_their_questions(spawn: Spawn, repo: Repo, issues: FakeGh, db_path: Path) -> None:
    term = spawn("start", "--issue", "9", "--type", "docs")
    term.expect("Branch name")  # the one choice not given
    term.send(ENTER)
    term.expect("Session active")
    assert term.finish() == 0
    assert repo.current_branch() == "docs/improve-docs"
    assert "Issue" not in term.seen.split("Branch name")[0]
    assert "Branch type" not in term.seen


@pytest.mark.parametrize(("stdin", "stdout"), [("", "| cat"), ("< /dev/null", "")])
def test_half_a_terminal_is_not_interactive(env: dict[str, str], repo: Repo, issues: FakeGh,
                                            terminals: list[Terminal], stdin: str, stdout: str) -> None:
    """Prompts need stdin and stdout both on a terminal; otherwise the missing flag is named."""
    term = Terminal(env, repo.path, shell=f"{{ '{sys.executable}' -m sess start {stdin}; echo exit=$?; }} {stdout}")
    terminals.append(term)
    term.expect("Error: no issue chosen: pass --issue ID or --no-issue")
    term.expect("exit=2")
    term.finish()
    assert "Start without an issue" not in term.seen
