"""`sess start`: cut a branch from the base and record an active session, or change nothing.

The command layer first calls `inspect` for the facts it needs to ask its questions, then
`run` with a `Plan` holding every decision.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime

from sess import git, proc, rules, timestamps
from sess.errors import CommandError, SessError, UsageError
from sess.hooks import Hooks, SessionInfo
from sess.progress import Progress
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import SessionConflict, Store, project_lock
from sess.workflows.common import Rollback, Where, check_dirty_choice, locate, project_name, shielded

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from collections.abc import Callable

    from sess.trackers import Issue


class Facts(NamedTuple):
    where: Where
    base: str  # this session's base: --base, else default_base
    default_base: str  # what the project keeps as its base
    refs: git.Refs  # every branch, as inspect found them
    scan: git.PendingWorkTree  # the work tree, scanned while the command goes on: `settled` waits
    tree: git.WorkTree | None = None  # the checked-out commit and the changes, once settled
    fetch: proc.Running | None = None  # the base being fetched from origin while the rest goes on
    base_warning: str | None = None  # the base is not on origin (its pull requests cannot target it)
    open_sessions: tuple[Session, ...] = ()  # the project's open sessions, the running one first

    @property
    def parks(self) -> Session | None:
        """The open session checked out here, whose changes `--park` parks with it."""
        return next((s for s in self.open_sessions if s.branch == self.where.branch), None)

    def settled(self) -> Facts:
        """These facts with the scan of the work tree finished."""
        return self if self.tree is not None else self._replace(tree=self.scan.wait())

    @property
    def dirty(self) -> bool:
        if self.tree is None:
            raise RuntimeError("the work tree is still being scanned: ask Facts.settled() first")
        return self.tree.dirty


class Plan(NamedTuple):
    branch_type: str
    name: str | None
    issue: Issue | None
    dirty: str | None
    message: str | None
    template: str = "{type}/{slug}"  # branch.template
    max_length: int = rules.SLUG_MAX  # branch.max_length: the longest slug
    at: datetime | None = None  # --at: when the clock started, instead of now
    exclusive: bool = False  # time.exclusive: stop the clock running in any other project
    user: str | None = None  # branch.user: what {user} is; None: git's user.name (else user.email's local part)
    park: bool = False  # --park: the open sessions stay open; the running clock stops, changes parked
    worktree: str | None = None  # --worktree: the new linked worktree's path; this work tree is not touched
    copy: tuple[str, ...] = ()  # worktree.copy
    pr: Review | None = None  # --pr: a review of someone else's pull request, checked out by the forge


class Review(NamedTuple):
    """`start --pr N`: the pull request to review and how to check out its head."""

    number: int
    url: str
    head: str  # the PR's head branch, as its author named it
    checkout: Callable[[str, str], None]  # the forge's checkout of the PR's head as (branch, in work tree)


class Started(NamedTuple):
    project: Project
    session: Session
    base: str
    pulled: int
    stash_note: str | None
    paused_elsewhere: list[tuple[Project, Session]] = []
    handed_over: Session | None = None  # the project's clock that stopped for this one
    parked_note: str | None = None  # which session the changes were parked with, in which entry
    worktree: str | None = None  # the linked worktree the session was started in


def inspect(store: Store, cwd: str, base_flag: str | None, where: Where | None = None,
            base_hint: str | None = None, *, review: bool = False) -> Facts:
    """`base_flag`: --base, or the configured base (then `base_hint` says where it is set).
    `review`: for `start --pr`, which never checks the base out: origin is not asked for it."""
    where = where or locate(store, cwd)
    top = where.top
    scan = git.work_tree_start(top)  # the slowest look in a large repository: under way meanwhile
    refs = git.refs(top)  # one call for every question about branches below
    # HEAD names a branch not born yet; or one that a racing sess start just removed again,
    # which `where` (located a moment earlier) cannot know: git says which.
    if where.branch != "HEAD" and where.branch not in refs.heads and not git.has_commits(top):
        raise SessError("the repository has no commits yet", "Make a first commit, then run 'sess start'.")
    open_sessions = tuple(store.open_sessions(where.project.id)) if where.project is not None else ()
    merging = git.unconcluded(top, heads_only=True)  # set aside or switched away from, its MERGE_HEAD would be lost
    if merging is not None:
        raise SessError(*merging)
    # A bad --base first.
    chosen = resolve_base(store, where, base_flag, base_hint, refs) if base_flag is not None else None
    # The project's stored base follows a configured `base` (base_hint says it is one); --base
    # picks this session's only.
    default_base = chosen if chosen is not None and base_hint is not None else resolve_base(store, where, None,
                                                                                           refs=refs)
    base = chosen or default_base
    elsewhere = refs.worktrees.get(base)
    if base != where.branch and elsewhere and os.path.realpath(elsewhere) != os.path.realpath(top):
        # git would refuse to check it out here, after the changes had been set aside.
        raise SessError(f"{base} is checked out in another worktree ({elsewhere})",
                        "Start the session there, or pass --base with another branch." if os.path.isdir(elsewhere)
                        else "That worktree's folder is gone: 'git worktree prune' makes git forget it.")
    # origin is asked for the base while git scans the work tree: the two waits overlap, and the
    # command names the branch meanwhile (Facts.settled waits for the scan).
    fetch = git.fetch_branch(top, base) if refs.remote_branch(base) and not review else None
    warning = None
    if fetch is None and refs.has_remote() and not review:
        warning = (f"Warning: the base {base} is not on origin: a pull request cannot target it until it is "
                   f"pushed ('sess end --base BRANCH' re-targets the session)")
    return Facts(where, base, default_base, refs, scan, fetch=fetch, base_warning=warning,
                 open_sessions=open_sessions)


def resolve_base(store: Store, where: Where, base_flag: str | None, hint: str | None = None,
                 refs: git.Refs | None = None) -> str:
    """--base (or the configured base), else the stored base if it still exists, else origin's
    HEAD (as fetched, else asked of origin), else the first of main, master, trunk, develop on
    origin; and only without origin the current branch (a side branch is never taken for the
    base of every later session)."""
    top = where.top
    refs = refs or git.refs(top)
    if base_flag is not None:
        if not _branch_known(top, base_flag, refs):
            raise SessError(f"base branch '{base_flag}' does not exist here or on origin", hint)
        return base_flag
    stored = where.project.base_branch if where.project else ""
    if stored and _branch_known(top, stored, refs):
        return stored
    detected = refs.remote_head()
    if detected and _branch_known(top, detected, refs):
        return detected
    if git.has_remote(top):
        asked = _origin_head(top)
        if asked and _branch_known(top, asked, refs):
            return asked
        usual = ("main", "master", "trunk", "develop")
        found = next((name for name in usual if refs.remote_branch(name)), None)
        found = found or next((name for name in usual if name in refs.heads), None)  # an empty origin
        if found:
            return found
        raise SessError("cannot tell the base branch: origin names none, and has none of "
                        "main, master, trunk, develop", "Pass --base BRANCH, or set 'base' in .sess.toml.")
    if where.branch != "HEAD" and where.branch in refs.heads:
        return where.branch
    raise SessError("cannot tell the base branch", "Pass --base BRANCH.")


def _origin_head(top: str) -> str | None:
    """The branch origin's HEAD names, asked of origin (`git ls-remote --symref origin HEAD`):
    for a clone whose refs/remotes/origin/HEAD was never set. None when origin does not answer."""
    result = git.git(top, "ls-remote", "--symref", "origin", "HEAD", check=False)
    for line in result.stdout.splitlines():
        ref, _, name = line.partition("\t")
        if ref.startswith("ref: refs/heads/") and name.strip() == "HEAD":
            return ref[len("ref: refs/heads/"):]
    return None


def _branch_known(top: str, branch: str, refs: git.Refs) -> bool:
    if not branch or branch.startswith("-") or not git.valid_branch_name(top, branch):
        return False
    return refs.known(branch)


class BranchExists(SessError):
    """The new session's branch exists already, here or on origin."""

    def __init__(self, branch: str) -> None:
        super().__init__(f"branch '{branch}' already exists", "Pass another NAME.")
        self.branch = branch


def plan_branch(facts: Facts, plan: Plan, store: Store | None = None) -> str:
    """The new branch's name. With `store`: a name that is an ended session's branch of this
    project says so, and with the same issue points at 'sess reopen' (never a second branch)."""
    try:
        return branch_for(facts.where.top, plan, facts.refs)
    except BranchExists as exc:
        project = facts.where.project
        if store is None or project is None:
            raise
        ended = store.ended_sessions(project.id, exc.branch)
        if not ended:
            raise
        session = ended[0]  # what the error shows is escaped where errors are printed
        issue = plan.issue.id if plan.issue else None
        on = f" on {rules.issue_ref(session.issue_id)}" if session.issue_id else ""
        kind = "cancelled" if session.cancelled else "ended"
        said = f"branch '{exc.branch}' already exists: it is the branch of your {kind} session [{session.id}]{on}"
        if issue is not None and session.issue_id == issue and not session.cancelled:
            raise SessError(said, f"Run 'sess reopen {exc.branch}' to go on with it (a review round), "
                                  "or pass another NAME for a new branch.") from None
        if session.cancelled:
            raise SessError(said, f"Pass another NAME; or, if nothing on it is needed any more, delete it "
                                  f"(git branch -D {exc.branch}) and start again.") from None
        raise SessError(said, "Pass another NAME.") from None


def branch_for(top: str, plan: Plan, refs: git.Refs | None = None) -> str:
    """The new branch's name from `branch.template`; SessError when it is not usable."""
    name = plan.name or (plan.issue.title if plan.issue else "")
    slug = rules.slugify(name, plan.max_length)
    if not slug and plan.issue is not None and "{issue}" not in plan.template:
        # A title with no Latin letters or digits (日本語のタイトル), or none at all: the issue key.
        slug = rules.slugify(plan.issue.id, plan.max_length)
    if not slug and plan.issue is None:
        if not name:
            raise SessError("a branch name is needed", "Pass NAME, or --issue ID to name it after the issue.")
        raise SessError(f"'{name}' gives an empty branch name", "Pass a NAME with letters or digits.")
    fields = {"type": plan.branch_type, "slug": slug,
              "issue": rules.issue_branch_field(plan.issue.id if plan.issue else ""),
              "date": timestamps.now().strftime("%Y-%m-%d"),
              "user": _user_field(top, plan.user) if "{user}" in plan.template else ""}
    branch = rules.branch_from_template(plan.template, fields)
    # The slug can only hold a-z, 0-9 and '-', but the template and the type are free text, and
    # git is the judge of what a branch name is.
    if not git.valid_branch_name(top, branch):
        hint = None if plan.template == "{type}/{slug}" else f"Check 'branch.template' ({plan.template})."
        raise SessError(f"'{branch}' is not a valid branch name", hint)
    refs = refs or git.refs(top)
    if refs.known(branch):
        raise BranchExists(branch)
    clash = _clashing_ref(branch, refs)
    if clash is not None:
        raise SessError(f"branch '{branch}' cannot exist beside the branch '{clash}'",
                        "git keeps branches as files and folders: 'feature' and 'feature/x' cannot both be. "
                        "Pass another NAME, or rename that branch.")
    return branch


def _clashing_ref(branch: str, refs: git.Refs) -> str | None:
    """A branch here or on origin that is a folder of `branch`'s name, or that it is a folder of."""
    names = [*refs.heads, *(name.split("/", 1)[1] for name in refs.remotes if name.startswith("origin/"))]
    return next((name for name in names if name != "HEAD" and (name.startswith(branch + "/")
                                                              or branch.startswith(name + "/"))), None)


def _user_field(top: str, configured: str | None) -> str:
    """{user}: branch.user, else the slug of git's user.name, else of user.email's local part."""
    if configured:
        return rules.slugify(configured)
    user = rules.slugify(git.user_name(top))
    if user:
        return user
    email = git.git(top, "config", "--get", "user.email", check=False).stdout.strip()
    return rules.slugify(email.split("@", 1)[0])


def branch_problem(top: str, plan: Plan) -> str | None:
    """What is wrong with the plan's NAME as a new branch's name, for a prompt to ask again; None
    if nothing."""
    if not rules.slugify(plan.name or "", plan.max_length):
        return "the branch name needs letters or digits"
    try:
        branch_for(top, plan)
    except SessError as exc:
        return exc.message
    return None


def run(store: Store, facts: Facts, plan: Plan, progress: Progress, hooks: Hooks | None = None,
        branch: str | None = None) -> Started:
    """`branch`: plan_branch's answer, when the command has asked it already."""
    facts = facts.settled()
    where = facts.where
    top = where.top
    branch = branch or plan_branch(facts, plan)
    parking = facts.parks if plan.park and plan.worktree is None else None
    if parking is None and plan.worktree is None:
        check_dirty_choice(facts.dirty, plan.dirty, plan.message)
    if hooks is not None:  # the last word before anything changes
        hooks.run("pre-start", SessionInfo(project_name(top), top, branch, plan.branch_type, facts.base,
                                           issue_id=plan.issue.id if plan.issue else None,
                                           issue_title=plan.issue.title if plan.issue else None),
                  before=progress.close)

    # `--base` picks this session's base only; the project keeps its detected default.
    from sess.gitfiles import main_work_tree

    main = main_work_tree(top)  # a project is its main work tree (SPEC Part 3)
    project = store.track_project(project_name(main), main, facts.default_base)
    if project.base_branch != facts.default_base:
        store.set_base_branch(project.id, facts.default_base)  # the stored one no longer exists
        project = project._replace(base_branch=facts.default_base)

    with project_lock(project.path):
        existing = store.open_sessions(project.id)
        if sorted(s.id for s in existing) != sorted(s.id for s in facts.open_sessions):
            raise SessError(f"another sess start won the race (on {existing[0].branch}); this one changed nothing"
                            if existing else "the project's sessions changed meanwhile; this start changed nothing")
        if existing and not plan.park and plan.worktree is None:
            raise open_refusal(existing)
        if plan.at is not None:
            from sess.workflows.session import check_free

            rules.check_not_future("--at", plan.at, timestamps.now())
            check_free(store, project, None, plan.at, timestamps.now(), plan.exclusive)
        rollback = Rollback()
        with rollback.on_failure("interrupted; the repository is back as it was"):
            try:
                if plan.worktree is not None:
                    return _worktree_steps(store, project, facts, plan, branch, progress, rollback)
                return _steps(store, project, facts, plan, branch, progress, rollback)
            except SessionConflict:
                raise SessError("another sess start won the race; this one changed nothing") from None


def open_refusal(existing: list[Session] | tuple[Session, ...]) -> UsageError:
    """Part 1's refusal, kept as the default with a session open (exit 2)."""
    listed = ", ".join(f"{s.branch} ({s.state})" for s in existing)
    return UsageError(f"a session is already open: {listed}",
                      "Pass --park to park it and start here, or --worktree to start in a new worktree.")


def _fetched(top: str, base: str, fetch: proc.Running, progress: Progress) -> str | None:
    """What the fetch of the base brought; None when origin could not be reached: the session
    then starts from the local base, with one warning saying how old it is (end rebases onto
    origin's base as always)."""
    try:
        fetched = fetch.wait()
    except CommandError as exc:
        progress.note(_offline_warning(top, base, exc))
        return None
    for line in (fetched.stderr + fetched.stdout).splitlines():
        progress.output(line)
    return git.fetched_head(top)


def _offline_warning(top: str, base: str, exc: CommandError) -> str:
    """`Warning: cannot reach origin (...); starting from the local main, last updated from origin 3 days ago`."""
    from datetime import UTC

    from sess import render

    # When origin/<base> last moved here (its reflog), else how old the base's newest commit is.
    updated = git.git(top, "log", "-g", "-1", "--format=%ct", f"refs/remotes/origin/{base}", "--",
                      check=False).stdout.strip()
    committed = git.git(top, "log", "-1", "--format=%ct", f"refs/heads/{base}", "--", check=False).stdout.strip()
    now = timestamps.now()
    if updated.isdigit():
        age = f"last updated from origin {render.relative(datetime.fromtimestamp(int(updated), UTC), now)}"
    elif committed.isdigit():
        age = f"its newest commit is from {render.relative(datetime.fromtimestamp(int(committed), UTC), now)}"
    else:
        age = "never updated from origin"
    reason = exc.detail.splitlines()[0] if exc.detail else "no answer"
    return f"Warning: cannot reach origin ({reason}); starting from the local {base}, {age}"


def _pull_failed(base: str, exc: CommandError) -> SessError:
    return SessError(f"could not pull {base} from origin: {exc.detail}",
                     f"Bring {base} up to date with origin by hand, then run 'sess start' again.")


def _worktree_steps(store: Store, project: Project, facts: Facts, plan: Plan, branch: str,
                    progress: Progress, rollback: Rollback) -> Started:
    """`start --worktree`: the branch is made in a new linked worktree, from origin's base after the
    fetch (else the local base); the work tree here is not touched."""
    from sess.workflows import worktrees

    top, base, path = facts.where.top, facts.base, plan.worktree
    assert path is not None
    if plan.pr is not None:
        # A review's worktree starts detached where this one stands; the forge then checks the
        # PR's head out there, as in _review_steps.
        progress.step(f"Checking out #{plan.pr.number} as {branch} in a new worktree at {path}")
        try:
            git.git(top, "worktree", "add", "--quiet", "--detach", "--", path, "HEAD")
        except CommandError as exc:
            raise SessError(f"could not add the worktree {path}: {exc.detail}", "Nothing was changed.") from exc
    else:
        start_at = f"refs/heads/{base}"
        if facts.fetch is not None:
            progress.step(f"Fetching {base} from origin")
            start_at = _fetched(top, base, facts.fetch, progress) or start_at
        progress.step(f"Creating {branch} in a new worktree at {path}")
        try:
            worktrees.add(top, path, branch, start_at)
        except CommandError as exc:
            raise SessError(f"could not add the worktree {path}: {exc.detail}", "Nothing was changed.") from exc

    def remove() -> None:
        git.git(top, "worktree", "remove", "--force", "--", path)
        if git.branch_exists(top, branch):  # it did not exist before (branch_for made sure)
            git.delete_branch(top, branch, force=True)
        if plan.pr is not None:
            _unset_tracking(top, branch)

    rollback.push(f"remove the worktree {path}", remove)
    if plan.pr is not None:
        plan.pr.checkout(branch, path)
        if git.current_branch(path) != branch:
            raise SessError(f"the checkout of #{plan.pr.number} did not leave {branch} checked out in {path}")
    copied = worktrees.copy_files(project.path, path, plan.copy)
    running = next((s for s in facts.open_sessions if s.state == rules.ACTIVE), None)
    undo: dict[str, object] = {"original": facts.where.branch, "original_ref": facts.where.branch,
                               "branch": branch, "worktree": path, "tip": git.rev(path, "HEAD")}
    if plan.pr is not None:
        session = store.start_session(project.id, branch, REVIEW, None, None, plan.at or timestamps.now(),
                                      base_branch=base, undo=undo, pausing=running, worktree=path,
                                      open_ids=tuple(s.id for s in facts.open_sessions),
                                      pr=(plan.pr.number, plan.pr.url))
    else:
        session = store.start_session(project.id, branch, plan.branch_type, plan.issue.id if plan.issue else None,
                                      plan.issue.title if plan.issue else None, plan.at or timestamps.now(),
                                      base_branch=base, undo=undo, pausing=running, worktree=path,
                                      open_ids=tuple(s.id for s in facts.open_sessions))
    rollback.clear()
    paused = _pause_others(store, project, plan, session)
    note = f"Copied {', '.join(copied)} (worktree.copy)" if copied else None
    return Started(project, session, base, 0, note, paused, running, None, path)


def _steps(store: Store, project: Project, facts: Facts, plan: Plan, branch: str,
           progress: Progress, rollback: Rollback) -> Started:
    top, base = facts.where.top, facts.base
    original = facts.where.branch
    head = facts.tree.head if facts.tree is not None else None
    original_ref = original if original != "HEAD" else head or git.head_sha(top)

    def back_to_original() -> None:
        if git.current_branch(top) != original or original == "HEAD":
            if original == "HEAD":
                git.git(top, "checkout", "--quiet", "--detach", original_ref)
            else:
                git.checkout(top, original)

    theirs: str | None = None  # what the fetch of the base brought (None: origin could not be reached)
    answered = False  # origin has answered, or could not be reached: asked once
    if facts.fetch is not None and facts.dirty:
        # The changes are set aside only once origin has answered: a failure (or Ctrl-C) while
        # waiting for it then finds nothing to put back.
        progress.step(f"Fetching {base} from origin")
        theirs = _fetched(top, base, facts.fetch, progress)
        answered = True

    stash_sha: str | None = None
    stash_note: str | None = None
    # On the base itself, `commit` would put the changes on the base (which then cannot be pulled
    # --ff-only again): they are carried onto the new branch and committed there, as its first commit.
    commit_on_branch = facts.dirty and plan.dirty == "commit" and original == base
    parking = facts.parks if plan.park else None
    parked: str | None = None
    if facts.dirty and parking is not None:
        from sess.workflows.switch import park_message

        progress.step(f"Parking your changes with {parking.branch}")
        message = park_message(parking)
        stash = git.StashPush(top, message)
        rollback.push("restore your parked changes", stash.restore)  # before: see cancel
        parked = stash.run()
        store.set_parked(parking.id, parked)  # at once: from here on, the database knows where they are
        parking_id = parking.id
        rollback.push("forget the park", lambda: store.set_parked(parking_id, None))
    elif facts.dirty:
        mode = plan.dirty
        # Each way back is in place before its step runs, and looks at what the step did: an
        # interruption (Ctrl-C, SIGTERM, SIGHUP) that lands just as git finishes is put back too.
        if mode == "commit" and not commit_on_branch:
            progress.step(f"Committing your changes on {original}")
            parent, index_tree = git.head_sha(top), git.write_tree(top)
            rollback.push("uncommit your changes", lambda: git.uncommit_if_made(top, parent, index_tree))
            commit = head = git.commit_all(top, plan.message or "")
            if original == "HEAD":
                original_ref = commit  # a detached HEAD returns to the commit that holds the changes
        else:
            progress.step("Stashing your changes" if mode != "discard" else "Setting your changes aside")
            message = f"sess: before {branch}"
            stash = git.StashPush(top, message)
            rollback.push("restore your stashed changes", stash.restore)
            stash_sha = stash.run()
            if mode == "stash":
                stash_note = f"Your changes are stashed ({stash_sha[:7]}): 'git stash list' shows them"
            left = git.submodules_left(top)
            if left:
                stash_note = "; ".join(filter(None, [stash_note, left]))

    if plan.pr is not None:
        return _review_steps(store, project, facts, plan, branch, progress, rollback, back_to_original,
                             (stash_sha, stash_note, parking, parked))

    if original != base:
        progress.step(f"Checking out {base}")
        rollback.push(f"return to {original}", back_to_original)
        git.checkout(top, base)
        head = facts.refs.branch(base)

    pulled = 0
    if facts.fetch is not None:  # `git pull --ff-only origin BASE`, in its two halves
        progress.step(f"Pulling {base} from origin")
        if not answered:
            theirs = _fetched(top, base, facts.fetch, progress)
        if theirs and theirs != head:
            try:
                git.git(top, "merge", "--ff-only", "--quiet", theirs, on_output=progress.output)
            except CommandError as exc:
                raise _pull_failed(base, exc) from exc
            pulled = git.commits_ahead(top, head, "HEAD") if head else 0
            if pulled:
                head = theirs  # the fast-forward moved HEAD there

    progress.step(f"Creating {branch}")

    def remove_branch() -> None:
        back_to_original()
        if git.branch_exists(top, branch):  # it did not exist before (branch_for made sure)
            git.delete_branch(top, branch, force=True)

    rollback.push(f"remove {branch}", remove_branch)
    git.create_branch(top, branch)

    if facts.dirty and (plan.dirty == "carry" or commit_on_branch) and stash_sha is not None:
        _carry(top, stash_sha, branch, progress, rollback, onto=base,
               hint="Use --dirty stash or commit instead, or update your branch first.")
        if commit_on_branch:
            progress.step(f"Committing your changes on {branch}")
            parent, index_tree = git.head_sha(top), git.write_tree(top)
            rollback.push("uncommit your changes", lambda: git.uncommit_if_made(top, parent, index_tree))
            git.commit_all(top, plan.message or "")

    # What `sess undo` needs to put the repository back: where the user was, the stash sess
    # made (only one it leaves in place), and the tip the new branch started at.
    undo: dict[str, object] = {"original": original, "original_ref": original_ref, "branch": branch,
            "stash": stash_sha if plan.dirty == "stash" and parked is None else None,
            "dirty": plan.dirty if facts.dirty and parked is None else None,
            "committed_on": branch if commit_on_branch else original,
            "tip": head or git.head_sha(top)}
    if parked is not None and parking is not None:
        undo["parked"] = {"session_id": parking.id, "stash": parked}
    running = next((s for s in facts.open_sessions if s.state == rules.ACTIVE), None)
    # Recorded, and from then on finished: an interruption now waits until the session is whole.
    with shielded():
        session = store.start_session(project.id, branch, plan.branch_type,
                                      plan.issue.id if plan.issue else None,
                                      plan.issue.title if plan.issue else None, plan.at or timestamps.now(),
                                      base_branch=base, undo=undo,
                                      issue_tracker=plan.issue.tracker if plan.issue else None,
                                      issue_url=plan.issue.url if plan.issue else None,
                                      pausing=running, open_ids=tuple(s.id for s in facts.open_sessions))
        # From here on the session exists: nothing above is undone any more.
        rollback.clear()
        if stash_sha is not None and (plan.dirty in ("discard", "carry") or commit_on_branch):
            git.stash_drop(top, stash_sha)
        paused = _pause_others(store, project, plan, session)
    note = f"Parked your changes with {parking.branch} ({parked[:7]})" if parked and parking else None
    return Started(project, session, base, pulled, stash_note, paused, running, note)


def _review_steps(store: Store, project: Project, facts: Facts, plan: Plan, branch: str, progress: Progress,
                  rollback: Rollback, back_to_original: Callable[[], None],
                  set_aside: tuple[str | None, str | None, Session | None, str | None]) -> Started:
    """`start --pr N`, once the changes here are set aside: the forge checks the PR's head out as
    `branch` (a new local branch: plan_review_branch made sure), which tracks the author's branch;
    never the base, never a pull."""
    assert plan.pr is not None
    top = facts.where.top
    stash_sha, stash_note, parking, parked = set_aside
    progress.step(f"Checking out #{plan.pr.number} as {branch}")

    def remove_branch() -> None:
        back_to_original()
        if git.branch_exists(top, branch):  # it did not exist before (plan_review_branch made sure)
            git.delete_branch(top, branch, force=True)
        _unset_tracking(top, branch)

    rollback.push(f"remove {branch}", remove_branch)
    plan.pr.checkout(branch, top)
    if git.current_branch(top) != branch:
        raise SessError(f"the checkout of #{plan.pr.number} did not leave {branch} checked out")
    carried = facts.dirty and plan.dirty == "carry" and stash_sha is not None
    if carried:  # --dirty carry: the changes set aside come back on the review's branch
        assert stash_sha is not None
        _carry(top, stash_sha, branch, progress, rollback, onto=f"#{plan.pr.number}'s branch",
               hint="Use --dirty stash instead.")
    original = facts.where.branch
    original_ref = original if original != "HEAD" else (facts.tree.head if facts.tree is not None else None)
    undo: dict[str, object] = {"original": original, "original_ref": original_ref, "branch": branch,
                               "stash": stash_sha if plan.dirty == "stash" and parked is None else None,
                               "dirty": plan.dirty if facts.dirty and parked is None else None,
                               "committed_on": original, "tip": git.head_sha(top)}
    if parked is not None and parking is not None:
        undo["parked"] = {"session_id": parking.id, "stash": parked}
    running = next((s for s in facts.open_sessions if s.state == rules.ACTIVE), None)
    with shielded():
        session = store.start_session(project.id, branch, REVIEW, None, None, plan.at or timestamps.now(),
                                      base_branch=facts.base, undo=undo, pausing=running,
                                      open_ids=tuple(s.id for s in facts.open_sessions),
                                      pr=(plan.pr.number, plan.pr.url))
        rollback.clear()
        if stash_sha is not None and (plan.dirty == "discard" or carried):
            git.stash_drop(top, stash_sha)
        paused = _pause_others(store, project, plan, session)
    note = f"Parked your changes with {parking.branch} ({parked[:7]})" if parked and parking else None
    return Started(project, session, facts.base, 0, stash_note, paused, running, note)


def _pause_others(store: Store, project: Project, plan: Plan, session: Session) -> list[tuple[Project, Session]]:
    """time.exclusive: the clocks of other projects stop as this session's starts."""
    if not plan.exclusive:
        return []
    from sess.workflows.session import pause_others

    return pause_others(store, project, plan.at or timestamps.now(), (session.id, "start"))


def _carry(top: str, stash_sha: str, branch: str, progress: Progress, rollback: Rollback, *,
           onto: str, hint: str) -> None:
    """--dirty carry: the stash sess made in this run comes back on `branch`, just checked out
    (the stash itself is kept: it is dropped once the session is recorded)."""
    progress.step(f"Bringing your changes onto {branch}")
    # The stash's untracked files that the apply creates: the only files a rollback removes.
    # Never `git clean`: it would also delete what git ignores on the user's branch but not
    # on the base (.env, local_settings.py), which the stash never held (issue 15, item 3).
    created = [path for path in git.stash_untracked(top, stash_sha) if not os.path.lexists(os.path.join(top, path))]

    def unapply() -> None:
        # Tracked files back as the new branch has them; the stash itself is kept.
        git.reset_hard(top)
        for path in created:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(top, path))

    rollback.push("take the carried changes back off", unapply)
    try:
        entry = f"stash@{{{git.stash_index(top, stash_sha)}}}"
        # --index: what was staged stays staged (partial staging too); when git cannot, it
        # changes nothing and the changes come back unstaged.
        if not git.ok(top, "stash", "apply", "--quiet", "--index", entry):
            git.git(top, "stash", "apply", "--quiet", entry)
    except CommandError as exc:
        raise SessError(f"your changes do not apply cleanly on {onto}: {exc.detail}", hint) from exc


def _unset_tracking(top: str, branch: str) -> None:
    """What the forge's checkout of a PR set for `branch`, gone with the branch."""
    for key in ("remote", "pushRemote", "merge"):
        git.git(top, "config", "--unset-all", f"branch.{branch}.{key}", check=False)


REVIEW = "review"  # the type of a session that reviews someone else's pull request


def plan_review_branch(facts: Facts, number: int, head: str) -> str:
    """The local branch a review checks the PR's head out as: its own name when no local branch
    has it (nor clashes with one: `feature` against `feature/x`), else review/N, review/N-2, ..."""
    from sess.gitfiles import plain_branch_name

    refs = facts.refs
    for name in (head, f"review/{number}", *(f"review/{number}-{n}" for n in range(2, 100))):
        if plain_branch_name(name) and name not in refs.heads and _clashing_ref(name, refs) is None:
            return name
    raise SessError(f"no free local branch name for #{number}", "Delete some review/N branches, then try again.")
