"""argparse, with errors that suggest what was meant.

`Error: unknown command 'stat' (did you mean 'stats' or 'status'?)`, and the same for options
and for the values of options with choices; every one is a UsageError (exit 2) with the hint
`Run 'sess [COMMAND] --help' for usage.`
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence

from sess.errors import UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any


def suggest(word: str, known: Iterable[str]) -> list[str]:
    """What `word` most likely meant: the known words it begins, else the closest spellings
    (difflib's, keeping those fewest typos away: `strat` is `start`, not `stats`)."""
    import difflib  # only when something was mistyped: start and end load this module every time

    candidates = sorted(set(known))
    if not word:
        return []
    prefixed = [name for name in candidates if name.startswith(word) and name != word]
    if prefixed:
        return prefixed[:3]
    close = difflib.get_close_matches(word, candidates, n=5, cutoff=0.6)
    if not close:
        return []
    typos = {name: _typos(word, name) for name in close}
    fewest = min(typos.values())
    return [name for name in close if typos[name] == fewest][:3]


def _typos(a: str, b: str) -> int:
    """Edits from a to b: letters inserted, deleted, replaced, or two neighbours swapped."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def did_you_mean(names: Sequence[str]) -> str:
    """` (did you mean 'a', 'b' or 'c'?)`, or nothing without suggestions."""
    if not names:
        return ""
    quoted = [f"'{name}'" for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"


_width: list[int] = []


def _help_width() -> int:
    """What argparse would take: the terminal's columns (COLUMNS first, as shutil reads it) less 2."""
    if not _width:
        import os
        import sys

        try:
            columns = int(os.environ.get("COLUMNS", ""))
        except ValueError:
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                columns = 0
        _width.append((columns or 80) - 2)
    return _width[0]


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings]


def _chosen_subparser(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> Parser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and action.dest not in (None, argparse.SUPPRESS):
            chosen = action.choices.get(getattr(parsed, action.dest, None) or "")
            if isinstance(chosen, Parser):
                return chosen
    return None


class Parser(argparse.ArgumentParser):
    """Usage errors as UsageError; unknown words answered with the nearest known ones."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, self.usage_hint())

    def usage_hint(self) -> str:
        return f"Run '{self.prog} --help' for usage."

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes one for every add_argument, and each asks shutil (which loads zlib, bz2
        # and lzma) for the terminal's width: asked here once, as shutil would.
        return self.formatter_class(prog=self.prog, width=_help_width())  # type: ignore[call-arg]

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        if isinstance(action, argparse._SubParsersAction):
            known = [name for name in choices if not name.startswith("_")]
            raise UsageError(f"unknown command '{value}'{did_you_mean(suggest(str(value), known))}",
                             self.usage_hint())
        names = [str(choice) for choice in choices]
        flag = "/".join(action.option_strings) or action.metavar or action.dest
        raise UsageError(f"unknown value '{value}' for {flag}{did_you_mean(suggest(str(value), names))}",
                         f"Choose one of: {', '.join(names)}.")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self._unrecognised(parsed, extras)
        return parsed

    def _unrecognised(self, parsed: argparse.Namespace, extras: list[str]) -> None:
        """The first word no parser took, said plainly, with the nearest option of the command given."""
        parser = self  # the innermost (sub)command given: its options are the ones that fit there
        while (chosen := _chosen_subparser(parser, parsed)) is not None:
            parser = chosen
        word = extras[0]
        if word.startswith("-") and word != "-":
            option = word.split("=", 1)[0]
            known = _option_strings(parser)
            raise UsageError(f"unknown option '{option}'{did_you_mean(suggest(option, known))}",
                             parser.usage_hint())
        raise UsageError(f"unexpected argument '{word}'", parser.usage_hint())
