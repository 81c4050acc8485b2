"""Several sessions at once (issue 16): what `sess switch` to a session with parked changes costs
in the 20,000-file repository of bench_repo, against the git commands it stands for; and `sess
status` / `sess prompt` with 20 open sessions against the same with one.

Each round, alternating so that caches and disk treat both alike, from a branch with one file
changed and one added, to a branch whose changes are parked:

    git:   git stash push -u && git checkout A && git stash apply <id> && git stash drop
    sess:  sess switch A

(each is then put back, untimed, for the next round: two clones of one origin). Then `sess
status` and `sess prompt` in one small repository whose project holds 1 open session, against
the same with 20 (one database each, alternating).

    python3 benchmarks/bench_multi.py [--runs N] [--files N] [--status-runs N]

Targets: switch <= 1.3x its git commands; status and prompt with 20 open <= 1.05x with one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench_repo import change, setup, timed_all
from benchlib import sess_command, timed, verdict, workdir

SWITCH_TARGET = 1.3
OPEN_TARGET = 1.05


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def switch_rounds(root: Path, env: dict[str, str], sess: list[str], files: int, runs: int) -> tuple[float, float]:
    root.mkdir()
    repo, made = setup(root, files)
    env = {**made, "PYTHONPATH": env["PYTHONPATH"], "SESS_HOME": str(root / "home")}
    plain = root / "plain"
    run(["git", "clone", "-q", str(root / "origin.git"), str(plain)], root, env)
    # sess: feature/a parked with its changes, bugfix/b checked out and running.
    run([*sess, "start", "a", "--no-issue"], repo, env)
    change(repo, 0, "a")
    run([*sess, "start", "b", "--no-issue", "--type", "bugfix", "--park"], repo, env)
    # git: the same two branches, a's changes in a stash entry.
    run(["git", "checkout", "-q", "-b", "feature/a"], plain, env)
    change(plain, 0, "a")
    run(["git", "stash", "push", "-q", "-u"], plain, env)
    run(["git", "checkout", "-q", "-b", "bugfix/b", "main"], plain, env)
    base, ours = [], []
    for n in range(runs + 1):  # the first round warms the caches
        change(plain, n, "b")
        parked = run(["git", "rev-parse", "refs/stash"], plain, env)
        took = timed_all([["git", "stash", "push", "-q", "-u"], ["git", "checkout", "-q", "feature/a"],
                          ["git", "stash", "apply", "-q", parked], ["git", "stash", "drop", "-q", "stash@{1}"]],
                         plain, env)
        timed_all([["git", "stash", "push", "-q", "-u"], ["git", "checkout", "-q", "bugfix/b"],
                   ["git", "stash", "pop", "-q", "stash@{1}"]], plain, env)  # back, untimed
        run(["git", "reset", "-q", "--hard"], plain, env)
        run(["git", "clean", "-q", "-fd"], plain, env)
        change(repo, n, "b")
        mine = timed([*sess, "switch", "feature/a"], str(repo), env)
        run([*sess, "switch", "bugfix/b"], repo, env)  # back, untimed
        run(["git", "reset", "-q", "--hard"], repo, env)
        run(["git", "clean", "-q", "-fd"], repo, env)
        if n:
            base.append(took)
            ours.append(mine)
    return statistics.median(base), statistics.median(ours)


def open_sessions_rounds(root: Path, env: dict[str, str], sess: list[str], runs: int) -> dict[str, tuple[float, float]]:
    repo = root / "small"
    run(["git", "init", "-q", "-b", "main", str(repo)], root, env)
    (repo / "README").write_text("small\n")
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-q", "-m", "one"], repo, env)
    one = {**env, "SESS_HOME": str(root / "one")}
    run([*sess, "start", "here", "--no-issue"], repo, one)
    twenty = {**env, "SESS_HOME": str(root / "twenty")}
    (root / "twenty").mkdir(mode=0o700)
    shutil.copy2(root / "one" / "sess.db", root / "twenty" / "sess.db")
    import sqlite3

    conn = sqlite3.connect(root / "twenty" / "sess.db", isolation_level=None)
    conn.execute("BEGIN")
    for index in range(19):
        conn.execute("""INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time,
                            pause_time, total_elapsed, branch_type, start_epoch)
                        SELECT project_id, ?, '', '', 'paused', start_time, start_time, 60000000000, 'feature',
                               start_epoch FROM sessions WHERE id = 1""", (f"feature/other-{index}",))
    conn.execute("COMMIT")
    conn.close()
    found = {}
    for command in ("status", "prompt"):
        ones, twenties = [], []
        for n in range(runs + 1):
            a = timed([*sess, command], str(repo), one)
            b = timed([*sess, command], str(repo), twenty)
            if n:
                ones.append(a)
                twenties.append(b)
        found[command] = (statistics.median(ones), statistics.median(twenties))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds of switch (default 7)")
    parser.add_argument("--files", type=int, default=20_000, help="files in the repository (default 20000)")
    parser.add_argument("--status-runs", type=int, default=30)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and leave it there")
    args = parser.parse_args()
    sess = sess_command()
    with workdir(args.keep, "sess-bench-multi-") as (root, env):
        base, ours = switch_rounds(root / "switch", env, sess, args.files, args.runs)
        opened = open_sessions_rounds(root, env, sess, args.status_runs)
    print(f"command: {' '.join(sess)}  ·  {args.files} files  ·  {args.runs} rounds alternating")
    ok = ours / base <= SWITCH_TARGET
    print(f"switch  git {base * 1000:7.1f} ms   sess {ours * 1000:7.1f} ms   "
          f"ratio {ours / base:.2f}  (target <= {SWITCH_TARGET})")
    for command, (one, twenty) in opened.items():
        ok = ok and twenty / one <= OPEN_TARGET
        print(f"{command:7} 1 open {one * 1000:6.1f} ms   20 open {twenty * 1000:6.1f} ms   "
              f"ratio {twenty / one:.2f}  (target <= {OPEN_TARGET})")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
