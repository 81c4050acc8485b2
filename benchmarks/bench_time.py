"""How `sess log` and `sess export --all` fare over a large history.

Builds a database of 100,000 sessions over 200 projects, each session with exactly three
recorded slices (the newest session of the benchmark repository open, its third slice running),
then times, against the baseline `python -c "import sqlite3, subprocess, json"` under the same
interpreter, alternating runs and taking medians:

- `sess log` in the repository: target <= 2x the baseline;
- `sess export --all` (CSV to a file): target >= 200,000 rows written per second, counting the
  whole command (start-up included).

    python3 benchmarks/bench_time.py [--runs N] [--sessions 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench_analytics import PROJECTS, make_repo, make_schema
from benchlib import BASELINE, insert_rows, sess_command, timed, verdict, workdir

SLICES = 3


def fill(db: Path, sessions: int, projects: int, repo: str, seed: int = 8) -> None:
    """`sessions` sessions with three slices each; project 1 is `repo`, its newest session open."""
    rng = random.Random(seed)
    now = datetime.now().astimezone().timestamp()
    span = 730 * 86400.0

    def stamp(moment: float) -> str:
        return datetime.fromtimestamp(moment).astimezone().isoformat(sep=" ", timespec="microseconds")

    project_rows = [(pid, Path(repo if pid == 1 else f"/home/dev/src/project-{pid:03d}").name,
                     repo if pid == 1 else f"/home/dev/src/project-{pid:03d}", stamp(now - span), stamp(now), "main")
                    for pid in range(1, projects + 1)]
    session_rows = []
    slice_rows = []
    starts = sorted(now - 86400 - rng.random() * span for _ in range(sessions))
    newest_of_repo = max(sid for sid in range(1, sessions + 1) if 1 + (sid * 7919) % projects == 1)
    for sid, start in enumerate(starts, start=1):
        pid = 1 + (sid * 7919) % projects
        cursor, total = start, 0.0
        pieces = []
        for _ in range(SLICES):
            length = rng.uniform(300, 2 * 3600)
            pieces.append((cursor, cursor + length))
            total += length
            cursor += length + rng.uniform(300, 3600)
        state, current, end_time = "ended", None, stamp(pieces[-1][1])
        if sid == newest_of_repo:
            state, end_time = "active", None
            running = now - 1800
            pieces[-1] = (running, None)  # type: ignore[assignment]
            current = stamp(running)
            total = sum(b - a for a, b in pieces[:-1])  # type: ignore[operator]
        kind = rng.choice(("feature", "bugfix", "refactor", "chore"))
        issue = str(rng.randint(1, 900)) if rng.random() < 0.5 else ""
        session_rows.append((sid, pid, f"{kind}/change-{sid}", issue, f"Issue {issue}" if issue else "", state,
                             stamp(start), None, end_time, current, int(total * 1e9), kind,
                             sid if rng.random() < 0.4 else None, None, start))
        for a, b in pieces:
            slice_rows.append((sid, stamp(a), stamp(b) if b is not None else None, a, b))
    insert_rows(db, project_rows, session_rows, slice_rows)


def median_runs(argv: list[str], env: dict[str, str], cwd: str, runs: int,
                stdout_path: Path | None = None) -> tuple[float, float, float]:
    """Medians (ours, baseline, our CPU time) in seconds, interleaved run by run after a warm-up.

    The CPU time (user + system of the child) is printed beside the wall time: on a machine busy
    with other work the wall time grows with the wait for a core, the CPU time much less.
    """
    def once() -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(stdout_path or os.devnull, "w") as out:
            began = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    for _ in range(2):
        once()
        timed(BASELINE, cwd, env)
    ours, cpu, base = [], [], []
    for _ in range(runs):
        wall, used = once()
        ours.append(wall)
        cpu.append(used)
        base.append(timed(BASELINE, cwd, env))
    return statistics.median(ours), statistics.median(base), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary directory)")
    args = parser.parse_args()
    with workdir(args.keep, "sess-bench-time-") as (root, env):
        env["SESS_HOME"] = str(root / "home")
        repo = make_repo(root, env)
        if not (root / "home" / "sess.db").exists():
            began = time.perf_counter()
            fill(make_schema(root / "home", env), args.sessions, PROJECTS, repo)
            print(f"built {args.sessions} sessions x {SLICES} slices in {time.perf_counter() - began:.1f}s")
        sess = sess_command()
        ok = True
        print(f"\ncommand: {' '.join(sess)} ...   baseline: {' '.join(BASELINE[1:])}   runs: {args.runs}\n")

        ours, base, cpu = median_runs([*sess, "log"], env, repo, args.runs)
        ratio = ours / base
        ok = ok and ratio <= 2.0
        print(f"log                  {ours * 1000:8.1f}ms  baseline {base * 1000:6.1f}ms  {ratio:5.2f}x "
              f"{'ok' if ratio <= 2.0 else 'MISSED'} (<= 2x)   cpu {cpu * 1000:.1f}ms")

        out = root / "export.csv"
        ours, base, cpu = median_runs([*sess, "export", "--all"], env, repo, args.runs, out)
        with open(out, encoding="utf-8") as handle:
            written = sum(1 for _ in handle) - 1  # the header
        rate = written / ours
        ok = ok and rate >= 200_000
        print(f"export --all         {ours * 1000:8.1f}ms  baseline {base * 1000:6.1f}ms  {ours / base:5.2f}x  "
              f"{written} rows  {rate:,.0f} rows/s {'ok' if rate >= 200_000 else 'MISSED'} (>= 200,000)   "
              f"cpu {cpu * 1000:.0f}ms = {written / cpu:,.0f} rows per CPU second")
        print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
