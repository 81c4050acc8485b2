"""What the benchmarks share: the command under test, the baseline, one timed run, bulk-loaded
sessions, and the folder (with its environment) that the bigger ones build in."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parent.parent / "src"

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


@contextmanager
def workdir(keep: str | None, prefix: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """(folder, environment) to build and run in: `keep` (--keep DIR), left in place, else a
    temporary folder, removed afterwards. The environment configures git there and puts this
    checkout's sess first; pip compiles a package's bytecode when it installs it, so
    PYTHONDONTWRITEBYTECODE is dropped (it would recompile sess on every run and measure that)."""
    root = Path(keep or tempfile.mkdtemp(prefix=prefix))
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    (root / "gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
    env.update(GIT_CONFIG_GLOBAL=str(root / "gitconfig"), GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")])))
    try:
        yield root, env
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def verdict(ok: bool) -> int:
    """The last line, and the exit status: 0 when every target was met."""
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1
