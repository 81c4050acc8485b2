"""SIGTERM and SIGHUP handled as Ctrl-C is: what was half-done is rolled back, or left where the
next command continues from, and sess says which (issue 15, item 9).

`install` makes both raise `Terminated`, a KeyboardInterrupt, so that every place that handles
Ctrl-C handles them too; the exit code is then 128 + the signal's number (130 stays Ctrl-C's).
Inside `shield()` (a change of git and the database being made whole, or being put back) they
wait: the block finishes, and the command ends as it would have. After SIGHUP the terminal is
gone, so what sess still has to say goes nowhere instead of failing to be written.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # loaded with the interpreter; `signal` costs an enum
import os

received: int | None = None  # the SIGTERM or SIGHUP that stopped this command
_depth = 0  # shields open


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C's KeyboardInterrupt would be."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def install() -> None:
    for signum in (_signal.SIGTERM, _signal.SIGHUP):
        if _signal.getsignal(signum) != _signal.SIG_IGN:  # `nohup sess ...` keeps ignoring SIGHUP
            _signal.signal(signum, _handler)


def exit_code(default: int = 130) -> int:
    """The exit code of an interrupted command: 128 + the signal's number."""
    return 128 + received if received is not None else default


def _handler(signum: int, frame: object) -> None:
    global received
    received = received or signum
    if signum == _signal.SIGHUP:
        _silence()
    if _depth == 0:
        raise Terminated(signum)


def _silence() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            if os.isatty(fd):
                os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)


class shield:  # noqa: N801 (used as a context manager, like contextlib's)
    """Ctrl-C is ignored and SIGTERM/SIGHUP wait while the block runs: it is finished whole."""

    def __enter__(self) -> None:
        global _depth
        self._previous = _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
        _depth += 1

    def __exit__(self, *exc: object) -> None:
        global _depth
        _depth -= 1
        _signal.signal(_signal.SIGINT, self._previous)
