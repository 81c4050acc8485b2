"""What both benchmarks share: the command under test, the baseline, and one timed run."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# A bare interpreter importing what sess's prompt path needs at least.
BASELINE = [sys.executable, "-c", "import sqlite3, subprocess, json"]


def sess_command() -> list[str]:
    """The installed console script when it runs this interpreter, else `python -m sess`."""
    script = shutil.which("sess")
    if script:
        with open(script, encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
        if first.startswith("#!") and Path(first[2:].strip()).resolve() == Path(sys.executable).resolve():
            return [script]
    return [sys.executable, "-m", "sess"]


def timed(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def insert_rows(db: Path | str, projects: Sequence[Sequence[Any]], sessions: Sequence[Sequence[Any]],
                slices: Sequence[Sequence[Any]]) -> None:
    """Bulk-load generated projects, sessions and slices into a database that has sess's schema."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO projects (id, name, path, created_at, last_used_at, base_branch, is_active) "
                     "VALUES (?, ?, ?, ?, ?, ?, 1)", projects)
    conn.executemany(
        """INSERT INTO sessions (id, project_id, branch, issue_id, issue_title, state, start_time, pause_time,
               end_time, current_slice_start, total_elapsed, branch_type, pr_number, pr_url, start_epoch)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", sessions)
    conn.executemany("INSERT INTO session_slices (session_id, start_time, end_time, start_epoch, end_epoch) "
                     "VALUES (?, ?, ?, ?, ?)", slices)
    conn.execute("COMMIT")
    conn.close()
