"""Unknown commands, options and values name the nearest known ones, exit 2, one hint."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sess.parsing import did_you_mean, suggest

if TYPE_CHECKING:
    from conftest import SessRunner


@pytest.mark.parametrize(("args", "first_line", "hint"), [
    (["stat"], "Error: unknown command 'stat' (did you mean 'stats' or 'status'?)", "Run 'sess --help' for usage."),
    (["stauts"], "Error: unknown command 'stauts' (did you mean 'stats' or 'status'?)", "Run 'sess --help' for usage."),
    (["histroy"], "Error: unknown command 'histroy' (did you mean 'history'?)", "Run 'sess --help' for usage."),
    (["frobnicate"], "Error: unknown command 'frobnicate'", "Run 'sess --help' for usage."),
    (["status", "--jsno"], "Error: unknown option '--jsno' (did you mean '--json'?)",
     "Run 'sess status --help' for usage."),
    (["history", "--limt=3"], "Error: unknown option '--limt' (did you mean '--limit'?)",
     "Run 'sess history --help' for usage."),
    (["end", "--no-prr"], "Error: unknown option '--no-prr' (did you mean '--no-pr'?)",
     "Run 'sess end --help' for usage."),
    (["start", "x", "--dirty", "stsh"], "Error: unknown value 'stsh' for --dirty (did you mean 'stash'?)",
     "Choose one of: stash, commit, discard, carry."),
    (["stats", "extra"], "Error: unexpected argument 'extra'", "Run 'sess stats --help' for usage."),
])
def test_unknown_words(sess: SessRunner, tmp_path: Path, args: list[str], first_line: str, hint: str) -> None:
    result = sess(*args, cwd=tmp_path, check=2)
    assert result.out == ""
    assert result.err == f"{first_line}\n\n{hint}\n"


def test_suggest_prefers_the_words_it_begins() -> None:
    assert suggest("stat", ["start", "stats", "status", "end"]) == ["stats", "status"]
    assert suggest("strat", ["start", "stats", "status"]) == ["start"]  # a swap is one typo
    assert suggest("zzz", ["start", "stats"]) == []


def test_did_you_mean_lists_naturally() -> None:
    assert did_you_mean([]) == ""
    assert did_you_mean(["a"]) == " (did you mean 'a'?)"
    assert did_you_mean(["a", "b", "c"]) == " (did you mean 'a', 'b' or 'c'?)"
