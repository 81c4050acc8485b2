"""The command layer: parse arguments, call a handler, map errors to exit codes in one place.

Only argparse is imported at start-up (and not even that for `sess prompt`, which runs on every
shell prompt); handlers import what they need when they run, so `sess status` stays on its budget.
"""

from __future__ import annotations

import os
import sys

from sess import __version__
from sess.errors import Interrupted, SessError

# Not typing.TYPE_CHECKING: importing typing would cost `sess prompt` a third of its budget.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import ModuleType


# Every command and the module that serves it (sess.commands.*), in the order of `sess --help`.
COMMANDS = {
    "start": "start",
    "status": "status",
    "pause": "pause_resume",
    "resume": "pause_resume",
    "switch": "switch",
    "path": "switch",
    "reopen": "reopen",
    "end": "end",
    "projects": "projects",
    "history": "analytics",
    "stats": "analytics",
    "report": "analytics",
    "log": "timeline",
    "amend": "timeline",
    "export": "timeline",
    "cancel": "cancel_undo",
    "undo": "cancel_undo",
    "prompt": "prompt",
    "completion": "completion",
    "config": "config",
    "sync": "team",
    "team": "team",
    "doctor": "doctor",
    "worklog": "worklog",
}


def _module(command: str) -> ModuleType:
    name = "sess.commands." + COMMANDS[command]
    __import__(name)  # not importlib.import_module: importing importlib costs more than the rest of this
    return sys.modules[name]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; when argv names a command, only that command's module and subparser are loaded (start-up budget)."""
    from sess.parsing import Parser

    parser = Parser(prog="sess", description="Work sessions on git branches, handed off as pull requests.")
    parser.add_argument("--version", action="version", version=f"SESS v{__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name in COMMANDS:
        if named not in COMMANDS or name == named:
            getattr(_module(name), "parser_" + name)(commands)
    for sub in commands.choices.values():
        add_no_hooks(sub)
    return parser


def add_no_hooks(parser: argparse.ArgumentParser) -> None:
    """Every command takes --no-hooks (SPEC Part 2), also those that run none."""
    if "--no-hooks" not in parser._option_string_actions:
        parser.add_argument("--no-hooks", action="store_true", help="run no configured hooks")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["prompt"]:  # on every shell prompt: no argparse, no error machinery
        from sess.promptline import main as prompt_main

        return prompt_main()
    from sess import signals

    signals.install()  # SIGTERM and SIGHUP as Ctrl-C
    try:
        code = _run(args)
        # Flushed here, not at interpreter exit, so a reader that went away (| head) is caught below.
        sys.stdout.flush()
        return code
    except SessError as exc:
        return _print_error(exc)
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP; Interrupted says where it stands
        return _print_error(exc if isinstance(exc, Interrupted) else Interrupted(), signals.exit_code())
    except BrokenPipeError:
        # stdout closed early: not an error worth a message; nothing more may reach the pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the one place an unexpected failure is caught
        from sess.failures import explain

        explained = explain(exc)  # a damaged or read-only database, a full disk, a deleted directory
        return _print_error(explained) if explained is not None else _crash(exc)


def main_and_exit() -> None:
    """The process's entry (bin/sess, python -m sess): `main`, then out without tearing the
    interpreter down, which costs every command some 3 ms (issue 10: start on git's budget).
    What sess wrote is flushed and atexit's functions run: programs left running are stopped, the
    database is closed."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (contextlib is more than `sess prompt` can afford)
            stream.flush()
        except (OSError, ValueError):  # a reader that went away: main has said so already
            pass
    import atexit

    atexit._run_exitfuncs()
    os._exit(code)


def _value_not_option(argv: list[str]) -> list[str]:
    """`config set KEY -5m`: a VALUE that begins with '-' is the value (argparse would take it for
    an unknown option), and is then checked as a value of that key."""
    if argv[:2] == ["config", "set"] and len(argv) >= 4 and argv[3].startswith("-") and argv[3] != "--" \
            and argv[3] not in ("--repo", "-h", "--help"):
        return [*argv[:3], *argv[4:], "--", argv[3]]  # the flags after it (--repo) stay flags
    return argv


def _run(argv: list[str]) -> int:
    if argv[:1] in (["start"], ["end"]) and not {"-h", "--help", "--continue", "--abort"} & set(argv):
        _prefetch(argv)
    elif argv[:1] == ["sync"] and not {"-h", "--help", "--dry-run"} & set(argv):
        _prefetch_sync()
    elif argv[:1] == ["switch"] and len(argv) > 1 and not {"-h", "--help"} & set(argv):
        _prefetch_status()
    if argv and argv[0] in COMMANDS:
        # A plain command line of status or start is read without argparse (issue 10: status on
        # the budget of a bare interpreter, start as fast as the git underneath).
        module = _module(argv[0])
        quick = getattr(module, "quick_" + argv[0], None)
        args = quick(argv[1:]) if quick is not None else None
        if args is not None:
            return int(getattr(module, "cmd_" + argv[0])(args) or 0)
    argv = _value_not_option(argv)
    try:
        args = build_parser(argv).parse_args(argv)
    except SystemExit as exc:  # --help and --version print, then exit
        return int(exc.code or 0)
    if args.command is None:
        build_parser().print_help()
        return 0
    return int(getattr(_module(args.command), "cmd_" + args.command)(args) or 0)


def _prefetch(argv: list[str]) -> None:
    """start and end look at every ref and at the work tree first: git does that while Python
    loads the rest of sess (issue 10: as fast as the git underneath). start also fetches the base
    it will most likely pull: --base, else the branch origin/HEAD names, else the current one;
    not for a review (`start --pr`), which never checks the base out."""
    from sess import gitfiles

    where = gitfiles.locate_quick(os.getcwd())
    if where is None:
        return
    base = None
    starting = argv[0] == "start" and not any(arg == "--pr" or arg.startswith("--pr=") for arg in argv)
    if starting and sys.stdin.isatty() and sys.stdout.isatty() \
            and not {"--issue", "--no-issue"} & {arg.partition("=")[0] for arg in argv}:
        from sess import trackers

        trackers.prefetch_early(where[0])  # the picker's list: the longest wait of all, asked first
    if starting:
        base = next((argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--base"), None)
        base = base or next((arg[len("--base="):] for arg in argv if arg.startswith("--base=")), None)
        base = base if base is not None and gitfiles.plain_branch_name(base) else None
        base = base or gitfiles.remote_head_quick(where[0])
        base = base or (where[1] if gitfiles.plain_branch_name(where[1]) and where[1] != "HEAD" else None)
    from sess import spawn

    spawn.prefetch(where[0], starting, base)


def _prefetch_status() -> None:
    """switch looks at the work tree before it parks: git does that while Python loads sess (issue
    16: switch within 1.3x the git commands it stands for)."""
    from sess import gitfiles

    where = gitfiles.locate_quick(os.getcwd())
    if where is not None:
        from sess import spawn

        spawn.prefetch_status(where[0])


def _prefetch_sync() -> None:
    """sync's fetch costs what the rest of sync does: git fetches while Python loads sess (issue
    18: sync within 1.3x the fetch alone). Only where the configuration shares the records."""
    from sess import gitfiles

    where = gitfiles.locate_quick(os.getcwd())
    if where is None:
        return
    from sess import config

    try:
        enabled = config.load(where[0]).sync_enabled
    except SessError:
        return  # the command reports it
    if enabled:
        from sess import spawn

        spawn.prefetch_sync(where[0])


def _print_error(exc: SessError | Interrupted, code: int | None = None) -> int:
    from sess.render import safe_line  # a remote's words or a path may hold escape sequences

    try:
        sys.stderr.write(f"Error: {safe_line(exc.message)}\n")
        if exc.hint:
            sys.stderr.write(f"\n{safe_line(exc.hint)}\n")
        sys.stderr.flush()
    except OSError:  # no one to tell (a terminal that was closed)
        pass
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
    from sess.render import safe_line

    sys.stderr.write(safe_line(f"Error: unexpected failure: {type(exc).__name__}: {exc} ({where})") + "\n")
    return 1
