"""Whether sess writes colour: decided here, once, for every command.

Colour is off when `NO_COLOR` is set (to anything but the empty string, as no-color.org says),
when `TERM=dumb`, or when the stream is not a terminal; `FORCE_COLOR` set to anything but the
empty string or `0` turns it on whatever the rest says (SPEC Part 2: "none when NO_COLOR is set,
TERM=dumb, or stdout is not a terminal, unless FORCE_COLOR is set").

Only the standard library's `os` and `sys`: `sess prompt` and `sess status` import this.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import TextIO

BOLD = "1"
DIM = "2"
GREEN = "32"
YELLOW = "33"
CYAN = "36"


def forced() -> bool:
    return os.environ.get("FORCE_COLOR", "") not in ("", "0")


def enabled(stream: TextIO | None = None) -> bool:
    """Colour on `stream` (default stdout)?"""
    if forced():
        return True
    if os.environ.get("NO_COLOR", "") or os.environ.get("TERM") == "dumb":
        return False
    target = sys.stdout if stream is None else stream
    try:
        return target.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def paint(text: str, code: str, stream: TextIO | None = None) -> str:
    """`text` in SGR colour `code` when colour is on for `stream`, else unchanged."""
    return f"\033[{code}m{text}\033[0m" if enabled(stream) else text


def terminal(stream: TextIO | None = None) -> bool:
    """A terminal that draws more than plain characters (block bars, live lines): a terminal,
    not TERM=dumb. Piped output is plain whatever FORCE_COLOR says about colour."""
    target = sys.stdout if stream is None else stream
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return target.isatty()
    except (AttributeError, ValueError):
        return False
