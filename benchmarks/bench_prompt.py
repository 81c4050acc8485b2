"""How much `sess prompt` costs on every shell prompt, against `python -c "import sqlite3"`.

Runs `sess prompt` from a subdirectory of a repository with an active session (so the walk up
to `.git` and the one SQLite read are both measured), alternating with the baseline under the
same interpreter, and prints the median of each and their ratio. Target (SPEC Part 2, "In the
shell"): ratio <= 1.2.

When the `sess` script is installed for this interpreter it is measured, and so is
`python -m sess prompt`. The script is bin/sess, installed as it is (pyproject's
`script-files`): pip's generated console-script wrapper would import `re` before sess runs.

    python3 benchmarks/bench_prompt.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_status import setup
from benchlib import sess_command, timed

BASELINE = [sys.executable, "-c", "import sqlite3"]
TARGET = 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    commands = {"prompt": [*sess_command(), "prompt"]}
    module = [sys.executable, "-m", "sess", "prompt"]
    if commands["prompt"] != module:
        commands["python -m sess prompt"] = module
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = setup(Path(tmp))
        where = os.path.join(repo, "src", "deep", "er")
        os.makedirs(where)
        for command in commands.values():
            shown = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, check=True).stdout
            if not shown.startswith("feature/bench "):
                print(f"{' '.join(command)} printed {shown!r}, not the session: nothing worth timing", file=sys.stderr)
                return 1
        for _ in range(3):  # warm the page cache and .pyc files
            timed(BASELINE, where, env)
            for command in commands.values():
                timed(command, where, env)
        times: dict[str, list[float]] = {name: [] for name in ["baseline", *commands]}
        for _ in range(args.runs):
            times["baseline"].append(timed(BASELINE, where, env))
            for name, command in commands.items():
                times[name].append(timed(command, where, env))
    base = statistics.median(times["baseline"])
    print(f"runs: {args.runs} alternating")
    print(f"baseline median: {base * 1000:.1f} ms  ({' '.join(BASELINE[1:])})")
    for name, command in commands.items():
        median = statistics.median(times[name])
        print(f"{' '.join(command)}: median {median * 1000:.1f} ms, ratio {median / base:.2f}  (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
