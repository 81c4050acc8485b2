"""What both benchmarks share: the command under test, the baseline, and one timed run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

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
