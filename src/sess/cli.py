"""The command layer: parse arguments, call a handler, map errors to exit codes in one place.

Only argparse is imported at start-up; handlers import what they need when they run, so
`sess status` stays on its budget.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sess import __version__
from sess.errors import SessError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, f"Run '{self.prog} --help' for usage.")


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN",
                        help="only time from WHEN on: 2026-11-01, today, yesterday, monday, 7d, 2w")
    parser.add_argument("--until", metavar="WHEN", help="only time before WHEN (same forms as --since)")


def _start(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    start = commands.add_parser("start", help="start a session on a new branch",
                                description="Cut a new branch from the base branch and start a session on it.")
    start.add_argument("name", nargs="?", metavar="NAME", help="branch name (default: the issue title)")
    issue = start.add_mutually_exclusive_group()
    issue.add_argument("--issue", metavar="ID", help="link this GitHub issue")
    issue.add_argument("--no-issue", action="store_true", help="start without an issue")
    start.add_argument("--type", dest="branch_type", metavar="TYPE",
                       help="branch type: feature (default), bugfix, refactor, hotfix, chore, docs")
    start.add_argument("--base", metavar="BRANCH", help="branch to start from (default: the project's base)")
    start.add_argument("--dirty", choices=("stash", "commit", "discard", "carry"),
                       help="what to do with uncommitted changes")
    start.add_argument("--message", "-m", metavar="MSG", help="commit message for --dirty commit")


def _status(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = commands.add_parser("status", help="show the session in this repository",
                                 description="Show where you are and the session's state.")
    _add_json(status)


def _pause(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("pause", help="pause the active session", description="Pause the active session.")


def _resume(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("resume", help="resume the paused session",
                        description="Resume the paused session, checking out its branch if needed.")


def _end(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    end = commands.add_parser(
        "end", help="commit, rebase, push, open a PR and end the session",
        description="Hand the work off: commit, rebase, push, pull request, back on the base branch.")
    end.add_argument("--message", "-m", metavar="MSG", help="commit message for uncommitted work")
    end.add_argument("--title", metavar="T", help="pull request title (default: issue or last commit)")
    end.add_argument("--summary", metavar="S", help="pull request summary")
    end.add_argument("--testing", metavar="T", help="how it was tested")
    end.add_argument("--notes", metavar="N", help="notes for reviewers")
    end.add_argument("--draft", action="store_true", help="open the pull request as a draft")
    end.add_argument("--no-pr", action="store_true", help="push, but open no pull request")
    keep = end.add_mutually_exclusive_group()
    keep.add_argument("--keep-branch", action="store_true", help="keep the local branch (default)")
    keep.add_argument("--delete-branch", action="store_true", help="delete the local branch once it is safe")
    recover = end.add_mutually_exclusive_group()
    recover.add_argument("--continue", dest="continue_", action="store_true",
                         help="pick up an interrupted end at the step that did not finish")
    recover.add_argument("--abort", action="store_true", help="undo an interrupted end and keep the session open")


def _projects(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    projects = commands.add_parser("projects", help="list tracked projects", description="List tracked projects.")
    _add_json(projects)


def _history(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    history = commands.add_parser("history", help="list recent sessions", description="Recent sessions, newest first.")
    history.add_argument("--limit", type=int, default=10, metavar="N", help="how many (default 10)")
    history.add_argument("--all", action="store_true", help="across every tracked project")
    _add_period(history)
    _add_json(history)


def _stats(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stats = commands.add_parser("stats", help="totals and averages", description="Session statistics.")
    stats.add_argument("--all", action="store_true", help="across every tracked project")
    _add_period(stats)
    _add_json(stats)


def _report(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = commands.add_parser("report", help="stats plus recent sessions",
                                 description="Statistics and the most recent sessions on one screen.")
    report.add_argument("--limit", type=int, default=5, metavar="N", help="how many recent sessions (default 5)")
    report.add_argument("--all", action="store_true", help="across every tracked project")
    _add_period(report)
    _add_json(report)


_COMMANDS = {"start": _start, "status": _status, "pause": _pause, "resume": _resume, "end": _end,
             "projects": _projects, "history": _history, "stats": _stats, "report": _report}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; when argv names a command, only that command's subparser is built (start-up budget)."""
    parser = _Parser(prog="sess", description="Work sessions on git branches, handed off as pull requests.")
    parser.add_argument("--version", action="version", version=f"SESS v{__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, add in _COMMANDS.items():
        if named not in _COMMANDS or name == named:
            add(commands)
    return parser


# Which module holds each command's handler (default: sess.commands).
_HANDLERS = {
    "end": "sess.commands_end",
    "history": "sess.commands_analytics",
    "stats": "sess.commands_analytics",
    "report": "sess.commands_analytics",
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _run(list(sys.argv[1:] if argv is None else argv))
        # Flushed here, not at interpreter exit, so a reader that went away (| head) is caught below.
        sys.stdout.flush()
        return code
    except SessError as exc:
        return _print_error(exc)
    except KeyboardInterrupt:
        return _print_error(SessError("interrupted"), 130)
    except BrokenPipeError:
        # stdout closed early: not an error worth a message; nothing more may reach the pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the one place an unexpected failure is caught
        return _crash(exc)


def _run(argv: list[str]) -> int:
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as exc:  # --help and --version print, then exit
        return int(exc.code or 0)
    if args.command is None:
        build_parser().print_help()
        return 0
    import importlib

    module = importlib.import_module(_HANDLERS.get(args.command, "sess.commands"))
    return int(getattr(module, "cmd_" + args.command)(args) or 0)


def _print_error(exc: SessError, code: int | None = None) -> int:
    sys.stderr.write(f"Error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"\n{exc.hint}\n")
    return code if code is not None else exc.exit_code


def _crash(exc: BaseException) -> int:
    import traceback

    from sess.store import state_dir

    log = os.path.join(state_dir(), "crash.log")
    try:
        os.makedirs(os.path.dirname(log), mode=0o700, exist_ok=True)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"--- sess {__version__} {sys.argv!r}\n")
            traceback.print_exception(exc, file=handle)
        where = f"details in {log}"
    except OSError:
        where = "no crash log could be written"
    sys.stderr.write(f"Error: unexpected failure: {type(exc).__name__}: {exc} ({where})\n")
    return 1
