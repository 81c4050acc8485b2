"""The one way sess runs another program: an argument list, never a shell.

Every git and gh call goes through `run`, which cleans the environment, applies a timeout
and raises `CommandError` carrying the command, exit code and output. git is started through
sess.spawn (os.posix_spawn), its output going to files, never to a pipe; `subprocess`, slower to
load than most commands take to run, is imported only for the rest (gh).

Interrupted (Ctrl-C, SIGTERM, SIGHUP: sess.signals makes the last two a KeyboardInterrupt too),
sess gives a git of its own process group a moment to finish what it is doing, then asks it to
stop with SIGTERM and waits for it: git then removes its lock files. git is never SIGKILLed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from sess.errors import CommandError, ProgramMissing, Timeout
from sess.records import NamedTuple
from sess.spawn import BATCH, Process, clean_env, spawn_git, spawn_git_piped, take_piped
from sess.spawn import DROPPED as _DROPPED

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)

if TYPE_CHECKING:
    import subprocess

DEFAULT_TIMEOUT = 120.0
GRACE_S = 2.0  # interrupted: how long a git (of its own group) may take to finish on its own
STOP_WAIT_S = 10.0  # asked to stop: how long sess waits for it before it leaves it to finish alone


class Result(NamedTuple):
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run(
    argv: Sequence[str],
    cwd: str | None = None,
    *,
    check: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    env: dict[str, str] | None = None,
    input: str | None = None,
    on_output: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Result:
    """Run argv; with `on_output`, stream its combined output line by line as it arrives;
    `on_start` is told the process id of a git once it runs."""
    args = list(argv)
    if cwd and not os.path.isdir(cwd):
        raise ProgramMissing(f"directory {cwd} does not exist")
    process = spawn_git(tuple(args[1:]), cwd, env, stdin=input, merged=on_output is not None) \
        if args[0] == "git" else None
    if process is not None and on_start is not None:
        on_start(process.pid)
    try:
        if process is not None and on_output is not None:
            result = _stream(args, process, timeout, on_output)
        elif process is not None:
            result = Running(args, process, timeout).wait(check=False)
        elif on_output is None:
            import subprocess

            proc = subprocess.run(
                args,
                cwd=cwd,
                env=clean_env(env),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
            )
            result = Result(args, proc.returncode, proc.stdout, proc.stderr)
        else:
            result = _run_streaming(args, cwd, clean_env(env), timeout, on_output)
    except FileNotFoundError as exc:
        raise ProgramMissing(f"{args[0]} is not installed (not found on PATH)") from exc
    except Exception as exc:
        if _timed_out(exc):
            raise Timeout(f"{' '.join(args[:3])} did not finish within {timeout:.0f}s") from exc
        raise
    if check and not result.ok:
        raise CommandError(args, result.returncode, result.stdout, result.stderr)
    return result


def _timed_out(exc: BaseException) -> bool:
    """A timeout of either kind of process: subprocess's is only checked for once it is loaded."""
    loaded = sys.modules.get("subprocess")
    return isinstance(exc, TimeoutError) or (loaded is not None and isinstance(exc, loaded.TimeoutExpired))


class Running:
    """A program started by `start`, working while sess does something else (a fetch while
    `git status` scans the work tree). Killed at exit if nobody waited for it."""

    def __init__(self, args: list[str], popen: subprocess.Popen[str] | Process, timeout: float | None) -> None:
        self.args = args
        self._popen = popen
        self._timeout = timeout
        self._result: Result | None = None

    def wait(self, check: bool = True) -> Result:
        if self._result is None:
            try:
                out, err = self._popen.communicate(timeout=self._timeout)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    self.settle()
                else:
                    self.stop()
                if _timed_out(exc):
                    raise Timeout(f"{' '.join(self.args[:3])} did not finish within {self._timeout:.0f}s") from exc
                raise
            self._result = Result(self.args, self._popen.wait(), out, err)  # exited: wait() says how
        if check and not self._result.ok:
            raise CommandError(self.args, self._result.returncode, self._result.stdout, self._result.stderr)
        return self._result

    def settle(self) -> None:
        """sess was interrupted: see `settle`."""
        settle(self._popen)

    def stop(self) -> None:
        """See `stop`."""
        stop(self._popen)


def settle(process: subprocess.Popen[str] | Process) -> None:
    """sess was interrupted while `process` runs. One of its own group did not get the signal:
    it may finish what it is doing (a checkout, a pick of a rebase) for a moment, so that the
    repository is either as before or as after; then it is stopped."""
    if isinstance(process, Process) and process.own_group:
        try:
            if process.exits_within(GRACE_S):
                process.wait()
                return
        except KeyboardInterrupt:  # pressed again: stop it now
            pass
    stop(process)


def stop(process: subprocess.Popen[str] | Process) -> None:
    """Ask it to stop (SIGTERM: git then removes the lock files it holds) and wait for it. Never
    SIGKILL, which leaves git's lock files behind: one that outlives the wait is left to finish on
    its own (its output goes to a file, so it can)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_WAIT_S)
        except Exception as exc:
            if not _timed_out(exc):
                raise


def start(argv: Sequence[str], cwd: str | None = None, *,
          timeout: float | None = DEFAULT_TIMEOUT, env: dict[str, str] | None = None) -> Running:
    """Start argv and return at once; `wait()` gives its Result as `run` would."""
    args = list(argv)
    process = spawn_git(tuple(args[1:]), cwd, env) if args[0] == "git" else None
    if process is not None:
        return adopt(args, process, timeout)
    import subprocess

    try:
        popen = subprocess.Popen(args, cwd=cwd, env=clean_env(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace")
    except FileNotFoundError as exc:
        raise ProgramMissing(f"{args[0]} is not installed (not found on PATH)") from exc
    return adopt(args, popen, timeout)


def adopt(args: list[str], process: subprocess.Popen[str] | Process,
          timeout: float | None = DEFAULT_TIMEOUT) -> Running:
    """A program already started (by `start`, or early by sess.spawn) to be waited for as `start`'s
    are; stopped at exit if nobody did."""
    import atexit

    running = Running(args, process, timeout)
    atexit.register(running.stop)
    return running


def _stream(args: list[str], process: Process, timeout: float | None, on_output: Callable[[str], None]) -> Result:
    """Wait for git, passing its combined output on line by line as it grows in its file (git's
    progress meters redraw with a carriage return: each redraw is a line)."""
    import codecs
    import re
    import time

    # A line ends at \n, \r\n or a lone \r; a \r last in what was read so far may be half of \r\n.
    split = re.compile(r"\r\n|\r(?!$)|\n").split
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    deadline = None if timeout is None else time.monotonic() + timeout
    offset, pending, lines = 0, "", []
    try:
        while True:
            exited = process.exits_within(0.05)
            chunk = process.output_from(offset)
            offset += len(chunk)
            pending += decoder.decode(chunk, final=exited)
            *complete, pending = split(pending)
            for line in complete:
                lines.append(line)
                on_output(line)
            if exited:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{args[:3]} still running after {timeout}s")
    except BaseException as exc:
        settle(process) if isinstance(exc, KeyboardInterrupt) else stop(process)
        raise
    pending = pending.rstrip("\r")
    if pending:
        lines.append(pending)
        on_output(pending)
    process.communicate()  # reaped, its file closed
    output = "".join(line + "\n" for line in lines)
    return Result(args, process.returncode if process.returncode is not None else -1, output, output)


def _run_streaming(
    args: list[str],
    cwd: str | None,
    env: dict[str, str],
    timeout: float | None,
    on_output: Callable[[str], None],
) -> Result:
    """A program other than git, its combined output streamed (nothing runs this way today)."""
    import subprocess

    # stderr is folded into stdout so progress lines arrive in the order it wrote them.
    with subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        lines: list[str] = []
        try:
            for line in proc.stdout:
                lines.append(line)
                on_output(line.rstrip("\n"))
            proc.wait(timeout=timeout)
        except BaseException:
            stop(proc)
            raise
    output = "".join(lines)
    return Result(args, proc.returncode, output, output)


def run_user_command(
    argv: Sequence[str],
    cwd: str,
    env: dict[str, str],
    timeout: float,
    on_output: Callable[[str], None],
    drop: Sequence[str] = (),
) -> Result:
    """Run a command the user configured (a hook): the user's own environment without `drop`
    (a tracker's token variables) plus `env`, its
    combined output streamed line by line, in its own process group so that on a timeout or
    Ctrl-C the whole group (children too) is stopped. Timeout when it runs longer than `timeout`."""
    import collections
    import signal
    import subprocess
    import threading

    args = list(argv)
    environment = {k: v for k, v in os.environ.items() if k not in _DROPPED and k not in drop}
    environment.update(env)
    try:
        proc = subprocess.Popen(args, cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, process_group=0)
    except FileNotFoundError as exc:
        raise ProgramMissing(f"{args[0]} is not installed (not found on PATH)") from exc
    except PermissionError as exc:
        raise ProgramMissing(f"{args[0]} cannot be run: permission denied") from exc
    assert proc.stdout is not None
    stream = proc.stdout
    tail: collections.deque[str] = collections.deque(maxlen=200)

    def pump() -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            tail.append(line)
            on_output(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()

    def stop_group() -> None:
        # A hook is the user's program, not git: one that ignores SIGTERM past its timeout is
        # SIGKILLed, since nothing else would ever stop it (sess must not hang). git is never
        # stopped this way (see `stop`): it would leave its lock files behind.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=2)
                return
            except subprocess.TimeoutExpired:
                continue

    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group()
        reader.join(timeout=1)
        raise Timeout(f"did not finish within {timeout:.0f}s and was stopped") from None
    except BaseException:
        stop_group()
        raise
    # Children it left running in the background may hold the pipe open: don't wait for them.
    reader.join(timeout=0.5)
    output = "\n".join(tail)
    return Result(args, proc.returncode, output, output)


def run_bytes(argv: Sequence[str], cwd: str | None = None, *, input: bytes = b"",
              timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """Run git feeding it `input` and return its output as bytes, as git's object plumbing
    (cat-file --batch) needs them: sizes count bytes, content may be any. Started, waited for,
    interrupted and stopped as `run`'s git is; failures raise as `run`'s do."""
    args = list(argv)
    process = spawn_git(tuple(args[1:]), cwd, stdin=input.decode("utf-8", "surrogateescape"))
    if process is None:
        raise ProgramMissing(f"{args[0]} is not installed (not found on PATH)")
    running = Running(args, process, timeout)
    try:
        exited = process.exits_within(timeout) if timeout is not None else process.wait() is not None
    except KeyboardInterrupt:
        running.settle()
        raise
    if not exited:
        running.stop()
        raise Timeout(f"{' '.join(args[:3])} did not finish within {timeout:.0f}s")
    out = process.output_from(0)
    result = running.wait(check=False)  # reaps it and reads what it said on stderr
    if not result.ok:
        raise CommandError(args, result.returncode, "", result.stderr)
    return out


class GitBatch:
    """`git cat-file --batch-command` in `top`, asked one object at a time: sync reads a changed
    ref's commit, its trees and its new records from this one git, and looks at a record's size
    before it reads it (a huge one is never read). Used as a context manager: on the way out git
    is told there is nothing more (it exits), or stopped when sess was interrupted."""

    def __init__(self, top: str, timeout: float) -> None:
        import time

        self.args = ["git", *BATCH]
        started = take_piped(top, BATCH) or spawn_git_piped(BATCH, top)  # sync's may have started early
        if started is None:
            raise ProgramMissing("git is not installed (not found on PATH)")
        self.process, self._to, self._from = started
        self._buffer = bytearray()
        self._until = time.monotonic() + timeout
        self._timeout = timeout

    def __enter__(self) -> GitBatch:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        import time

        for fd in (self._to, self._from):
            try:  # noqa: SIM105 (contextlib costs an import)
                os.close(fd)
            except OSError:
                pass
        if kind is None and self.process.exits_within(max(0.0, self._until - time.monotonic())):
            self.process.wait()
        elif isinstance(exc, KeyboardInterrupt):
            settle(self.process)
        else:
            stop(self.process)

    def info(self, sha: str) -> tuple[str, int] | None:
        """(type, size) of an object; None when git does not have it."""
        return self._ask("info", sha)

    def contents(self, sha: str) -> tuple[str, bytes] | None:
        """(type, content) of an object; None when git does not have it."""
        found = self._ask("contents", sha)
        if found is None:
            return None
        kind, size = found
        data = self._take(size + 1)
        return kind, data[:-1]

    def _ask(self, command: str, sha: str) -> tuple[str, int] | None:
        if len(sha) not in (40, 64) or not all(c in "0123456789abcdef" for c in sha):
            return None  # never anything but an object id on git's input
        try:
            os.write(self._to, f"{command} {sha}\n".encode("ascii"))
        except BrokenPipeError:
            self._failed()
        header = self._line().decode("ascii", "replace").split()
        if len(header) == 3 and header[0] == sha and header[2].isdigit():
            return header[1], int(header[2])
        if header[1:] == ["missing"] or header[1:] == ["ambiguous"]:
            return None
        self._failed()
        raise AssertionError  # not reached

    def _fill(self) -> None:
        import select
        import time

        readable = select.poll()
        readable.register(self._from, select.POLLIN)
        if not readable.poll(max(0, int((self._until - time.monotonic()) * 1000))):
            raise Timeout(f"git cat-file did not finish within {self._timeout:.0f}s")
        chunk = os.read(self._from, 1 << 16)
        if not chunk:
            self._failed()
        self._buffer += chunk

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            self._fill()
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        return line

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _failed(self) -> None:
        self.process.exits_within(1.0)
        code = self.process.poll()
        _, err = self.process.communicate(0) if code is not None else ("", "")
        raise CommandError(self.args, code if code is not None else -1, "", err)
