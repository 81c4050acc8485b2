"""Command handlers, one module per command or family.

Each module defines, for every command NAME it serves, `parser_NAME(commands)` that adds the
command's subparser and `cmd_NAME(args) -> int` that takes the parsed arguments, gathers
decisions, calls a workflow and renders the result. `sess.cli.COMMANDS` says which module
serves which command; only the invoked command's module is imported.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: `sess status` imports this package without argparse or typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import SimpleNamespace

    from sess.store import Store
    from sess.workflows.common import Where

# For `quick_args`: an option's dest, whether it takes a value, the values it allows (None: any).
Option = tuple[str, bool, "tuple[str, ...] | None"]


def quick_args(command: str, argv: Sequence[str], options: dict[str, Option], positional: str | None = None,
               exclusive: tuple[str, ...] = ()) -> SimpleNamespace | None:
    """What argparse would make of `argv`, read without loading argparse (start is on a budget:
    issue 10); None whenever a word is not one argparse would read plainly the same way (an
    abbreviation, a repeat, a value that starts with '-', -h, --, a choice not allowed, two of
    `exclusive`...), so that argparse then reads the whole line and words every error itself.

    `options` maps each option string (`--base`, `-m`) to its Option; the other dests are None, or
    False for options without a value. tests/test_cli.py holds each table to its parser."""
    from types import SimpleNamespace

    values: dict[str, object] = {dest: None if takes else False for dest, takes, _ in options.values()}
    if positional is not None:
        values[positional] = None
    seen: set[str] = set()
    words = iter(argv)
    for word in words:
        if not word.startswith("-"):
            if positional is None or values[positional] is not None:
                return None
            values[positional] = word
            continue
        name, equals, value = word.partition("=")
        option = options.get(name)
        if option is None or option[0] in seen:
            return None
        dest, takes, allowed = option
        seen.add(dest)
        if not takes:
            if equals:
                return None
            values[dest] = True
            continue
        if not equals:
            value = next(words, "")
            if value.startswith("-"):
                return None
        if not value or (allowed is not None and value not in allowed):
            return None
        values[dest] = value
    if sum(1 for dest in exclusive if dest in seen) > 1:
        return None
    return SimpleNamespace(command=command, **values)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN",
                        help="only time from WHEN on: 2026-11-01, today, yesterday, monday, 7d, 2w")
    parser.add_argument("--until", metavar="WHEN", help="only time before WHEN (same forms as --since)")


def add_dirty(parser: argparse.ArgumentParser, what: str) -> None:
    """`--dirty MODE` and the `--message` that `--dirty commit` needs."""
    from sess.rules import DIRTY_MODES

    parser.add_argument("--dirty", choices=DIRTY_MODES, help=f"what to do with uncommitted changes{what}")
    parser.add_argument("--message", "-m", metavar="MSG", help="commit message for --dirty commit")


def choose_dirty(args: argparse.Namespace, dirty_tree: bool, where: str, commit_on: str,
                 carry_to: str) -> tuple[str | None, str | None]:
    """The `--dirty` mode and commit message: from the flags, else asked on a terminal, else exit 2.

    (None, ...) when the tree is clean. `where`, `commit_on` and `carry_to` word the question.
    """
    if not dirty_tree:
        return None, args.message
    from sess import prompts
    from sess.errors import SessError

    dirty, message = args.dirty, args.message
    if dirty is None:
        prompts.require("--dirty stash|commit|discard|carry", "the working tree has uncommitted changes")
        dirty = prompts.select(f"Uncommitted changes{where}", [
            ("stash: put them in the stash and leave them there", "stash"),
            (f"commit: commit them on {commit_on}", "commit"),
            (f"carry: bring them onto {carry_to}", "carry"),
            ("discard: throw them away", "discard"),
            ("quit", None),
        ])
        if dirty is None:
            raise SessError("cancelled; nothing was changed")
    if dirty == "commit" and not message:
        prompts.require("--message MSG", "--dirty commit needs a commit message")
        message = prompts.text("Commit message")
    return dirty, message


def add_session(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session", metavar="ID|BRANCH",
                        help="the open session to act on (default: the one checked out here)")


def session_ref(store: Store, where: Where, ref: str | None, *states: str) -> str | None:
    """`--session`, else the session the command means (SPEC Part 3), else on a terminal the
    user's pick among the open sessions; not on a terminal, SessionChoice (exit 2) lists them.
    The answer is passed to the workflow as its `ref`."""
    from sess.workflows.common import SessionChoice, meant_session

    if where.project is None or ref is not None:
        return ref  # the workflow words what is wrong with either
    sessions = store.open_sessions(where.project.id)
    if not sessions or meant_session(sessions, where, None) is not None:
        return None
    try:
        raise SessionChoice(sessions)
    except SessionChoice as exc:
        from sess import prompts, render

        if not prompts.interactive():
            raise
        sessions = [s for s in exc.sessions if not states or s.state in states] or exc.sessions
        chosen: int = prompts.select("Which session?", [
            (render.safe(f"{s.branch} ({s.state})"), s.id) for s in sessions])
        return str(chosen)


