"""The team's records: what `sess sync` writes of your sessions, and teammates' records as it
read them from origin, kept in tables of their own (team_refs, team_sessions) so that the Go
tool's tables and your own analytics stay as they were."""

from __future__ import annotations

import os

from sess.records import NamedTuple
from sess.rules import Session
from sess.state import state_dir
from sess.store.rows import SESSION_COLUMNS, session_from_row

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.store.core import Store


class TeamRecord(NamedTuple):
    """One session of someone's, as read from their ref (checked and cleaned by sess.sync)."""

    uuid: str
    actor_hash: str
    device: str
    actor_name: str
    actor_email: str
    branch: str
    branch_type: str
    issue_tracker: str | None
    issue_id: str | None
    issue_title: str | None
    pr_number: int | None
    pr_url: str | None
    state: str
    outcome: str | None
    start_epoch: float
    end_epoch: float | None
    elapsed_s: int
    slices: list[tuple[float, float | None]]
    blob: str  # the git blob it was read from, so an unchanged one is not read again
    ref: str = ""
    synced_epoch: float | None = None  # the time of its ref's tip: when its author last synced


_RECORD_COLUMNS = ("uuid, actor_hash, device, actor_name, actor_email, branch, branch_type, issue_tracker, "
                   "issue_id, issue_title, pr_number, pr_url, state, outcome, start_epoch, end_epoch, elapsed_s, "
                   "slices, blob")


def live_elapsed(record: TeamRecord, now: float) -> int:
    """A record's elapsed seconds with its running slice, if any, counted up to `now`."""
    if record.state != "active":
        return record.elapsed_s
    running = [start for start, end in record.slices if end is None]
    return record.elapsed_s + (max(0, int(now - running[-1])) if running else 0)


# --- who you were at the last sync ---------------------------------------------------------------

def _identity_file() -> str:
    return os.path.join(state_dir(), "sync-identity.json")


def last_identity(top: str) -> tuple[str, str] | None:
    """(user.name, user.email) that the last sync in `top` wrote records as, so that `sess team`
    knows which records are yours without asking git (it is held to `sess status`'s budget)."""
    try:
        with open(_identity_file(), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    found = _json_rows("SELECT json_extract(value, '$.name'), json_extract(value, '$.email') FROM json_each(?) "
                       "WHERE key = ? AND json_type(value) = 'object'", text, top)
    if found and isinstance(found[0][0], str) and isinstance(found[0][1], str):
        return found[0][0], found[0][1]
    return None


def _json_rows(sql: str, *params: object) -> list[tuple[object, ...]]:
    """`sql` over JSON text, read by SQLite's JSON functions: the json module (with the re it
    loads) would cost `sess team`, held to status's budget, a fifth of it. [] when it is not JSON."""
    import sqlite3

    try:
        with sqlite3.connect(":memory:") as conn:
            return conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []


def keep_identity(top: str, name: str, email: str) -> None:
    """Record who synced in `top` (written only when it changed)."""
    import json

    if last_identity(top) == (name, email):
        return
    path = _identity_file()
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    data[top] = {"name": name, "email": email}
    partial = f"{path}.{os.getpid()}.partial"
    try:
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(partial, path)
    except OSError:
        pass  # only a shortcut: `sess team` then asks git


# --- your own sessions, as sync writes them ---------------------------------------------------------

def own_sessions(store: Store, project_ids: list[int], *, open_only: bool = False,
                 ) -> list[tuple[str, Session, list[tuple[float, float | None]]]]:
    """(uuid, session, slices as epochs) of every session of these projects (`open_only`: of
    the active and paused ones)."""
    if not project_ids:
        return []
    marks = ", ".join("?" for _ in project_ids)
    which = " AND s.state IN ('active', 'paused')" if open_only else ""
    conn = store.conn
    slices: dict[int, list[tuple[float, float | None]]] = {}
    for session_id, start, end in conn.execute(
            f"""SELECT l.session_id, l.start_epoch, l.end_epoch FROM session_slices l
                JOIN sessions s ON s.id = l.session_id WHERE s.project_id IN ({marks}){which}
                ORDER BY l.session_id, l.start_epoch, l.id""", project_ids):
        slices.setdefault(session_id, []).append((start, end))
    rows = conn.execute(f"SELECT s.uuid, {SESSION_COLUMNS} FROM sessions s WHERE s.project_id IN ({marks}) "
                        f"AND s.uuid IS NOT NULL{which} ORDER BY s.id", project_ids).fetchall()
    return [(row[0], session := session_from_row(row[1:]), slices.get(session.id, [])) for row in rows]


def tracked_paths(store: Store) -> list[tuple[int, str]]:
    return list(store.conn.execute("SELECT id, path FROM projects WHERE is_active = 1 ORDER BY id"))


# --- teammates' records ------------------------------------------------------------------------------

def ref_tips(store: Store, project_id: int) -> dict[str, str]:
    """Each ref's tip when it was last read."""
    return dict(store.conn.execute("SELECT ref, tip FROM team_refs WHERE project_id = ?", (project_id,)))


def ref_blobs(store: Store, project_id: int, ref: str) -> dict[str, str]:
    """uuid -> blob of the records read from `ref`."""
    return dict(store.conn.execute("SELECT uuid, blob FROM team_sessions WHERE project_id = ? AND ref = ?",
                                   (project_id, ref)))


def apply_ref(store: Store, project_id: int, ref: str, tip: str, tip_epoch: float | None,
              records: list[TeamRecord], gone: list[str]) -> None:
    """What one ref now holds: `records` new or changed, `gone` (uuids) no longer there. A record
    with the uuid of one of this device's own sessions is not kept: the session counts once."""
    import json

    local = _local_uuids(store, [record.uuid for record in records])
    records = [record for record in records if record.uuid not in local]
    with store.transaction() as conn:
        if gone:
            conn.executemany("DELETE FROM team_sessions WHERE project_id = ? AND ref = ? AND uuid = ?",
                             [(project_id, ref, uuid) for uuid in gone])
        conn.executemany(
            f"""INSERT OR REPLACE INTO team_sessions (project_id, ref, {_RECORD_COLUMNS})
                VALUES (?, ?, {", ".join("?" for _ in range(19))})""",
            [(project_id, ref, *record[:17], json.dumps(record.slices), record.blob) for record in records])
        conn.execute("INSERT OR REPLACE INTO team_refs (project_id, ref, tip, tip_epoch) VALUES (?, ?, ?, ?)",
                     (project_id, ref, tip, tip_epoch))


def _local_uuids(store: Store, uuids: list[str]) -> set[str]:
    found: set[str] = set()
    for first in range(0, len(uuids), 500):
        chunk = uuids[first:first + 500]
        found.update(row[0] for row in store.conn.execute(
            f"SELECT uuid FROM sessions WHERE uuid IN ({', '.join('?' for _ in chunk)})", chunk))
    return found


def forget_refs(store: Store, project_id: int, refs: list[str]) -> None:
    """Refs no longer on origin: their records go with them."""
    if not refs:
        return
    with store.transaction() as conn:
        for ref in refs:
            conn.execute("DELETE FROM team_sessions WHERE project_id = ? AND ref = ?", (project_id, ref))
            conn.execute("DELETE FROM team_refs WHERE project_id = ? AND ref = ?", (project_id, ref))


def _record(row: tuple[object, ...], slices: dict[tuple[object, object], list[tuple[float, float | None]]],
            ) -> TeamRecord:
    values = list(row)
    values[17] = slices.get((values[19], values[0]), [])  # by ref and uuid
    return TeamRecord(*values)  # type: ignore[arg-type]


def records(store: Store, project_id: int, ended_since: float | None = None) -> list[TeamRecord]:
    """Open records of this project, newest first; with `ended_since`, also those ended since then."""
    where = "t.project_id = ? AND (t.state IN ('active', 'paused')"
    params: list[object] = [project_id]
    # The few open ones straight from their index (not a walk of every record in start order).
    source = "team_sessions t INDEXED BY idx_team_sessions_open"
    if ended_since is not None:
        where += " OR COALESCE(t.end_epoch, t.start_epoch) >= ?"
        params.append(ended_since)
        source = "team_sessions t"
    rows = store.conn.execute(
        f"""SELECT {", ".join("t." + c.strip() for c in _RECORD_COLUMNS.split(","))}, t.ref, r.tip_epoch
            FROM {source} LEFT JOIN team_refs r ON r.project_id = t.project_id AND r.ref = t.ref
            WHERE {where}) ORDER BY t.start_epoch DESC, t.uuid""", params).fetchall()
    return _with_slices(store, rows, source, f"{where})", params)


def open_on_issue(store: Store, project_id: int, issue_id: str) -> list[TeamRecord]:
    """Everyone's open records on this issue, as of the last sync, longest-running first."""
    rows = store.conn.execute(
        f"""SELECT {", ".join("t." + c.strip() for c in _RECORD_COLUMNS.split(","))}, t.ref, r.tip_epoch
            FROM team_sessions t LEFT JOIN team_refs r ON r.project_id = t.project_id AND r.ref = t.ref
            WHERE t.project_id = ? AND t.issue_id = ? AND t.state IN ('active', 'paused')
            ORDER BY t.start_epoch, t.uuid""", (project_id, issue_id)).fetchall()
    return _with_slices(store, rows, "team_sessions t", "t.project_id = ? AND t.issue_id = ? "
                        "AND t.state IN ('active', 'paused')", [project_id, issue_id])


def _with_slices(store: Store, rows: list[tuple[object, ...]], source: str, where: str,
                 params: list[object]) -> list[TeamRecord]:
    """The records of `rows` (read FROM `source` WHERE `where`) with their slices, [[start, end],
    ...] as apply_ref wrote them, taken apart by SQLite rather than json: `sess team` is held to
    status's budget, which json's import (with the re it loads) would cost a fifth of. A column
    that is not JSON gives no slices."""
    import sqlite3

    slices: dict[tuple[object, object], list[tuple[float, float | None]]] = {}
    if rows:
        try:
            for ref, uuid, start, end in store.conn.execute(
                    f"""SELECT t.ref, t.uuid, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')
                        FROM {source}, json_each(CASE WHEN json_valid(t.slices) THEN t.slices ELSE '[]' END) j
                        WHERE {where} AND json_type(j.value) = 'array'
                        ORDER BY t.ref, t.uuid, j.key""", params):
                if isinstance(start, (int, float)) and (end is None or isinstance(end, (int, float))):
                    slices.setdefault((ref, uuid), []).append((float(start), None if end is None else float(end)))
        except sqlite3.Error:
            pass
    return [_record(row, slices) for row in rows]
