"""`sess end`: gather the decisions (flags, or prompts on a terminal), run, continue or abort
the end workflow, and render what happened."""

from __future__ import annotations

import argparse
import os
import sys

from sess import render, rules, timestamps
from sess.commands import add_session, session_ref
from sess.errors import SessError, UsageError
from sess.rules import Session
from sess.store import Store
from sess.workflows import end

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from datetime import datetime

    from sess.config import Config
    from sess.store import Journal
    from sess.workflows.common import Where

# Flags that shape the plan of an end; an unfinished end keeps the plan it started with.
_PLAN_FLAGS = (("message", "--message"), ("title", "--title"), ("summary", "--summary"),
               ("testing", "--testing"), ("notes", "--notes"), ("draft", "--draft"), ("ready", "--ready"),
               ("base", "--base"))


def parser_end(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    end = commands.add_parser(
        "end", help="commit, rebase, push, open a PR and end the session",
        description="Hand the work off: commit, rebase, push, pull request, back on the base branch.")
    end.add_argument("--message", "-m", metavar="MSG", help="commit message for uncommitted work")
    end.add_argument("--title", metavar="T", help="pull request title (default: issue or last commit)")
    end.add_argument("--summary", metavar="S", help="pull request summary")
    end.add_argument("--testing", metavar="T", help="how it was tested")
    end.add_argument("--notes", metavar="N", help="notes for reviewers")
    draft = end.add_mutually_exclusive_group()
    draft.add_argument("--draft", action="store_true", help="open the pull request as a draft")
    draft.add_argument("--ready", action="store_true", help="open it ready for review (overrides pr.draft)")
    end.add_argument("--no-pr", action="store_true", help="push, but open no pull request")
    end.add_argument("--base", metavar="BRANCH", help="re-target the session: rebase onto origin's BRANCH, "
                                                      "open the pull request against it")
    keep = end.add_mutually_exclusive_group()
    keep.add_argument("--keep-branch", action="store_true", help="keep the local branch (default)")
    keep.add_argument("--delete-branch", action="store_true", help="delete the local branch once it is safe")
    from sess.commands.clock import add_at

    add_at(end, "stop the clock")
    add_session(end)
    recover = end.add_mutually_exclusive_group()
    recover.add_argument("--continue", dest="continue_", action="store_true",
                         help="pick up an interrupted end at the step that did not finish")
    recover.add_argument("--abort", action="store_true", help="undo an interrupted end and keep the session open")


def cmd_end(args: argparse.Namespace) -> int:
    from sess import config, forges
    from sess.hooks import Hooks, session_info
    from sess.progress import for_terminal

    store = Store.open()
    cwd = os.getcwd()
    from sess.workflows.common import locate

    ref = session_ref(store, locate(store, cwd), args.session)
    if args.abort:
        _refuse_flags(args, "--abort", allow_changes=False)
        progress = for_terminal()
        try:
            aborted = end.abort(store, cwd, progress, ref)
        finally:
            progress.close()
        render.print_lines(_aborted_lines(aborted))
        return 0

    where, project, session, journal = end.unfinished(store, cwd, ref)
    cfg = config.load(where.top)
    hooks = Hooks(cfg, where.top, enabled=not args.no_hooks)
    if journal is not None or args.continue_:
        if journal is None:
            raise SessError("there is no unfinished end to continue", "Run 'sess end' to end the session.")
        _refuse_flags(args, "--continue" if args.continue_ else "an unfinished end", allow_changes=True)
        if not args.continue_ and end.needs_user(where.top, journal):
            raise SessError(f"the end of this session stopped at step '{journal.step}'"
                            + (f": {journal.error}" if journal.error else ""),
                            "Resolve the conflicts and 'git add' them, then run 'sess end --continue'; "
                            "or 'sess end --abort'.")
        if end.wants_pr(journal, bool(args.no_pr)):
            end.check_forge(where.top, True, end.Plan.from_data(journal.data.get("plan") or {}).forge_settings)
        stop_at = _continue_stop_at(args, where.top, where.branch, session, journal, cfg.time_idle_after_s)
        progress = for_terminal()
        try:
            if not args.continue_:
                progress.note(f"Continuing the end that stopped at step '{journal.step}'")
            ended = end.resume(store, cwd, progress, no_pr=True if args.no_pr else None,
                               delete_branch=_delete_flag(args), hooks=hooks, stop_at=stop_at, ref=ref)
        finally:
            progress.close()
    else:
        if args.base is not None:
            _retarget(store, where, session, args.base)
        facts = end.inspect(store, cwd, cfg.end_never_commit, ref, forges.Settings.of(cfg))
        if facts.has_origin and not args.no_pr and not facts.nothing_to_ship and facts.upstream is None:
            end.check_forge(facts.where.top, False, forges.Settings.of(cfg))  # before any question or step
        plan = _gather(args, facts, cfg)._replace(sync_base=cfg.end_sync_base)
        from sess import prompts

        if prompts.interactive():  # the user may have changed files while answering: look again
            facts = facts._replace(refs=None, tree=None)
        progress = for_terminal()
        try:
            ended = end.run(store, facts, plan, progress, hooks)
        finally:
            progress.close()
    render.print_lines(_ended_lines(ended))
    if ended.pr and ended.pr.warning:
        sys.stdout.flush()
        sys.stderr.write(render.safe_line(f"warning: PR #{ended.pr.number} was opened, but not all of it: "
                                          f"{ended.pr.warning}") + "\n")
    sys.stdout.flush()
    if cfg.tracker_log_time and ended.session.issue_id:
        _log_time(store, ended.project.id, ended.session.id)
    hooks.run("post-end", session_info(ended.project, ended.session, ended.base))
    _auto_sync(ended.project.path, cfg)
    from sess.commands.switch import worktree_lines

    tail = worktree_lines(ended.project, ended.session, cfg.worktree_remove)  # after the hook, which runs there
    if tail:
        render.print_lines(tail)
    return 0


def _auto_sync(top: str, cfg: Config) -> None:
    if cfg.sync_enabled and cfg.sync_auto:
        from sess import sync
        from sess.commands.team import warn

        sync.auto(top, cfg, warn)


def _log_time(store: Store, project_id: int, session_id: int) -> None:
    """tracker.log_time: the session's time to its tracker after the handoff (`sess worklog` for
    this session). The end is done whatever happens here: a failure is a warning."""
    from sess.commands import worklog
    from sess.trackers import TRACKER_NAMES
    from sess.workflows.worklog import FAILED, SENT, UNTRACKED

    try:
        outcomes = worklog.run(store, project_id, None, None, session_id=session_id)
    except SessError as exc:
        sys.stderr.write(f"Warning: worked time not logged: {exc.message}; 'sess worklog' tries again\n")
        return
    sent = sum(o.send for o in outcomes if o.status == SENT)
    failed = [o for o in outcomes if o.status == FAILED]
    if sent:
        ref = render.safe(rules.issue_ref(outcomes[0].entry.issue_id))
        sys.stderr.write(f"Logged {render.duration(sent)} on {ref}\n")
    untracked = next((o for o in outcomes if o.status == UNTRACKED), None)
    if untracked is not None:
        name = TRACKER_NAMES.get(untracked.entry.tracker, untracked.entry.tracker)
        sys.stderr.write(f"{name} has no time tracking: worked time not logged (tracker.log_time)\n")
    if failed:
        sys.stderr.write(f"Warning: worked time not logged: {failed[0].error}; 'sess worklog' tries again\n")


def _retarget(store: Store, where: Where, session: Session, base: str) -> None:
    """`end --base B`: the open session's base becomes B, which must exist here or on origin."""
    from sess import git

    refs = git.refs(where.top)
    if base.startswith("-") or not git.valid_branch_name(where.top, base) or not refs.known(base):
        raise UsageError(f"--base: the branch '{base}' does not exist here or on origin")
    if base == session.branch:
        raise UsageError(f"--base: {base} is the session's own branch")
    store.set_session_base(session.id, base)


def _refuse_flags(args: argparse.Namespace, what: str, allow_changes: bool) -> None:
    given = [flag for name, flag in _PLAN_FLAGS if getattr(args, name)]
    if not allow_changes:
        given += [flag for name, flag in (("no_pr", "--no-pr"), ("keep_branch", "--keep-branch"),
                                          ("delete_branch", "--delete-branch"), ("at", "--at"))
                  if getattr(args, name)]
    if not given:
        return
    if allow_changes:
        raise UsageError(f"{', '.join(given)} cannot be used with {what}: its plan was made when it started",
                         "Run 'sess end --continue' (only --no-pr, --keep-branch, --delete-branch and --at "
                         "may change), or 'sess end --abort' and start the end again.")
    raise UsageError(f"{', '.join(given)} cannot be used with {what}")


def _delete_flag(args: argparse.Namespace) -> bool | None:
    if args.delete_branch:
        return True
    if args.keep_branch:
        return False
    return None


def _gather(args: argparse.Namespace, facts: end.Facts, cfg: Config) -> end.Plan:
    """Every decision up front: flags, else the configuration, else a prompt on a terminal, else a
    usage error naming the flag."""
    from sess import config, pr_template, prompts

    ask = prompts.interactive()
    base = facts.base
    no_pr = bool(args.no_pr) or facts.upstream is not None  # a review opens no pull request
    if facts.nothing_to_ship and not no_pr:
        prompts.require("--no-pr", f"nothing to ship: no changes and no commits ahead of {base}")
        if not prompts.select(f"Nothing to ship: no changes and no commits ahead of {base}", [
                ("End the session anyway, without a pull request", True),
                ("Cancel", False)]):
            raise SessError("cancelled; nothing was changed")
        no_pr = True

    message = args.message
    if message is not None and not message.strip():  # git would refuse it at the commit step
        raise UsageError("--message is blank", "Pass a commit message with words in it.")
    if facts.dirty and not message:
        prompts.require("--message MSG", "the working tree has uncommitted changes to commit")
        from sess.commitlist import left_out_lines, listing

        # What the message is for, with the question: the files it commits, and those it leaves out.
        render.print_lines([listing(facts.selection),
                            *left_out_lines(facts.selection.left_out, facts.selection.submodules)])
        message = prompts.text("Commit message", default=_default_message(facts.session))

    summary, testing, notes = args.summary, args.testing, args.notes
    opens_pr = facts.has_origin and not no_pr and not facts.nothing_to_ship
    if ask and opens_pr and None in (summary, testing, notes) and not _pr_already_open(facts, cfg):
        if summary is None:
            summary = prompts.text("PR summary (what and why)", required=False)
        if testing is None:
            testing = prompts.text("PR testing (how it was checked)", required=False)
        if notes is None:
            notes = prompts.text("PR notes for reviewers", required=False)

    # Read now, before any step: a template that leads outside the repository stops the end here.
    template = pr_template.find(facts.where.top, cfg) if opens_pr else None

    delete_branch = _delete_flag(args)
    if delete_branch is None and cfg.source("end.delete_branch") != config.DEFAULT:
        delete_branch = cfg.end_delete_branch  # a configured choice is not asked again
    if delete_branch is None:
        delete_branch = False
        if ask and facts.has_origin:  # the branch reaches origin (with --no-pr too), so deleting can be safe
            delete_branch = prompts.confirm(
                f"Delete the local branch {facts.session.branch} once it is on origin?", default=False)

    return end.Plan(message=message, title=args.title, summary=summary or None, testing=testing or None,
                    notes=notes or None, draft=bool(args.draft) or (cfg.pr_draft and not args.ready), no_pr=no_pr,
                    delete_branch=delete_branch, nothing_to_ship=facts.nothing_to_ship,
                    reviewers=cfg.pr_reviewers, labels=cfg.pr_labels, assignees=cfg.pr_assignees,
                    title_template=cfg.pr_title, template=template,
                    stop_at=_stop_at(args, facts, cfg.time_idle_after_s),
                    forge_type=cfg.forge_type, forge_host=cfg.forge_host, pr_repo=cfg.pr_repo,
                    never_commit=cfg.end_never_commit,
                    review_remote=facts.upstream[0] if facts.upstream else None,
                    review_ref=facts.upstream[1] if facts.upstream else None)


def _stop_at(args: argparse.Namespace, facts: end.Facts, idle_after_s: int) -> str | None:
    """When the clock stops: --at (checked), else on a forgotten clock the user's pick, else at the end."""
    from sess.commands.clock import parse_at, stop_moment

    now = timestamps.now()
    at = parse_at(args, now)
    if at is not None:
        rules.check_stop(facts.session, at, now)
        _say_long(facts.session, at, args.at)
    else:
        at = stop_moment(facts.where.top, facts.where.branch, facts.session, now, "end", idle_after_s)
    return timestamps.format_db(at) if at is not None else None


def _continue_stop_at(args: argparse.Namespace, top: str, branch: str, session: Session,
                      journal: Journal, idle_after_s: int) -> str | None:
    """When a continued end stops the clock: --at (checked), else the moment its plan already
    chose, else the forgotten-clock rule as at a first end (the failed end left the clock running,
    maybe overnight). None: when it ends."""
    from sess.commands.clock import parse_at, stop_moment

    now = timestamps.now()
    at = parse_at(args, now)
    if at is not None:
        rules.check_stop(session, at, now)
        _say_long(session, at, args.at)
        return timestamps.format_db(at)
    if end.Plan.from_data(journal.data.get("plan") or {}).stop_at:
        return None  # the plan's own moment stands
    at = stop_moment(top, branch, session, now, "end", idle_after_s)
    return timestamps.format_db(at) if at is not None else None


def _say_long(session: Session, at: datetime, text: str) -> None:
    """A running slice that --at stops after more than 12 hours is stated (and asked on a terminal)."""
    from sess.commands.clock import long_slice

    if session.current_slice_start is not None:
        line = long_slice((at - session.current_slice_start).total_seconds(), f"--at {text}")
        if line:
            render.warn(line)


def _pr_already_open(facts: end.Facts, cfg: Config) -> bool:
    """An open PR for the branch is reused as it is: no point asking for its text."""
    from sess import forges

    try:
        existing = forges.open_forge(facts.where.top, forges.Settings.of(cfg)).find_open_pr(facts.session.branch)
    except SessError:
        return False  # gh is unusable now; the PR step will say so
    if existing is not None:
        sys.stderr.write(f"PR #{existing.number} is open for {facts.session.branch}; it will be reused\n")
    return existing is not None


def _default_message(session: Session) -> str:
    if session.issue_title:
        return session.issue_title
    slug = session.branch.split("/", 1)[-1].replace("-", " ").strip()
    return slug[:1].upper() + slug[1:] if slug else "Work in progress"


# --- rendering ------------------------------------------------------------------------------------

def _ended_lines(ended: end.Ended) -> list[str]:
    session = ended.session
    lines = [render.finished_line("Ended", session, timestamps.now())]
    if ended.committed:
        sha, message = ended.committed
        subject = message.strip().splitlines()[0] if message.strip() else ""
        lines.append(render.DOT.join(filter(None, [f"Committed your changes as {sha[:7]}", subject])))
    from sess.commitlist import left_out_lines

    lines += left_out_lines(ended.left_out, ended.submodules)
    if ended.pr:
        pr = [f"PR #{ended.pr.number}", ended.pr.url]
        if ended.pr.reused:
            pr.append("already open")
        elif ended.pr.draft:
            pr.append("draft")
        lines.append(render.DOT.join(pr))
    else:
        lines.append(f"No pull request{render.DOT}{ended.no_pr_reason}")
    if ended.detached:
        lines.append(f"HEAD detached ({ended.base} is checked out in another worktree)")
    else:
        lines.append(render.DOT.join([f"On branch {ended.base}", *_base_sync_note(ended.base_sync)]))
    if ended.branch_deleted:
        lines.append(f"Deleted branch {session.branch}")
    elif ended.branch_kept_reason:
        lines.append(f"Kept branch {session.branch}: {ended.branch_kept_reason}")
    return lines


def _base_sync_note(sync: end.BaseSync | None) -> list[str]:
    if sync is None or not sync.behind:
        return []
    if sync.forwarded:
        return [f"fast-forwarded to {sync.remote} ({render.plural(sync.behind, 'commit')})"]
    return [f"{render.plural(sync.behind, 'commit')} behind {sync.remote}, not fast-forwarded: "
            f"it has {render.plural(sync.ahead, 'commit')} of its own"]


def _aborted_lines(aborted: end.Aborted) -> list[str]:
    session = aborted.session
    lines = [f"Aborted the end of {session.branch} (stopped at step '{aborted.step}')",
             f"On branch {render.branch_label(session.branch, session.branch_type)}",
             render.session_line(session, timestamps.now())]
    lines += aborted.notes
    return lines

