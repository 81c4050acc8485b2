"""Progress of long steps: a live line on a terminal (rich, imported only then), plain lines when piped.

Workflows never print; they call a `Progress` that the command layer chose.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any


class Progress:
    """Plain lines on stderr: the step, then the external program's output, indented."""

    live = False  # True when redrawn in place: worth asking git for its progress meters

    def step(self, text: str) -> None:
        sys.stderr.write(f"{_visible(text)}\n")
        sys.stderr.flush()

    def output(self, line: str) -> None:
        if line.strip():
            sys.stderr.write(f"  {_visible(line.strip())}\n")
            sys.stderr.flush()

    def note(self, text: str) -> None:
        self.step(text)

    def close(self) -> None:
        pass


class LiveProgress(Progress):
    """One live status line on a terminal: the step, and the latest line git or gh printed."""

    live = True

    def __init__(self) -> None:
        from rich.console import Console

        from sess import colour

        painted = colour.enabled(sys.stderr)  # the one decision, not rich's own reading of the environment
        self._console = Console(stderr=True, highlight=False, no_color=not painted,
                                color_system="auto" if painted else None)
        self._status: Any = None
        self._step = ""

    def step(self, text: str) -> None:
        self._step = text = _escape(_visible(text))
        if self._status is None:
            self._status = self._console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    def output(self, line: str) -> None:
        line = line.strip()
        if line and self._status is not None:
            self._status.update(f"{self._step}  [dim]{_escape(_visible(line)[:100])}[/dim]")

    def note(self, text: str) -> None:
        self._console.print(_escape(_visible(text)))

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _visible(text: str) -> str:
    """Text from git or a remote (OSC 52, a window title) with its control characters shown escaped."""
    from sess.render import safe_line

    return safe_line(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def for_terminal() -> Progress:
    from sess import colour

    # A dumb terminal cannot redraw a line in place: plain lines there too.
    if colour.terminal(sys.stderr):
        return LiveProgress()
    return Progress()
