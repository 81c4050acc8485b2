"""`--team` on history, stats, report and export: everyone's sessions of one project, yours from
this device (the sessions table, through `Reports`) and everyone's from the last sync
(team_sessions: teammates', and yours from your other devices), each session once (sync never
stores a record whose uuid is one of this device's sessions).

Without a period the team's figures are aggregates in SQLite over team_sessions (a running slice
counted up to now); with one, the records that reach into it are clipped here, slice by slice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sess import rules
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store.reports import _MATERIALIZED, Entry, Reports, Scope, Totals

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

    from sess.store import Store

# A record's elapsed seconds with its running slice (the last one, without an end) up to now.
_FULL = ("t.elapsed_s + CASE WHEN t.state = 'active' AND json_type(t.slices, '$[#-1][1]') = 'null' "
         "THEN MAX(0, :now - json_extract(t.slices, '$[#-1][0]')) ELSE 0 END")
_COLUMNS = ("t.uuid, t.actor_hash, t.actor_name, t.actor_email, t.branch, t.branch_type, t.issue_id, t.issue_title, "
            "t.state, t.outcome, t.start_epoch, t.end_epoch, t.pr_number, t.pr_url, t.slices")


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


class _Row(NamedTuple):
    """A record of the team's, with its time (inside the period, if any)."""

    values: tuple[Any, ...]  # _COLUMNS
    full: float
    secs: float

    @property
    def actor(self) -> str:
        return str(self.values[1])

    @property
    def start(self) -> float:
        return float(self.values[10])


class TeamReports:
    def __init__(self, store: Store, project: Project, since: float | None, until: float | None,
                 now: datetime, me: tuple[str, str, str]) -> None:
        """`me`: (actor hash, name, e-mail) of the user here, whose this device's sessions are."""
        self.store = store
        self.conn = store.conn
        self.project = project
        self.since, self.until = since, until
        self.moment = now
        self.now = now.timestamp()
        self.me = me
        self.mine = Reports(store, Scope(project.id, since, until), now)
        self._rows: list[_Row] | None = None  # with a period: the records that reach into it
        self._own: Totals | None = None
        self._groups: list[tuple[Any, ...]] | None = None

    def _own_totals(self) -> Totals:
        if self._own is None:
            self._own = self.mine.totals()
        return self._own

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None

    def _params(self) -> dict[str, Any]:
        return {"project": self.project.id, "now": self.now}

    def _in_period(self) -> list[_Row]:
        if self._rows is None:
            since = self.since if self.since is not None else -1e18
            until = self.until if self.until is not None else 1e18
            rows = []
            for values in self.conn.execute(
                    f"""SELECT {_COLUMNS}, {_FULL} FROM team_sessions t
                        WHERE t.project_id = :project AND t.start_epoch < :until
                          AND (t.end_epoch IS NULL OR t.end_epoch > :since)""",
                    {**self._params(), "since": since, "until": until}):
                full = float(values[-1])
                secs = sum(max(0.0, min(b, until) - max(a, since))
                           for a, b in _pieces(values[10], full, values[14], self.now))
                if secs > 0:
                    rows.append(_Row(values[:-1], full, secs))
            self._rows = rows
        return self._rows

    # -- the figures --

    def totals(self) -> Totals:
        own = self._own_totals()
        if self.has_period:
            rows = self._in_period()
            n, secs = len(rows), sum(row.secs for row in rows)
            active = sum(1 for row in rows if row.values[8] == "active")
            paused = sum(1 for row in rows if row.values[8] == "paused")
            ended = sum(1 for row in rows if row.values[8] == "ended")
            with_pr = sum(1 for row in rows if row.values[12] is not None or row.values[13])
            cancelled = sum(1 for row in rows if row.values[9] == "cancelled")
            epochs = [row.start for row in rows]
            first, last = (min(epochs), max(epochs)) if epochs else (None, None)
        else:
            groups = self._grouped()
            n, secs = sum(g[1] for g in groups), sum(g[2] for g in groups) + sum(self._running().values())
            active, paused, ended, with_pr, cancelled = (sum(g[i] for g in groups) for i in range(3, 8))
            first = min((g[8] for g in groups), default=None)
            last = max((g[9] for g in groups), default=None)
        firsts = [moment for moment in (own.first_start, _local(first)) if moment is not None]
        lasts = [moment for moment in (own.last_start, _local(last)) if moment is not None]
        longest = self.longest()
        return Totals(sessions=own.sessions + int(n), elapsed_s=own.elapsed_s + float(secs),
                      active=own.active + int(active), paused=own.paused + int(paused), ended=own.ended + int(ended),
                      with_pr=own.with_pr + int(with_pr), first_start=min(firsts) if firsts else None,
                      last_start=max(lasts) if lasts else None, longest=longest.entry if longest else None,
                      by_project=[], cancelled=own.cancelled + int(cancelled))

    def _grouped(self) -> list[tuple[Any, ...]]:
        """Per person, from idx_team_sessions_totals (never the records' rows): actor, sessions,
        completed seconds, active, paused, ended, with a PR, cancelled, first and last start.

        Each person's range of the index is read by a subquery of its own (the people found by
        skipping from one to the next along it), the first and last start off its ends, the open
        records counted on idx_team_sessions_open: half the time of one GROUP BY over every
        record, whose eight aggregates were most of `report --team` (issue 18)."""
        if self._groups is None:
            self._groups = self.conn.execute(
                f"""WITH RECURSIVE people(actor) AS (
                        SELECT (SELECT MIN(actor_hash) FROM team_sessions WHERE project_id = :project)
                        UNION ALL
                        SELECT (SELECT MIN(actor_hash) FROM team_sessions
                                WHERE project_id = :project AND actor_hash > people.actor)
                        FROM people WHERE people.actor IS NOT NULL
                    ), counted AS {_MATERIALIZED} (
                        -- a subquery gives one value: the four sums as a JSON array
                        SELECT actor, (
                            SELECT json_array(COUNT(*), TOTAL(t.elapsed_s),
                                              TOTAL(t.pr_number IS NOT NULL OR t.pr_url <> ''),
                                              TOTAL(t.outcome = 'cancelled'))
                            FROM team_sessions t INDEXED BY idx_team_sessions_totals
                            WHERE t.project_id = :project AND t.actor_hash = people.actor) AS sums,
                            (SELECT MIN(t.start_epoch) FROM team_sessions t INDEXED BY idx_team_sessions_totals
                             WHERE t.project_id = :project AND t.actor_hash = people.actor) AS first,
                            (SELECT MAX(t.start_epoch) FROM team_sessions t INDEXED BY idx_team_sessions_totals
                             WHERE t.project_id = :project AND t.actor_hash = people.actor) AS last
                        FROM people WHERE people.actor IS NOT NULL
                    ), open AS (
                        SELECT t.actor_hash, TOTAL(t.state = 'active') AS active, TOTAL(t.state = 'paused') AS paused
                        FROM team_sessions t INDEXED BY idx_team_sessions_open
                        WHERE t.project_id = :project AND t.state IN ('active', 'paused') GROUP BY t.actor_hash
                    )
                    SELECT actor, n, secs, active, paused, n - active - paused, prs, cancelled, first, last FROM (
                        SELECT c.actor, json_extract(c.sums, '$[0]') AS n, json_extract(c.sums, '$[1]') AS secs,
                               COALESCE(o.active, 0) AS active, COALESCE(o.paused, 0) AS paused,
                               json_extract(c.sums, '$[2]') AS prs, json_extract(c.sums, '$[3]') AS cancelled,
                               c.first, c.last
                        FROM counted c LEFT JOIN open o ON o.actor_hash = c.actor
                    ) WHERE n > 0 ORDER BY actor""", self._params()).fetchall()
        return self._groups

    def _running(self) -> dict[str, float]:
        """actor -> the running time of their active records, up to now."""
        running: dict[str, float] = {}
        for actor, secs in self.conn.execute(
                f"""SELECT t.actor_hash, {_FULL} - t.elapsed_s FROM team_sessions t
                    WHERE t.project_id = :project AND t.state = 'active'""", self._params()):
            running[actor] = running.get(actor, 0.0) + float(secs)
        return running

    def longest(self) -> TeamEntry | None:
        own = self._own_totals().longest
        candidates = [self._own_entry(own)] if own is not None else []
        if self.has_period:
            rows = sorted(self._in_period(), key=lambda row: (-row.secs, -row.start))[:1]
        else:
            # The longest completed time from the top of idx_team_sessions_longest, or an active
            # record that has run past it.
            found = self.conn.execute(
                f"""SELECT {_COLUMNS}, {_FULL} FROM team_sessions t INDEXED BY idx_team_sessions_longest
                    WHERE t.project_id = :project AND t.state <> 'active'
                    ORDER BY t.elapsed_s DESC LIMIT 1""", self._params()).fetchall()
            found += self.conn.execute(
                f"""SELECT {_COLUMNS}, {_FULL} FROM team_sessions t
                    WHERE t.project_id = :project AND t.state = 'active'""", self._params()).fetchall()
            rows = [_Row(values[:-1], float(values[-1]), float(values[-1])) for values in found]
            rows = sorted(rows, key=lambda row: (-row.full, -row.start))[:1]
        candidates += [self._team_entry(row) for row in rows]
        return max(candidates, key=lambda entry: (entry.entry.elapsed_s, entry.entry.session.start_time), default=None)

    def by_person(self) -> list[Person]:
        """Time per person, most first; a person's name as on their latest session."""
        own = self._own_totals()
        people: dict[str, list[Any]] = {}
        if own.sessions:
            people[self.me[0]] = [self.me[1], self.me[2] or None, own.sessions, own.elapsed_s, None]
        if self.has_period:
            grouped: dict[str, list[Any]] = {}
            for row in self._in_period():
                entry = grouped.setdefault(row.actor, [row.values[2], row.values[3], 0, 0.0, row.start])
                entry[2] += 1
                entry[3] += row.secs
                if row.start > entry[4]:
                    entry[0], entry[1], entry[4] = row.values[2], row.values[3], row.start
            found = [(actor, *values) for actor, values in grouped.items()]
        else:
            # Each person's name and e-mail from their latest record, off the end of the index.
            running = self._running()
            found = [(g[0], *self.conn.execute(
                          """SELECT t.actor_name, t.actor_email FROM team_sessions t
                             INDEXED BY idx_team_sessions_totals WHERE t.project_id = ? AND t.actor_hash = ?
                             ORDER BY t.start_epoch DESC LIMIT 1""", (self.project.id, g[0])).fetchone(),
                      g[1], g[2] + running.get(g[0], 0.0), None) for g in self._grouped()]
        for actor, name, email, n, secs, _ in found:
            if actor in people:
                people[actor][2] += n
                people[actor][3] += secs
            else:
                people[actor] = [name, email, n, secs, None]
        rows = [Person(actor, name or "", email, int(n), float(secs), actor == self.me[0])
                for actor, (name, email, n, secs, _) in people.items()]
        return sorted(rows, key=lambda person: (-person.elapsed_s, person.name))

    def recent(self, limit: int) -> list[TeamEntry]:
        if limit <= 0:
            return []
        own = [self._own_entry(entry) for entry in self.mine.recent(limit)]
        if self.has_period:
            rows = sorted(self._in_period(), key=lambda row: (-row.start, row.values[0]))[:limit]
        else:
            rows = [_Row(values[:-1], float(values[-1]), float(values[-1])) for values in self.conn.execute(
                f"""SELECT {_COLUMNS}, {_FULL} FROM team_sessions t WHERE t.project_id = :project
                    ORDER BY t.start_epoch DESC, t.uuid LIMIT :limit""", {**self._params(), "limit": limit})]
        merged = own + [self._team_entry(row) for row in rows]
        merged.sort(key=lambda entry: entry.entry.session.start_time, reverse=True)
        return merged[:limit]

    def count(self) -> int:
        if self.has_period:
            theirs = len(self._in_period())
        else:
            theirs = int(self.conn.execute("SELECT COUNT(*) FROM team_sessions WHERE project_id = ?",
                                           (self.project.id,)).fetchone()[0])
        return self.mine.count() + theirs

    def stretches(self) -> list[tuple[float, float]]:
        """Every stretch of everyone's time, clipped to the period: (start, end) epochs, oldest first."""
        since = self.since if self.since is not None else -1e18
        until = self.until if self.until is not None else 1e18
        theirs = []
        for row in self._in_period():
            for a, b in _pieces(row.start, row.full, row.values[14], self.now):
                a, b = max(a, since), min(b, until)
                if b > a:
                    theirs.append((a, b))
        return sorted(self.mine.stretches() + theirs)

    def export_rows(self) -> list[tuple[Any, ...]]:
        """Every slice of everyone's, clipped to the period, oldest first: (person, email, uuid,
        branch, type, issue id, issue title, PR number, start, end, seconds), times ISO 8601 local."""
        since = self.since if self.since is not None else -1e18
        until = self.until if self.until is not None else 1e18
        times = self.mine.export_times()
        heads = {row[0]: row[1:] for row in self.conn.execute(
            """SELECT id, uuid, branch, COALESCE(branch_type, ''), ltrim(trim(COALESCE(issue_id, '')), '#'),
                      COALESCE(issue_title, ''), NULLIF(pr_number, '') FROM sessions WHERE project_id = ?""",
            (self.project.id,))} if times else {}
        rows: list[tuple[Any, ...]] = [(self.me[1], self.me[2], *heads[sid], start, end, seconds)
                                       for sid, start, end, seconds in times if sid in heads]
        for row in self._in_period():
            v = row.values
            for a, b in _pieces(row.start, row.full, v[14], self.now):
                a, b = max(a, since), min(b, until)
                if b > a:
                    rows.append((v[2], v[3], v[0], v[4], v[5], v[6] or "", v[7] or "", v[12], _iso(a), _iso(b),
                                 int(round(b - a))))
        rows.sort(key=lambda row: (row[8], row[2]))
        return rows

    # -- entries --

    def _own_entry(self, entry: Entry) -> TeamEntry:
        uuid = self.conn.execute("SELECT uuid FROM sessions WHERE id = ?", (entry.session.id,)).fetchone()
        return TeamEntry(entry, self.me[1], self.me[2] or None, True, str(uuid[0]) if uuid else "")

    def _team_entry(self, row: _Row) -> TeamEntry:
        (uuid, actor, name, email, branch, branch_type, issue_id, issue_title, state, outcome, start, end,
         pr_number, pr_url, _) = row.values
        session = Session(
            id=0, project_id=self.project.id, branch=branch, branch_type=branch_type or "", state=state,
            issue_id=issue_id, issue_title=issue_title, start_time=_local(start) or self.moment, pause_time=None,
            end_time=_local(end), current_slice_start=None, total_elapsed_ns=int(row.full * rules.NS_PER_SECOND),
            pr_number=pr_number, pr_url=pr_url, outcome=outcome)
        return TeamEntry(Entry(session, self.project, row.secs, row.full), name, email, actor == self.me[0], uuid)


def _pieces(start: float, full: float, slices_text: str, now: float) -> list[tuple[float, float]]:
    """A record's stretches: its slices (a running one up to now); without any, one from its
    start as long as its elapsed time."""
    try:
        slices = [(float(a), float(b) if b is not None else now) for a, b in json.loads(slices_text)]
    except (ValueError, TypeError):
        slices = []
    return slices or [(start, start + full)]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone().isoformat(timespec="microseconds")


def _local(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC).astimezone() if epoch is not None else None
