"""How much `sess prompt` costs on every shell prompt, against `python -c "import sqlite3"`.

Runs `sess prompt` from a subdirectory of a repository with an active session (so the walk up
to `.git` and the one SQLite read are both measured), alternating with the baseline under the
same interpreter, and prints the median of each and their ratio. Target (SPEC Part 2, "In the
shell"): ratio <= 1.2.

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
    command = [*sess_command(), "prompt"]
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = setup(Path(tmp))
        where = os.path.join(repo, "src", "deep", "er")
        os.makedirs(where)
        shown = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, check=True).stdout
        if not shown.startswith("feature/bench "):
            print(f"sess prompt printed {shown!r}, not the session: nothing worth timing", file=sys.stderr)
            return 1
        for _ in range(3):  # warm the page cache and .pyc files
            timed(command, where, env)
            timed(BASELINE, where, env)
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(timed(command, where, env))
            base.append(timed(BASELINE, where, env))
    ratio = statistics.median(ours) / statistics.median(base)
    print(f"command: {' '.join(command)}")
    print(f"runs: {args.runs} alternating")
    print(f"baseline median: {statistics.median(base) * 1000:.1f} ms  ({' '.join(BASELINE[1:])})")
    print(f"prompt median:   {statistics.median(ours) * 1000:.1f} ms")
    print(f"ratio: {ratio:.2f}  (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
