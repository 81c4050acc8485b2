"""`sess start`: gather the decisions (flags, or prompts on a terminal), run the start workflow."""

from __future__ import annotations

import os
import sys

from sess import render
from sess.commands import Option, add_dirty, choose_dirty, quick_args
from sess.errors import SessError
from sess.rules import DIRTY_MODES
from sess.store import Store

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from datetime import datetime

    from sess import config
    from sess.forges import Forge
    from sess.hooks import Hooks
    from sess.trackers import Issue, Prefetch, Tracker
    from sess.workflows import start


def parser_start(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    start = commands.add_parser("start", help="start a session on a new branch",
                                description="Cut a new branch from the base branch and start a session on it.")
    start.add_argument("name", nargs="?", metavar="NAME", help="branch name (default: the issue title)")
    issue = start.add_mutually_exclusive_group()
    issue.add_argument("--issue", metavar="ID", help="link this GitHub issue")
    issue.add_argument("--no-issue", action="store_true", help="start without an issue")
    issue.add_argument("--pr", metavar="N", help="review someone else's pull request N (#N, !N, or its URL): a session "
                                                 "of type review on the PR's own branch")
    start.add_argument("--type", dest="branch_type", metavar="TYPE",
                       help="branch type, one of 'branch.types' (default: feature, bugfix, refactor, hotfix, "
                            "chore, docs)")
    start.add_argument("--base", metavar="BRANCH", help="branch to start from (default: the project's base)")
    add_dirty(start, "")
    start.add_argument("--park", action="store_true",
                       help="with a session open: park it (its clock stops, its changes are kept with it)")
    start.add_argument("--worktree", action="store_true",
                       help="start in a new linked worktree (worktree.path); this work tree is not touched")
    start.add_argument("--worktree-path", metavar="PATH", help="the new worktree's place (implies --worktree)")
    from sess.commands.clock import add_at

    add_at(start, "start the clock")


# What `quick_start` reads, as parser_start declares it (a test holds the two together).
QUICK_OPTIONS: dict[str, Option] = {
    "--issue": ("issue", True, None), "--no-issue": ("no_issue", False, None),
    "--type": ("branch_type", True, None), "--base": ("base", True, None),
    "--dirty": ("dirty", True, DIRTY_MODES), "--message": ("message", True, None), "-m": ("message", True, None),
    "--at": ("at", True, None), "--no-hooks": ("no_hooks", False, None), "--park": ("park", False, None),
    "--worktree": ("worktree", False, None), "--worktree-path": ("worktree_path", True, None),
    "--pr": ("pr", True, None),
}


def quick_start(argv: Sequence[str]) -> argparse.Namespace | None:
    """`sess start ARGS`, read without argparse when plain: see commands.quick_args."""
    return quick_args("start", argv, QUICK_OPTIONS, "name", exclusive=("issue", "no_issue", "pr"))  # type: ignore[return-value]


def cmd_start(args: argparse.Namespace) -> int:
    from sess import config, git, prompts, rules, timestamps
    from sess.commands.clock import parse_at, paused_elsewhere_lines
    from sess.errors import UsageError
    from sess.workflows import start
    from sess.workflows.common import locate_in

    if args.issue is not None:
        from sess import trackers

        if not trackers.plausible(args.issue):  # a malformed --issue is a usage error before anything else
            raise UsageError(f"--issue {args.issue!r} is not an issue: pass 42, #42, an issue URL or a key such "
                             "as PROJ-123", "Run 'sess start --help' for usage.")
    at = parse_at(args, timestamps.now())
    if at is not None:
        rules.check_not_future("--at", at, timestamps.now())
        from sess.commands.clock import long_slice

        line = long_slice((timestamps.now() - at).total_seconds(), f"--at {args.at}")
        if line:
            sys.stderr.write(line + "\n")
    cwd = os.getcwd()
    top, current = git.require_repo(cwd)
    cfg = config.load(top)  # a broken configuration stops us before anything is touched
    if args.pr is not None:
        return _start_review(args, cfg, top, current, at)
    tracker = _tracker(cfg, top, args)
    listing: Prefetch | None = None
    if tracker is not None and args.issue is None and not args.no_issue and prompts.interactive():
        from sess import trackers

        # The picker's list, asked while the rest goes on: by sess.cli as sess started, else now.
        listing = trackers.take_early(cfg) or tracker.prefetch()
    types = cfg.branch_types
    if args.branch_type is not None and args.branch_type not in types:
        raise UsageError(f"unknown branch type '{args.branch_type}'", f"Choose one of: {', '.join(types)}.")
    base_flag, base_hint = args.base, None
    if base_flag is None and cfg.base is not None:
        base_flag = cfg.base
        base_hint = f"It is set as 'base' in {config.shown(_file_of(cfg, 'base'))}."
    store = Store.open()
    facts = start.inspect(store, cwd, base_flag, where=locate_in(store, top, current),
                          base_hint=base_hint)
    ask = prompts.interactive()
    if facts.base_warning:
        sys.stderr.write(facts.base_warning + "\n")
    in_worktree = bool(args.worktree or args.worktree_path or cfg.worktree_default)
    if facts.open_sessions and not args.park and not in_worktree:
        if not ask:
            raise start.open_refusal(facts.open_sessions)
        listed = ", ".join(f"{s.branch} ({s.state})" for s in facts.open_sessions)
        choice = prompts.select(f"A session is open: {render.safe(listed)}", [
            ("park it and start here", "park"),
            ("start in a new worktree", "worktree"),
            ("quit", None),
        ])
        if choice is None:
            raise SessError("cancelled; nothing was changed")
        args.park = choice == "park"
        in_worktree = choice == "worktree"

    issue: Issue | None = None
    if args.issue is not None and tracker is not None:
        issue = tracker.view(args.issue)
        if issue.state != "OPEN":
            sys.stderr.write(f"Issue {render.safe(rules.issue_ref(issue.id))} is {issue.state.lower()}; "
                             "starting on it anyway\n")
    elif not args.no_issue and tracker is not None:
        # NAME names the branch; whether an issue is linked is a choice of its own.
        prompts.require("--issue ID or --no-issue", "no issue chosen")
        issue = _ask_issue(tracker, listing)
    if issue is not None and cfg.sync_enabled and facts.where.project is not None:
        from sess.commands.team import check_taken

        check_taken(store, facts.where.project, issue.id, ask)  # from the last sync: no network

    branch_type = args.branch_type
    if branch_type is None:
        branch_type = (prompts.select("Branch type", [(t, t) for t in types], default=cfg.branch_default_type)
                       if ask else cfg.branch_default_type)

    name = args.name
    if name is None and ask:
        suggestion = rules.slugify(issue.title, cfg.branch_max_length) if issue else ""
        name = prompts.text("Branch name", default=suggestion, check=lambda answer: start.branch_problem(
            top, start.Plan(branch_type, answer, issue, None, None, template=cfg.branch_template,
                            max_length=cfg.branch_max_length, user=cfg.branch_user)))
    elif name is None and issue is None:
        raise UsageError("a branch name is needed: pass NAME")

    plan = start.Plan(branch_type, name, issue, None, None,
                      template=cfg.branch_template, max_length=cfg.branch_max_length, at=at, user=cfg.branch_user,
                      exclusive=cfg.time_exclusive, park=args.park,
                      copy=cfg.worktree_copy)
    branch = start.plan_branch(facts, plan, store)  # while git still scans the work tree
    if in_worktree:
        title = name or (issue.title if issue else "")
        plan = plan._replace(worktree=_worktree_path(args, cfg, top, branch, branch_type, title,
                                                     issue.id if issue else None))
    started, hooks = _run(args, store, facts, plan, cfg, top, branch, "the new branch", in_worktree=in_worktree)
    session = started.session
    lines = _opening_lines(started)
    detail = [f"Session {render.state_word(session.state)}", f"from {started.base}"]
    if started.pulled:
        detail.append(f"pulled {render.plural(started.pulled, 'commit')}")
    if session.issue_id:
        detail.append(render.issue_ref(session))
    lines.append(render.DOT.join(detail))
    if started.stash_note:
        lines.append(started.stash_note)
    lines.extend(paused_elsewhere_lines(started.paused_elsewhere))
    lines.extend(render.title_lines(session))
    _print_started(lines, started)
    return _after_start(hooks, started, cfg, top)


def _worktree_path(args: argparse.Namespace, cfg: config.Config, top: str, branch: str, branch_type: str,
                   title: str, issue: str | None) -> str:
    """Where `--worktree` puts the new worktree: --worktree-path, else worktree.path filled in."""
    from sess import rules
    from sess.gitfiles import main_work_tree
    from sess.workflows import worktrees

    if args.worktree_path:
        path = os.path.normpath(os.path.join(os.getcwd(), os.path.expanduser(args.worktree_path)))
        if os.path.lexists(path):
            raise SessError(f"{path} already exists", "Pass another --worktree-path; nothing was changed.")
        return path
    return worktrees.planned_path(cfg.worktree_path, main_work_tree(top), branch, branch_type,
                                  rules.slugify(title, cfg.branch_max_length), issue)


def _print_started(lines: list[str], started: start.Started) -> None:
    if started.worktree is not None:
        # stdout holds only the new worktree's path: cd "$(sess start x --worktree)".
        render.print_lines([*lines, f"In the new worktree {started.worktree}"], sys.stderr)
        render.print_lines([started.worktree])
    else:
        render.print_lines(lines)


def _run(args: argparse.Namespace, store: Store, facts: start.Facts, plan: start.Plan, cfg: config.Config, top: str,
         branch: str, new_branch: str, *, in_worktree: bool = False) -> tuple[start.Started, Hooks]:
    """What becomes of the changes here (asked for if need be; `new_branch` names where carry takes
    them), then the start itself."""
    from sess.hooks import Hooks
    from sess.progress import for_terminal
    from sess.workflows import start

    facts = facts.settled()
    if in_worktree or (plan.park and facts.parks is not None):
        dirty, message = None, None  # the changes are parked with the session checked out here
    else:
        dirty, message = choose_dirty(args, facts.dirty, "", "the current branch first", new_branch)
    plan = plan._replace(dirty=dirty, message=message)
    hooks = Hooks(cfg, top, enabled=not args.no_hooks)
    progress = for_terminal()
    try:
        return start.run(store, facts, plan, progress, hooks, branch), hooks
    finally:
        progress.close()


def _opening_lines(started: start.Started) -> list[str]:
    """The first lines of what start says: the changes parked, the session handed over, the branch."""
    lines = [started.parked_note] if started.parked_note else []
    if started.handed_over is not None and started.handed_over.state == "active":
        lines.append(render.handover_line(started.handed_over))
    session = started.session
    lines.append(f"On branch {render.branch_label(session.branch, session.branch_type)}")
    return lines


def _after_start(hooks: Hooks, started: start.Started, cfg: config.Config, top: str) -> int:
    """Once the summary is out: the post-start hook, then the team's records (sync.auto)."""
    from sess.hooks import session_info

    session = started.session
    sys.stdout.flush()  # the summary before what the post-start hook prints
    try:
        hooks.run("post-start", session_info(started.project, session, started.base))
    except KeyboardInterrupt:  # the session is started: say so, not "interrupted" as if nothing was
        sys.stderr.write(f"Interrupted the post-start hook; the session on {session.branch} is started\n")
        return 130
    if cfg.sync_enabled and cfg.sync_auto:
        from sess import sync
        from sess.commands.team import warn

        sync.auto(top, cfg, warn)
    return 0


def _start_review(args: argparse.Namespace, cfg: config.Config, top: str, current: str,
                  at: datetime | None) -> int:
    """`sess start --pr N` (SPEC Part 3, "Reviewing someone else's PR"): a session of type review
    on the PR's head, checked out by the forge; its end pushes only what is new, to that branch."""
    from sess import forges, prompts
    from sess.commands.clock import paused_elsewhere_lines
    from sess.errors import UsageError
    from sess.workflows import start
    from sess.workflows.common import locate_in

    for flag, given in (("NAME", args.name), ("--type", args.branch_type), ("--base", args.base)):
        if given:
            raise UsageError(f"--pr and {flag} do not go together",
                             "A review checks out the pull request's own branch: pass --pr N alone "
                             "(with --park, --dirty, --worktree or --at if need be).")
    settings = forges.Settings.of(cfg)
    forge = forges.open_forge(top, settings, instead="pass --no-issue and check the branch out yourself")
    number, url = _pr_number(args.pr, top, forge)
    pr = forge.view_pr(str(number))
    if url is not None and pr.url.rstrip("/").lower() != url.lower():
        raise SessError(f"{render.safe(args.pr)} is not a pull request of this repository (#{number} here is "
                        f"{render.safe(pr.url)})", "Pass the number of a pull request of origin's repository.")
    if pr.state != "OPEN":
        raise SessError(f"#{number} is {pr.state.lower()}", "Only an open pull request can be reviewed.")
    store = Store.open()
    facts = start.inspect(store, os.getcwd(), None, where=locate_in(store, top, current), review=True)
    in_worktree = bool(args.worktree or args.worktree_path or cfg.worktree_default)
    if facts.open_sessions and not args.park and not in_worktree:
        listed = ", ".join(f"{s.branch} ({s.state})" for s in facts.open_sessions)
        if not prompts.interactive():
            raise UsageError(f"a session is already open: {listed}",
                             "Pass --park to park it and start the review, or --worktree to review in a new worktree.")
        choice = prompts.select(f"A session is open: {render.safe(listed)}", [("park it and start the review", "park"),
                                                                              ("review in a new worktree", "worktree"),
                                                                              ("quit", None)])
        if choice is None:
            raise SessError("cancelled; nothing was changed")
        args.park = choice == "park"
        in_worktree = choice == "worktree"
    branch = start.plan_review_branch(facts, number, pr.head_branch)

    def checkout(name: str, where: str) -> None:  # in a new worktree, gh runs there
        (forge if where == top else forges.open_forge(where, settings)).checkout_pr(str(number), name)

    review = start.Review(number, pr.url, pr.head_branch, checkout)
    plan = start.Plan(start.REVIEW, None, None, None, None, at=at, exclusive=cfg.time_exclusive, park=args.park,
                      pr=review, copy=cfg.worktree_copy)
    if in_worktree:
        plan = plan._replace(worktree=_worktree_path(args, cfg, top, branch, start.REVIEW, pr.title or str(number),
                                                     None))
    started, hooks = _run(args, store, facts, plan, cfg, top, branch, "the review's branch", in_worktree=in_worktree)
    session = started.session
    lines = _opening_lines(started)
    lines.append(render.DOT.join([f"Session {render.state_word(session.state)}", f"reviewing #{number}"]))
    if pr.title:
        lines.append(render.safe_line(pr.title))
    lines.append(render.safe(pr.url))
    if started.stash_note:
        lines.append(started.stash_note)
    lines.extend(paused_elsewhere_lines(started.paused_elsewhere))
    _print_started(lines, started)
    return _after_start(hooks, started, cfg, top)


def _pr_number(value: str, top: str, forge: Forge) -> tuple[int, str | None]:
    """N, #N (!N, as GitLab writes a merge request), or the URL of a pull request (merge request)
    of the repository pull requests go to, as a browser shows it (`.../pull/5/files#r12` too):
    (N, the URL without what follows N, or None for a number)."""
    import re

    from sess import forges
    from sess.errors import UsageError

    refused = UsageError(f"--pr {value!r} is not a pull request: pass N, #N (!N) or the pull request's URL")
    plain = re.fullmatch(r"[#!]?(\d+)", value)
    if plain is not None:
        if int(plain.group(1)) == 0:
            raise refused
        return int(plain.group(1)), None
    match = re.fullmatch(r"(https?://([^/\s]+)/(\S+?)/(?:pull|-/merge_requests)/(\d+))(?:/[a-z]+)?/?(?:[?#]\S*)?",
                         value)
    if match is None or int(match.group(4)) == 0:
        raise refused
    url, on, path, number = match.groups()
    host = forge.settings.host or forges.origin_host(top)
    if host is not None and on.lower() != host.lower():
        raise SessError(f"{render.safe(value)} is on {render.safe(on)}, and origin is on {host}",
                        "Pass a pull request of origin's repository.")
    repo = forge.pr_repo()  # before the forge is asked about a number that is another repository's
    if repo is not None and path.lower() != repo.lower():
        raise SessError(f"{render.safe(value)} is a pull request of {render.safe(path)}, not of {repo}",
                        "Pass a pull request of the repository pull requests go to here.")
    return int(number), url


def _file_of(cfg: config.Config, key: str) -> str:
    from sess import config

    return (cfg.repo_file or "") if cfg.source(key) == config.REPO else config.user_path()


def _tracker(cfg: config.Config, top: str, args: argparse.Namespace) -> Tracker | None:
    """The configured tracker; with --issue, the issue form checked against it (usage error)."""
    from sess import trackers
    from sess.errors import UsageError

    tracker = trackers.for_config(cfg, top)
    if tracker is None and args.issue is not None:
        raise UsageError("tracker.type is none: this project links no issues", "Pass --no-issue.")
    if tracker is not None and args.issue is not None:
        tracker.reference(args.issue)
    return tracker


def _ask_issue(tracker: Tracker, listing: Prefetch | None = None) -> Issue | None:
    from sess import prompts, rules

    prompts.load()  # while the tracker is still answering
    try:
        issues = listing.result() if listing is not None else tracker.list_open()
    except SessError as exc:  # no token or CLI, logged out, offline, 5xx, rate limit, issues disabled
        sys.stderr.write(render.safe_line(f"{exc.message}: issues cannot be listed") + "\n")
        if prompts.confirm("Start without an issue?", default=True):
            return None
        raise SessError("cancelled; nothing was changed", exc.hint) from None
    choices: list[tuple[str, Issue | None]] = [("Start without an issue", None)]
    choices += [(render.safe(f"{rules.issue_ref(issue.id)}  {issue.title}"), issue) for issue in issues]
    return prompts.select("Issue", choices, search=len(issues) > 0)
