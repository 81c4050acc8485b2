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


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN",
                        help="only time from WHEN on: 2026-11-01, today, yesterday, monday, 7d, 2w")
    parser.add_argument("--until", metavar="WHEN", help="only time before WHEN (same forms as --since)")
