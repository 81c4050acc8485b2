"""What leaves the machine, and what comes back: session records on refs under `refs/sess/v1`
on origin (SPEC Part 3, "The team, through git").

The one door. Every record sess writes to origin is made here, with git's object plumbing only
(hash-object, mktree, commit-tree, update-ref), so the work tree, the index and HEAD are never
touched; every record read from a teammate's ref is parsed and checked here, as the untrusted
input it is. Each (person, device) writes one ref, `refs/sess/v1/<actor-hash>/<device>`, whose
commit's tree holds `sessions/<YYYY-MM>/<uuid>.json`; one writer per ref, never forced: each new
commit's parent is the one this device pushed last (recorded in the state dir), so git refuses
the push when origin holds another.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import UTC, datetime

from sess import rules
from sess.errors import CommandError, SessError
from sess.records import NamedTuple
from sess.state import state_dir
from sess.store import team
from sess.store.team import TeamRecord

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from sess.config import Config
    from sess.proc import GitBatch
    from sess.rules import Session
    from sess.store import Store

NAMESPACE = "refs/sess/v1"
TRACKING = "refs/sess/remotes/origin/v1"  # where the fetch puts origin's refs; not remote.origin.fetch
FETCH_SPEC = f"+{NAMESPACE}/*:{TRACKING}/*"
AUTO_TIMEOUT_S = 10.0  # sync.auto after start, end, cancel, switch
TIMEOUT_S = 120.0

MAX_RECORD_BYTES = 64 * 1024  # a record is a few hundred bytes; a bigger blob is not read at all
MAX_SLICES = 10_000
MAX_TEXT = 500  # characters kept of a name, branch, title or URL
_HEX = frozenset("0123456789abcdef")
_STATES = (rules.ACTIVE, rules.PAUSED, rules.ENDED)

class SyncError(SessError):
    """A sync that did not happen, or whose push origin refused (nothing remote changed)."""


class Identity(NamedTuple):
    name: str
    email: str
    actor: str  # the first 16 hex digits of the SHA-256 of the lower-cased e-mail
    device: str  # this state dir's random id

    @property
    def ref(self) -> str:
        return f"{NAMESPACE}/{self.actor}/{self.device}"


class Outcome(NamedTuple):
    """What a sync did (or, dry, would do)."""

    ref: str
    written: int  # your sessions in the ref's tree
    changed: int  # of those, new or changed since the last push (gone ones count too)
    pushed: bool
    refs_read: int  # teammates' refs whose tip had moved
    records_read: int
    people: int  # everyone with records here, you included


def _hex16(text: str) -> bool:
    return len(text) == 16 and set(text) <= _HEX


def record_uuid(path: str) -> str | None:
    """The uuid of `sessions/<YYYY-MM>/<uuid>.json`; None for any other path."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "sessions" or not parts[2].endswith(".json"):
        return None
    month, uuid = parts[1], parts[2][:-len(".json")]
    if not (len(month) == 7 and month[4] == "-" and (month[:4] + month[5:]).isdigit() and month.isascii()):
        return None
    groups = uuid.split("-")
    if [len(group) for group in groups] != [8, 4, 4, 4, 12] or not set(uuid.replace("-", "")) <= _HEX:
        return None
    return uuid


# --- identity ----------------------------------------------------------------------------------------

def actor_hash(email: str) -> str:
    import hashlib

    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


def device_id() -> str:
    """This machine's random id, made once in the state dir (never the host name)."""
    path = os.path.join(state_dir(), "device-id")
    try:
        with open(path, encoding="ascii") as handle:
            found = handle.read().strip()
    except FileNotFoundError:
        found = _make_device_id(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    if not _hex16(found):
        raise SyncError(f"{path} does not hold a device id (16 hex digits)",
                        "Remove the file: sess makes a new one, and this machine then writes a new ref.")
    return found


def _make_device_id(path: str) -> str:
    import secrets

    value = secrets.token_hex(8)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # made meanwhile by another sess: that one counts
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise SyncError(f"cannot create {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def _facts(top: str, clock: _Clock) -> dict[str, str]:
    """user.name, user.email and remote.origin.url (those set), from one git (started early by
    the command line when it could)."""
    from sess import spawn

    found: dict[str, str] = {}
    for line in _early_or_run(top, clock, spawn.IDENTITY).stdout.splitlines():
        key, _, value = line.partition(" ")
        found[key.lower()] = value.strip()  # the last one wins, as in `git config --get`
    return found


def identity(top: str, clock: _Clock | None = None, facts: dict[str, str] | None = None) -> Identity:
    found = facts if facts is not None else _facts(top, clock or _Clock(TIMEOUT_S))
    email = found.get("user.email", "")
    if not email:
        raise SyncError("git's user.email is not set, and it is who you are in the team's records",
                        "Set it: git config --global user.email you@example.com")
    name = found.get("user.name") or email.split("@")[0]
    return Identity(name, email, actor_hash(email), device_id())


# --- the record of what this device pushed -------------------------------------------------------------

def _pushed_file() -> str:
    return os.path.join(state_dir(), "sync-pushed.json")


def _read_pushed() -> dict[str, Any]:
    try:
        with open(_pushed_file(), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SyncError(f"cannot read {_pushed_file()} ({exc})",
                        "It records what this device pushed last; without it sess cannot add to its ref.") from exc
    return data if isinstance(data, dict) else {}


def _origin_key(origin: str) -> str:
    # Not the URL itself, which may hold a user name or a token (https://user:token@host/...).
    import hashlib

    return "origin-" + hashlib.sha256(origin.encode("utf-8")).hexdigest()[:16]


def pushed(origin: str, ref: str) -> dict[str, str] | None:
    """{"commit", "tree"} that this device last pushed to `ref` on `origin`."""
    entry = _read_pushed().get(_origin_key(origin), {}).get(ref)
    return entry if isinstance(entry, dict) and isinstance(entry.get("commit"), str) else None


def _record_pushed(origin: str, ref: str, commit: str, tree: str) -> None:
    data = _read_pushed()
    data.setdefault(_origin_key(origin), {})[ref] = {"commit": commit, "tree": tree}
    path = _pushed_file()
    partial = f"{path}.{os.getpid()}.partial"
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


# --- your records ---------------------------------------------------------------------------------------

def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _utc(moment: datetime | None) -> str | None:
    return _iso(moment.timestamp()) if moment is not None else None


def issue_tracker(issue_id: str) -> str:
    # A guess, for sessions older than their issue_tracker column: a number is the forge's issue,
    # a KEY-12 a Jira issue.
    return "github" if issue_id.lstrip("#").isdigit() else "jira" if re.fullmatch(r"[A-Z][A-Z0-9]+-\d+", issue_id) \
        else "other"


def record_of(uuid: str, session: Session, slices: list[tuple[float, float | None]], who: Identity) -> dict[str, Any]:
    """Exactly the fields SPEC lists, nothing private: no path, no commit message, no PR body."""
    return {
        "uuid": uuid,
        "actor": {"name": who.name, "email": who.email},
        "device": who.device,
        "branch": session.branch,
        "type": session.branch_type,
        "issue": ({"tracker": session.issue_tracker or issue_tracker(session.issue_id), "id": session.issue_id,
                   "title": session.issue_title} if session.issue_id else None),
        "pr": ({"number": session.pr_number, "url": session.pr_url}
               if session.pr_number is not None or session.pr_url else None),
        "state": session.state,
        "outcome": session.outcome,
        "started_at": _utc(session.start_time),
        "ended_at": _utc(session.end_time) if session.state == rules.ENDED else None,
        "slices": [{"start": _iso(start), "end": _iso(end)} for start, end in slices],
        # The completed slices: a running one is the slice without an end, which readers add up
        # as it goes, so that a record changes with its session, not with the clock.
        "elapsed_seconds": max(0, session.total_elapsed_ns) // rules.NS_PER_SECOND,
    }


def encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def record_path(uuid: str, session: Session) -> str:
    return f"sessions/{session.start_time.astimezone(UTC):%Y-%m}/{uuid}.json"


# --- git objects, hashed as git does, so an unchanged tree costs no git call -------------------------------

def blob_sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _tree_sha(entries: list[tuple[str, str, str]]) -> str:
    """(mode, name, sha) of one directory, whose entries are all files or all directories."""
    import hashlib

    body = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for mode, name, sha in sorted(
        entries, key=lambda entry: entry[1].encode()))
    return hashlib.sha1(b"tree %d\0" % len(body) + body, usedforsecurity=False).hexdigest()


class Tree(NamedTuple):
    """The ref's tree: the blobs by path, and each directory's entries with its sha."""

    blobs: dict[str, tuple[str, bytes]]  # path -> (sha, content)
    trees: list[tuple[str, list[tuple[str, str, str]]]]  # (sha, entries), children before parents
    sha: str


def build_tree(files: dict[str, bytes]) -> Tree:
    blobs = {path: (blob_sha(data), data) for path, data in files.items()}
    months: dict[str, list[tuple[str, str, str]]] = {}
    for path, (sha, _) in blobs.items():
        _, month, name = path.split("/")
        months.setdefault(month, []).append(("100644", name, sha))
    trees: list[tuple[str, list[tuple[str, str, str]]]] = []
    sessions: list[tuple[str, str, str]] = []
    for month, entries in sorted(months.items()):
        sha = _tree_sha(entries)
        trees.append((sha, entries))
        sessions.append(("40000", month, sha))
    root: list[tuple[str, str, str]] = []
    if sessions:
        sessions_sha = _tree_sha(sessions)
        trees.append((sessions_sha, sessions))
        root.append(("40000", "sessions", sessions_sha))
    root_sha = _tree_sha(root)
    trees.append((root_sha, root))
    return Tree(blobs, trees, root_sha)


# --- talking to git --------------------------------------------------------------------------------------

class _Clock:
    """One deadline for every git call of a sync (sync.auto's 10 s)."""

    def __init__(self, limit: float) -> None:
        self.until = time.monotonic() + limit

    def left(self) -> float:
        left = self.until - time.monotonic()
        if left <= 0:
            raise SyncError("sync ran out of time")
        return left


def _git(top: str, clock: _Clock, *args: str, check: bool = True, input: str | None = None) -> Any:
    from sess import proc

    return proc.run(["git", *args], cwd=top, check=check, timeout=clock.left(), input=input)


def _git_bytes(top: str, clock: _Clock, *args: str, input: bytes = b"") -> bytes:
    from sess import proc

    return proc.run_bytes(["git", *args], cwd=top, input=input, timeout=clock.left())


def _early_or_run(top: str, clock: _Clock, args: tuple[str, ...]) -> Any:
    """git `args`, started early by the command line (spawn.prefetch_sync) or now."""
    from sess import proc, spawn

    process = spawn.take(top, args)
    if process is not None:
        return proc.adopt(["git", *args], process, clock.left()).wait(check=False)
    return _git(top, clock, *args, check=False)


def _fetch(top: str, clock: _Clock) -> None:
    from sess import spawn

    result = _early_or_run(top, clock, spawn.SYNC_FETCH)
    if not result.ok:
        detail = CommandError(result.argv, result.returncode, result.stdout, result.stderr).detail
        raise SyncError(f"could not fetch the team's records from origin: {detail}")


def _tips(top: str, clock: _Clock) -> dict[str, tuple[str, float | None]]:
    """origin's refs as fetched: `refs/sess/v1/...` -> (tip, its committer time), read from git's
    files where they give a sure answer (the time is then read later, for the refs that moved
    only: None here), else from git."""
    from sess import gitfiles

    quick = gitfiles.refs_quick(top, TRACKING + "/")
    if quick is not None:
        return {NAMESPACE + name[len(TRACKING):]: (sha, None) for name, sha in quick.items()}
    return _tips_from_git(top, clock)


def _tips_from_git(top: str, clock: _Clock) -> dict[str, tuple[str, float | None]]:
    listing = _git(top, clock, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:unix)",
                   TRACKING + "/").stdout
    tips: dict[str, tuple[str, float | None]] = {}
    for line in listing.splitlines():
        name, _, rest = line.partition("\0")
        sha, _, stamp = rest.partition("\0")
        tips[NAMESPACE + name[len(TRACKING):]] = (sha, float(stamp) if stamp.isdigit() else None)
    return tips


def _tracking(ref: str) -> str:
    return TRACKING + ref[len(NAMESPACE):]


def _missing(top: str, clock: _Clock, shas: list[str]) -> set[str]:
    if not shas:
        return set()
    out = _git_bytes(top, clock, "cat-file", "--batch-check=%(objectname)", input="".join(
        sha + "\n" for sha in shas).encode())
    return {line.split()[0] for line in out.decode("ascii", "replace").splitlines() if line.endswith(" missing")}


def _write_objects(top: str, clock: _Clock, tree: Tree) -> None:
    """The blobs and trees git does not have yet (hash-object -w, mktree); checked against the
    shas computed here."""
    import tempfile

    wanted = {sha: data for sha, data in tree.blobs.values()}
    missing = _missing(top, clock, list(wanted))
    if missing:
        with tempfile.TemporaryDirectory(prefix="sess-sync-") as folder:
            paths = []
            for index, sha in enumerate(sorted(missing)):
                path = os.path.join(folder, str(index))
                with open(path, "wb") as handle:
                    handle.write(wanted[sha])
                paths.append(path)
            made = _git(top, clock, "hash-object", "-w", "--no-filters", "--stdin-paths",
                        input="".join(p + "\n" for p in paths)).stdout.split()
        if made != sorted(missing):
            raise SyncError("git stored the records under other names than expected; nothing was pushed")
    batch = "\n".join("".join(f"{mode} {'tree' if mode == '40000' else 'blob'} {sha}\t{name}\n"
                              for mode, name, sha in entries) for _, entries in tree.trees)
    made = _git(top, clock, "mktree", "--batch", input=batch + "\n").stdout.split()
    if made[-1:] != [tree.sha]:
        raise SyncError("git made another tree than expected; nothing was pushed")


def _changed_paths(top: str, clock: _Clock, tree: Tree, before: str | None) -> int:
    if before is None:
        return len(tree.blobs)
    result = _git(top, clock, "ls-tree", "-r", "-z", before, check=False)
    if not result.ok:
        return len(tree.blobs)
    old: dict[str, str] = {}
    for entry in result.stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        if path:
            old[path] = meta.split()[-1]
    now = {path: sha for path, (sha, _) in tree.blobs.items()}
    return sum(1 for path in now.keys() | old.keys() if now.get(path) != old.get(path))


# --- sync ------------------------------------------------------------------------------------------------

def same_origin_projects(store: Store, top: str, url: str) -> list[int]:
    """This project and every other tracked one whose origin is this repository: two clones of it
    write one set of records."""
    from sess import git, gitfiles
    from sess.store import team

    ids = []
    for project_id, path in team.tracked_paths(store):
        if path == top:
            ids.append(project_id)
        elif os.path.isdir(path):
            # Read from each repository's config file: one git per tracked project cost every
            # sync as much as its fetch (issue 18). git is asked where the file does not answer.
            other = gitfiles.remote_url_quick(path)
            if other is None:
                other = git.git(path, "config", "--get", "remote.origin.url", check=False).stdout.strip()
            if other == url:
                ids.append(project_id)
    return ids


def own_files(store: Store, project_ids: list[int], who: Identity) -> dict[str, bytes]:
    from sess.store import team

    return {record_path(uuid, session): encode(record_of(uuid, session, slices, who))
            for uuid, session, slices in team.own_sessions(store, project_ids)}


def run(store: Store, top: str, project_id: int, *, dry_run: bool = False, limit: float = TIMEOUT_S,
        warn: Callable[[str], None]) -> Outcome:
    """`sess sync`: fetch origin's refs, read the teammates' refs that moved, write and push
    this device's. Unreadable records are skipped (one `warn` per ref); a refused push raises
    SyncError after the rest is done, with this device's ref as it was."""
    clock = _Clock(limit)
    facts = _facts(top, clock)
    url = facts.get("remote.origin.url") or None
    if url is None:
        raise SyncError("this repository has no origin to sync with")
    who = identity(top, clock, facts)
    with _sync_lock(clock):
        files = own_files(store, same_origin_projects(store, top, url), who)
        tree = build_tree(files)
        last = pushed(url, who.ref)
        if dry_run:
            changed = 0 if last and last.get("tree") == tree.sha else _changed_paths(
                top, clock, tree, last.get("tree") if last else None)
            return Outcome(who.ref, len(files), changed, False, 0, 0, 0)
        _fetch(top, clock)
        tips = _tips(top, clock)
        refs_read, records_read = read_teammates(store, top, project_id, tips, who, clock, warn)
        team.keep_identity(top, who.name, who.email)  # for `sess team`, which then asks git nothing
        people = len({ref.split("/")[3] for ref in tips} | {who.actor})
        origin_tip = tips.get(who.ref, (None, None))[0]
        recorded = last["commit"] if last else None
        if origin_tip is not None and origin_tip != recorded:
            raise SyncError(
                f"origin's {who.ref} is not the commit this device pushed last, so nothing was pushed",
                "Another machine writes with this device's id (a copied state dir?): on that one, remove "
                f"{os.path.join(state_dir(), 'device-id')} so that it gets an id of its own.")
        unchanged = last is not None and last.get("tree") == tree.sha
        if (unchanged and origin_tip == recorded) or (last is None and not files):
            # Nothing new; and a device with no sessions here announces nothing.
            return Outcome(who.ref, len(files), 0, False, refs_read, records_read, people)
        changed = _changed_paths(top, clock, tree, last.get("tree") if last else None)
        commit = recorded if unchanged else _commit(top, clock, tree, recorded, who)
        assert commit is not None
        _push(top, clock, who.ref, commit)
        _record_pushed(url, who.ref, commit, tree.sha)
        return Outcome(who.ref, len(files), changed, True, refs_read, records_read, people)


def auto(top: str, cfg: Config | None, warn: Callable[[str], None]) -> None:
    """sync.auto, at the end of start, end, cancel and switch: within AUTO_TIMEOUT_S, and a
    failure is one warning line, never a failed command (what it followed is done). `cfg`: the
    command's configuration, None to read it here (a broken file then means no sync)."""
    from sess.store import Store

    if cfg is None:
        from sess import config

        try:
            cfg = config.load(top)
        except SessError:
            return
    if not (cfg.sync_enabled and cfg.sync_auto):
        return
    try:
        store = Store.open()
        project = store.project_by_path(top)
        if project is not None:
            run(store, top, project.id, limit=AUTO_TIMEOUT_S, warn=warn)
    except SessError as exc:
        warn(f"Warning: sess sync did not finish: {exc.message}")
    except Exception as exc:  # noqa: BLE001 (the command it follows has succeeded: never fail it)
        warn(f"Warning: sess sync did not finish: {type(exc).__name__}: {exc}")


def probe(top: str) -> list[tuple[str, str, bool]]:
    """`sess doctor`'s look at sync here: (problem or fact, fix, is a problem). Whether origin can be
    read, and what it holds (`git ls-remote`, no fetch); whether it takes refs/sess/* on a push, as
    SPEC Part 3 says, by a probe ref pushed and deleted (origin is left as it was)."""
    from sess import config, git

    try:
        cfg = config.load(top)
    except SessError:
        return []  # the configuration check says why
    if not cfg.sync_enabled:
        return []
    if not git.has_remote(top):
        return [("sync is enabled but this repository has no origin", "git remote add origin URL", True)]
    found: list[tuple[str, str, bool]] = []
    try:
        who = identity(top)
    except SyncError as exc:
        return [(exc.message, exc.hint or "", True)]
    result = git.git(top, "-c", "maintenance.auto=false", "ls-remote", "origin", f"{NAMESPACE}/*", check=False,
                     timeout=AUTO_TIMEOUT_S)
    if not result.ok:
        detail = CommandError(result.argv, result.returncode, result.stdout, result.stderr).detail
        return [(f"origin cannot be read for the team's records: {_clean(detail, 200)}",
                 "Check origin's URL and your access (git ls-remote origin).", True)]
    refs = [line.split("\t", 1)[1] for line in result.stdout.splitlines() if "\t" in line]
    people = {ref.split("/")[3] for ref in refs if ref.count("/") == 4}
    mine = "on origin" if who.ref in refs else "not on origin yet ('sess sync' pushes it)"
    found.append((f"sync: {len(refs)} refs of {len(people)} people on origin; this device's {who.ref} is {mine}",
                  "", False))
    refused = _probe_push(top, who)
    if refused is not None:
        found.append((f"origin refuses refs under refs/sess/ (a probe ref was declined): {_clean(refused, 200)}",
                      "Ask whoever runs the server to allow refs/sess/*, or set sync.enabled = false in your "
                      "own file (sess config set sync.enabled false)", True))
    return found


def _probe_push(top: str, who: Identity) -> str | None:
    """Whether origin takes a ref under refs/sess/: one pushed and deleted at once, pointing at a
    commit origin has already (nothing uploaded); None when it took it (or there is nothing to
    point it at), else git's reason. Pushes skip the pre-push hook, as sync's own do."""
    from sess import git

    listing = git.git(top, "for-each-ref", "--count=1", "--format=%(objectname)", "refs/remotes/origin/",
                      check=False).stdout.split()
    if not listing:
        return None
    probe = f"refs/sess/probe/{who.device}"
    pushed = git.git(top, "-c", "maintenance.auto=false", "push", "--porcelain", "--no-verify", "origin",
                     f"{listing[0]}:{probe}", check=False, timeout=AUTO_TIMEOUT_S)
    if not pushed.ok:
        detail = CommandError(pushed.argv, pushed.returncode, pushed.stdout, pushed.stderr).detail
        return detail
    git.git(top, "-c", "maintenance.auto=false", "push", "--porcelain", "--no-verify", "origin", f":{probe}",
            check=False, timeout=AUTO_TIMEOUT_S)
    return None


def _commit(top: str, clock: _Clock, tree: Tree, parent: str | None, who: Identity) -> str:
    _write_objects(top, clock, tree)
    if parent is not None and _missing(top, clock, [parent]):
        parent = None  # origin lost it and this clone never had it: the ref starts anew
    args = ["commit-tree", tree.sha, *(["-p", parent] if parent else []), "-m", "sess sync"]
    # The records' author, whatever this repository's commit settings: no signing prompt.
    env_args = ["-c", "commit.gpgSign=false", "-c", f"user.name={who.name}", "-c", f"user.email={who.email}"]
    commit: str = _git(top, clock, *env_args, *args).stdout.strip()
    return commit


def _push(top: str, clock: _Clock, ref: str, commit: str) -> None:
    before = _git(top, clock, "rev-parse", "--verify", "--quiet", ref, check=False).stdout.strip()
    # Compare-and-swap: another sess in another clone may move it meanwhile.
    _git(top, clock, "update-ref", "-m", "sess sync", ref, commit, before)
    # Not forced; no pre-push hook (these refs hold no code for it to check).
    result = _git(top, clock, "push", "--porcelain", "--no-verify", "origin", f"{ref}:{ref}", check=False)
    if result.ok:
        _git(top, clock, "update-ref", "-m", "sess sync", _tracking(ref), commit)
        return
    # This clone's copy of the ref goes back to what it was; origin has nothing new.
    if before:
        _git(top, clock, "update-ref", "-m", "sess sync: push refused", ref, before, commit, check=False)
    else:
        _git(top, clock, "update-ref", "-d", ref, commit, check=False)
    text = result.stdout + result.stderr
    if "non-fast-forward" in text or "fetch first" in text or "stale info" in text:
        raise SyncError(f"origin refused {ref}: it holds a commit this device did not push; nothing was pushed",
                        "Another machine writes with this device's id (a copied state dir?): on that one, remove "
                        f"{os.path.join(state_dir(), 'device-id')} so that it gets an id of its own.")
    reason = re.search(r"\[remote rejected\] \(([^)]*)\)", text)
    if reason:
        raise SyncError(f"origin refuses refs under {NAMESPACE} ({_clean(reason.group(1), 200)}); nothing was pushed")
    detail = CommandError(result.argv, result.returncode, result.stdout, result.stderr).detail
    raise SyncError(f"could not push {ref} to origin: {_clean(detail, 300)}")


class _sync_lock:  # noqa: N801 (used as a statement: `with _sync_lock(clock)`)
    """One sync at a time on this machine: the record of what was pushed is read, then written."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.handle: Any = None

    def __enter__(self) -> None:
        import fcntl

        locks = os.path.join(state_dir(), "locks")
        os.makedirs(locks, mode=0o700, exist_ok=True)
        self.handle = open(os.path.join(locks, "sync.lock"), "w")  # noqa: SIM115 (held for the block)
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if self.clock.until - time.monotonic() < 0.1:
                    self.handle.close()
                    raise SyncError("another sess sync is running; try again when it has finished") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


# --- teammates' records: untrusted input ---------------------------------------------------------------

def read_teammates(store: Store, top: str, project_id: int, tips: dict[str, tuple[str, float | None]],
                   who: Identity, clock: _Clock, warn: Callable[[str], None]) -> tuple[int, int]:
    """Read the refs whose tip moved since the last sync (not this device's own) into the
    team tables; (refs read, records read)."""
    from sess.store import team

    known = team.ref_tips(store, project_id)
    team.forget_refs(store, project_id, [ref for ref in known if ref not in tips or ref == who.ref])
    moved = []
    for ref, (tip, _) in sorted(tips.items()):
        if ref == who.ref or known.get(ref) == tip:
            continue
        parts = ref[len(NAMESPACE) + 1:].split("/")
        if len(parts) != 2 or not all(_hex16(part) for part in parts):
            warn(f"Warning: skipped {_clean(ref, 120)} on origin: not a ref sess writes")
            continue
        moved.append(ref)
    plans: list[tuple[str, list[tuple[str, str]], list[str], list[str]]] = []  # ref, (uuid, blob) to read, gone, odd
    wanted: list[str] = []
    contents: dict[str, bytes] = {}
    stamps: dict[str, float | None] = {}
    def whole(ref: str) -> tuple[str, list[tuple[str, str]], list[str], list[str]]:
        """A ref read as a listing of its tree: the records whose blob is not the one read before."""
        have = team.ref_blobs(store, project_id, ref)
        entries, odd = _listing(top, clock, tips[ref][0])
        read = [(uuid, blob) for uuid, blob in entries.items() if have.get(uuid) != blob]
        wanted.extend(blob for _, blob in read)
        return ref, read, [uuid for uuid in have if uuid not in entries], odd

    if moved:
        from sess import proc

        try:
            # One git for every moved ref: its commit (tree, time), what changed since the tip
            # read last time, and those records; a ref seen for the first time is listed whole.
            with proc.GitBatch(top, clock.left()) as batch:
                for ref in list(moved):
                    head = _commit_of(batch, tips[ref][0])
                    if head is None:
                        warn(f"Warning: skipped {_clean(ref, 120)} on origin: its tip is not a commit")
                        moved.remove(ref)
                        continue
                    stamps[ref] = head[1] if head[1] is not None else tips[ref][1]
                    before = _commit_of(batch, known[ref]) if ref in known else None
                    if before is None:
                        plans.append(whole(ref))
                        continue
                    entries, gone, odd = _tree_changes(batch, before[0], head[0])
                    for blob in entries.values():
                        found = batch.contents(blob)
                        if found is not None and found[0] == "blob":
                            contents[blob] = found[1]
                    plans.append((ref, list(entries.items()), gone, odd))
        except CommandError:  # a git older than cat-file --batch-command (2.36): every moved ref whole
            plans, wanted, contents = [], [], {}
            times = _tips_from_git(top, clock)
            for ref in moved:
                stamps[ref] = times.get(ref, (None, None))[1]
                plans.append(whole(ref))
    contents.update(_cat_blobs(top, clock, wanted))
    total = 0
    for ref, read, gone, odd in plans:
        actor, device = ref[len(NAMESPACE) + 1:].split("/")
        good: list[TeamRecord] = []
        problems = list(odd)
        for uuid, blob in read:
            try:
                good.append(parse_record(contents.get(blob), uuid, blob, actor, device))
            except ValueError as exc:
                problems.append(str(exc))
                gone.append(uuid)
        if problems:
            warn(f"Warning: skipped {len(problems)} unreadable record{'s' if len(problems) != 1 else ''} "
                 f"in {ref} on origin ({problems[0]})")
        team.apply_ref(store, project_id, ref, tips[ref][0], stamps[ref], good, gone)
        total += len(good)
    return len(moved), total


def _commit_of(batch: GitBatch, sha: str) -> tuple[str, float | None] | None:
    """(tree, committer time) of a commit; None when git has no such commit."""
    found = batch.contents(sha)
    if found is None or found[0] != "commit":
        return None
    tree, stamp = None, None
    for line in found[1].split(b"\n"):
        if not line:
            break  # the message follows
        if line.startswith(b"tree "):
            tree = line[5:].decode("ascii", "replace")
        elif line.startswith(b"committer "):
            fields = line.rsplit(b" ", 2)
            stamp = float(fields[1]) if len(fields) == 3 and fields[1].isdigit() else None
    return (tree, stamp) if tree is not None else None


def _tree(batch: GitBatch, sha: str | None) -> dict[str, tuple[str, str]]:
    """name -> (mode, sha) of a tree object ({} for None, or when it is not a tree)."""
    if sha is None:
        return {}
    found = batch.contents(sha)
    if found is None or found[0] != "tree":
        return {}
    data, at, entries = found[1], 0, {}
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        mode = data[at:space].decode("ascii", "replace")
        name = data[space + 1:nul].decode("utf-8", "surrogateescape")
        entries[name] = (mode, data[nul + 1:nul + 21].hex())
        at = nul + 21
    return entries


_DIRECTORY = "40000"
_DEPTH = 3  # sessions/<YYYY-MM>/<uuid>.json: anything deeper is an odd path, not walked


def _tree_changes(batch: GitBatch, old: str, new: str) -> tuple[dict[str, str], list[str], list[str]]:
    """Between two trees of a ref, as `git diff-tree -r` tells it: uuid -> blob of the records
    added or changed, the uuids gone, and why entries were left out (odd paths, huge records)."""
    changed: dict[str, str] = {}
    gone: list[str] = []
    odd: list[str] = []

    def walk(before: str | None, after: str | None, prefix: str, depth: int) -> None:
        old_entries, new_entries = _tree(batch, before), _tree(batch, after)
        for name in sorted(old_entries.keys() | new_entries.keys()):
            was, now = old_entries.get(name), new_entries.get(name)
            if was == now:
                continue
            path = prefix + name
            old_dir = was is not None and was[0] == _DIRECTORY
            new_dir = now is not None and now[0] == _DIRECTORY
            if (old_dir or new_dir) and depth < _DEPTH:
                walk(was[1] if was and old_dir else None, now[1] if now and new_dir else None, path + "/", depth + 1)
            if was is not None and not old_dir:
                uuid = record_uuid(path)
                if uuid is not None and (now is None or new_dir):
                    gone.append(uuid)
            if now is not None and (not new_dir or depth >= _DEPTH):
                uuid = record_uuid(path)
                if uuid is None or now[0] != "100644":
                    odd.append(f"odd path {_clean(path, 80)!r}")
                    continue
                size = batch.info(now[1])
                if size is None or size[0] != "blob":
                    odd.append(f"{uuid} is not a file")
                    gone.append(uuid)
                elif size[1] > MAX_RECORD_BYTES:
                    odd.append(f"{uuid} is larger than {MAX_RECORD_BYTES // 1024} KiB")
                    gone.append(uuid)
                else:
                    changed[uuid] = now[1]

    walk(old, new, "", 1)
    return changed, gone, odd


def _listing(top: str, clock: _Clock, tip: str) -> tuple[dict[str, str], list[str]]:
    """uuid -> blob of the records a tip's tree holds, and why the other entries were left out."""
    out = _git(top, clock, "ls-tree", "-r", "-l", "-z", "--full-tree", tip).stdout  # not UTF-8: no match below
    entries: dict[str, str] = {}
    odd: list[str] = []
    for raw in out.split("\0"):
        if not raw:
            continue
        meta, _, path = raw.partition("\t")
        fields = meta.split()
        uuid = record_uuid(path)
        if len(fields) != 4 or fields[0] != "100644" or fields[1] != "blob" or uuid is None:
            odd.append(f"odd path {_clean(path, 80)!r}")
            continue
        if not fields[3].isdigit() or int(fields[3]) > MAX_RECORD_BYTES:
            odd.append(f"{uuid} is larger than {MAX_RECORD_BYTES // 1024} KiB")
            continue
        entries[uuid] = fields[2]
    return entries, odd


def _cat_blobs(top: str, clock: _Clock, shas: list[str]) -> dict[str, bytes]:
    if not shas:
        return {}
    if len(shas) <= 3:  # the usual sync: a teammate's one or two changed records, one git each
        return {sha: _git(top, clock, "cat-file", "blob", sha).stdout.encode("utf-8") for sha in shas}
    out = _git_bytes(top, clock, "cat-file", "--batch", input="".join(sha + "\n" for sha in shas).encode())
    found: dict[str, bytes] = {}
    at = 0
    while at < len(out):
        end = out.index(b"\n", at)
        header = out[at:end].decode("ascii", "replace").split()
        at = end + 1
        if len(header) != 3:  # "<sha> missing"
            continue
        size = int(header[2])
        found[header[0]] = out[at:at + size]
        at += size + 1
    return found


# Control characters (C0, DEL, C1) and the invisible format ones (bidi overrides, zero widths)
# never reach a terminal, a CSV cell or a page from someone else's record.
_UNSAFE = dict.fromkeys([*range(0x20), *range(0x7f, 0xa0), 0xad, *range(0x200b, 0x2010), *range(0x202a, 0x202f),
                         *range(0x2060, 0x206a), 0xfeff])


def _clean(text: str, limit: int = MAX_TEXT) -> str:
    return text.translate(_UNSAFE)[:limit]


def _text(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"'{key}' is not text")
    return _clean(value) or None


def _moment(value: Any, key: str, *, required: bool = True) -> float | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"'{key}' is not a time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{key}' is not a time") from None
    if moment.utcoffset() is None:
        raise ValueError(f"'{key}' has no offset")
    return moment.timestamp()


def parse_record(data: bytes | None, uuid: str, blob: str, actor: str, device: str) -> TeamRecord:
    """A teammate's record, checked field by field; ValueError says why it cannot be used."""
    if data is None:
        raise ValueError("missing blob")
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(f"{uuid}: not JSON") from None
    if not isinstance(record, dict):
        raise ValueError(f"{uuid}: not a JSON object")
    try:
        return _fields(record, uuid, blob, actor, device)
    except ValueError as exc:
        raise ValueError(f"{uuid}: {exc}") from None


def _fields(record: dict[str, Any], uuid: str, blob: str, actor: str, device: str) -> TeamRecord:
    if record.get("uuid") != uuid:
        raise ValueError("its uuid is not its file's name")
    who = record.get("actor")
    if not isinstance(who, dict):
        raise ValueError("'actor' is not an object")
    email = _text(who, "email")
    assert email is not None
    if actor_hash(email) != actor:
        raise ValueError("its e-mail is not the one its ref is named after")
    if record.get("device") != device:
        raise ValueError("its device is not the one its ref is named after")
    name = _text(who, "name", required=False) or email.split("@")[0]
    state = record.get("state")
    if state not in _STATES:
        raise ValueError("'state' is not active, paused or ended")
    outcome = record.get("outcome")
    if outcome is not None and outcome != rules.CANCELLED:
        outcome = None  # a later version's outcome: read as a plain end
    issue = record.get("issue")
    issue_tracker = issue_id = issue_title = None
    if issue is not None:
        if not isinstance(issue, dict):
            raise ValueError("'issue' is not an object")
        issue_id = _text(issue, "id")
        issue_tracker = _text(issue, "tracker", required=False)
        issue_title = _text(issue, "title", required=False)
    pr = record.get("pr")
    pr_number = pr_url = None
    if pr is not None:
        if not isinstance(pr, dict):
            raise ValueError("'pr' is not an object")
        number = pr.get("number")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
            raise ValueError("'pr.number' is not a number")
        pr_number = number
        pr_url = _text(pr, "url", required=False)
        if pr_url is not None and not pr_url.startswith(("https://", "http://")):
            pr_url = None  # shown as a link in the HTML report: only web addresses
    elapsed = record.get("elapsed_seconds")
    if isinstance(elapsed, bool) or not isinstance(elapsed, int) or not 0 <= elapsed < 10 ** 10:
        raise ValueError("'elapsed_seconds' is not a number of seconds")
    raw_slices = record.get("slices")
    if not isinstance(raw_slices, list) or len(raw_slices) > MAX_SLICES:
        raise ValueError("'slices' is not a list")
    slices: list[tuple[float, float | None]] = []
    for piece in raw_slices:
        if not isinstance(piece, dict):
            raise ValueError("a slice is not an object")
        start = _moment(piece.get("start"), "slices.start")
        assert start is not None
        slices.append((start, _moment(piece.get("end"), "slices.end", required=False)))
    start_epoch = _moment(record.get("started_at"), "started_at")
    assert start_epoch is not None
    branch = _text(record, "branch")
    assert branch is not None
    return TeamRecord(
        uuid=uuid, actor_hash=actor, device=device, actor_name=name, actor_email=email, branch=branch,
        branch_type=_text(record, "type", required=False) or "", issue_tracker=issue_tracker,
        issue_id=issue_id, issue_title=issue_title, pr_number=pr_number, pr_url=pr_url, state=state,
        outcome=outcome, start_epoch=start_epoch,
        end_epoch=_moment(record.get("ended_at"), "ended_at", required=False), elapsed_s=elapsed,
        slices=slices, blob=blob)
