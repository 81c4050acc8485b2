"""How much `sess status` costs on the prompt path, against a bare interpreter doing similar imports.

Runs `sess status` in a repository with an active session, alternating with the baseline
`python -c "import sqlite3, subprocess, json"` under the same interpreter, and prints the
median of each and their ratio. Targets (issue #2): ratio <= 1.6, aim <= 1.3.

It also runs `sess status` in a second, identical repository where both configuration files
exist (the user's config.toml and the repository's .sess.toml, 20 keys each, hooks and a Jira tracker included),
alternating with the first: configuration must not slow status measurably (issue #7: ratio
<= 1.05). And it times `config.load` of those two files in-process: what reading them would
add to a command that needs a key.

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

# 20 keys in each file, as a team and a user would write them.
REPO_CONFIG = """\
# The team's conventions
base = "main"

[branch]
types = ["feature", "bugfix", "refactor", "hotfix", "chore", "docs", "spike"]
default_type = "feature"
template = "{type}/{issue}-{slug}"
max_length = 50

[pr]
draft = true
reviewers = ["ada", "acme/core"]
labels = ["needs review"]
assignees = ["@me"]
title = "#{issue} {issue_title}"
template = ".github/pull_request_template.md"

[end]
delete_branch = true
sync_base = true

[time]
idle_after = "2h"
exclusive = false

[hooks]
pre-start = "true"
post-start = ["true"]
pre-end = "make -s lint"
post-end = "true"
timeout = "5m"
"""
USER_CONFIG = """\
# Mine
[branch]
types = ["feature", "bugfix", "chore"]
default_type = "bugfix"
template = "{user}/{slug}"
max_length = 40

[pr]
draft = false
reviewers = ["grace"]
labels = ["sess"]
assignees = ["ada"]
title = "{subject}"

[end]
delete_branch = false
sync_base = false

[time]
idle_after = "90m"
exclusive = true

[hooks]
post-start = "true"
post-pause = "true"
post-resume = "true"
pre-end = "true"
timeout = "10m"

[tracker]
type = "jira"
url = "https://acme.atlassian.net"
project = "PROJ"
user = "ada@acme.com"
"""


def with_config(root: Path, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A second repository like the first, with both configuration files."""
    repo, _ = setup(root, env=dict(env))
    Path(repo, ".sess.toml").write_text(REPO_CONFIG)
    xdg = root / "xdg"
    (xdg / "sess").mkdir(parents=True)
    (xdg / "sess" / "config.toml").write_text(USER_CONFIG)
    return repo, {**env, "XDG_CONFIG_HOME": str(xdg)}


def load_ms(repo: str, env: dict[str, str], runs: int) -> float:
    """Median milliseconds `config.load` of both files adds to a `sess status` run, each in a fresh
    interpreter that first ran status (so what status imports anyway is not counted again)."""
    code = ("import contextlib, io, sys, time\n"
            "sys.argv = ['sess', 'status']\n"
            "from sess import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    cli.main(['status'])\n"
            "t = time.perf_counter()\n"
            "import sess.config as c\n"
            f"c.load({repo!r})\n"
            "print((time.perf_counter() - t) * 1000)\n")
    times = [float(subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, check=True,
                                  capture_output=True, text=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def setup(root: Path, env: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    env = dict(env or os.environ)
    # pip compiles a package's bytecode when it installs it; a checkout run with
    # PYTHONDONTWRITEBYTECODE would instead recompile sess on every run and measure that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    root.mkdir(parents=True, exist_ok=True)
    # No configuration file at all unless with_config adds them (not even the real user's).
    env.update(SESS_HOME=str(root / "home"), GIT_CONFIG_GLOBAL=str(root / "gitconfig"),
               GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1", XDG_CONFIG_HOME=str(root / "no-config"))
    env.pop("SESS_CONFIG", None)
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
        repo, env = setup(Path(tmp) / "plain")
        configured, configured_env = with_config(Path(tmp) / "configured", env)
        for _ in range(3):  # warm the page cache and .pyc files
            timed(command, repo, env)
            timed(command, configured, configured_env)
            timed(BASELINE, repo, env)
        ours, theirs, base = [], [], []
        for run in range(args.runs):
            # Which of the two goes first swaps every run, so neither gains from its place.
            if run % 2:
                theirs.append(timed(command, configured, configured_env))
            ours.append(timed(command, repo, env))
            if not run % 2:
                theirs.append(timed(command, configured, configured_env))
            base.append(timed(BASELINE, repo, env))
        loading = load_ms(configured, configured_env, max(5, args.runs // 4))
    ratio = statistics.median(ours) / statistics.median(base)
    config_ratio = statistics.median(theirs) / statistics.median(ours)
    print(f"command: {' '.join(command)}")
    print(f"runs: {args.runs} alternating")
    print(f"baseline median: {statistics.median(base) * 1000:.1f} ms")
    print(f"status median:   {statistics.median(ours) * 1000:.1f} ms")
    print(f"ratio: {ratio:.2f}  (target <= 1.6, aim <= 1.3)")
    print(f"status median with both config files (20 keys each): {statistics.median(theirs) * 1000:.1f} ms")
    print(f"config ratio: {config_ratio:.3f}  (with / without config files; target <= 1.05)")
    print(f"config.load of both files, in-process median: {loading:.2f} ms "
          f"({loading / (statistics.median(ours) * 1000) * 100:.1f}% of a status run, if status needed a key)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
