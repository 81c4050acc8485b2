"""What `sess start` and `sess end --no-pr` cost in a real-sized repository, against the git
commands that such a start and end need anyway; and `sess status` there, against the Python floor.

In a repository of 20,000 files (200 directories of 100) with a bare origin, each round runs,
alternating so that caches and disk treat both alike:

    baseline start:  git pull --ff-only && git checkout -b NAME
    sess start:      sess start NAME --no-issue
    baseline end:    (one file changed, one added) git add -A && git commit -m MSG && git fetch &&
                     git rebase origin/main && git push -u origin NAME && git checkout main
    sess end:        (the same change) sess end --no-pr -m MSG
    sess status / python -c "import sqlite3, subprocess, json" (the floor, as in bench_status)

and prints the median of each and the ratios. Targets (issue 10): start and end <= 1.3x their
git commands, status <= 1.3x the floor.

    python3 benchmarks/bench_repo.py [--runs N] [--files N]

Run it against this checkout with `PYTHONPATH=src` and no other `sess` on PATH; set
SESS_BENCH_GIT_LOG=FILE to have every git process logged there (argv per line) by a wrapper.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import BASELINE, sess_command, timed

TARGET = 1.3


def git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def setup(root: Path, files: int) -> tuple[Path, dict[str, str]]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # see bench_status: measure sess, not its compilation
    env.update(SESS_HOME=str(root / "home"), GIT_CONFIG_GLOBAL=str(root / "gitconfig"),
               GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", GIT_TERMINAL_PROMPT="0")
    (root / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n"
                                    "[init]\n\tdefaultBranch = main\n")
    log = os.environ.get("SESS_BENCH_GIT_LOG")
    if log:
        env["PATH"] = f"{_git_logger(root, log)}{os.pathsep}{env['PATH']}"
    origin, repo = root / "origin.git", root / "repo"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=env)
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    per_dir = 100
    for index in range(files):
        directory = repo / f"d{index // per_dir:03d}"
        if index % per_dir == 0:
            directory.mkdir()
        (directory / f"f{index % per_dir:03d}.txt").write_text(f"file {index}\n" * 3)
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "20k files")
    git(repo, env, "push", "-q", "-u", "origin", "main")
    git(repo, env, "remote", "set-head", "origin", "-a")
    return repo, env


def _git_logger(root: Path, log: str) -> Path:
    """A `git` first on PATH that appends its argv to `log`, then runs the real git."""
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    directory = root / "gitlog"
    directory.mkdir()
    wrapper = directory / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    return directory


def change(repo: Path, round_: int, who: str) -> None:
    """The work of a session: one file changed, one added."""
    (repo / "d000" / "f000.txt").write_text(f"{who} round {round_}\n")
    (repo / "d001" / f"new-{who}-{round_}.txt").write_text("new\n")


def timed_all(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    for argv in commands:
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def one_round(repo: Path, env: dict[str, str], sess: list[str], n: int) -> tuple[float, float, float, float]:
    name = f"base-{n}"
    base_start = timed_all([["git", "pull", "--ff-only"], ["git", "checkout", "-q", "-b", name]], repo, env)
    change(repo, n, "base")
    base_end = timed_all([["git", "add", "-A"], ["git", "commit", "-q", "-m", f"Work {n}"], ["git", "fetch", "-q"],
                          ["git", "rebase", "-q", "origin/main"], ["git", "push", "-q", "-u", "origin", name],
                          ["git", "checkout", "-q", "main"]], repo, env)
    ours_start = timed([*sess, "start", f"sess-{n}", "--no-issue"], str(repo), env)
    change(repo, n, "sess")
    ours_end = timed([*sess, "end", "--no-pr", "-m", f"Work {n}"], str(repo), env)
    return base_start, ours_start, base_end, ours_end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds of start/end (default 7)")
    parser.add_argument("--files", type=int, default=20_000, help="files in the repository (default 20000)")
    parser.add_argument("--status-runs", type=int, default=30)
    args = parser.parse_args()
    sess = sess_command()
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = setup(Path(tmp), args.files)
        one_round(repo, env, sess, 0)  # warm the page cache, the index and .pyc files
        rounds = [one_round(repo, env, sess, n) for n in range(1, args.runs + 1)]
        subprocess.run([*sess, "start", "status-bench", "--no-issue"], cwd=repo, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status, floor = [], []
        for _ in range(args.status_runs):
            status.append(timed([*sess, "status"], str(repo), env))
            floor.append(timed(BASELINE, str(repo), env))
    base_start, ours_start, base_end, ours_end = (statistics.median(column) for column in zip(*rounds, strict=True))
    print(f"command: {' '.join(sess)}  ·  {args.files} files  ·  {args.runs} rounds alternating")
    print(f"start   git {base_start * 1000:7.1f} ms   sess {ours_start * 1000:7.1f} ms   "
          f"ratio {ours_start / base_start:.2f}  (target <= {TARGET})")
    print(f"end     git {base_end * 1000:7.1f} ms   sess {ours_end * 1000:7.1f} ms   "
          f"ratio {ours_end / base_end:.2f}  (target <= {TARGET})")
    floor_ms, status_ms = statistics.median(floor) * 1000, statistics.median(status) * 1000
    print(f"status  floor {floor_ms:5.1f} ms   sess {status_ms:7.1f} ms   "
          f"ratio {status_ms / floor_ms:.2f}  (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
