"""`sess end`: hand the work off as named, journaled, idempotent steps.

The command layer calls `inspect` for the facts it needs to ask its questions, then `run` with
a frozen `Plan`. Before and after every step the journal row in the database is rewritten, so
that whatever stops the process (a failed step, Ctrl-C, SIGKILL) the next `sess end --continue`
knows where it stands. Every step looks at the real state of the repository (and of GitHub)
before acting, so running a step twice does no harm: that is what makes picking up after a
kill safe, since the journal may say "running" for a step that in fact finished.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sess import forges, git, proc, rules, timestamps
from sess.commitlist import DEFAULT_NEVER_COMMIT, Selection, select
from sess.errors import CommandError, ForgeUnavailable, Interrupted, SessError
from sess.hooks import HookFailed, Hooks, session_info
from sess.progress import Progress
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Journal, Store, project_lock
from sess.workflows.common import Where, require_project, require_session

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any, NoReturn

NOT_PROVIDED = "Not provided"

PRE_END = "pre-end"  # the pre-end hook: journaled so that a kill during it is picked up by --continue
CHECKOUT_BRANCH = "checkout-branch"
COMMIT = "commit"
FETCH = "fetch"
REBASE = "rebase"
PUSH = "push"
PULL_REQUEST = "pull-request"
CHECKOUT_BASE = "checkout-base"
MARK_ENDED = "mark-ended"
DELETE_BRANCH = "delete-branch"

STEPS = (PRE_END, CHECKOUT_BRANCH, COMMIT, FETCH, REBASE, PUSH, PULL_REQUEST, CHECKOUT_BASE, MARK_ENDED, DELETE_BRANCH)

CONTINUE_HINT = "Run 'sess end --continue' once the cause is fixed, or 'sess end --abort' to undo it."


class Plan(NamedTuple):
    """Every decision, taken before the first step runs and kept in the journal."""

    message: str | None  # commit message for uncommitted work
    title: str | None
    summary: str | None
    testing: str | None
    notes: str | None
    draft: bool
    no_pr: bool  # rebase and push, but open no pull request
    delete_branch: bool
    nothing_to_ship: bool = False
    sync_base: bool = True  # end.sync_base: fast-forward the base to origin's once back on it
    # From the configuration (pr.*), fixed when the end starts like every other decision.
    reviewers: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    title_template: str | None = None  # pr.title
    template: str | None = None  # the text of the repository's pull request template
    stop_at: str | None = None  # when the clock stops (--at, or the last activity), else when it ends
    # forge.type, forge.host, pr.repo: where the pull request goes, fixed like the rest.
    forge_type: str | None = None
    forge_host: str | None = None
    pr_repo: str | None = None
    never_commit: tuple[str, ...] = DEFAULT_NEVER_COMMIT  # end.never_commit: new files left out
    # A review of someone else's PR (start --pr): where its new commits go, as the forge's checkout
    # set the branch's upstream (remote name or URL, and the ref there); never a rebase, never a PR.
    review_remote: str | None = None
    review_ref: str | None = None

    @property
    def forge_settings(self) -> forges.Settings:
        return forges.Settings(self.forge_type, self.forge_host, self.pr_repo)

    def to_data(self) -> dict[str, Any]:
        data = dict(self._asdict())
        for name in ("reviewers", "labels", "assignees", "never_commit"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Plan:
        def text(name: str) -> str | None:
            value = data.get(name)
            return str(value) if value is not None else None

        def names(name: str) -> tuple[str, ...]:
            value = data.get(name)
            return tuple(str(item) for item in value) if isinstance(value, list) else ()

        return cls(message=text("message"), title=text("title"), summary=text("summary"),
                   testing=text("testing"), notes=text("notes"), draft=bool(data.get("draft")),
                   no_pr=bool(data.get("no_pr")), delete_branch=bool(data.get("delete_branch")),
                   nothing_to_ship=bool(data.get("nothing_to_ship")), sync_base=bool(data.get("sync_base", True)),
                   reviewers=names("reviewers"), labels=names("labels"), assignees=names("assignees"),
                   title_template=text("title_template"), template=text("template"),
                   stop_at=text("stop_at"), forge_type=text("forge_type"), forge_host=text("forge_host"),
                   pr_repo=text("pr_repo"), review_remote=text("review_remote"), review_ref=text("review_ref"),
                   never_commit=names("never_commit") if "never_commit" in data else DEFAULT_NEVER_COMMIT)


class Facts(NamedTuple):
    where: Where
    project: Project
    session: Session
    dirty: bool
    ahead: int  # commits on the session branch that the base does not have
    has_origin: bool
    base: str  # the branch the session was cut from: rebased onto, the PR's base
    base_ref: str  # what "ahead" was counted against: origin/<base>, else <base>
    # What inspect saw, for the steps to go on from without asking git again; None: look again
    # (the command layer drops them when questions were asked meanwhile).
    refs: git.Refs | None = None
    tree: git.WorkTree | None = None
    # What the commit would take and leave out (end.never_commit); `dirty` is whether it takes any.
    selection: Selection = Selection((), (), (), ())
    upstream: tuple[str, str] | None = None  # a review's: (remote, ref) that its new commits go to

    @property
    def nothing_to_ship(self) -> bool:
        return not self.dirty and self.ahead == 0


class PullRequestInfo(NamedTuple):
    number: int
    url: str
    reused: bool
    draft: bool
    warning: str = ""  # created, but the forge failed at a later part (reviewers, labels): what it said


class Ended(NamedTuple):
    project: Project
    session: Session
    base: str
    committed: tuple[str, str] | None  # (sha, message) of the commit of uncommitted work
    pr: PullRequestInfo | None
    no_pr_reason: str | None  # why there is no pull request, when there is none
    branch_deleted: bool
    branch_kept_reason: str | None  # why --delete-branch kept the branch
    base_sync: BaseSync | None = None  # how the base compared with origin's once back on it
    left_out: tuple[str, ...] = ()  # new files end.never_commit kept out of the commit
    submodules: tuple[str, ...] = ()  # submodules whose changes (only inside them) were not committed
    detached: bool = False  # a linked worktree left with HEAD detached: its base is another work tree's


class BaseSync(NamedTuple):
    remote: str  # origin/<base>
    behind: int  # commits origin's base had that the local one did not
    ahead: int  # commits of the local base's own (then it is left alone)
    forwarded: bool


class Aborted(NamedTuple):
    project: Project
    session: Session
    step: str
    notes: list[str]


class EndStopped(SessError):
    """A step failed: the session stays open and the journal says where to pick up."""

    def __init__(self, step: str, what: str, hint: str | None = None) -> None:
        super().__init__(f"end stopped at step '{step}': {what}", hint or CONTINUE_HINT)
        self.step = step
        self.what = what


class _Stop(Exception):
    """Raised inside a step: what went wrong and how to go on; `_run_steps` journals it."""

    def __init__(self, what: str, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint


# --- facts ------------------------------------------------------------------------------------

def inspect(store: Store, cwd: str, never_commit: tuple[str, ...] = DEFAULT_NEVER_COMMIT,
            ref: str | None = None, settings: forges.Settings | None = None) -> Facts:
    """What the command layer needs to gather its decisions; changes nothing."""
    where, project = require_project(store, cwd)
    session = require_session(store, project, missing="no active or paused session", where=where, ref=ref)
    if session.parked:
        raise SessError(f"the session on {session.branch} has parked changes ({session.parked[:7]})",
                        f"Run 'sess switch {session.branch}' to bring them back first, then 'sess end'.")
    top = where.top
    from sess.workflows.worktrees import prune_if_gone

    prune_if_gone(top, session.branch)  # its worktree was deleted by hand: git forgets it
    refs = git.refs(top)
    if session.branch not in refs.heads:
        raise SessError(f"the session branch {session.branch} no longer exists",
                        f"Recreate it (git branch {session.branch} <commit>), then run 'sess end' again.")
    if git.rebase_in_progress(top):
        raise SessError("a rebase is in progress in this repository",
                        "Finish it ('git rebase --continue') or undo it ('git rebase --abort'), then run 'sess end'.")
    has_origin = git.has_remote(top)
    base = rules.session_base(session, project)
    from sess.gitfiles import main_work_tree

    if main_work_tree(top) == top:  # a linked worktree leaves its branch detached instead (_leave_for_base)
        _refuse_base_elsewhere(refs, base, top)
    base_ref = _base_ref(refs, base, has_origin)
    tree = git.work_tree(top)
    merging = git.unconcluded(top, tree)
    if merging is not None:
        raise SessError(*merging)
    if tree.dirty and where.branch != session.branch:
        raise SessError(*_elsewhere(where.branch, session.branch, list(tree.changed), "sess end"))
    selection = select(tree, never_commit)
    if session.branch_type == REVIEW and session.pr_number is not None:
        upstream, ahead = _review_upstream(top, session, refs, selection.any, settings)
        return Facts(where, project, session, selection.any, ahead, has_origin, base, upstream[1], refs, tree,
                     selection, upstream)
    # Only a clean tree needs the count: with changes there is something to ship anyway.
    ahead = 1 if selection.any or not base_ref else git.commits_ahead(top, base_ref, f"refs/heads/{session.branch}")
    return Facts(where, project, session, selection.any, ahead, has_origin, base, base_ref or base, refs, tree,
                 selection)


REVIEW = "review"  # start --pr's sessions (sess.workflows.start.REVIEW)


def _review_upstream(top: str, session: Session, refs: git.Refs, dirty: bool,
                     settings: forges.Settings | None = None) -> tuple[tuple[str, str], int]:
    """Where a review's new commits go (the upstream the forge's checkout set: branch.B.pushRemote
    or .remote, and .merge) and how many there are; refused before anything is done when the
    PR's head cannot take them (a fork that does not let maintainers push: the forge says)."""
    branch = session.branch

    def setting(key: str) -> str | None:
        result = git.git(top, "config", "--get", f"branch.{branch}.{key}", check=False)
        return result.stdout.strip() or None if result.ok else None

    remote, ref = setting("pushRemote") or setting("remote"), setting("merge")
    if remote is None or ref is None:
        raise SessError(f"{branch} tracks no branch of pull request #{session.pr_number}",
                        f"Set it (git branch --set-upstream-to=origin/<its head> {branch}), then run 'sess end' "
                        "again; nothing was changed.")
    tip = refs.branch(branch)
    theirs: str | None = None
    if ref.startswith("refs/heads/") and git.has_remote(top, remote):
        theirs = refs.remote_branch(ref[len("refs/heads/"):], remote)
    else:
        theirs = git.ls_remote_ref(top, remote, ref)
    known = theirs is not None and git.rev(top, theirs) is not None
    ahead = 1 if dirty else (git.commits_ahead(top, theirs, f"refs/heads/{branch}") if known and theirs else
                             int(tip != theirs))
    if ahead and not _takes_review_pushes(top, session, ref, settings):
        raise SessError(f"pull request #{session.pr_number} comes from a fork that does not let maintainers push "
                        "to it: your changes cannot go to its branch",
                        "Suggest them in the review instead, or push them to a branch of your own "
                        f"(git push origin {branch}:refs/heads/NAME); 'sess cancel' ends the review "
                        "keeping the branch. Nothing was changed.")
    return (remote, ref), ahead


def _takes_review_pushes(top: str, session: Session, ref: str, settings: forges.Settings | None) -> bool:
    """Whether the review's PR head takes the reviewer's commits, as its forge says. A forge that
    cannot be asked leaves it to the push (which stops with the journal kept when refused)."""
    assert session.pr_number is not None
    try:
        return forges.open_forge(top, settings).takes_review_pushes(session.pr_number, ref)
    except SessError:
        return not ref.startswith(forges.READ_ONLY_HEADS)


def _refuse_base_elsewhere(refs: git.Refs, base: str, top: str) -> None:
    """end returns to the base last: with the base checked out in another worktree git would refuse
    that, after the push and the pull request. Said before anything is done instead."""
    import os

    elsewhere = refs.worktrees.get(base)
    if elsewhere and os.path.realpath(elsewhere) != os.path.realpath(top):
        raise SessError(f"the base branch {base} is checked out in another worktree ({elsewhere}), so end "
                        "could not return to it; nothing was changed",
                        f"Switch that worktree to another branch (git -C {elsewhere} switch --detach), "
                        "then run 'sess end' again." if os.path.isdir(elsewhere)
                        else "That worktree's folder is gone: 'git worktree prune' makes git forget it.")


def _elsewhere(branch: str, session_branch: str, changed: list[str], again: str) -> tuple[str, str]:
    """Uncommitted changes on another branch belong to it: never carried onto the session's."""
    where = "a detached HEAD" if branch == "HEAD" else branch
    return (f"you are on {where}, not {session_branch}, with uncommitted changes in {_listing(changed)}",
            f"They belong to {where}: commit or stash them there, then run '{again}' again.")


def wants_pr(journal: Journal, no_pr: bool) -> bool:
    """Whether an unfinished end still has a pull request to open."""
    data = journal.data
    plan = Plan.from_data(data.get("plan") or {})
    step = STEPS.index(journal.step) if journal.step in STEPS else 0
    return (not no_pr and not plan.no_pr and not plan.nothing_to_ship and bool(data.get("origin"))
            and not data.get("pr") and not data.get("empty_after_rebase")
            and step <= STEPS.index(PULL_REQUEST))


def check_forge(top: str, continuing: bool, settings: forges.Settings | None = None) -> None:
    """Before the first step: the forge's CLI installed and logged in, else stop with the ways on."""
    again = "sess end --continue" if continuing else "sess end"
    try:
        forges.open_forge(top, settings, instead=f"run '{again} --no-pr' to end without a pull request. "
                                                 "Nothing was changed").check_ready()
    except ForgeUnavailable as exc:
        raise SessError(exc.message, f"{_first_fix(exc)}, then '{again}' again; or '{again} --no-pr' to end "
                                     "without a pull request. Nothing was changed.") from None


def _first_fix(exc: ForgeUnavailable) -> str:
    tool = "glab" if exc.message.startswith("glab") else "gh"
    if "not installed" in exc.message:
        return "Install glab (https://gitlab.com/gitlab-org/cli)" if tool == "glab" else "Install gh (https://cli.github.com)"
    if "unreachable" in exc.message or "cannot be reached" in exc.message:
        return "Check the network (or the host)"
    if "logged in" in exc.message or "no longer valid" in exc.message:
        return f"Run '{tool} auth login'"
    return f"Make {tool} usable"


def _base_ref(refs: git.Refs, base: str, has_origin: bool) -> str | None:
    if has_origin and refs.remote_branch(base):
        return f"refs/remotes/origin/{base}"
    if refs.branch(base):
        return f"refs/heads/{base}"
    return None


def pr_title(plan: Plan, session: Session, latest_subject: str) -> str:
    """--title, else `pr.title` filled in, else `{issue_ref} <issue title>` with an issue (`#42 Add
    login`, `other/lib#7 Fix it`), else the latest commit subject."""
    if plan.title:
        return plan.title
    if plan.title_template:
        fields = {"issue": session.issue_id or "", "issue_ref": rules.issue_ref(session.issue_id),
                  "issue_title": session.issue_title or "",
                  "subject": latest_subject, "type": session.branch_type, "branch": session.branch}
        # An empty field takes a joiner with it ("#" before {issue}, too); spaces are tidied.
        title = " ".join(rules.fill_template(plan.title_template, fields, joiners="-_.#").split())
        return title or latest_subject
    issue_title = (session.issue_title or "").strip()
    if session.issue_id and issue_title:  # `#42 <title>`, `PROJ-123 <summary>`; a blank title is no title
        return f"{rules.issue_ref(session.issue_id)} {issue_title}"
    return latest_subject


def pr_body(plan: Plan, session: Session) -> str:
    from sess.trackers import closing_line

    # `Closes #42`, `PROJ-123: <url>` (Jira), `Fixes ENG-7` (Linear)
    first = closing_line(session.issue_tracker, session.issue_id, session.issue_url) if session.issue_id else ""
    closes = [first, ""] if first else []
    if plan.template is not None:
        from sess import pr_template

        merged = pr_template.merge(plan.template, [("Summary", plan.summary), ("Testing", plan.testing),
                                                   ("Notes", plan.notes)])
        return (f"{first}\n\n" if first else "") + merged
    parts = closes
    for heading, text in (("Summary", plan.summary), ("Testing", plan.testing), ("Notes", plan.notes)):
        parts += [f"## {heading}", "", (text or "").strip() or NOT_PROVIDED, ""]
    return "\n".join(parts).rstrip("\n") + "\n"


# --- running ------------------------------------------------------------------------------------

def run(store: Store, facts: Facts, plan: Plan, progress: Progress, hooks: Hooks | None = None) -> Ended:
    """Start a new end with every decision made."""
    top = facts.where.top
    with project_lock(facts.project.path):
        session = store.session(facts.session.id)
        if not session.is_open:
            raise SessError("the session changed under us (another sess process?); try again")
        if store.journal(session.id) is not None:
            raise SessError("an end of this session is already unfinished",
                            "Run 'sess end --continue' to finish it, or 'sess end --abort' to undo it.")
        data: dict[str, Any] = {
            "plan": plan.to_data(),
            "branch": session.branch,
            "base": facts.base,
            "origin": facts.has_origin,
            "start_head": (facts.refs.branch(session.branch) if facts.refs
                           else git.rev(top, f"refs/heads/{session.branch}")),
        }
        known = _Known(facts.where.branch, facts.tree, facts.refs) if facts.tree and facts.refs else None
        return _run_steps(store, top, facts.project, session, data, 0, progress, hooks, known)


def unfinished(store: Store, cwd: str, ref: str | None = None) -> tuple[Where, Project, Session, Journal | None]:
    where, project = require_project(store, cwd)
    session = require_session(store, project, where=where, ref=ref)
    return where, project, session, store.journal(session.id)


def needs_user(top: str, journal: Journal) -> bool:
    """Whether picking up needs something from the user first (a rebase stopped on conflicts; one
    that was interrupted is undone and done again, which needs nobody)."""
    return journal.step == REBASE and git.rebase_in_progress(top) and \
        (bool(journal.data.get("rebase_stop")) or bool(git.conflicted_files(top)))


def _unfinished_end(store: Store, project: Project, verb: str, hint: str, where: Where,
                    ref: str | None) -> tuple[Session, Journal]:
    session = require_session(store, project, where=where, ref=ref)
    journal = store.journal(session.id)
    if journal is None:
        raise SessError(f"there is no unfinished end to {verb}", hint)
    return session, journal


def resume(store: Store, cwd: str, progress: Progress, no_pr: bool | None = None,
           delete_branch: bool | None = None, hooks: Hooks | None = None, stop_at: str | None = None,
           ref: str | None = None) -> Ended:
    """Pick up an unfinished end at the step that did not finish.

    `no_pr` and `delete_branch` may be changed on the way (say, `--no-pr` when gh cannot log in),
    and `stop_at`, when the clock stops (`--at`, or the answer to the forgotten-clock question).
    """
    where, project = require_project(store, cwd)
    top = where.top
    with project_lock(project.path):
        session, journal = _unfinished_end(store, project, "continue", "Run 'sess end' to end the session.",
                                           where, ref)
        data = dict(journal.data)
        plan = Plan.from_data(data.get("plan") or {})
        if no_pr is not None:
            plan = plan._replace(no_pr=no_pr or plan.no_pr)
        if delete_branch is not None:
            plan = plan._replace(delete_branch=delete_branch)
        if stop_at is not None:
            plan = plan._replace(stop_at=stop_at)
        data["plan"] = plan.to_data()
        data.setdefault("branch", session.branch)
        data.setdefault("base", rules.session_base(session, project))
        data.setdefault("origin", git.has_remote(top))
        _wait_for_orphan(data, progress)
        index = STEPS.index(journal.step) if journal.step in STEPS else 0
        if journal.status == "done":
            index += 1
        if STEPS.index(CHECKOUT_BRANCH) < index <= STEPS.index(REBASE) and not git.rebase_in_progress(top):
            index = STEPS.index(CHECKOUT_BRANCH)  # the branch must be checked out again before commit or rebase
        return _run_steps(store, top, project, session, data, index, progress, hooks)


def _run_steps(store: Store, top: str, project: Project, session: Session, data: dict[str, Any],
               first: int, progress: Progress, hooks: Hooks | None = None, known: _Known | None = None) -> Ended:
    steps: dict[str, Callable[[_Context], None]] = {
        PRE_END: _pre_end, CHECKOUT_BRANCH: _checkout_branch, COMMIT: _commit, FETCH: _fetch, REBASE: _rebase,
        PUSH: _push, PULL_REQUEST: _pull_request, CHECKOUT_BASE: _checkout_base,
    }
    ctx = _Context(store, top, project, session, data, progress, hooks, known)
    for name in STEPS[first:STEPS.index(MARK_ENDED)]:
        store.save_journal(session.id, name, "running", data)
        try:
            steps[name](ctx)
        except HookFailed:
            store.clear_journal(session.id)  # nothing was done: no end to pick up
            raise
        except KeyboardInterrupt:
            if name == PRE_END:
                store.clear_journal(session.id)
                raise Interrupted("interrupted during the pre-end hook; nothing was changed") from None
            store.save_journal(session.id, name, "failed", data, "interrupted")
            raise Interrupted(f"interrupted at step '{name}'; the end is unfinished", CONTINUE_HINT) from None
        except _Stop as stop:
            store.save_journal(session.id, name, "failed", data, stop.what)
            raise EndStopped(name, stop.what, stop.hint) from None
        except CommandError as exc:
            what = said(exc)
            store.save_journal(session.id, name, "failed", data, what)
            raise EndStopped(name, what) from None
        except ForgeUnavailable as exc:
            store.save_journal(session.id, name, "failed", data, exc.message)
            raise EndStopped(name, exc.message, _forge_hint(exc)) from None
        except SessError as exc:
            store.save_journal(session.id, name, "failed", data, exc.message)
            raise EndStopped(name, exc.message, exc.hint or CONTINUE_HINT) from None
        store.save_journal(session.id, name, "done", data)

    # The session is ended and the journal dropped in one transaction: from here on there is
    # nothing to pick up, so deleting the branch is reported in the result, not journaled.
    store.save_journal(session.id, MARK_ENDED, "running", data)
    progress.step("Ending the session")
    pr = data.get("pr")
    fresh = store.session(session.id)
    stop_at = Plan.from_data(data.get("plan") or {}).stop_at
    moment = timestamps.parse_db(stop_at) if stop_at else None
    if moment is None or (fresh.current_slice_start is not None and moment < fresh.current_slice_start):
        moment = timestamps.now()
    ended = store.end_session(fresh, pr["number"] if pr else None, pr["url"] if pr else None, moment)
    deleted, kept_reason = _delete_branch(ctx)
    committed = data.get("committed")
    return Ended(
        project, ended, str(data["base"]),
        (committed["sha"], committed["message"]) if committed else None,
        PullRequestInfo(int(pr["number"]), str(pr["url"]), bool(pr.get("reused")), bool(pr.get("draft")),
                        str(pr.get("warning") or ""))
        if pr else None,
        None if pr else _no_pr_reason(data),
        deleted, kept_reason,
        BaseSync(**data["base_sync"]) if data.get("base_sync") else None,
        tuple(data.get("left_out") or ()), tuple(data.get("submodules") or ()), bool(data.get("detached")),
    )


def _forge_hint(exc: ForgeUnavailable) -> str:
    return (f"{_first_fix(exc)}, then run 'sess end --continue'; "
            "or 'sess end --continue --no-pr' to end without a pull request.")


def said(exc: CommandError) -> str:
    """What git or gh said: the telling line, plus the remote's own words (a hook's reason)."""
    text = exc.stderr or exc.stdout
    remote = [line.strip()[7:].strip() for line in _clean(text).splitlines()
              if line.strip().startswith("remote:") and line.strip()[7:].strip()]
    what = f"{' '.join(exc.argv[:2])} failed: {exc.detail}"
    if remote:
        what += f" (remote: {'; '.join(remote[:3])})"
    return what


_CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


class _Known(NamedTuple):
    """The repository as inspect saw it, moments before the first step (never across a --continue)."""

    branch: str  # checked out
    tree: git.WorkTree
    refs: git.Refs


class _Context:
    def __init__(self, store: Store, top: str, project: Project, session: Session, data: dict[str, Any],
                 progress: Progress, hooks: Hooks | None = None, known: _Known | None = None) -> None:
        self.known = known
        # Set by the steps of this run as they go: no need to ask git what they just did.
        self.clean = False  # the work tree has no changes (committed, or none to begin with)
        self.on_branch: str | None = None  # checked out
        self.refs: git.Refs | None = None  # as they are after the fetch
        self.tip_now: str | None = None  # the session branch's commit, once the fetch or rebase said
        self.hooks = hooks
        self.store = store
        self.top = top
        self.project = project
        self.session = session
        self.data = data
        self.progress = progress
        self.plan = Plan.from_data(data.get("plan") or {})
        self.branch = str(data["branch"])
        self.base = str(data["base"])
        self.origin = bool(data.get("origin"))

    @property
    def pushing(self) -> bool:
        """Whether the work goes to origin at all (with --no-pr too: only the PR is skipped)."""
        return self.origin and not self.plan.nothing_to_ship and not self.data.get("empty_after_rebase")

    @property
    def meters(self) -> list[str]:
        """git's progress meters, when they are redrawn in place rather than piped line by line."""
        return ["--progress"] if self.progress.live else []

    def output(self, line: str) -> None:
        # git erases its redrawn lines with escape codes (text mode already split them at \r).
        line = _clean(line)
        if not line.startswith("hint:"):  # git's advice on how to go on is replaced by ours
            self.progress.output(line)

    def tip(self) -> str | None:
        return git.rev(self.top, f"refs/heads/{self.branch}")


# --- the steps ------------------------------------------------------------------------------------

def _pre_end(ctx: _Context) -> None:
    if ctx.hooks is not None:
        if ctx.hooks.has(PRE_END):
            ctx.known = None  # a hook may change the work tree: look again
        ctx.hooks.run(PRE_END, session_info(ctx.project, ctx.session, ctx.base), before=ctx.progress.close)


def _checkout_branch(ctx: _Context) -> None:
    known = ctx.known
    if not (ctx.branch in known.refs.heads if known else git.branch_exists(ctx.top, ctx.branch)):
        raise _Stop(f"the session branch {ctx.branch} no longer exists",
                    "Recreate it, then run 'sess end --continue'; or 'sess end --abort'.")
    current = known.branch if known else git.current_branch(ctx.top)
    ctx.on_branch = ctx.branch
    if current == ctx.branch:
        return
    changed = list(known.tree.changed) if known else git.changed_paths(ctx.top)
    if changed:
        raise _Stop(*_elsewhere(current, ctx.branch, changed, "sess end --continue"))
    ctx.progress.step(f"Checking out {ctx.branch}")
    try:
        git.checkout(ctx.top, ctx.branch)
    except CommandError as exc:
        raise _Stop(f"cannot check out {ctx.branch}: {exc.detail}",
                    "Commit or stash the changes in the way, then run 'sess end --continue'.") from exc


def _commit(ctx: _Context) -> None:
    top = ctx.top
    # What inspect found is what is there: the paths it listed are all `git add` needs to look at.
    tree = ctx.known.tree if ctx.known else git.work_tree_now(top)
    selection = select(tree, ctx.plan.never_commit)
    ctx.data["left_out"], ctx.data["submodules"] = list(selection.left_out), list(selection.submodules)
    if not selection.any:
        _note_commit_if_done(ctx)
        ctx.clean = True  # what is left (files end.never_commit keeps out) stays where it is, untouched
        return
    merging = git.unconcluded(top, ctx.known.tree if ctx.known else None)
    if merging is not None:
        raise _Stop(merging[0], merging[1].replace("then try again", "then run 'sess end --continue'"))
    message = ctx.plan.message
    if not message:
        raise _Stop("the working tree has uncommitted changes and no commit message was given",
                    "Commit them yourself, then run 'sess end --continue'; or 'sess end --abort'.")
    from sess.commitlist import listing

    ctx.progress.step(listing(selection))
    sha = git.commit_all(top, message, paths=selection.paths, leaving=selection.left_out)
    ctx.data["committed"] = {"sha": sha, "message": message}
    ctx.clean = True  # `git add` took every change, `git commit` all that was added


def _note_commit_if_done(ctx: _Context) -> None:
    # A kill between `git commit` and the journal write leaves the commit unrecorded: find it.
    start, message = ctx.data.get("start_head"), ctx.plan.message
    if ctx.data.get("committed") or not start or not message:
        return
    tip = ctx.tip()
    if tip and tip != start and git.rev(ctx.top, f"{tip}~1") == start \
            and git.out(ctx.top, "log", "-1", "--format=%B", tip).strip() == message.strip():
        ctx.data["committed"] = {"sha": tip, "message": message}


def _fetch(ctx: _Context) -> None:
    if not ctx.origin or ctx.plan.nothing_to_ship or ctx.plan.review_ref:
        return
    ctx.progress.step("Fetching origin")
    git.git(ctx.top, "fetch", *ctx.meters, "origin", on_output=ctx.output)
    # Every branch as origin has them now, in one look: what the rebase, the push and the
    # return to the base need to know.
    ctx.refs = git.refs(ctx.top)
    ctx.tip_now = ctx.refs.branch(ctx.branch)
    # The lease for a push after the rebase: what the remote had when we looked.
    ctx.data["remote_before"] = ctx.refs.remote_branch(ctx.branch)


def _rebase_target(ctx: _Context) -> str:
    exists = ctx.refs.remote_branch(ctx.base) is not None if ctx.refs else git.remote_branch_exists(ctx.top, ctx.base)
    return f"origin/{ctx.base}" if ctx.origin and exists else ctx.base


def _rebase(ctx: _Context) -> None:
    top = ctx.top
    in_progress = git.rebase_in_progress(top)
    if (ctx.plan.nothing_to_ship or ctx.plan.review_ref) and not in_progress:
        return  # a review never rebases the author's branch
    target = str(ctx.data.get("rebase_target") or _rebase_target(ctx))
    ctx.data["rebase_target"] = target
    if in_progress and _stopped_for_the_user(ctx):
        _finish_rebase(ctx, target)
    else:
        if in_progress:
            _undo_interrupted_rebase(ctx, target)
        # One count answers both: is the branch on top of the target, and has it anything of its own?
        counts = git.left_right(top, f"refs/heads/{ctx.branch}", _qualified(target))
        if counts is None:
            raise _Stop(f"the base branch {ctx.base} does not exist",
                        "Create it or set another base, then run 'sess end --continue'; or 'sess end --abort'.")
        ahead, behind = counts
        if behind == 0:
            ctx.data.setdefault("pre_rebase_head", None)
            if ctx.data.get("pre_rebase_head") and not ctx.data.get("rebased_head"):
                ctx.data["rebased_head"] = ctx.tip()  # rebased, but killed before it was written down
            ctx.data["empty_after_rebase"] = ahead == 0
            _follow_commit(ctx)
            _refuse_if_lost(ctx)
            return
        _refuse_merges(ctx, target)
        ctx.progress.step(f"Rebasing onto {target}")
        if not ctx.data.get("pre_rebase_head"):  # the first rebase's: what every later check compares with
            ctx.data["pre_rebase_head"] = ctx.refs.branch(ctx.branch) if ctx.refs else ctx.tip()
        ctx.data.pop("rebased_head", None)
        result = _run_rebase(ctx, _qualified(target))
        if not result.ok:
            _rebase_stopped(ctx, target, result)
        ctx.data["rebased_head"] = ctx.tip_now = ctx.tip()
    ctx.data["empty_after_rebase"] = git.commits_ahead(top, _qualified(target), f"refs/heads/{ctx.branch}") == 0
    _follow_commit(ctx)
    _refuse_if_lost(ctx)


def _refuse_if_lost(ctx: _Context) -> None:
    """Checked after every rebase, before the push, and before the branch is deleted."""
    lost = _check_nothing_lost(ctx)
    if lost is not None:
        before = str(ctx.data.get("pre_rebase_head"))[:7]
        way = ("'sess end --abort' puts it back" if ctx.tip() == ctx.data.get("rebased_head") else
               f"'git reset --keep {before}' on {ctx.branch} puts it back, then 'sess end --continue' rebases again")
        raise _Stop(f"{lost}; nothing was pushed",
                    f"Nothing is lost: {ctx.branch} was at {before} before the rebase; {way}.")


def _run_rebase(ctx: _Context, *args: str) -> proc.Result:
    """`git rebase ARGS`, the journal holding its process while it runs: a sess killed meanwhile
    leaves it running (its own process group, its output in a file), and the next sess waits for
    it (`_wait_for_orphan`) before it looks at the repository."""

    def started(pid: int) -> None:
        ctx.data["rebase_git"] = _process_identity(pid)
        ctx.store.save_journal(ctx.session.id, REBASE, "running", ctx.data)

    ctx.data.pop("rebase_stop", None)  # until git says where it stopped
    result = git.git(ctx.top, "rebase", *args, check=False, on_output=ctx.output, on_start=started)
    ctx.data.pop("rebase_git", None)
    return result


def _stop_point(top: str) -> list[str]:
    """Where a rebase in progress stands: the number of its current step and the commit it picks."""
    try:
        with open(f"{git.git_dir(top)}/rebase-merge/msgnum", encoding="utf-8") as handle:
            number = handle.read().strip()
    except OSError:
        number = ""
    return [number, git.rev(top, "REBASE_HEAD") or ""]


def _stopped_for_the_user(ctx: _Context) -> bool:
    """Whether the rebase in progress is one git stopped by itself (on conflicts, say) where it
    stands now: only that one is continued. One that was interrupted in the middle of a pick
    would take the half-done pick as resolved and lose that commit (issue 15, item 1)."""
    stop = ctx.data.get("rebase_stop")
    if stop and list(stop) == _stop_point(ctx.top):
        return True
    if git.conflicted_files(ctx.top):  # stopped on conflicts (by the user's own git, say): theirs to resolve
        ctx.data["rebase_stop"] = _stop_point(ctx.top)
        ctx.data["rebase_conflicted"] = True
        return True
    return False


def _undo_interrupted_rebase(ctx: _Context, target: str) -> None:
    ctx.progress.step(f"Undoing the interrupted rebase onto {target}, to do it again")
    git.git(ctx.top, "rebase", "--abort")
    before, tip = ctx.data.get("pre_rebase_head"), ctx.tip()
    if before and tip != before:
        raise _Stop(f"after undoing the interrupted rebase, {ctx.branch} is at {(tip or '?')[:7]}, "
                    f"not at {str(before)[:7]} as before the rebase",
                    f"Look at 'git reflog {ctx.branch}'; 'git reset --keep {str(before)[:7]}' on {ctx.branch} puts "
                    "it back. Then run 'sess end --continue'.")
    ctx.data.pop("rebased_head", None)


def _refuse_merges(ctx: _Context, target: str) -> None:
    """A rebase drops merge commits, and with them any change made only in them (a conflict fixed
    while merging the base in): a branch with merges is not rebased (issue 15, item 4)."""
    found = git.merges(ctx.top, _qualified(target), f"refs/heads/{ctx.branch}")
    if not found:
        return
    sha, subject = found[0]
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    raise _Stop(f"{ctx.branch} has merge commits ({sha[:7]} {subject}{more}), which a rebase onto {target} would "
                "drop, with any change made only while merging",
                f"Bring {target} in with a merge instead ('git merge {target}' on {ctx.branch}), or rebase it "
                f"yourself keeping the merges ('git rebase --rebase-merges {target}'); then run 'sess end "
                "--continue'. Or 'sess end --abort'.")


def _process_identity(pid: int) -> list[int]:
    """The pid, and on Linux when it started (so that another process given the same pid later
    is not taken for it)."""
    return [pid, _started_at(pid)]


def _started_at(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _running(identity: list[int]) -> bool:
    import os

    pid, started = int(identity[0]), int(identity[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process: not the git sess started
    return not started or _started_at(pid) == started


ORPHAN_WAIT_S = 120.0


def _wait_for_orphan(data: dict[str, Any], progress: Progress) -> None:
    """A git rebase that a killed sess started may still be running: wait until it is done."""
    import time

    identity = data.get("rebase_git")
    if not identity or not _running(identity):
        return
    progress.step(f"Waiting for the git rebase that an interrupted sess started (pid {identity[0]})")
    deadline = time.monotonic() + ORPHAN_WAIT_S
    while _running(identity):
        if time.monotonic() > deadline:
            raise SessError(f"the git rebase that an interrupted sess started (pid {identity[0]}) is still running",
                            "Wait for it to finish, then try again.")
        time.sleep(0.05)


def _check_nothing_lost(ctx: _Context, target: str | None = None) -> str | None:
    """Why the branch as it is now must not be pushed or deleted: a commit of it from before the
    rebase without a counterpart now, or (after a rebase without conflicts) a change a merge of
    the two would have kept. None when nothing is lost."""
    before = ctx.data.get("pre_rebase_head")
    if not before:  # never rebased: nothing to compare (and no git to ask)
        return None
    before, tip = str(before), ctx.tip()
    if not tip or before == tip:
        return None
    missing = git.without_counterpart(ctx.top, before, tip)
    if missing:
        sha, subject = missing[0]
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        return f"the rebased {ctx.branch} lacks {sha[:7]} {subject}{more}, which it had before the rebase"
    target = target or str(ctx.data.get("rebase_target") or "")
    if target and tip == ctx.data.get("rebased_head") and not ctx.data.get("rebase_conflicted"):
        onto = git.out(ctx.top, "merge-base", tip, _qualified(target))
        merged = git.merged_tree(ctx.top, onto, before)
        if merged is not None and merged != git.out(ctx.top, "rev-parse", f"{tip}^{{tree}}"):
            return (f"the rebased {ctx.branch} lacks changes it had before the rebase (its files differ from a "
                    f"merge of {target} into it)")
    return None


def _qualified(target: str) -> str:
    """`origin/main` or `main` as the full ref name, so a tag or file of that name cannot be meant."""
    return f"refs/remotes/{target}" if target.startswith("origin/") else f"refs/heads/{target}"


def _follow_commit(ctx: _Context) -> None:
    """The commit of the user's changes, as the rebase rewrote it: the one that gets pushed."""
    committed, before, after = ctx.data.get("committed"), ctx.data.get("pre_rebase_head"), ctx.data.get("rebased_head")
    if not committed or not after or before != committed.get("sha") or after == before:
        return
    if git.out(ctx.top, "log", "-1", "--format=%B", str(after)).strip() == str(committed["message"]).strip():
        committed["before_rebase"] = committed["sha"]
        committed["sha"] = after


def _finish_rebase(ctx: _Context, target: str) -> None:
    conflicted = git.conflicted_files(ctx.top)
    if conflicted:
        raise _Stop(f"rebase onto {target} has conflicts in {_listing(conflicted)}",
                    "Resolve them and 'git add' them, then run 'sess end --continue'; "
                    "or 'sess end --abort' to undo the rebase.")
    ctx.progress.step(f"Continuing the rebase onto {target}")
    result = _run_rebase(ctx, "--continue")
    if not result.ok:
        _rebase_stopped(ctx, target, result)
    ctx.data["rebased_head"] = ctx.tip_now = ctx.tip()


def _rebase_stopped(ctx: _Context, target: str, result: proc.Result) -> NoReturn:
    in_progress = git.rebase_in_progress(ctx.top)
    if in_progress and result.returncode > 0:  # git stopped by itself, not by a signal: a stop to continue from
        ctx.data["rebase_stop"] = _stop_point(ctx.top)
    conflicted = git.conflicted_files(ctx.top) if in_progress else []
    if conflicted:
        ctx.data["rebase_conflicted"] = True
        raise _Stop(f"rebase onto {target} has conflicts in {_listing(conflicted)}",
                    "Resolve them and 'git add' them, then run 'sess end --continue'; "
                    "or 'sess end --abort' to undo the rebase.")
    raise CommandError(result.argv, result.returncode, result.stdout, result.stderr)


def _listing(files: list[str]) -> str:
    shown = ", ".join(files[:5])
    return shown + (f" and {len(files) - 5} more" if len(files) > 5 else "")


def _push(ctx: _Context) -> None:
    if not ctx.pushing:
        return
    if ctx.plan.review_ref:
        _push_review(ctx)
        return
    top, branch = ctx.top, ctx.branch
    _refuse_if_lost(ctx)
    if ctx.refs is not None:  # fetched moments ago in this run: origin's branch is as it says
        tip = ctx.tip_now
        remote = ctx.refs.remote_branch(branch)
    else:  # picking up an end: ask origin itself
        tip = ctx.tip()
        remote = git.ls_remote_branch(top, branch)
    if remote == tip:
        return  # already there (a push that outlived a killed sess, say)
    args = ["push", *ctx.meters, "--set-upstream"]
    if remote is not None and not git.is_ancestor(top, remote, f"refs/heads/{branch}"):
        # Rebased after an earlier push: replace what origin has only if every commit of it was
        # ours before the rebase, and only if it is still what we saw then (the lease).
        expected = ctx.data.get("remote_before")
        ours = ctx.data.get("pre_rebase_head") or tip
        if expected and ours and not git.is_ancestor(top, str(expected), str(ours)):
            raise _Stop(f"origin/{branch} has commits this branch does not have",
                        f"Bring them in ('git pull --rebase origin {branch}' on {branch}), "
                        "then run 'sess end --continue'.")
        args.append(f"--force-with-lease=refs/heads/{branch}:{expected or ''}")
    ctx.progress.step(f"Pushing {branch} to origin")
    result = git.git(top, *args, "origin", f"refs/heads/{branch}:refs/heads/{branch}",
                     check=False, on_output=ctx.output)
    if not result.ok:
        error = CommandError(result.argv, result.returncode, result.stdout, result.stderr)
        if "stale info" in result.stdout or "fetch first" in result.stdout:
            raise _Stop(f"origin/{branch} has commits this branch does not: {error.detail}",
                        f"Bring them in ('git pull --rebase origin {branch}' on {branch}), "
                        "then run 'sess end --continue'.")
        raise error


def _push_review(ctx: _Context) -> None:
    """A review's new commits to the PR's head, not forced: an author who pushed meanwhile is
    brought in first."""
    top, branch = ctx.top, ctx.branch
    remote, ref = str(ctx.plan.review_remote), str(ctx.plan.review_ref)
    tip = ctx.tip()
    theirs = git.ls_remote_ref(top, remote, ref)
    if theirs == tip:
        return  # already there (a push that outlived a killed sess, say)
    if theirs is not None and not (git.rev(top, theirs) and git.is_ancestor(top, theirs, tip or "")):
        raise _Stop(f"the pull request's branch has commits {branch} does not have",
                    f"Bring them in ('git pull --ff-only' on {branch}, or --rebase), then run 'sess end --continue'.")
    shown = ref.removeprefix("refs/heads/")
    ctx.progress.step(f"Pushing {branch} to the pull request's branch {shown}")
    git.git(top, "push", *ctx.meters, "--", remote, f"refs/heads/{branch}:{ref}", on_output=ctx.output)


def _pull_request(ctx: _Context) -> None:
    if not ctx.pushing or ctx.plan.no_pr or ctx.data.get("pr"):
        return
    top, branch = ctx.top, ctx.branch
    ctx.progress.step("Looking for an open pull request")
    forge = forges.open_forge(top, ctx.plan.forge_settings)
    existing = forge.find_open_pr(branch)
    if existing is not None:
        ctx.data["pr"] = {"number": existing.number, "url": existing.url, "reused": True, "draft": False}
        return
    plan = ctx.plan
    title = pr_title(plan, ctx.session, git.last_commit_subject(top, f"refs/heads/{branch}"))
    ctx.progress.step("Opening a draft pull request" if plan.draft else "Opening a pull request")
    try:
        created = forge.create_pr(ctx.base, branch, title, pr_body(plan, ctx.session), plan.draft,
                                  reviewers=plan.reviewers, labels=plan.labels, assignees=plan.assignees)
    except ForgeUnavailable:
        raise
    except SessError:
        # A gh that outlived a killed sess, or a retry after a timeout, may have made it after all.
        existing = forge.find_open_pr(branch)
        if existing is None:
            raise
        ctx.data["pr"] = {"number": existing.number, "url": existing.url, "reused": True, "draft": False}
        return
    ctx.data["pr"] = {"number": created.number, "url": created.url, "reused": False, "draft": plan.draft,
                      "warning": created.warning}


def _checkout_base(ctx: _Context) -> None:
    top, base = ctx.top, ctx.base
    on_base = (ctx.on_branch if ctx.on_branch is not None else git.current_branch(top)) == base
    dirty = not ctx.clean and select(git.work_tree_now(top), ctx.plan.never_commit).any
    if not on_base and dirty:
        raise _Stop(f"the working tree has uncommitted changes, so {base} cannot be checked out",
                    "Commit or stash them, then run 'sess end --continue'.")
    sync = _base_sync(ctx) if ctx.plan.sync_base and ctx.origin and not dirty else None
    try:
        if not on_base and _leave_for_base(ctx):
            sync = None  # the base is another work tree's: neither checked out nor moved from here
            ctx.data["detached"] = True
        elif sync is not None and sync.forwarded:
            # Checked out at origin's commit in one go: the base only moves forward (checked above).
            ctx.progress.step(f"Checking out {base} at {sync.remote}")
            if on_base:
                git.git(top, "merge", "--quiet", "--ff-only", f"refs/remotes/{sync.remote}")
            else:
                git.git(top, "checkout", "--quiet", "--no-track", "-B", base, f"refs/remotes/{sync.remote}", "--")
        elif not on_base:
            ctx.progress.step(f"Checking out {base}")
            git.checkout(top, base)
    except CommandError as exc:
        raise _Stop(f"cannot check out {base}: {exc.detail}",
                    "Fix what is in the way, then run 'sess end --continue'.") from exc
    if sync is not None:
        ctx.data["base_sync"] = sync._asdict()


def _leave_for_base(ctx: _Context) -> bool:
    """In a linked worktree whose base is checked out in another work tree (the main one, say),
    git cannot check it out here: HEAD is detached instead, freeing the session's branch."""
    from sess.workflows.worktrees import base_elsewhere

    if base_elsewhere(ctx.top, ctx.base) is None:
        return False
    ctx.progress.step(f"Leaving {ctx.branch} ({ctx.base} is checked out in another worktree)")
    git.git(ctx.top, "checkout", "--quiet", "--detach")
    return True


def _base_sync(ctx: _Context) -> BaseSync | None:
    """How the local base stands against origin's; `forwarded` when it can move without a merge."""
    remote = f"origin/{ctx.base}"
    if ctx.refs is not None:
        local, theirs = ctx.refs.branch(ctx.base), ctx.refs.remote_branch(ctx.base)
        if local is None or theirs is None:
            return None  # no local base yet (checkout creates it from origin's), or no origin/<base>
        if local == theirs:
            return BaseSync(remote, 0, 0, forwarded=False)
    counts = git.left_right(ctx.top, f"refs/heads/{ctx.base}", f"refs/remotes/{remote}")
    if counts is None:
        return None
    ahead, behind = counts
    return BaseSync(remote, behind, ahead, forwarded=behind > 0 and ahead == 0)


def _delete_branch(ctx: _Context) -> tuple[bool, str | None]:
    """Delete the session branch if asked and every commit on it is on origin."""
    if not ctx.plan.delete_branch:
        return False, None
    top, branch = ctx.top, ctx.branch
    tip = ctx.tip()
    if tip is None:
        return True, None
    why = _check_nothing_lost(ctx) or _unsafe_to_delete(ctx, tip)
    if why is not None:
        return False, why
    if git.current_branch(top) == branch:
        return False, "it is checked out"
    ctx.progress.step(f"Deleting {branch}")
    try:
        git.delete_branch(top, branch, force=True)
    except CommandError as exc:
        return False, exc.detail
    return True, None


def _unsafe_to_delete(ctx: _Context, tip: str) -> str | None:
    top = ctx.top
    if not ctx.origin:
        return "there is no origin remote to hold its commits"
    try:
        remote = git.ls_remote_branch(top, ctx.branch)
    except CommandError as exc:
        return f"origin cannot be asked ({exc.detail})"
    if remote == tip:
        return None
    if remote is not None and git.rev(top, remote) is not None and git.is_ancestor(top, tip, remote):
        return None
    base = f"refs/remotes/origin/{ctx.base}"
    if git.rev(top, base) is not None and git.is_ancestor(top, tip, base):
        return None  # nothing of its own: every commit is on origin's base
    return "some of its commits are not on origin"


def _no_pr_reason(data: dict[str, Any]) -> str:
    plan = Plan.from_data(data.get("plan") or {})
    if plan.review_ref:
        return "a review" + ("; nothing new to push" if plan.nothing_to_ship else "")
    if plan.nothing_to_ship:
        return "nothing to ship"
    if plan.no_pr:
        return "--no-pr"
    if not data.get("origin"):
        return "no origin remote"
    if data.get("empty_after_rebase"):
        return f"nothing left to ship after the rebase onto {data.get('rebase_target')}"
    return "none opened"


# --- abort ----------------------------------------------------------------------------------------

def abort(store: Store, cwd: str, progress: Progress, ref: str | None = None) -> Aborted:
    """Undo the unfinished step, return to the session branch as it was, keep the session open."""
    where, project = require_project(store, cwd)
    top = where.top
    with project_lock(project.path):
        session, journal = _unfinished_end(store, project, "abort", "Run 'sess status' to see the session.",
                                           where, ref)
        data = journal.data
        branch = str(data.get("branch") or session.branch)
        notes: list[str] = []
        _wait_for_orphan(data, progress)
        try:
            if git.rebase_in_progress(top):
                progress.step("Aborting the rebase")
                git.git(top, "rebase", "--abort")
            if git.current_branch(top) != branch:
                progress.step(f"Checking out {branch}")
                git.checkout(top, branch)
            notes += _undo_rebase(top, branch, data, progress)
        except CommandError as exc:
            raise SessError(f"abort failed: {said(exc)}",
                            "Fix what is in the way, then run 'sess end --abort' again.") from None
        committed = data.get("committed")
        if committed:
            sha = str(committed["sha"])
            if committed.get("before_rebase") and git.rev(top, f"refs/heads/{branch}") != sha:
                sha = str(committed["before_rebase"])  # the rebase was undone
            notes.append(f"Your changes stay committed as {sha[:7]} · {committed['message']}")
        pr = data.get("pr")
        if pr:
            notes.append(f"PR #{pr['number']} stays open · {pr['url']}")
        store.clear_journal(session.id)
        return Aborted(project, store.session(session.id), journal.step, notes)


def _undo_rebase(top: str, branch: str, data: dict[str, Any], progress: Progress) -> list[str]:
    """Put the branch back on its commits from before the rebase, if nothing else moved it since."""
    before, after = data.get("pre_rebase_head"), data.get("rebased_head")
    tip = git.rev(top, f"refs/heads/{branch}")
    target = data.get("rebase_target")
    if before and not after and tip and tip != before and target \
            and git.only_copies_of(top, str(before), tip, _qualified(str(target))):
        after = tip  # the rebase finished after sess was killed, so it was never written down
    if not before or not after or tip != after or tip == before:
        return []
    if data.get("origin") and git.ls_remote_branch(top, branch) == tip:
        return [f"The rebased {branch} is already on origin; it stays rebased"]
    progress.step(f"Putting {branch} back as it was before the rebase")
    git.git(top, "reset", "--quiet", "--keep", str(before))
    return []
