"""`sess prompt`: the shell prompt segment (see sess.promptline; `sess prompt` alone never gets here)."""

from __future__ import annotations

import argparse


def parser_prompt(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "prompt", help="one short line for a shell prompt",
        description="Print the open session of this repository for a shell prompt "
                    "(`feature/add-oauth 1h2m #123`, `paused` added when paused), or nothing. "
                    "No git call, no network: it is cheap enough for every prompt.")


def cmd_prompt(args: argparse.Namespace) -> int:
    from sess.promptline import main

    return main()
