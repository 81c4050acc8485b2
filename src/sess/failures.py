"""What the machine refused, said in one line: a damaged or read-only database, a full disk, a state
directory sess cannot write, a current directory that is gone.

`explain` turns an exception from sqlite3 or the operating system into the `StoreError` that says
the right cause (and never the advice to move a database aside unless the file really is not one);
None when it is not one of those. `cli` asks it before treating anything as an unexpected failure,
and `Store.open` for what opening the database raised.
"""

from __future__ import annotations

import errno
import os

from sess.errors import SessError, StoreError

NOT_A_DATABASE_HINT = "Move the file aside; sess never overwrites it."


def explain(exc: BaseException, db_path: str | None = None) -> SessError | None:
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        from sess.state import db_path as default_db_path

        return database_error(exc, db_path or default_db_path())
    if isinstance(exc, FileNotFoundError) and not exc.filename and _cwd_gone():
        return SessError("the current directory no longer exists (it was deleted or moved)",
                         "cd into an existing directory, then run the command again.")
    if isinstance(exc, OSError):
        return os_error(exc)
    return None


def _cwd_gone() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


def database_error(exc: BaseException, path: str) -> StoreError:
    name = str(getattr(exc, "sqlite_errorname", ""))
    said = str(exc)
    folder = os.path.dirname(path) or "."
    if name == "SQLITE_NOTADB" or "file is not a database" in said:
        return StoreError(f"{path} is not a usable sess database ({said})", NOT_A_DATABASE_HINT)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in said:
        return StoreError(f"the database {path} is damaged ({said}); it was left as it is",
                          f"'sess doctor' says more. Keep a copy, then recover it: sqlite3 {path} .recover")
    if name.startswith("SQLITE_READONLY") or "readonly database" in said:
        return StoreError(f"the database {path} cannot be written: it (or {folder}) is read-only",
                          f"Give yourself write access (chmod u+w {path}; chmod u+rwx {folder}), then try again.")
    if name == "SQLITE_FULL" or "disk is full" in said:
        return StoreError(f"the disk holding {path} is full; nothing more could be recorded",
                          "Free some space, then run the command again (an unfinished end: 'sess end --continue').")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in said:
        return StoreError(f"the database {path} cannot be opened ({said})",
                          f"Check that {folder} exists and that you may read and write in it.")
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in said:
        return StoreError(f"the database {path} cannot be read or written ({said})",
                          "Check the disk (free space, a read-only mount, a failing device), then try again.")
    if name.startswith("SQLITE_PERM") or "permission" in said.lower():
        return StoreError(f"the database {path} cannot be written: {said}",
                          f"Give yourself write access to {path} and {folder}, then try again.")
    return StoreError(f"the database {path} cannot be used ({said})", "'sess doctor' says more.")


def os_error(exc: OSError) -> SessError | None:
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return SessError(f"no space left to write{where} ({exc.strerror})",
                         "Free some space, then run the command again (an unfinished end: 'sess end --continue').")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR):
        return SessError(f"cannot write{where}: {exc.strerror}",
                         "Make it writable (or point SESS_HOME at a folder you can write), then try again.")
    return None
