"""`--team` on history, stats and report: everyone's sessions of one project, yours from this
device (the sessions table) and everyone's from the last sync (team_sessions, yours from your
other devices among them), each session once (by uuid).

Both are gathered once into temp.everyone, on which every figure is one aggregate in SQLite.
Without a period a session counts its whole elapsed time (a running slice up to now); with one,
the time of its slices inside it: this device's clipped as `Reports` clips them, the team's
from the slices in their records.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sess import rules
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store.reports import Entry, Reports, Scope, Totals

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

    from sess.store import Store

# An active record's running slice: the last one, when it has no end.
_RUNNING_SINCE = "CASE WHEN json_type(t.slices, '$[#-1][1]') = 'null' THEN json_extract(t.slices, '$[#-1][0]') END"


class Person(NamedTuple):
    actor: str  # the actor hash (sess.sync.actor_hash of the e-mail)
    name: str
    email: str | None
    sessions: int
    elapsed_s: float
    you: bool


class TeamEntry(NamedTuple):
    entry: Entry
    person: str
    email: str | None
    you: bool
    uuid: str


class TeamReports:
    """The figures of `Reports` over temp.everyone, plus time by person."""

    def __init__(self, store: Store, project: Project, since: float | None, until: float | None,
                 now: datetime, me: tuple[str, str, str]) -> None:
        """`me`: (actor hash, name, e-mail) of the user here, for the sessions of this device."""
        self.store = store
        self.conn = store.conn
        self.project = project
        self.since, self.until = since, until
        self.moment = now
        self.now = now.timestamp()
        self.me = me
        self._gather()

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None

    def _gather(self) -> None:
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS temp.everyone")
        conn.execute("""CREATE TEMP TABLE everyone (
                            uuid TEXT, actor TEXT, person TEXT, email TEXT, local_id INTEGER, branch TEXT,
                            branch_type TEXT, issue_id TEXT, issue_title TEXT, state TEXT, outcome TEXT,
                            start_epoch REAL, end_epoch REAL, full REAL, secs REAL, pr_number INTEGER,
                            pr_url TEXT)""")
        params = {"project": self.project.id, "now": self.now, "actor": self.me[0], "name": self.me[1],
                  "email": self.me[2]}
        # Reports also gives the connection sess_epoch, and clips this device's slices to the period.
        mine = Reports(self.store, Scope(self.project.id, self.since, self.until), self.moment)
        if self.has_period:
            mine._clip()
            secs = "COALESCE((SELECT c.secs FROM temp.clipped c WHERE c.session_id = x.id), 0)"
        else:
            secs = "x.full"
        conn.execute(
            f"""INSERT INTO temp.everyone
                SELECT x.uuid, :actor, :name, :email, x.id, x.branch, x.branch_type, x.issue_id, x.issue_title,
                       x.state, x.outcome, x.start_epoch, NULL, x.full, {secs}, x.pr_number, x.pr_url
                FROM (SELECT s.uuid, s.id, s.branch, COALESCE(s.branch_type, '') AS branch_type,
                             NULLIF(ltrim(trim(COALESCE(s.issue_id, '')), '#'), '') AS issue_id, s.issue_title,
                             s.state, s.outcome, s.start_epoch, s.pr_number, s.pr_url,
                             s.total_elapsed / 1e9 + CASE WHEN s.state = 'active'
                                 THEN MAX(0, :now - COALESCE(sess_epoch(s.current_slice_start), :now)) ELSE 0 END
                             AS full
                      FROM sessions s WHERE s.project_id = :project) x""",
            params)
        conn.execute(
            f"""INSERT INTO temp.everyone
                SELECT t.uuid, t.actor_hash, t.actor_name, t.actor_email, NULL, t.branch, t.branch_type, t.issue_id,
                       t.issue_title, t.state, t.outcome, t.start_epoch, t.end_epoch,
                       t.elapsed_s + CASE WHEN t.state = 'active'
                           THEN MAX(0, :now - COALESCE({_RUNNING_SINCE}, :now)) ELSE 0 END,
                       NULL, t.pr_number, t.pr_url
                FROM team_sessions t
                WHERE t.project_id = :project AND NOT EXISTS (
                    SELECT 1 FROM sessions s WHERE s.uuid = t.uuid AND s.project_id = :project)""",
            params)
        if not self.has_period:
            conn.execute("UPDATE temp.everyone SET secs = full WHERE local_id IS NULL")
            return
        since = self.since if self.since is not None else -1e18
        until = self.until if self.until is not None else 1e18
        clipped = []
        for uuid, start, full, slices in conn.execute(
                """SELECT t.uuid, t.start_epoch, e.full, t.slices FROM temp.everyone e
                   JOIN team_sessions t ON t.project_id = :project AND t.uuid = e.uuid
                   WHERE e.local_id IS NULL AND t.start_epoch < :until""",
                {"project": self.project.id, "until": until}):
            clipped.append((_clip(start, full, slices, since, until, self.now), uuid))
        conn.executemany("UPDATE temp.everyone SET secs = ? WHERE uuid = ? AND local_id IS NULL", clipped)
        conn.execute("DELETE FROM temp.everyone WHERE secs IS NULL OR secs <= 0")

    # -- the figures --

    def totals(self) -> Totals:
        row = self.conn.execute(
            """SELECT COUNT(*), TOTAL(secs), TOTAL(state = 'active'), TOTAL(state = 'paused'),
                      TOTAL(state = 'ended'), TOTAL(pr_number IS NOT NULL OR pr_url <> ''), MIN(start_epoch),
                      MAX(start_epoch), TOTAL(outcome = 'cancelled')
               FROM temp.everyone""").fetchone()
        sessions = int(row[0])
        longest = self.longest() if sessions else None
        return Totals(sessions=sessions, elapsed_s=float(row[1]), active=int(row[2]), paused=int(row[3]),
                      ended=int(row[4]), with_pr=int(row[5]), first_start=_local(row[6]),
                      last_start=_local(row[7]), longest=longest.entry if longest else None, by_project=[],
                      cancelled=int(row[8]))

    def longest(self) -> TeamEntry | None:
        found = self._entries("ORDER BY secs DESC, start_epoch DESC LIMIT 1")
        return found[0] if found else None

    def by_person(self) -> list[Person]:
        """Time per person, most first; a person's name as on their latest session."""
        rows = self.conn.execute(
            """SELECT actor, (SELECT person FROM temp.everyone l WHERE l.actor = e.actor
                              ORDER BY l.start_epoch DESC LIMIT 1),
                      (SELECT email FROM temp.everyone l WHERE l.actor = e.actor
                              ORDER BY l.start_epoch DESC LIMIT 1), COUNT(*), TOTAL(secs)
               FROM temp.everyone e GROUP BY actor ORDER BY TOTAL(secs) DESC, 2""").fetchall()
        return [Person(actor, name or "", email, int(n), float(secs), actor == self.me[0])
                for actor, name, email, n, secs in rows]

    def recent(self, limit: int) -> list[TeamEntry]:
        return self._entries("ORDER BY start_epoch DESC, uuid LIMIT ?", (limit,))

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM temp.everyone").fetchone()[0])

    def stretches(self) -> list[tuple[float, float]]:
        """Every stretch of everyone's time, clipped to the period: (start, end) epochs, oldest first."""
        since = self.since if self.since is not None else -1e18
        until = self.until if self.until is not None else 1e18
        mine = Reports(self.store, Scope(self.project.id, self.since, self.until), self.moment).stretches()
        theirs: list[tuple[float, float]] = []
        for start, full, slices in self.conn.execute(
                """SELECT t.start_epoch, e.full, t.slices FROM temp.everyone e
                   JOIN team_sessions t ON t.project_id = :project AND t.uuid = e.uuid
                   WHERE e.local_id IS NULL""", {"project": self.project.id}):
            for a, b in _pieces(start, full, slices, self.now):
                a, b = max(a, since), min(b, until)
                if b > a:
                    theirs.append((a, b))
        return sorted(mine + theirs)

    def export_rows(self) -> list[tuple[Any, ...]]:
        """Every slice of everyone's, clipped to the period, oldest first: (person, email, uuid,
        branch, type, issue id, issue title, PR number, start, end, seconds), times ISO 8601 local."""
        since = self.since if self.since is not None else -1e18
        until = self.until if self.until is not None else 1e18
        heads = {row[0]: row[1:] for row in self.conn.execute(
            """SELECT uuid, person, email, uuid, branch, branch_type, COALESCE(issue_id, ''),
                      COALESCE(issue_title, ''), pr_number, local_id FROM temp.everyone""")}
        rows: list[tuple[Any, ...]] = []
        local = {head[-1]: uuid for uuid, head in heads.items() if head[-1] is not None}
        mine = Reports(self.store, Scope(self.project.id, self.since, self.until), self.moment)
        for session_id, start, end, seconds in mine.export_times():
            uuid = local.get(session_id)
            if uuid is not None:
                rows.append((*heads[uuid][:-1], start, end, seconds))
        for uuid, start, full, slices in self.conn.execute(
                """SELECT t.uuid, t.start_epoch, e.full, t.slices FROM temp.everyone e
                   JOIN team_sessions t ON t.project_id = :project AND t.uuid = e.uuid
                   WHERE e.local_id IS NULL""", {"project": self.project.id}):
            for a, b in _pieces(start, full, slices, self.now):
                a, b = max(a, since), min(b, until)
                if b > a:
                    rows.append((*heads[uuid][:-1], _iso(a), _iso(b), int(round(b - a))))
        rows.sort(key=lambda row: (row[8], row[2]))
        return rows

    def _entries(self, order: str, params: tuple[Any, ...] = ()) -> list[TeamEntry]:
        rows = self.conn.execute(
            f"""SELECT uuid, actor, person, email, local_id, branch, branch_type, issue_id, issue_title, state,
                       outcome, start_epoch, end_epoch, full, secs, pr_number, pr_url
                FROM temp.everyone {order}""", params).fetchall()
        local = {row[4] for row in rows if row[4] is not None}
        sessions = {session.id: session for session in (self._local_session(sid) for sid in local)}
        entries = []
        for (uuid, actor, person, email, local_id, branch, branch_type, issue_id, issue_title, state, outcome,
             start, end, full, secs, pr_number, pr_url) in rows:
            session = sessions.get(local_id) if local_id is not None else None
            if session is None:
                session = Session(
                    id=0, project_id=self.project.id, branch=branch, branch_type=branch_type or "", state=state,
                    issue_id=issue_id, issue_title=issue_title, start_time=_local(start) or self.moment,
                    pause_time=None, end_time=_local(end), current_slice_start=None,
                    total_elapsed_ns=int(full * rules.NS_PER_SECOND), pr_number=pr_number, pr_url=pr_url,
                    outcome=outcome)
            entry = Entry(session, self.project, float(secs), float(full))
            entries.append(TeamEntry(entry, person, email, actor == self.me[0], uuid))
        return entries

    def _local_session(self, session_id: int) -> Session:
        return self.store.session(session_id)


def _pieces(start: float, full: float, slices_text: str, now: float) -> list[tuple[float, float]]:
    """A record's stretches: its slices (a running one up to now); without any, one from its
    start as long as its elapsed time."""
    try:
        slices = [(float(a), float(b) if b is not None else now) for a, b in json.loads(slices_text)]
    except (ValueError, TypeError):
        slices = []
    return slices or [(start, start + full)]


def _clip(start: float, full: float, slices_text: str, since: float, until: float, now: float) -> float:
    return sum(max(0.0, min(b, until) - max(a, since)) for a, b in _pieces(start, full, slices_text, now))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone().isoformat(timespec="microseconds")


def _local(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC).astimezone() if epoch is not None else None

