"""`sess doctor`: read-only checks, each a function from a `Context` to its findings.

`CHECKS` is the list `run` goes through, in order; a check of another area (parked stashes,
the tracker, the sync probe) is one more function appended to it with `register`. A check never
changes anything: no migration, no git command that writes, no network beyond what the forge's
own status command, one read of the tracker and the sync probe do (with sync enabled, SPEC's probe
ref pushed to origin and deleted at once, to see that origin takes refs/sess/*). A check that
itself fails is one finding, never the end of the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import sqlite3

    from sess import config as config_types
    from sess.store import doctor as store_types

ERROR, WARNING, INFO = "error", "warning", "info"


class Finding(NamedTuple):
    check: str  # which check: "database", "ends", "branches", "forge", "configuration", ...
    problem: str
    fix: str  # what to run (or do) about it; "" when there is nothing to do
    severity: str = ERROR  # ERROR, WARNING or INFO (INFO never makes the exit status 1)


class Context:
    """What the checks share: where sess keeps its state, where the user stands; the database is
    opened (read-only) once, for the checks that ask it."""

    def __init__(self, state_dir: str, cwd: str | None) -> None:
        self.state_dir = state_dir
        self.db_path = os.path.join(state_dir, "sess.db")
        self.cwd = cwd
        self._conn: sqlite3.Connection | None = None
        self._conn_error: str | None = None
        self._opened = False
        self._top: str | None = None
        self._located = False

    def db(self) -> sqlite3.Connection | None:
        """The database, read-only; None when there is none or it cannot be read (the database
        check says why)."""
        if not self._opened:
            self._opened = True
            if os.path.exists(self.db_path):
                import sqlite3

                from sess.store.doctor import open_read_only

                try:
                    self._conn = open_read_only(self.db_path)
                except sqlite3.Error as exc:
                    self._conn_error = str(exc)
        return self._conn

    @property
    def db_error(self) -> str | None:
        self.db()
        return self._conn_error

    def top(self) -> str | None:
        """The repository the user stands in, if any."""
        if not self._located and self.cwd is not None:
            self._located = True
            from sess import git

            where = git.locate(self.cwd)
            self._top = where[0] if where else None
        return self._top

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


Check = Callable[[Context], list[Finding]]


class Report(NamedTuple):
    checks: tuple[str, ...]  # the names of the checks that ran
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(finding.severity != INFO for finding in self.findings)


def run(context: Context, checks: list[tuple[str, Check]] | None = None) -> Report:
    findings: list[Finding] = []
    ran: list[str] = []
    for name, check in checks if checks is not None else CHECKS:
        ran.append(name)
        try:
            findings += check(context)
        except Exception as exc:  # a broken check is a finding of its own, the rest still run
            findings.append(Finding(name, f"the check itself failed: {type(exc).__name__}: {exc}",
                                    "Report this.", WARNING))
    context.close()
    return Report(tuple(ran), tuple(findings))


# --- the checks ---------------------------------------------------------------------------------

def check_database(ctx: Context) -> list[Finding]:
    """Integrity, schema version, and that the Go tool's columns agree with the slices."""
    import sqlite3

    from sess.store import doctor as store

    if not os.path.exists(ctx.db_path):
        return [Finding("database", f"no database yet at {ctx.db_path}", "Nothing to do: 'sess start' makes it.",
                        INFO)]
    conn = ctx.db()
    if conn is None:
        return [Finding("database", f"{ctx.db_path} cannot be read: {ctx.db_error}",
                        _unreadable_fix(ctx.db_path, ctx.db_error or ""))]
    findings: list[Finding] = []
    folder = os.path.dirname(ctx.db_path)
    for path, mode in ((ctx.db_path, "u+rw"), (folder, "u+rwx")):
        if not os.access(path, os.W_OK):
            findings.append(Finding("database", f"{path} is read-only: sess can show, but not record anything",
                                    f"chmod {mode} {path}"))
    try:
        problems = store.integrity_problems(conn)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        findings.append(Finding("database", f"{ctx.db_path} fails SQLite's integrity check: {'; '.join(problems)}",
                                f"Keep a copy, then recover it: sqlite3 {ctx.db_path} .recover > sess.sql "
                                "(sess never replaces the file)"))
        return findings  # what it holds cannot be trusted for the rest
    version, wanted = store.schema_version(conn)
    if version > wanted:
        findings.append(Finding("database", f"the database is at schema version {version}; this sess knows {wanted}",
                                "Upgrade sess (a newer version wrote it).", WARNING))
    elif version < wanted:
        findings.append(Finding("database", f"the database is at schema version {version} of {wanted}",
                                "Run any sess command (say 'sess status') to migrate it; a copy is kept first.",
                                INFO))
    for wrong in store.slice_disagreements(conn):
        findings.append(Finding("database", f"session {wrong.session_id} ({wrong.branch} in {wrong.project_path}): "
                                f"the Go columns disagree with its slices: {wrong.why}",
                                f"sess log --session {wrong.session_id}, then 'sess amend' the slice that is wrong "
                                "(any amend rewrites the Go columns)", WARNING))
    return findings


def check_overlaps(ctx: Context) -> list[Finding]:
    """Slices of two sessions that share time: within one project a warning (one clock per
    project); across projects only with time.exclusive on, which is meant to keep them from being
    recorded (without it, two projects' clocks may well run at once). Such time counts in both."""
    conn = ctx.db()
    if conn is None:
        return []
    import time
    from datetime import datetime

    from sess import config, durations
    from sess.store import doctor as store

    try:
        exclusive = config.merge(_layers(ctx.top())).time_exclusive
    except config.ConfigError:
        exclusive = False  # the configuration check says what is wrong with the file

    def clock(epoch: float) -> str:
        return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S")

    found = [overlap for overlap in store.overlapping_slices(conn, time.time()) if overlap.same_project or exclusive]
    findings = []
    for overlap in found[:MOST_OVERLAPS]:
        (first, first_branch, first_path), (second, second_branch, second_path) = overlap.first, overlap.second
        where = "" if overlap.same_project else f" in {second_path}"
        counted = "twice in its project" if overlap.same_project else "in both projects, though time.exclusive is on"
        findings.append(Finding(
            "overlaps", f"session {first} ({first_branch} in {first_path}) and session {second} ({second_branch}"
            f"{where}) both ran {clock(overlap.start)} to {clock(overlap.end)} "
            f"({durations.duration(overlap.end - overlap.start)}): that time counts {counted}",
            f"If one clock ran then: sess log --session {second}, then "
            f"'sess amend --session {second} @N --start/--end'", WARNING))
    if len(found) > MOST_OVERLAPS:
        findings.append(Finding("overlaps", f"{len(found) - MOST_OVERLAPS} more overlapping slices like these",
                                "Amend the ones above first; 'sess doctor' then names the next ones.", WARNING))
    return findings


MOST_OVERLAPS = 5  # findings named one by one; the rest are counted


def _unreadable_fix(path: str, said: str) -> str:
    if "not a database" in said or "malformed" in said:
        return f"Move {path} aside and keep it; 'sess start' then makes a new one"
    if "unable to open" in said or "readonly" in said or "permission" in said.lower():
        return f"Give yourself read and write access: chmod u+rw {path} and u+rwx {os.path.dirname(path)}"
    return "See what else holds or damaged the file, then run 'sess doctor' again."


def check_ends(ctx: Context) -> list[Finding]:
    """Ends that stopped half-way (the journal)."""
    conn = ctx.db()
    if conn is None:
        return []
    from sess.store import doctor as store

    findings = []
    for end in store.unfinished_ends(conn):
        said = f": {end.error}" if end.error else ""
        findings.append(Finding("ends", f"the end of {end.branch} in {end.project_path} stopped at step "
                                f"'{end.step}'{said}",
                                f"cd {_quoted(end.project_path)} && sess end --continue (or sess end --abort)"))
    return findings


def _sessions_in_place(ctx: Context) -> list[store_types.OpenSession]:
    """The open sessions whose repository folder is still there (check_branches names the others)."""
    conn = ctx.db()
    if conn is None:
        return []
    from sess.store import doctor as store

    return [session for session in store.open_sessions(conn) if os.path.isdir(session.project_path)]


def check_branches(ctx: Context) -> list[Finding]:
    """Open sessions whose repository or branch is gone."""
    conn = ctx.db()
    if conn is None:
        return []
    from sess import git
    from sess.store import doctor as store

    findings = []
    for session in store.open_sessions(conn):
        where = f"{session.branch} in {session.project_path}"
        if not os.path.isdir(session.project_path):
            findings.append(Finding("branches", f"the {session.state} session on {where}: the folder is gone",
                                    "Move the repository back there; or 'sess cancel' from its new place "
                                    "once it is tracked there", WARNING))
            continue
        try:
            exists = git.branch_exists(session.project_path, session.branch)
        except Exception:  # not a repository any more
            exists = False
        if not exists:
            findings.append(Finding("branches", f"the {session.state} session on {where}: the branch is gone",
                                    f"cd {_quoted(session.project_path)} && sess cancel (or recreate the branch: "
                                    f"git branch {session.branch} <commit>)"))
    return findings


def check_worktrees(ctx: Context) -> list[Finding]:
    """Open sessions in a linked worktree whose folder is gone."""
    return [Finding("worktrees", f"the {session.state} session on {session.branch} in {session.project_path}: its "
                    f"worktree {session.worktree} is gone",
                    f"cd {_quoted(session.project_path)} && sess cancel --session {session.session_id} "
                    "(sess prunes the worktree; the branch stays)", WARNING)
            for session in _sessions_in_place(ctx) if session.worktree and not os.path.isdir(session.worktree)]


def check_parked(ctx: Context) -> list[Finding]:
    """Parked changes whose stash entry or commit is gone."""
    findings = []
    for session in _sessions_in_place(ctx):
        if session.parked_stash:
            findings += _parked_stash(session, f"{session.branch} in {session.project_path}")
    return findings


def _parked_stash(session: store_types.OpenSession, where: str) -> list[Finding]:
    """A parked session's changes live in a stash entry sess made: one dropped by hand (or its
    commit gone) means switching back to the session brings nothing back."""
    from sess import git

    sha = session.parked_stash or ""
    try:
        if git.stash_index(session.project_path, sha) is not None:
            return []
        kept = git.rev(session.project_path, f"{sha}^{{commit}}") is not None
    except Exception:  # not a repository any more: the checks above say so
        return []
    project = _quoted(session.project_path)
    if kept:
        return [Finding("parked", f"the parked changes of the session on {where} (stash {sha[:12]}) are no longer "
                        "in the stash list, though git still has the commit",
                        f"cd {project} && git stash store -m 'sess: parked {session.branch}' {sha}")]
    return [Finding("parked", f"the parked changes of the session on {where} (stash {sha[:12]}) are gone",
                    f"cd {project} && sess cancel --session {session.session_id} "
                    "(the changes cannot be brought back; the branch and its commits stay)")]


_FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab"}


def check_forge(ctx: Context) -> list[Finding]:
    """The forge's CLI for the repository you stand in: installed, its version, logged in for
    origin's host (through the forge interface: the forge decides what that means)."""
    top = ctx.top()
    if top is None:
        return []
    from sess import config, forges, git
    from sess.errors import ForgeUnavailable, SessError

    if not git.has_remote(top):
        return []
    try:
        settings = forges.Settings.of(config.load(top))
    except SessError:
        settings = forges.Settings()  # the configuration check says what is wrong with it
    host = forges.origin_host(top)
    if forges.forge_type(host, settings) is None and (host is not None or settings.repo is None):
        # Nothing here needs a forge's CLI: whether gh is logged in is not this repository's problem.
        url = git.remote_url(top, "origin") or ""
        what = "a local path and no forge host" if host is None else f"on {host}, no known forge host"
        return [Finding("forge", f"origin is {url}, {what}; forge.type is not set, so no forge CLI is needed",
                        "To open pull requests from here, set forge.type (and forge.host) in .sess.toml", INFO)]
    forge = forges.open_forge(top, settings)
    version = forge.version()
    if version is None:
        named = _FORGE_NAMES.get(forge.name, forge.name)
        return [Finding("forge", f"{forge.cli} is not installed (needed to open pull requests on {named})",
                        f"Install {forge.cli} (or end sessions with --no-pr)", WARNING)]
    findings = [Finding("forge", version, "", INFO)]
    try:
        forge.check_ready()
    except ForgeUnavailable as exc:
        findings.append(Finding("forge", exc.message, exc.hint or f"{forge.cli} auth login", WARNING))
    except SessError as exc:
        findings.append(Finding("forge", f"{forge.cli} cannot be asked: {exc.message}", exc.hint or "", WARNING))
    return findings


def check_tracker(ctx: Context) -> list[Finding]:
    """A tracker sess speaks to itself (Jira, Linear): its token present, and the tracker answering
    one read (the picker's list, through the tracker interface). The forge's issues are the forge
    check's."""
    from sess import config, trackers
    from sess.errors import SessError
    from sess.trackers.tokens import token

    top = ctx.top()
    try:
        cfg = config.load(top, warn=None)
    except SessError:
        return []  # the configuration check says what is wrong with it
    if cfg.tracker_type not in (trackers.JIRA, trackers.LINEAR):
        return []
    name = trackers.TRACKER_NAMES[cfg.tracker_type]
    try:
        _, source = token(cfg, cfg.tracker_type)
    except SessError as exc:
        return [Finding("tracker", exc.message, exc.hint or "", WARNING)]
    tracker = trackers.for_config(cfg, top or ".")
    assert tracker is not None
    try:
        tracker.list_open()
    except SessError as exc:
        return [Finding("tracker", exc.message, exc.hint or "Check tracker.url and the token.", WARNING)]
    return [Finding("tracker", f"{name} at {cfg.tracker_url} answers (token from {source})", "", INFO)]


def check_configuration(ctx: Context) -> list[Finding]:
    """Both configuration files valid; the trust state of the repository's file."""
    from sess import config

    top = ctx.top()
    findings: list[Finding] = []
    try:
        layers = _layers(top)
        config.merge(layers)
    except config.ConfigError as exc:
        return [Finding("configuration", exc.message, exc.hint or "Fix the file (sess config path names both).")]
    repo = layers.repo
    hooked = repo is not None and any(key.startswith("hooks.") and key != "hooks.timeout" for key in repo.values)
    if repo is not None and hooked and not config.is_trusted(repo.path, repo.digest):
        findings.append(Finding("configuration", f"{config.shown(repo.path)} has hooks that are not trusted "
                                "(they are skipped)", f"Read it, then: cd {_quoted(top or '.')} && sess config trust",
                                INFO))
    return findings


def _layers(top: str | None) -> config_types.Layers:
    """Both configuration files, read as `config.load` reads them but past the cache, which
    would be written. ConfigError when one is not valid."""
    from sess import config

    user_file, repo_file = config.user_path(), config.repo_path(top) if top else None
    return config.Layers(config.read_file(user_file, config.USER, cached=False),
                         config.read_file(config.check_inside(top, repo_file), config.REPO, cached=False)
                         if top and repo_file else None, user_file, repo_file)


def _quoted(path: str) -> str:
    import shlex

    return shlex.quote(path)


def check_sync(ctx: Context) -> list[Finding]:
    """Where the team's records are shared (sess.sync.probe): origin readable, your identity set."""
    top = ctx.top()
    if top is None:
        return []
    from sess import sync

    return [Finding("sync", text, fix, WARNING if problem else INFO) for text, fix, problem in sync.probe(top)]


CHECKS: list[tuple[str, Check]] = [
    ("database", check_database),
    ("ends", check_ends),
    ("branches", check_branches),
    ("worktrees", check_worktrees),
    ("parked", check_parked),
    ("overlaps", check_overlaps),
    ("forge", check_forge),
    ("tracker", check_tracker),
    ("configuration", check_configuration),
    ("sync", check_sync),
]


def register(name: str, check: Check, after: str | None = None) -> None:
    """Add a check (another area's: parked stashes, the tracker, the sync probe) to `CHECKS`,
    at the end or after the check named `after`."""
    at = next((i + 1 for i, (known, _) in enumerate(CHECKS) if known == after), len(CHECKS))
    CHECKS.insert(at, (name, check))
