"""The store's read side for history, stats and report: the analytics SQL.

Everything is aggregated in SQLite on indexes (migration 0009_analytics_indexes): `stats --all`
is one pass over a small covering index plus per-project work, the longest session and the first
and last start are read off the ends of indexes, and `history` reads only the rows it shows. A
period reads only the slices and sessions that reach into it.

Time in a period comes from the recorded slices (`session_slices`), each clipped to the period:
`max(0, min(end, until) - max(start, since))`. A running slice ends now. What the slices do not
account for (sessions written by the Go tool, which keeps no slices, or time recorded before
sess took over an open session) counts as one stretch from the session's start lasting the
unaccounted part of `total_elapsed`; a running slice the Go tool began counts from
`current_slice_start` to now.

One total (SPEC Part 3): a session's time is the time of its own slices in whole seconds, rounded
down (as `status` shows it), a project's the sum of its sessions', and the time across projects
the sum of the projects'; `status`, `stats`, `report` and `export` all count it so. An export
row's seconds are what its session's rows reach by its end, rounded down, less what they reached
before it: each row within a second of its length, a session's rows adding up to its total.
Slices of two projects that share wall-clock time (recorded while time.exclusive was off, by the
Go tool, or imported) count in both: with time.exclusive on, sess records no such slices (a clock
starts where the other stops; `--at`, `amend` and `undo` keep it so), and counting a moment once
would have to take it from one of them, making a project's total depend on the other projects
and on the scope it is looked at in.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sess import rules, timestamps
from sess.errors import StoreError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import PROJECT_COLUMNS, PROJECT_WIDTH, SESSION_COLUMNS, Store, project_from_row, session_from_row

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

# Open ends of a period, as bounds that compare like infinities with any real epoch.
_NEVER_BEFORE = -1e18
_NEVER_AFTER = 1e18
# Unaccounted time below this is rounding between total_elapsed and the slice epochs.
_UNACCOUNTED_MIN_S = 1.0

# Word for word the condition of the partial index idx_sessions_with_pr, so that it is used.
_HAS_PR = "(pr_number IS NOT NULL OR pr_url <> '')"
# A period's few clipped sessions drive the join (CROSS JOIN fixes the order), not every project's.
_CLIPPED = "temp.clipped c CROSS JOIN sessions s ON s.id = c.session_id CROSS JOIN projects p ON p.id = s.project_id"
_RUNNING_S = "MAX(0, :now - COALESCE(sess_epoch(s.current_slice_start), :now))"
# A piece's length inside the period in whole microseconds (what the timestamps hold), so that
# sums are exact whichever order they are taken in.
_MICROSECONDS = "CAST(round((MIN(b, :until) - MAX(a, :since)) * 1e6) AS INTEGER)"

# A CTE whose subqueries must run once, not once for each place that reads it (SQLite >= 3.35;
# an older one runs them again, which is slower, not wrong).
_MATERIALIZED = "MATERIALIZED" if sqlite3.sqlite_version_info >= (3, 35) else ""

_FORMULA = r"(?:^|,)[=+\-@\t]"  # compiled on first use (re caches it), not by every import


class Scope(NamedTuple):
    """Which sessions: one project's or every tracked project's, and optionally a period."""

    project_id: int | None  # None: every tracked project
    since: float | None = None  # epoch seconds, inclusive
    until: float | None = None  # epoch seconds, exclusive

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None


class Entry(NamedTuple):
    """A session with its project and its elapsed seconds (inside the period, if there is one)."""

    session: Session
    project: Project
    elapsed_s: float
    full_elapsed_s: float


class ProjectTotal(NamedTuple):
    project: Project
    sessions: int
    elapsed_s: float
    active: int
    paused: int
    ended: int
    with_pr: int
    first_start: float | None
    last_start: float | None
    cancelled: int = 0  # ended by `sess cancel` (counted in `ended` too: the state stays ended)


class Totals(NamedTuple):
    sessions: int
    elapsed_s: float
    active: int
    paused: int
    ended: int
    with_pr: int
    first_start: datetime | None
    last_start: datetime | None
    longest: Entry | None
    by_project: list[ProjectTotal]  # most time first
    cancelled: int = 0


class Reports:
    """Queries over one scope at one moment `now`."""

    def __init__(self, store: Store, scope: Scope, now: datetime) -> None:
        self.conn = store.conn
        self.scope = scope
        self.moment = now
        self.now = now.timestamp()
        self.conn.create_function("sess_epoch", 1, timestamps.epoch, deterministic=True)
        _sync_start_epochs(store)
        self._clipped = False

    # -- the pieces of SQL every query shares --

    def _params(self) -> dict[str, Any]:
        scope = self.scope
        return {
            "now": self.now, "project": scope.project_id,
            "since": scope.since if scope.since is not None else _NEVER_BEFORE,
            "until": scope.until if scope.until is not None else _NEVER_AFTER,
        }

    def _in_scope(self) -> str:
        """Condition on `s` (sessions) and `p` (its project) for the scope's projects."""
        return "s.project_id = :project" if self.scope.project_id is not None else "p.is_active = 1"

    def _pieces(self, texts: bool = False) -> str:
        """`WITH pieces(sid, a, b)`: every stretch of time (epoch seconds) that reaches into the period;
        with `texts`, also (ta, tb): the stored timestamps of a and b where there are any."""
        def ta(columns: str) -> str:
            return f", {columns}" if texts else ""

        since, until = self.scope.since is not None, self.scope.until is not None
        before_until = " AND sl.start_epoch < :until" if until else ""
        closed = ("sl.end_epoch > :since" if since else "sl.end_epoch IS NOT NULL") + before_until
        remainder_where = (("s.start_epoch + s.total_elapsed / 1e9 > :since" if since else "1")
                           + (" AND s.start_epoch < :until" if until else ""))
        # Where a session the Go tool paused or ended stopped (its open slice stops there too).
        stopped = "COALESCE(sess_epoch(COALESCE(s.pause_time, s.end_time)), {start})"
        closed_s = """COALESCE((SELECT SUM(c.end_epoch - c.start_epoch) FROM session_slices c
                                 WHERE c.session_id = s.id AND c.end_epoch IS NOT NULL), 0)"""
        return f"""
            WITH pieces(sid, a, b{ta("ta, tb")}) AS (
                -- recorded slices that ended inside or after the period's start
                SELECT sl.session_id, sl.start_epoch, sl.end_epoch{ta("sl.start_time, sl.end_time")}
                FROM session_slices sl WHERE {closed}
                UNION ALL
                -- the running slice, from current_slice_start when the Go tool paused and resumed the
                -- session since sess began the slice (the time between is in total_elapsed)
                SELECT sid, a, :now{ta("CASE WHEN a = e THEN t END, NULL")} FROM (
                    SELECT sl.session_id AS sid, sl.start_epoch AS e, sl.start_time AS t,
                           CASE WHEN s.current_slice_start IS NULL OR s.current_slice_start = sl.start_time
                                THEN sl.start_epoch
                                ELSE MAX(sl.start_epoch, COALESCE(sess_epoch(s.current_slice_start), sl.start_epoch))
                           END AS a
                    FROM session_slices sl JOIN sessions s ON s.id = sl.session_id
                    WHERE sl.end_epoch IS NULL AND s.state = 'active'{before_until})
                UNION ALL
                -- a slice left open by a session the Go tool since paused or ended: it stops where
                -- the session did, and holds no more than total_elapsed leaves beyond the closed slices
                SELECT sl.session_id, sl.start_epoch,
                       MIN({stopped.format(start="sl.start_epoch")},
                           sl.start_epoch + MAX(0, s.total_elapsed / 1e9 - {closed_s}))
                       {ta("sl.start_time, NULL")}
                FROM session_slices sl JOIN sessions s ON s.id = sl.session_id
                WHERE sl.end_epoch IS NULL AND s.state <> 'active'{before_until}
                UNION ALL
                -- a running slice the Go tool began, without a slice row
                SELECT s.id, sess_epoch(s.current_slice_start), :now{ta("NULL, NULL")} FROM sessions s
                WHERE s.state = 'active' AND NOT EXISTS (
                    SELECT 1 FROM session_slices o WHERE o.session_id = s.id AND o.end_epoch IS NULL)
                UNION ALL
                -- completed time no slice accounts for (the slice left open above included), from the
                -- session's start
                SELECT id, start_epoch, start_epoch + rest{ta("NULL, NULL")} FROM (
                    SELECT s.id, s.start_epoch, s.total_elapsed / 1e9 - COALESCE((
                        SELECT SUM(COALESCE(c.end_epoch, CASE WHEN s.state = 'active' THEN c.start_epoch
                                                              ELSE {stopped.format(start="c.start_epoch")} END)
                                   - c.start_epoch)
                        FROM session_slices c WHERE c.session_id = s.id), 0) AS rest
                    FROM sessions s WHERE {remainder_where}
                ) WHERE rest > {_UNACCOUNTED_MIN_S}
            )"""

    def _clip(self) -> None:
        """Fill temp.clipped(session_id, secs) with each session that has time inside the period:
        that time in whole seconds, rounded down (0 for less than a second)."""
        if self._clipped:
            return
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS clipped (session_id INTEGER PRIMARY KEY, secs REAL)")
        self.conn.execute("DELETE FROM temp.clipped")
        self.conn.execute(
            f"""{self._pieces()}
            INSERT INTO temp.clipped (session_id, secs)
            SELECT sid, us / 1000000 FROM (
                SELECT sid, SUM({_MICROSECONDS}) AS us FROM pieces
                WHERE a IS NOT NULL AND b IS NOT NULL AND MIN(b, :until) > MAX(a, :since) GROUP BY sid
            ) WHERE us > 0
            """,
            self._params(),
        )
        self._clipped = True

    def stretches(self) -> list[tuple[float, float]]:
        """Every stretch of time in the scope, clipped to the period: (start, end) epochs, oldest first."""
        return [(float(a), float(b)) for a, b in self.conn.execute(
            f"""{self._pieces()}
            SELECT MAX(x.a, :since) AS a2, MIN(x.b, :until) AS b2
            FROM pieces x CROSS JOIN sessions s ON s.id = x.sid CROSS JOIN projects p ON p.id = s.project_id
            WHERE {self._in_scope()} AND x.a IS NOT NULL AND x.b IS NOT NULL AND MIN(x.b, :until) > MAX(x.a, :since)
            ORDER BY a2""",
            self._params())]

    def export_times(self) -> list[tuple[int, str, str, int]]:
        """Every stretch of time in the period, clipped to it, oldest first: (session id, start, end,
        seconds), the times ISO 8601 in local time with offset, to the microsecond.

        Hundreds of thousands of rows for a few years of history, so the times are made here in
        SQL and the sessions' own columns come once per session (`export_sessions`), not per row:
        a slice's stored timestamp (always sess's own `YYYY-MM-DD HH:MM:SS.ffffff+HH:MM`) only
        needs its `T`; any other moment (clipped, running, or from the Go tool's columns) is
        formatted by SQLite in local time, its offset from the difference of local and UTC days.
        """
        def iso(moment: str, raw: str, text: str) -> str:
            local = f"{moment}, 'unixepoch', 'localtime'"
            offset = f"CAST(round((julianday({local}) - julianday({moment}, 'unixepoch')) * 1440) AS INTEGER)"
            sign = "CASE WHEN m < 0 THEN '-' ELSE '+' END"
            formatted = (f"strftime('%Y-%m-%dT%H:%M:%f', {local}) || '000' || (SELECT printf('%s%02d:%02d', "
                         f"{sign}, abs(m) / 60, abs(m) % 60) FROM (SELECT {offset} AS m))")
            stored = f"replace({text}, ' ', 'T')"
            return f"CASE WHEN {moment} = {raw} AND {text} IS NOT NULL THEN {stored} ELSE {formatted} END"

        found = self.conn.execute(
            f"""{self._pieces(texts=True)}
            SELECT x.sid, {iso("x.a2", "x.a", "x.ta")}, {iso("x.b2", "x.b", "x.tb")}, {_MICROSECONDS}
            FROM (SELECT sid, a, b, ta, tb, MAX(a, :since) AS a2, MIN(b, :until) AS b2 FROM pieces
                  WHERE a IS NOT NULL AND b IS NOT NULL AND MIN(b, :until) > MAX(a, :since)) x
            ORDER BY x.a2, x.sid""",
            self._params())
        # Each row's whole seconds: what its session's rows reach by its end, less what they reached
        # before it (both rounded down), so that a session's rows add up to its total.
        reached: dict[int, int] = {}
        rows = []
        for sid, start, end, microseconds in found:
            before = reached.get(sid, 0)
            reached[sid] = upto = before + microseconds
            rows.append((sid, start, end, upto // 1_000_000 - before // 1_000_000))
        return rows

    _EXPORT_SESSION_COLUMNS = ("p.name", "p.path", "s.id", "s.branch", "COALESCE(s.branch_type, '')",
                               "ltrim(trim(COALESCE(s.issue_id, '')), '#')", "COALESCE(s.issue_title, '')",
                               "NULLIF(s.pr_number, '')")

    # A field that a spreadsheet would run as a formula (OWASP's CSV injection): at the start of
    # the line or after a comma (a field holding a comma is quoted by the caller anyway).
    def export_sessions(self, session_ids: set[int], csv_lines: bool = False) -> dict[int, Any]:
        """For the sessions of the scope among `session_ids`: project name and path, session id,
        branch, type, issue id and title, PR number (None without one).

        With `csv_lines`, each as the start of a CSV line ("a,b,...,h") made by SQLite, or None
        for a session with a field that needs quoting (a comma, a quote, a line break), which the
        caller quotes itself: a hundred thousand sessions are then one string each, not eight.
        """
        if self.scope.has_period or len(session_ids) < 1000:  # only those, not every session of the scope
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS export_ids (id INTEGER PRIMARY KEY)")
            self.conn.execute("DELETE FROM temp.export_ids")
            self.conn.executemany("INSERT INTO temp.export_ids (id) VALUES (?)", ((sid,) for sid in session_ids))
            source = "temp.export_ids e CROSS JOIN sessions s ON s.id = e.id"
        else:
            source = "sessions s"
        columns = self._EXPORT_SESSION_COLUMNS
        where = f"{source} CROSS JOIN projects p ON p.id = s.project_id WHERE {self._in_scope()}"
        if not csv_lines:
            return {row[0]: row[1:] for row in self.conn.execute(
                f"SELECT s.id, {', '.join(columns)} FROM {where}", self._params())}
        import re

        joined = " || ',' || ".join(f"COALESCE({column}, '')" for column in columns)
        commas = len(columns) - 1
        return {sid: line if line.count(",") == commas and '"' not in line and "\n" not in line
                and "\r" not in line and not re.search(_FORMULA, line) else None
                for sid, line in self.conn.execute(f"SELECT s.id, {joined} FROM {where}", self._params())}

    # -- stats --

    def totals(self) -> Totals:
        rows = self._project_totals()
        sessions = sum(row.sessions for row in rows)
        if self.scope.has_period:
            starts = [row.first_start for row in rows if row.first_start is not None]
            ends = [row.last_start for row in rows if row.last_start is not None]
            first, last = (min(starts) if starts else None), (max(ends) if ends else None)
        else:
            first, last = self._first_last_start()
        return Totals(
            sessions=sessions,
            elapsed_s=sum(row.elapsed_s for row in rows),
            active=sum(row.active for row in rows), paused=sum(row.paused for row in rows),
            ended=sum(row.ended for row in rows), with_pr=sum(row.with_pr for row in rows),
            first_start=_local(first), last_start=_local(last),
            longest=self._longest() if sessions else None,
            by_project=rows,
            cancelled=sum(row.cancelled for row in rows),
        )

    def _project_totals(self) -> list[ProjectTotal]:
        """Per project: sessions, seconds, counts by state, with a PR; most time first."""
        scope = self._in_scope()
        if self.scope.has_period:
            self._clip()
            sql = f"""
                SELECT {PROJECT_COLUMNS}, COUNT(*), TOTAL(c.secs),
                       TOTAL(s.state = 'active'), TOTAL(s.state = 'paused'), TOTAL(s.state = 'ended'),
                       TOTAL({_HAS_PR}), MIN(s.start_epoch), MAX(s.start_epoch), TOTAL(s.outcome = 'cancelled')
                FROM {_CLIPPED}
                WHERE {scope}
                GROUP BY p.id ORDER BY TOTAL(c.secs) DESC, p.name, p.id"""
        else:
            # Each project's range of idx_sessions_totals read by a subquery of its own, which
            # SQLite runs in two thirds of the time of one GROUP BY over every row (issue 18: 100,000
            # sessions); the state counts from the few open sessions (idx_sessions_state), PRs
            # counted on the partial idx_sessions_with_pr, the running slices of the active ones
            # added (each session's whole seconds, as status shows them: the rounding is per session).
            where = "AND s.project_id = :project" if self.scope.project_id is not None else ""
            tracked = "" if self.scope.project_id is not None else "WHERE p.is_active = 1"
            projects = "p.id = :project" if self.scope.project_id is not None else "p.is_active = 1"
            sql = f"""
                WITH counted AS {_MATERIALIZED} (
                    -- a subquery gives one value: the count and the seconds as a JSON pair
                    SELECT p.id AS project_id, (
                        SELECT json_array(COUNT(*), COALESCE(SUM(s.total_elapsed / 1000000000), 0))
                        FROM sessions s WHERE s.project_id = p.id) AS pair
                    FROM projects p WHERE {projects}
                ), open AS (
                    SELECT s.project_id, TOTAL(s.state = 'active') AS active, TOTAL(s.state = 'paused') AS paused
                    FROM sessions s WHERE s.state IN ('active', 'paused') {where} GROUP BY s.project_id
                ), prs AS (
                    SELECT s.project_id, COUNT(*) AS n FROM sessions s
                    WHERE {_HAS_PR} {where} GROUP BY s.project_id
                ), cancelled AS (
                    SELECT s.project_id, COUNT(*) AS n FROM sessions s
                    WHERE s.outcome = 'cancelled' {where} GROUP BY s.project_id
                ), running AS (
                    SELECT s.project_id,
                           TOTAL(CAST(s.total_elapsed / 1e9 + {_RUNNING_S} AS INTEGER) - s.total_elapsed / 1000000000)
                           AS secs
                    FROM sessions s WHERE s.state = 'active' {where} GROUP BY s.project_id
                ), projected AS (
                    SELECT project_id, n, secs, active, paused, n - active - paused AS ended FROM (
                        SELECT c.project_id, json_extract(c.pair, '$[0]') AS n,
                               json_extract(c.pair, '$[1]') AS secs,
                               COALESCE(o.active, 0) AS active, COALESCE(o.paused, 0) AS paused
                        FROM counted c LEFT JOIN open o ON o.project_id = c.project_id
                    ) WHERE n > 0
                )
                SELECT {PROJECT_COLUMNS}, x.n, x.secs + COALESCE(r.secs, 0), x.active, x.paused, x.ended,
                       COALESCE(q.n, 0), NULL, NULL, COALESCE(c.n, 0)
                FROM projected x JOIN projects p ON p.id = x.project_id
                LEFT JOIN prs q ON q.project_id = x.project_id LEFT JOIN running r ON r.project_id = x.project_id
                LEFT JOIN cancelled c ON c.project_id = x.project_id
                {tracked}
                ORDER BY x.secs + COALESCE(r.secs, 0) DESC, p.name, p.id"""
        return [_project_total(row) for row in self.conn.execute(sql, self._params())]

    def _first_last_start(self) -> tuple[float | None, float | None]:
        if self.scope.project_id is not None:
            row = self.conn.execute(
                """SELECT (SELECT MIN(start_epoch) FROM sessions WHERE project_id = :project),
                          (SELECT MAX(start_epoch) FROM sessions WHERE project_id = :project)""",
                self._params()).fetchone()
            return row[0], row[1]
        # Walk idx_sessions_start_epoch from either end to the first session of a tracked project.
        edge = """SELECT s.start_epoch FROM sessions s CROSS JOIN projects p ON p.id = s.project_id
                  WHERE p.is_active = 1 AND s.start_epoch IS NOT NULL ORDER BY s.start_epoch {} LIMIT 1"""
        first = self.conn.execute(edge.format("ASC")).fetchone()
        last = self.conn.execute(edge.format("DESC")).fetchone()
        return (first[0] if first else None), (last[0] if last else None)

    def _longest(self) -> Entry | None:
        columns = f"{PROJECT_COLUMNS}, {{secs}}, {SESSION_COLUMNS}"
        params = self._params()
        if self.scope.has_period:
            self._clip()
            row = self.conn.execute(
                f"""SELECT {columns.format(secs='c.secs')}
                    FROM {_CLIPPED}
                    WHERE {self._in_scope()} ORDER BY c.secs DESC, s.id DESC LIMIT 1""", params).fetchone()
            return self._entry(row) if row else None
        # Completed time only grows by pausing or ending, so the longest is at the top of an
        # index on total_elapsed, unless an active session has since run past it.
        if self.scope.project_id is not None:
            probe = """SELECT * FROM (SELECT s.id, s.total_elapsed / 1e9 AS secs FROM sessions s
                       WHERE s.project_id = :project AND s.state = '{}' ORDER BY s.total_elapsed DESC LIMIT 1)"""
            candidates = f"{probe.format('ended')} UNION ALL {probe.format('paused')}"
        else:
            # CROSS JOIN keeps sessions the outer loop: walk idx_sessions_total_elapsed from the top.
            candidates = """SELECT * FROM (SELECT s.id, s.total_elapsed / 1e9 AS secs FROM sessions s
                            CROSS JOIN projects p ON p.id = s.project_id WHERE p.is_active = 1
                            AND s.state <> 'active' ORDER BY s.total_elapsed DESC, s.id DESC LIMIT 1)"""
        row = self.conn.execute(
            f"""WITH candidates(id, secs) AS (
                    {candidates}
                    UNION ALL
                    SELECT s.id, s.total_elapsed / 1e9 + {_RUNNING_S} FROM sessions s JOIN projects p
                    ON p.id = s.project_id WHERE s.state = 'active' AND {self._in_scope()}
                )
                SELECT {columns.format(secs='c.secs')} FROM candidates c JOIN sessions s ON s.id = c.id
                JOIN projects p ON p.id = s.project_id ORDER BY c.secs DESC, s.id DESC LIMIT 1""",
            params).fetchone()
        return self._entry(row) if row else None

    # -- history --

    def recent(self, limit: int) -> list[Entry]:
        """The `limit` sessions that started last (with time in the period, if there is one)."""
        params = {**self._params(), "limit": limit}
        if self.scope.has_period:
            self._clip()
            sql = f"""SELECT {PROJECT_COLUMNS}, c.secs, {SESSION_COLUMNS}
                      FROM {_CLIPPED}
                      WHERE {self._in_scope()} ORDER BY s.start_epoch DESC, s.id DESC LIMIT :limit"""
        else:
            # Sessions the outer loop: idx_sessions_start_epoch (or the project's) read from the top.
            sql = f"""SELECT {PROJECT_COLUMNS}, NULL, {SESSION_COLUMNS}
                      FROM sessions s CROSS JOIN projects p ON p.id = s.project_id
                      WHERE {self._in_scope()} ORDER BY s.start_epoch DESC, s.id DESC LIMIT :limit"""
        return [self._entry(row) for row in self.conn.execute(sql, params)]

    def count(self) -> int:
        """How many sessions the scope holds (with time in the period, if there is one)."""
        if self.scope.has_period:
            self._clip()
            sql = f"""SELECT COUNT(*) FROM {_CLIPPED} WHERE {self._in_scope()}"""
        elif self.scope.project_id is not None:
            sql = "SELECT COUNT(*) FROM sessions s WHERE s.project_id = :project"
        elif self.conn.execute("SELECT 1 FROM projects WHERE is_active = 0 LIMIT 1").fetchone() is None:
            sql = "SELECT COUNT(*) FROM sessions"  # every project tracked: SQLite counts pages, not rows
        else:
            sql = """SELECT COUNT(*) FROM sessions s
                     WHERE s.project_id IN (SELECT id FROM projects p WHERE p.is_active = 1)"""
        return int(self.conn.execute(sql, self._params()).fetchone()[0])

    def _entry(self, row: tuple[Any, ...]) -> Entry:
        project = project_from_row(row[:PROJECT_WIDTH])
        secs = row[PROJECT_WIDTH]  # the clipped seconds sit between the project and the session
        session = session_from_row(row[PROJECT_WIDTH + 1:])
        full = rules.elapsed_ns(session, self.moment) / rules.NS_PER_SECOND
        return Entry(session, project, full if secs is None else float(secs), full)


def _project_total(row: tuple[Any, ...]) -> ProjectTotal:
    n, secs, active, paused, ended, with_pr, first, last, cancelled = row[PROJECT_WIDTH:]
    return ProjectTotal(project_from_row(row[:PROJECT_WIDTH]), int(n), float(secs), int(active), int(paused),
                        int(ended), int(with_pr), first, last, int(cancelled))


def _local(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch).astimezone() if epoch is not None else None


def _sync_start_epochs(store: Store) -> None:
    """Fill start_epoch for rows the Go tool wrote since the last migration (none, usually)."""
    conn = store.conn
    pending = conn.execute("SELECT id, start_time FROM sessions WHERE start_epoch IS NULL").fetchall()
    updates = [(value, session_id) for session_id, start in pending
               if (value := timestamps.epoch(start)) is not None]
    if not updates:
        return
    try:
        with store.transaction():
            conn.executemany("UPDATE sessions SET start_epoch = ? WHERE id = ? AND start_epoch IS NULL", updates)
    except (sqlite3.OperationalError, StoreError):
        pass  # read-only or locked: those few rows sort last, everything else is right
