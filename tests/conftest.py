"""Shared fixtures: an isolated environment, throwaway git repos, a sess runner
and a handle on the fake `gh` (tests/fakegh/gh)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FAKEGH_DIR = TESTS_DIR / "fakegh"
SRC_DIR = TESTS_DIR.parent / "src"
# In-process tests import this checkout's sess too, as the subprocess runs do (PYTHONPATH below),
# not whichever sess happens to be installed.
if str(SRC_DIR) not in sys.path:
    sys.path.insert(0, str(SRC_DIR))

GITCONFIG = """\
[user]
\tname = Test User
\temail = test@example.com
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
"""

# Variables that would point git/gh at the real user's setup, or at another
# repository (git exports GIT_DIR, GIT_INDEX_FILE, ... to hooks, so a test run
# from a hook would otherwise operate on the wrong repo).
SCRUBBED = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CONFIG", "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS", "GIT_CEILING_DIRECTORIES", "GH_TOKEN", "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_HOST", "GH_REPO", "GH_CONFIG_DIR",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
    # sess must work with stdout buffered, as it is for users: unbuffered output would hide
    # errors that only appear when the buffer is flushed at exit (a closed pipe, say).
    "PYTHONUNBUFFERED",
)


# --- environment -------------------------------------------------------

@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(GITCONFIG)
    (tmp_path / "gh").mkdir()
    result = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    pythonpath = [str(SRC_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    result.update(
        HOME=str(home),
        SESS_HOME=str(tmp_path / "sesshome"),  # left uncreated: sess must create it
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",  # fail instead of hanging on a credential prompt
        GIT_EDITOR="true",  # a stray `git commit` without -m must not hang the suite
        LC_ALL="C.UTF-8",  # git messages in English, whatever the host locale
        PATH=os.pathsep.join([str(FAKEGH_DIR), os.environ.get("PATH", os.defpath)]),
        FAKE_GH_STATE=str(tmp_path / "gh" / "state.json"),
        NO_COLOR="1",
        TZ="UTC",
        PYTHONPATH=os.pathsep.join(pythonpath),
    )
    return result


# --- git repositories --------------------------------------------------

def run_git(cwd: Path, env: dict[str, str], *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed ({proc.returncode}) in {cwd}:\n{proc.stderr}")
    return proc.stdout.strip()


class Repo:
    """A working clone (or standalone repo) plus helpers to poke at it."""

    def __init__(self, path: Path, env: dict[str, str], origin: Path | None = None) -> None:
        self.path = path
        self.env = env
        self.origin = origin

    def git(self, *args: str, check: bool = True) -> str:
        return run_git(self.path, self.env, *args, check=check)

    def write(self, path: str, text: str) -> Path:
        target = self.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit(self, path: str, text: str, msg: str) -> str:
        """Write, stage and commit one file; returns the new commit sha."""
        self.write(path, text)
        self.git("add", "--", path)
        self.git("commit", "-q", "-m", msg)
        return self.git("rev-parse", "HEAD")

    def current_branch(self) -> str:
        return self.git("branch", "--show-current")  # "" when detached

    def is_dirty(self) -> bool:
        return bool(self.git("status", "--porcelain"))

    def teammate_push(self, path: str, text: str, msg: str, branch: str = "main") -> str:
        """Commit to `branch` from a separate clone of origin and push it; returns the sha."""
        if self.origin is None:
            raise RuntimeError("this repo has no origin to push to")
        clone = Path(tempfile.mkdtemp(prefix="teammate-", dir=self.origin.parent))
        run_git(clone.parent, self.env, "clone", "-q", str(self.origin), clone.name)
        mate = Repo(clone, self.env, self.origin)
        exists = mate.git("ls-remote", "--heads", "origin", f"refs/heads/{branch}")
        mate.git("checkout", "-q", "-B", branch, *([f"origin/{branch}"] if exists else []))
        mate.write(path, text)
        mate.git("add", "--", path)
        mate.git("-c", "user.name=Team Mate", "-c", "user.email=mate@example.com",
                 "commit", "-q", "-m", msg)
        mate.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return mate.git("rev-parse", "HEAD")

    def __repr__(self) -> str:
        return f"Repo({self.path})"


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Repo:
    """<tmp>/work/widgets cloned from bare <tmp>/origin.git, one commit on main, origin/HEAD set."""
    origin = tmp_path / "origin.git"
    run_git(tmp_path, env, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp_path / "work"
    work.mkdir()
    run_git(work, env, "clone", "-q", str(origin), "widgets")
    repo = Repo(work / "widgets", env, origin)
    repo.git("symbolic-ref", "HEAD", "refs/heads/main")  # an empty clone's unborn branch may differ
    repo.commit("README", "widgets\n", "Initial commit")
    repo.git("push", "-q", "-u", "origin", "main")
    repo.git("remote", "set-head", "origin", "-a")
    return repo


@pytest.fixture
def repo_no_remote(tmp_path: Path, env: dict[str, str]) -> Repo:
    path = tmp_path / "work" / "solo"
    path.mkdir(parents=True)
    run_git(path, env, "init", "-q", "-b", "main")
    repo = Repo(path, env)
    repo.commit("README", "solo\n", "Initial commit")
    return repo


# --- running sess ------------------------------------------------------

@dataclass
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return (f"Result({' '.join(self.args)!r} exited {self.code})\n"
                f"--- stdout ---\n{self.out}--- stderr ---\n{self.err}--- end ---")


def refused(result: Result, *needles: str, code: int = 2) -> None:
    """Exit `code` with an `Error: ...` on stderr holding every needle, and no traceback."""
    assert result.code == code, result
    assert result.err.startswith("Error: ") and "Traceback" not in result.err, result
    for needle in needles:
        assert needle in result.err, result


class SessRunner:
    """Callable running `python -m sess` in the test environment."""

    def __init__(self, env: dict[str, str], default_cwd: Any) -> None:
        self.env = env
        self._default_cwd = default_cwd  # zero-arg callable, so the repo is only built when needed

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "sess", *args]

    def __call__(self, *args: str, cwd: Path | str | None = None, input: str | None = None,
                 timeout: float = 30, check: int | None = None) -> Result:
        proc = subprocess.run(
            self.argv(*args), cwd=cwd or self._default_cwd(), env=self.env, text=True,
            capture_output=True, timeout=timeout, check=False,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        if check is not None:
            assert result.code == check, f"expected exit {check}, got {result!r}"
        return result

    def start(self, *args: str, cwd: Path | str | None = None) -> subprocess.Popen[str]:
        """Start sess in the background (for concurrency tests); caller must wait()."""
        return subprocess.Popen(
            self.argv(*args), cwd=cwd or self._default_cwd(), env=self.env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )


@pytest.fixture
def sess(env: dict[str, str], request: pytest.FixtureRequest) -> SessRunner:
    """Default cwd: repo_no_remote's path if the test uses only that, else repo's path."""
    def default_cwd() -> Path:
        names = request.fixturenames
        name = "repo_no_remote" if "repo_no_remote" in names and "repo" not in names else "repo"
        repo: Repo = request.getfixturevalue(name)
        return repo.path
    return SessRunner(env, default_cwd)


# --- fake gh -------------------------------------------------------------

class FakeGh:
    """Reads and edits the fake gh's state file; mirrors the fake's locking."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.state_path = Path(env["FAKE_GH_STATE"])
        self.calls_path = self.state_path.with_name("calls.jsonl")

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with open(self.state_path.with_name(self.state_path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                state = self.state()
                yield state
                tmp = self.state_path.with_name(self.state_path.name + ".conftest.tmp")
                tmp.write_text(json.dumps(state, indent=2) + "\n")
                os.replace(tmp, self.state_path)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def state(self) -> dict[str, Any]:
        raw = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}
        return {"authenticated": True, "owner": "acme", "issues": [], "prs": [], **raw}

    def set(self, **keys: Any) -> None:
        with self._locked() as state:
            state.update(keys)

    def add_issue(self, number: int, title: str, state: str = "OPEN",
                  body: str = "", labels: list[str] | None = None) -> None:
        with self._locked() as data:
            data["issues"].append({"number": number, "title": title, "state": state,
                                   "body": body, "labels": labels or []})

    def prs(self) -> list[dict[str, Any]]:
        return list(self.state()["prs"])

    def calls(self) -> list[list[str]]:
        """argv (without the leading "gh") of every invocation so far, oldest first."""
        if not self.calls_path.exists():
            return []
        return [json.loads(line)["argv"] for line in self.calls_path.read_text().splitlines()]

    def fail(self, cmd: str, stderr: str, exit: int = 1, times: int | None = 1) -> None:
        """Make the next `times` calls of `cmd` (e.g. "pr create") fail; None = always."""
        rule: dict[str, Any] = {"exit": exit, "stderr": stderr}
        if times is not None:
            rule["times"] = times
        with self._locked() as state:
            state.setdefault("fail", {})[cmd] = rule

    def delay(self, cmd: str, before: float = 0, after: float = 0) -> None:
        with self._locked() as state:
            state.setdefault("delay", {})[cmd] = {"before": before, "after": after}

    def logout(self) -> None:
        self.set(authenticated=False)

    def login(self) -> None:
        self.set(authenticated=True)

    def remove_from_path(self) -> None:
        """Edit env PATH so no `gh` at all is found (the fake nor a real one)."""
        dirs: list[str] = []
        for entry in self.env["PATH"].split(os.pathsep):
            if not entry or Path(entry).resolve() == FAKEGH_DIR:
                continue
            if (Path(entry) / "gh").exists():
                # Dropping e.g. /usr/bin outright would lose git too, so
                # substitute a copy of the directory (as symlinks) minus gh.
                entry = str(self._without_gh(Path(entry)))
            dirs.append(entry)
        self.env["PATH"] = os.pathsep.join(dirs)

    def _without_gh(self, directory: Path) -> Path:
        shadow = Path(tempfile.mkdtemp(prefix="nogh-", dir=self.state_path.parent.parent))
        for item in directory.iterdir():
            if item.name != "gh":
                (shadow / item.name).symlink_to(item)
        return shadow

    def run(self, *args: str, cwd: Path | str | None = None, input: str | None = None,
            timeout: float = 30) -> Result:
        """Invoke whatever `gh` the env's PATH finds (normally the fake)."""
        found = shutil.which("gh", path=self.env["PATH"])
        if found is None:
            return Result(["gh", *args], 127, "", "gh: command not found\n")
        proc = subprocess.run(
            [found, *args], cwd=cwd, env=self.env, text=True, capture_output=True, timeout=timeout, check=False,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        return Result(["gh", *args], proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def gh(env: dict[str, str]) -> FakeGh:
    return FakeGh(env)


@pytest.fixture
def db_path(env: dict[str, str]) -> Path:
    return Path(env["SESS_HOME"]) / "sess.db"
