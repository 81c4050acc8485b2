"""Issue 15 item 11: a damaged, read-only or unreachable database, a full disk, a state directory
sess cannot write, a deleted current directory: one clear line each, the right cause, nothing moved."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner


def first_error(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("Error: "))


def test_a_damaged_database_page_is_named_and_the_file_left_alone(sess: SessRunner, repo: Repo,
                                                                  db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    data = bytearray(db_path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 3 * page
    data[page:] = b"\xff" * (len(data) - page)  # every page but the first (the schema) is garbage
    db_path.write_bytes(bytes(data))
    before = db_path.read_bytes()
    r = sess("status")
    assert r.code == 1, r
    assert "Traceback" not in r.err and "unexpected failure" not in r.err, r
    line = first_error(r.err)
    assert line.startswith(f"Error: the database {db_path} is damaged ("), r
    assert "Move the file aside" not in r.err
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_still_told_to_move_aside(sess: SessRunner, repo: Repo,
                                                                   db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"not sqlite at all, " * 300)
    r = sess("status")
    assert r.code == 1, r
    assert first_error(r.err).startswith(f"Error: {db_path} is not a usable sess database"), r
    assert "Move the file aside" in r.err


def test_a_state_directory_that_cannot_be_made(sess: SessRunner, repo: Repo, env: dict[str, str],
                                               tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env["SESS_HOME"] = str(blocker / "sess")  # a directory inside a file: refused even to root
    r = sess("start", "x", "--no-issue")
    assert r.code == 1, r
    assert "unexpected failure" not in r.err and "Traceback" not in r.err, r
    assert first_error(r.err).startswith("Error: cannot create "), r
    assert repo.current_branch() == "main"


def test_config_trust_with_a_state_directory_it_cannot_write(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                             tmp_path: Path) -> None:
    (repo.path / ".sess.toml").write_text('[hooks]\npost-start = "echo hi"\n')
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env["SESS_HOME"] = str(blocker / "sess")
    r = sess("config", "trust")
    assert r.code == 1, r
    assert "unexpected failure" not in r.err and "Traceback" not in r.err, r
    line = first_error(r.err)
    assert line.startswith("Error: cannot record the trust") and "Not a directory" in line, r


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_database(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    db_path.chmod(0o400)
    try:
        r = sess("pause")
    finally:
        db_path.chmod(0o600)
    assert r.code == 1, r
    assert "read-only" in first_error(r.err) and "Move the file aside" not in r.err, r


def test_a_deleted_current_directory(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = ("import os, sys, runpy; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
              "sys.argv = ['sess', 'status']; runpy.run_module('sess', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", script, str(gone)], env=sess.env, capture_output=True, text=True,
                       timeout=30, check=False)
    assert r.returncode == 1, r
    assert r.stderr.startswith("Error: the current directory no longer exists"), r.stderr


def test_a_full_disk_during_end(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    size = db_path.stat().st_size
    wal = db_path.with_name("sess.db-wal")
    limit = max(size, wal.stat().st_size if wal.exists() else 0) + 4096

    def small_disk() -> None:  # files may not grow past this: what a full disk looks like to sess
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    big = "x" * 100_000  # the journal row holds the plan: more than the limit lets the WAL take
    r = subprocess.run(sess.argv("end", "--summary", big, "--notes", big, "--no-pr"), cwd=repo.path, env=sess.env,
                       capture_output=True, text=True, timeout=60, check=False, preexec_fn=small_disk)
    assert r.returncode == 1, r
    assert "unexpected failure" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    line = first_error(r.stderr)
    assert line.endswith("(disk I/O error)") or " is full" in line or "no space left" in line, r.stderr
    assert "Move the file aside" not in r.stderr
    status = sess("status", check=0)  # the history is intact and the session still open
    assert status.out.splitlines()[1].startswith("Session active"), status
