"""The state directory's files: the database made private, locks across processes, busy errors."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sess.errors import SessError, StoreError
from sess.state import state_dir

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    pass

BUSY_TIMEOUT_S = 30.0


def busy(exc: sqlite3.Error) -> bool:
    """Still locked by another process once the busy timeout ran out."""
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def locked_error(path: str) -> StoreError:
    return StoreError(f"the database {path} stayed locked by another process for {BUSY_TIMEOUT_S:.0f}s",
                      "Try again once the other sess (or sqlite) process is done.")


def make_private_file(directory: str, path: str) -> None:
    """Create the state directory (0700) and an empty database file (0600), never replacing one."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from exc


@contextmanager
def project_lock(project_path: str, wait_s: float = BUSY_TIMEOUT_S) -> Iterator[None]:
    """Serialise workflows (start, pause, resume, end) on one repository across processes."""
    import fcntl
    import time
    import zlib  # not hashlib: loading OpenSSL costs start and end more than a lock name is worth

    locks = os.path.join(state_dir(), "locks")
    os.makedirs(locks, mode=0o700, exist_ok=True)
    key = project_path.encode()
    name = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}"
    with open(os.path.join(locks, f"{name}.lock"), "w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SessError("another sess command is working in this repository",
                                    "Wait for it to finish, then try again.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
