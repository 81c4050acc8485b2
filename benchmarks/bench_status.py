"""How much `sess status` costs on the prompt path, against a bare interpreter doing similar imports.

Runs `sess status` in a repository with an active session, alternating with the baseline
`python -c "import sqlite3, subprocess, json"` under the same interpreter, and prints the
median of each and their ratio. Targets (issue #2): ratio <= 1.6, aim <= 1.3.

    python3 benchmarks/bench_status.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import BASELINE, sess_command, timed


def setup(root: Path) -> tuple[str, dict[str, str]]:
    env = dict(os.environ)
    # pip compiles a package's bytecode when it installs it; a checkout run with
    # PYTHONDONTWRITEBYTECODE would instead recompile sess on every run and measure that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(SESS_HOME=str(root / "home"), GIT_CONFIG_GLOBAL=str(root / "gitconfig"),
               GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    (root / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    repo = root / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=repo, check=True, env=env)
    subprocess.run([*sess_command(), "start", "bench", "--no-issue"], cwd=repo, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return str(repo), env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    command = [*sess_command(), "status"]
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = setup(Path(tmp))
        for _ in range(3):  # warm the page cache and .pyc files
            timed(command, repo, env)
            timed(BASELINE, repo, env)
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(timed(command, repo, env))
            base.append(timed(BASELINE, repo, env))
    ratio = statistics.median(ours) / statistics.median(base)
    print(f"command: {' '.join(command)}")
    print(f"runs: {args.runs} alternating")
    print(f"baseline median: {statistics.median(base) * 1000:.1f} ms")
    print(f"status median:   {statistics.median(ours) * 1000:.1f} ms")
    print(f"ratio: {ratio:.2f}  (target <= 1.6, aim <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
