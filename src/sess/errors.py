"""The error hierarchy: every expected failure is one of these, each with its exit code.

The single handler in `sess.cli` turns them into `Error: ...` lines; nothing else prints errors.
"""

from __future__ import annotations


class SessError(Exception):
    """An expected failure: the operation did not happen (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SessError):
    """Bad flags, or a choice that is missing while no terminal can supply it (exit 2)."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP: what was half-done is put back, or the message says where it stands
    (exit 130; 128 + the signal for the other two, sess.signals).

    A KeyboardInterrupt, not a SessError: a step whose failure is only a warning (`except
    SessError`) must never take a Ctrl-C for a failure and go on; every place that handles Ctrl-C
    handles it, and the CLI's top level prints it as an error."""

    exit_code = 130

    def __init__(self, message: str = "interrupted", hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CommandError(SessError):
    """An external program (git, gh) failed; carries what it said."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"{' '.join(argv[:3])} failed: {self.detail}")

    @property
    def detail(self) -> str:
        """The most telling line the program printed (git puts it last, gh first)."""
        lines = [line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        for marker in ("! [", "fatal:", "error:", "CONFLICT"):
            for index, line in enumerate(lines):
                if line.startswith(marker):
                    return _with_listing(line, lines[index + 1:])
        return lines[0] if lines else f"exit status {self.returncode}"


def _with_listing(line: str, rest: list[str], most: int = 3) -> str:
    """git ends a sentence with ':' and lists the files on the lines after it; keep a few."""
    if not line.endswith(":"):
        return line
    listed = []
    for item in rest:
        if item.startswith(("Please", "Aborting", "hint:", "error:", "fatal:")):
            break
        listed.append(item)
    if not listed:
        return line[:-1]
    shown = ", ".join(listed[:most]) + (f" and {len(listed) - most} more" if len(listed) > most else "")
    return f"{line} {shown}"


class ProgramMissing(SessError):
    """The executable is not on PATH."""


class Timeout(SessError):
    """An external program did not finish in time."""


class StoreError(SessError):
    """The database cannot be opened or used."""


class ForgeUnavailable(SessError):
    """The forge's CLI is missing or not logged in: its features are off, the rest works."""


class GhUnavailable(ForgeUnavailable):
    """`gh` is missing or not logged in: GitHub features are off, the rest works."""
