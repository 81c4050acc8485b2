"""How `sess report/stats/history --all` and `sess status` scale with the size of the history.

Builds databases of 10,000 and 100,000 sessions over 200 projects (mostly ended sessions with
one to four recorded slices, some with PRs and issues, a slice-less tail as the Go tool left it,
an open session in half of the projects), then times each command against the baseline
`python -c "import sqlite3, subprocess, json"` under the same interpreter, alternating runs and
taking medians. `sess status` runs in a real git repository registered as one of the projects,
once in a database holding just its one session and once in the 100,000-session one.

Targets (issue #4): each command <= 3x the baseline at 100k sessions; 10k -> 100k at most 1.5x
more; `status` the same at 100k sessions as at one.

    python3 benchmarks/bench_analytics.py [--runs N] [--sizes 10000,100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import BASELINE, insert_rows, sess_command, timed, verdict, workdir

PROJECTS = 200


# --- building the databases -------------------------------------------------------------------

def make_schema(home: Path, env: dict[str, str]) -> Path:
    """An empty, fully migrated database, created by sess itself."""
    code = "from sess.store import Store; Store.open().close()"
    subprocess.run([sys.executable, "-c", code], env={**env, "SESS_HOME": str(home)}, check=True)
    return home / "sess.db"


def fill(db: Path, sessions: int, projects: int, repo: str, seed: int = 4) -> None:
    """`sessions` sessions over `projects` projects; project 1 is the real repository `repo`."""
    rng = random.Random(seed)
    now = datetime.now().astimezone()
    span = timedelta(days=730).total_seconds()

    def stamp(moment: float) -> str:
        return datetime.fromtimestamp(moment).astimezone().isoformat(sep=" ", timespec="microseconds")

    def go_stamp(moment: float) -> str:
        local = datetime.fromtimestamp(moment).astimezone()
        offset = local.strftime("%z")
        return local.strftime("%Y-%m-%d %H:%M:%S.%f") + f"123 {offset} {local.tzname()} m=+0.004211870"

    project_rows = []
    for pid in range(1, projects + 1):
        path = repo if pid == 1 else f"/home/dev/src/project-{pid:03d}"
        name = Path(path).name
        project_rows.append((pid, name, path, stamp(now.timestamp() - span), stamp(now.timestamp()), "main"))

    session_rows: list[list[Any]] = []
    slice_rows: list[list[Any]] = []
    # Started between two years and two days ago; a session's slices fit in a day, so all of
    # them are over by now, and an open session's running slice starts after its last one.
    starts = sorted(now.timestamp() - 2 * 86400 - rng.random() * span for _ in range(sessions))
    newest: dict[int, int] = {}
    for sid, start in enumerate(starts, start=1):
        pid = 1 + (sid * 7919) % projects if sessions >= projects else 1
        newest[pid] = sid
        go_tool = sid <= sessions // 20  # the oldest 5%: written by the Go tool, no slices
        cursor = start
        total = 0.0
        pieces = []
        for _ in range(1 if go_tool else rng.randint(1, 4)):
            length = rng.uniform(300, 3 * 3600)
            pieces.append((cursor, cursor + length))
            total += length
            cursor += length + rng.uniform(600, 4 * 3600)
        end = pieces[-1][1]
        pr = rng.random() < 0.4
        issue = str(rng.randint(1, 900)) if rng.random() < 0.5 else ""
        kind = rng.choice(("feature", "bugfix", "refactor", "chore"))
        session_rows.append([
            sid, pid, f"{kind}/change-{sid}", issue, f"Issue {issue} title" if issue else "", "ended",
            go_stamp(start) if go_tool else stamp(start), None, go_stamp(end) if go_tool else stamp(end), None,
            int(total * 1e9), kind, sid if pr else None, f"https://github.com/acme/p/pull/{sid}" if pr else None,
            start,
        ])
        if not go_tool:
            for a, b in pieces:
                slice_rows.append([sid, stamp(a), stamp(b), a, b])
    for pid, sid in newest.items():  # half the projects have an open session: their newest one
        row = session_rows[sid - 1]
        if pid % 4 == 0:
            running = now.timestamp() - 1800
            row[5], row[8], row[9], row[12], row[13] = "active", None, stamp(running), None, None
            slice_rows.append([sid, stamp(running), None, running, None])
        elif pid % 4 == 1:
            row[5], row[7], row[8], row[12], row[13] = "paused", row[8], None, None, None
    insert_rows(db, project_rows, session_rows, slice_rows)


def make_repo(root: Path, env: dict[str, str]) -> str:
    repo = root / "widgets"
    if not repo.exists():  # kept from an earlier run with --keep
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=repo, check=True, env=env)
    return subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


# --- measuring --------------------------------------------------------------------------------

def measure(variants: list[tuple[list[str], dict[str, str]]], cwd: str, runs: int) -> tuple[list[float], float]:
    """Medians of each variant and of the baseline, in seconds, all interleaved run by run.

    Interleaving the sizes of one command with the baseline keeps a busy machine's slow
    moments from landing on one size only, which would distort the growth factor.
    """
    baseline_env = variants[0][1]
    for _ in range(3):  # warm the page cache and .pyc files
        for argv, env in variants:
            timed(argv, cwd, env)
        timed(BASELINE, cwd, baseline_env)
    ours: list[list[float]] = [[] for _ in variants]
    base: list[float] = []
    for _ in range(runs):
        for index, (argv, env) in enumerate(variants):
            ours[index].append(timed(argv, cwd, env))
        base.append(timed(BASELINE, cwd, baseline_env))
    return [statistics.median(times) for times in ours], statistics.median(base)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sizes", default="10000,100000", help="session counts, comma-separated")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary directory)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    with workdir(args.keep, "sess-bench-") as (root, env):
        repo = make_repo(root, env)
        homes: dict[int, Path] = {}
        for size in sorted({1, *sizes}):
            home = root / f"home-{size}"
            if not (home / "sess.db").exists():
                began = time.perf_counter()
                db = make_schema(home, env)
                fill(db, size, PROJECTS if size >= PROJECTS else 1, repo)
                print(f"built {size:>7} sessions in {time.perf_counter() - began:.1f}s", flush=True)
            homes[size] = home

        sess = sess_command()
        commands = [("report --all", ["report", "--all"]), ("stats --all", ["stats", "--all"]),
                    ("history --all --limit 20", ["history", "--all", "--limit", "20"])]
        results: dict[tuple[str, int], tuple[float, float]] = {}
        print(f"\ncommand: {' '.join(sess)} ...   baseline: {' '.join(BASELINE[1:])}   runs: {args.runs}\n")
        print(f"{'command':<26}{'sessions':>9}{'median':>10}{'baseline':>10}{'ratio':>7}")
        # For information, no target: a period reads the slices inside it, so it grows with how
        # many sessions fall in the last 7 days (10x as many in the 100k database).
        extra = [("report --all --since 7d", ["report", "--all", "--since", "7d"])]
        for label, argv in [*commands, *extra, ("status", ["status"])]:
            run_sizes = [1, max(sizes)] if label == "status" else sizes
            variants = [([*sess, *argv], {**env, "SESS_HOME": str(homes[size])}) for size in run_sizes]
            medians, base = measure(variants, repo, args.runs)
            for size, ours in zip(run_sizes, medians, strict=True):
                results[label, size] = ours, base
                print(f"{label:<26}{size:>9}{ours * 1000:>8.1f}ms{base * 1000:>8.1f}ms{ours / base:>7.2f}",
                      flush=True)

        print()
        ok = True
        small, big = min(sizes), max(sizes)
        for label, _ in commands:
            ours, base = results[label, big]
            ratio_ok = ours / base <= 3.0
            line = f"{label:<26} {ours / base:.2f}x baseline at {big} {'ok' if ratio_ok else 'MISSED'} (<= 3x)"
            if small != big:
                growth = results[label, big][0] / results[label, small][0]
                growth_ok = growth <= 1.5
                line += f" · {small}->{big} {growth:.2f}x {'ok' if growth_ok else 'MISSED'} (<= 1.5x)"
                # The part above a bare interpreter, for a reader who counts growth that way.
                above = [(results[label, size][0] - results[label, size][1]) * 1000 for size in (small, big)]
                line += f" · above baseline {above[0]:.1f}ms -> {above[1]:.1f}ms"
                ratio_ok = ratio_ok and growth_ok
            ok = ok and ratio_ok
            print(line)
        one, many = results["status", 1][0], results["status", big][0]
        # "The same": within run-to-run noise, taken as 10%.
        same = many / one <= 1.10
        ok = ok and same
        print(f"{'status':<26} {many / one:.2f}x at {big} vs 1 session {'ok' if same else 'MISSED'} (<= 1.10x)")
        return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
