"""`sess worklog`: worked time pushed to each session's tracker, per session and local day,
differences only (SPEC Part 3 "Time back to the tracker").

`entries` is pure: finished slices in, one Entry per session and local day out (a slice across
midnight split there, the period clipping them as `export` does). `push` asks each entry's
tracker, records what was sent around every call (pending before, pushed after) and reports an
Outcome per entry; it never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from sess.errors import SessError
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.store import Store
    from sess.store.worklog import Pushed, WorkedSlice
    from sess.trackers import Tracker

# What an entry came to.
SENT, WOULD_SEND, UP_TO_DATE, DECREASED, UNCONFIRMED, FAILED, UNTRACKED, SKIPPED = (
    "sent", "would_send", "up_to_date", "decreased", "unconfirmed", "failed", "untracked", "skipped")
MINUTE = 60


class Entry(NamedTuple):
    session_id: int
    session_uuid: str
    project_path: str
    issue_id: str
    tracker: str  # the tracker the session's issue came from
    day: date  # local day
    started: datetime  # the day's first slice start (local midnight for a slice from the day before)
    seconds: int  # worked that day, in whole minutes (what a tracker entry can hold)

    @property
    def marker(self) -> str:
        return f"sess:{self.session_uuid}:{self.day.isoformat()}"


class Outcome(NamedTuple):
    entry: Entry
    status: str
    pushed: int = 0  # what the tracker had before (seconds)
    send: int = 0  # sent, or that would be sent (seconds)
    remote_id: str | None = None
    error: str | None = None


def entries(slices: list[WorkedSlice], since: float | None, until: float | None) -> list[Entry]:
    """One entry per session and local day, in order of day, then of the day's first start."""
    from sess.periods import midnight

    days: dict[tuple[int, date], list[float]] = {}  # (session, day) -> [seconds, first start]
    facts: dict[int, WorkedSlice] = {}
    for worked in slices:
        facts.setdefault(worked.session_id, worked)
        start = max(worked.start_epoch, since) if since is not None else worked.start_epoch
        end = min(worked.end_epoch, until) if until is not None else worked.end_epoch
        moment = start
        while moment < end:
            day = datetime.fromtimestamp(moment).astimezone().date()
            upto = min(end, midnight(day + timedelta(days=1)).timestamp())
            slot = days.setdefault((worked.session_id, day), [0.0, moment])
            slot[0] += upto - moment
            slot[1] = min(slot[1], moment)
            moment = upto
    result = []
    for (session_id, day), (seconds, first) in days.items():
        worked = facts[session_id]
        result.append(Entry(session_id, worked.session_uuid, worked.project_path, worked.issue_id,
                            worked.issue_tracker, day, datetime.fromtimestamp(first).astimezone(),
                            int(seconds) // MINUTE * MINUTE))
    return sorted(result, key=lambda e: (e.day, e.started, e.session_id))


def push(store: Store, planned: list[Entry], recorded: dict[tuple[int, str], Pushed],
         tracker_of: Callable[[str], Tracker | None], *, dry_run: bool, retry: bool) -> list[Outcome]:
    """Each entry's difference sent to its tracker (nothing with `dry_run`). A tracker that cannot
    be asked fails the entries it has; the others go on."""
    from sess.store import worklog as record
    from sess.trackers import TrackerUnavailable

    outcomes: list[Outcome] = []
    logged: dict[tuple[int, str], dict[str, int]] = {}  # (tracker, issue) -> marker -> seconds
    broken: dict[int, str] = {}  # id(tracker) -> why it cannot be asked
    for entry in planned:
        day = entry.day.isoformat()
        pushed = recorded.get((entry.session_id, day))
        confirmed, pending = (pushed.confirmed, pushed.pending) if pushed else (0, 0)
        try:
            tracker = tracker_of(entry.project_path)
        except SessError as exc:  # a broken configuration of that project
            outcomes.append(Outcome(entry, FAILED, confirmed, error=exc.message))
            continue
        if tracker is None or tracker.name != entry.tracker:
            outcomes.append(Outcome(entry, SKIPPED, confirmed,
                                    error=f"this project's tracker is {tracker.name if tracker else 'none'}"))
            continue
        if not tracker.time_tracking:
            outcomes.append(Outcome(entry, UNTRACKED, confirmed))
            continue
        if id(tracker) in broken:
            outcomes.append(Outcome(entry, FAILED, confirmed, error=broken[id(tracker)]))
            continue
        try:
            if tracker.can_look_up_logged:
                # The tracker's own sum under the marker is what counts as pushed: an entry whose
                # answer never got recorded (kill -9) is found there, not sent twice.
                key = (id(tracker), entry.issue_id)
                if key not in logged:
                    logged[key] = tracker.logged(entry.issue_id)
                has = logged[key].get(entry.marker, 0)
                if not dry_run and (has != confirmed or pending):
                    record.settle(store, entry.session_id, day, has, tracker.name, entry.issue_id)
                confirmed, pending = has, 0
            elif pending and not retry:
                outcomes.append(Outcome(entry, UNCONFIRMED, confirmed, send=entry.seconds - confirmed))
                continue
            elif pending and not dry_run:
                record.drop_pending(store, entry.session_id, day)
            difference = entry.seconds - confirmed
            if difference < 0:
                outcomes.append(Outcome(entry, DECREASED, confirmed, send=difference))
                continue
            if difference < MINUTE:
                outcomes.append(Outcome(entry, UP_TO_DATE, confirmed))
                continue
            if dry_run:
                outcomes.append(Outcome(entry, WOULD_SEND, confirmed, send=difference))
                continue
            row = record.begin_push(store, entry.session_id, day, difference, tracker.name, entry.issue_id)
            try:
                remote = tracker.log_time(entry.issue_id, difference, entry.started, entry.marker)
            except SessError:
                # Refused: not sent. A tracker whose sum can be looked up settles it next time either way;
                # without that, only a refusal it answered is known not to have arrived.
                if tracker.can_look_up_logged or not _maybe_arrived():
                    record.forget_push(store, row)
                raise
            record.confirm_push(store, row, remote)
            outcomes.append(Outcome(entry, SENT, confirmed, send=difference, remote_id=remote))
        except TrackerUnavailable as exc:
            broken[id(tracker)] = exc.message
            outcomes.append(Outcome(entry, FAILED, confirmed, error=exc.message))
        except SessError as exc:
            outcomes.append(Outcome(entry, FAILED, confirmed, error=exc.message))
    return outcomes


def _maybe_arrived() -> bool:
    """Whether the failure being handled leaves it open that the tracker took the entry: a call
    that timed out may have arrived."""
    import sys

    from sess.errors import Timeout

    return isinstance(sys.exc_info()[1], Timeout)
