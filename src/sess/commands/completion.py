"""`sess completion bash|zsh|fish`: print the completion script for a shell (see sess.completion)."""

from __future__ import annotations

import argparse
import sys

INSTALL = {
    "bash": "sess completion bash > ~/.local/share/bash-completion/completions/sess",
    "zsh": "echo 'eval \"$(sess completion zsh)\"' >> ~/.zshrc   # after compinit",
    "fish": "sess completion fish > ~/.config/fish/completions/sess.fish",
}


def parser_completion(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from sess.completion import SHELLS

    completion = commands.add_parser(
        "completion", help="print a shell completion script",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print the completion script for SHELL: commands, options and their values.\n\n"
                    "Install it with:\n" + "".join(f"  {INSTALL[shell]}\n" for shell in SHELLS))
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")


def cmd_completion(args: argparse.Namespace) -> int:
    from sess.cli import build_parser
    from sess.completion import script

    sys.stdout.write(script(args.shell, build_parser()))
    return 0
