"""The store's part of `sess worklog`: the finished slices of sessions with an issue, and the
record of what was pushed to each tracker (table worklog_pushed)."""

from __future__ import annotations

from sess import timestamps
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.store.core import Store


class WorkedSlice(NamedTuple):
    session_id: int
    session_uuid: str
    project_id: int
    project_path: str
    issue_id: str
    issue_tracker: str  # github when the session did not record it (older rows)
    start_epoch: float
    end_epoch: float


class Pushed(NamedTuple):
    confirmed: int  # seconds the tracker has (its answer recorded)
    pending: int  # seconds sent without a recorded answer: unconfirmed


def worked_slices(store: Store, project_id: int | None, since: float | None, until: float | None,
                  session_id: int | None = None) -> list[WorkedSlice]:
    """Finished slices of sessions linked to an issue (this project's, or every tracked one's),
    that reach into [since, until); oldest first."""
    where = ["sl.end_epoch IS NOT NULL", "COALESCE(trim(s.issue_id), '') <> ''"]
    params: dict[str, object] = {}
    if project_id is not None:
        where.append("s.project_id = :project")
        params["project"] = project_id
    else:
        where.append("p.is_active = 1")
    if session_id is not None:
        where.append("s.id = :session")
        params["session"] = session_id
    if since is not None:
        where.append("sl.end_epoch > :since")
        params["since"] = since
    if until is not None:
        where.append("sl.start_epoch < :until")
        params["until"] = until
    rows = store.conn.execute(
        f"""SELECT s.id, COALESCE(s.uuid, ''), p.id, p.path, ltrim(trim(s.issue_id), '#'),
                   COALESCE(s.issue_tracker, 'github'), sl.start_epoch, sl.end_epoch
            FROM session_slices sl JOIN sessions s ON s.id = sl.session_id JOIN projects p ON p.id = s.project_id
            WHERE {' AND '.join(where)} ORDER BY sl.start_epoch, s.id""", params).fetchall()
    return [WorkedSlice(*row) for row in rows]


def pushed(store: Store, session_ids: set[int]) -> dict[tuple[int, str], Pushed]:
    """What the record says was pushed, per (session, day)."""
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    rows = store.conn.execute(
        f"""SELECT session_id, day, TOTAL(CASE WHEN state = 'pushed' THEN seconds END),
                   TOTAL(CASE WHEN state = 'pending' THEN seconds END)
            FROM worklog_pushed WHERE session_id IN ({marks}) GROUP BY session_id, day""",
        sorted(session_ids)).fetchall()
    return {(sid, day): Pushed(int(done), int(pending)) for sid, day, done, pending in rows}


def begin_push(store: Store, session_id: int, day: str, seconds: int, tracker: str, issue_id: str) -> int:
    """Record an entry about to be sent (pending); its row id."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO worklog_pushed (session_id, day, seconds, tracker, issue_id, state, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (session_id, day, seconds, tracker, issue_id, timestamps.format_db(timestamps.now())))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def confirm_push(store: Store, row_id: int, remote_id: str | None) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE worklog_pushed SET state = 'pushed', remote_id = ? WHERE id = ?", (remote_id, row_id))


def forget_push(store: Store, row_id: int) -> None:
    """An entry the tracker refused: it was not sent."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM worklog_pushed WHERE id = ? AND state = 'pending'", (row_id,))


def drop_pending(store: Store, session_id: int, day: str) -> None:
    """Pending entries of a day, once the tracker said what it has (Jira's marker) or the user
    said to send them again (--retry)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM worklog_pushed WHERE session_id = ? AND day = ? AND state = 'pending'",
                     (session_id, day))


def settle(store: Store, session_id: int, day: str, tracker_has: int, tracker: str, issue_id: str) -> None:
    """The tracker's own sum for the day (Jira's marker looked up) is what counts as pushed: the
    pending entries go, and a row makes up any difference to the confirmed ones."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM worklog_pushed WHERE session_id = ? AND day = ? AND state = 'pending'",
                     (session_id, day))
        (confirmed,) = conn.execute(
            "SELECT TOTAL(seconds) FROM worklog_pushed WHERE session_id = ? AND day = ?",
            (session_id, day)).fetchone()
        if int(confirmed) != tracker_has:
            conn.execute(
                "INSERT INTO worklog_pushed (session_id, day, seconds, tracker, issue_id, state, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'pushed', ?)",
                (session_id, day, tracker_has - int(confirmed), tracker, issue_id,
                 timestamps.format_db(timestamps.now())))
