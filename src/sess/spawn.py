"""Starting git with nothing but `os` (os.posix_spawn; no `subprocess`, whose import alone costs
a command milliseconds): what proc.run uses for every git call that is neither streamed nor fed,
and what starts the first looks of `start` and `end` (every ref, the work tree, for start the
fetch of its base) before the rest of sess has loaded. In a large repository those looks take
longer than Python takes to load sess; started early, they run meanwhile, and `take` hands each
one to proc, which waits for it as for any program it started itself.

Also the environment every program sess runs gets (`clean_env`).
"""

from __future__ import annotations

import os

# Variables that would make git act on another repository, or translate its messages.
DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
           # sess reads gh's --json output: colour or terminal-style output forced in the user's
           # environment would break it (and NO_COLOR does not beat CLICOLOR_FORCE in gh).
           "CLICOLOR_FORCE", "GH_FORCE_TTY", "GH_PAGER", "GH_DEBUG")

# The looks, by their arguments to git (sess.git reads their output).
STATUS = ("status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all")
REFS = ("for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)%00%(worktreepath)", "refs/heads/",
        "refs/remotes/")


def fetch_args(branch: str, remote: str = "origin") -> tuple[str, ...]:
    """What `git pull REMOTE BRANCH` fetches first. Without git's housekeeping afterwards (`git
    maintenance run --auto`, a process of its own that start would wait for): end's fetch, and
    the user's commits, give it its turn. As a setting, not --no-auto-maintenance, which a git
    older than 2.29 would refuse (it ignores the setting and runs its `gc --auto` as always)."""
    return (*_FETCH, "--quiet", remote, f"refs/heads/{branch}")


_FETCH = ("-c", "maintenance.auto=false", "fetch")

# `sess sync`'s fetch of the team's refs (sess.sync): no FETCH_HEAD (start reads the one its own
# fetch wrote), no housekeeping, no tags; --prune prunes only below the refspec's destination.
SYNC_FETCH = ("-c", "maintenance.auto=false", "-c", "fetch.writeFetchHEAD=false", "fetch", "--quiet", "--no-tags",
              "--prune", "origin", "+refs/sess/v1/*:refs/sess/remotes/origin/v1/*")
# Who you are, for sync's records, and where origin is: user.name, user.email and
# remote.origin.url in one call.
IDENTITY = ("config", "--get-regexp", r"^(user\.(name|email)|remote\.origin\.url)$")
# What reads the objects of the refs sync's fetch moved (proc.GitBatch).
BATCH = ("cat-file", "--batch-command")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    # Parse-stable output: no pager, no prompts for credentials, no editor, C messages.
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": "true",
            "GH_PROMPT_DISABLED": "1",
            "GH_NO_UPDATE_NOTIFIER": "1",
            "LC_ALL": "C",
            # Reads such as `git status` must not take index.lock to refresh the index: a
            # concurrent sess (or the user's git) would then fail to take it for a real change.
            "GIT_OPTIONAL_LOCKS": "0",
        }
    )
    if extra:
        env.update(extra)
    return env


class Process:
    """A program started by `spawn`: the part of subprocess.Popen that proc.Running uses. Its
    output goes to unnamed temporary files, read once it has exited (or, streamed, as it grows),
    so a large output never blocks it while nobody reads, and a sess that dies (kill -9, a closed
    terminal) leaves it no broken pipe to die of halfway through its work."""

    def __init__(self, pid: int, out_fd: int, err_fd: int | None, own_group: bool = False) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.own_group = own_group  # a process group of its own: the terminal's Ctrl-C never reaches it
        self._fds = (out_fd, err_fd)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; TimeoutError if it has not exited within `timeout` seconds."""
        if self.returncode is None and timeout is not None and not self.exits_within(timeout):
            raise TimeoutError(f"{self.pid} still running after {timeout}s")
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def exits_within(self, timeout: float) -> bool:
        if self.returncode is not None:
            return True
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # not Linux: look every few milliseconds
            import time

            deadline = time.monotonic() + timeout
            while self.poll() is None:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.002)
            return True
        import select

        try:
            readable = select.poll()
            readable.register(pidfd, select.POLLIN)  # a pidfd reads as ready once its process has exited
            return bool(readable.poll(max(0, int(timeout * 1000))))
        finally:
            os.close(pidfd)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """(stdout, stderr) once it has exited, decoded as `subprocess` does in text mode (the
        same text twice when both went to one file)."""
        self.wait(timeout)
        out = _read(self._fds[0])
        return out, _read(self._fds[1]) if self._fds[1] is not None else out

    def output_from(self, offset: int) -> bytes:
        """What it has written to its output since `offset` bytes, while it runs."""
        chunks = []
        while chunk := os.pread(self._fds[0], 1 << 16, offset):
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def terminate(self) -> None:
        """SIGTERM, which git cleans up after (it removes the lock files it holds), to its whole
        group when it has one (the hooks it runs too). Never SIGKILL: that leaves index.lock,
        CHERRY_PICK_HEAD.lock or packed-refs.lock behind, and every later git call fails on them."""
        if self.poll() is None:  # not reaped yet, so the pid is still this process's
            if self.own_group:
                try:
                    os.killpg(self.pid, 15)  # SIGTERM
                    os.killpg(self.pid, 18)  # SIGCONT: one stopped (a read of the terminal) can then go
                except ProcessLookupError:
                    pass
            else:
                os.kill(self.pid, 15)


def _read(fd: int) -> str:
    chunks = []
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def _unnamed_file() -> int:
    """A temporary file that no other process can open: in memory where the system offers that
    (Linux: a thirtieth of the cost of a file on disk), else created private and unlinked at once."""
    try:
        return os.memfd_create("sess-output")
    except (AttributeError, OSError):
        pass
    directory = os.environ.get("TMPDIR") or "/tmp"
    while True:
        path = os.path.join(directory, f".sess-{os.getpid()}-{os.urandom(6).hex()}")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.unlink(path)
        return fd


_found: dict[tuple[str, str], str] = {}  # (name, PATH) -> where it was found


def _program(name: str, env: dict[str, str]) -> str | None:
    search = env.get("PATH", os.defpath)
    if (name, search) not in _found:
        for directory in search.split(os.pathsep):
            path = os.path.join(directory or ".", name)
            if os.access(path, os.X_OK) and not os.path.isdir(path):
                _found[(name, search)] = path
                break
        else:
            return None
    return _found[(name, search)]


# git commands that talk to a remote. They stay in sess's process group, as they always ran:
# ssh may have to ask for a passphrase on the terminal, which a background group cannot read
# (it would be stopped). Stopped halfway they lose nothing: a ref is updated whole or not at all.
NETWORK = frozenset({"fetch", "push", "pull", "ls-remote", "clone"})


def subcommand(args: tuple[str, ...]) -> str | None:
    """The git command in `args` (`fetch` in `-c maintenance.auto=false fetch origin`)."""
    items = iter(args)
    for arg in items:
        if arg in ("-c", "-C"):
            next(items, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _default_signals(signals: object) -> tuple[int, ...]:
    """What git starts with at their defaults: SIGPIPE and SIGXFSZ as subprocess restores them, and
    the ones sess may be ignoring meanwhile (while it puts something back), which git must obey."""
    return tuple(getattr(signals, name) for name in ("SIGPIPE", "SIGXFSZ", "SIGINT", "SIGTERM", "SIGHUP"))


def spawn_git(args: tuple[str, ...], top: str | None, extra_env: dict[str, str] | None = None, *,
              stdin: str | None = None, merged: bool = False) -> Process | None:
    """`git -C TOP ARGS...` (in the current directory without TOP) started with
    `clean_env(extra_env)`, stdin from /dev/null (or the text `stdin`); None when it cannot be
    started here (the caller then runs it the usual way, which reports why). `merged`: stdout and
    stderr into one file, in the order git wrote them.

    Every git but those that talk to a remote gets a process group of its own, so that the
    terminal's Ctrl-C (or a closed terminal's SIGHUP) reaches sess alone: sess then lets git
    finish, or stops it with a signal git cleans up after, never in the middle of nowhere."""
    env = clean_env(extra_env)
    program = _program("git", env)
    if program is None:
        return None
    fds: list[int] = []
    try:
        fds = [_unnamed_file()] if merged else [_unnamed_file(), _unnamed_file()]
        if stdin is not None:
            fds.append(_unnamed_file())
            data = stdin.encode("utf-8", "surrogateescape")
            view = memoryview(data)
            while view:
                view = view[os.write(fds[-1], view):]
            os.lseek(fds[-1], 0, os.SEEK_SET)
        import _signal  # type: ignore[import-not-found]  # loaded with the interpreter; `signal` costs an enum

        source = [(os.POSIX_SPAWN_DUP2, fds[-1], 0)] if stdin is not None else \
            [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
        own_group = subcommand(args) not in NETWORK
        # posix_spawn takes no working directory: git's -C is one.
        argv = ["git", *(["-C", top] if top else []), *args]
        actions = [*source, (os.POSIX_SPAWN_DUP2, fds[0], 1), (os.POSIX_SPAWN_DUP2, fds[0 if merged else 1], 2)]
        if own_group:
            pid = os.posix_spawn(program, argv, env, file_actions=actions, setsigdef=_default_signals(_signal),
                                 setpgroup=0)
        else:
            pid = os.posix_spawn(program, argv, env, file_actions=actions, setsigdef=_default_signals(_signal))
    except OSError:
        for fd in fds:
            os.close(fd)
        return None
    if stdin is not None:
        os.close(fds.pop())
    return Process(pid, fds[0], None if merged else fds[1], own_group)


def spawn_git_piped(args: tuple[str, ...], top: str) -> tuple[Process, int, int] | None:
    """`git -C TOP ARGS...` talked to through pipes, for git's interactive plumbing (`cat-file
    --batch-command`): (the process, its stdin to write to, its stdout to read from); stderr goes
    to a file, as spawn_git's does. A process group of its own (it talks to no remote). None when
    it cannot be started here."""
    env = clean_env()
    program = _program("git", env)
    if program is None:
        return None
    fds: list[int] = []
    try:
        err = _unnamed_file()
        fds.append(err)
        child_in, to_child = os.pipe()
        fds += [child_in, to_child]
        from_child, child_out = os.pipe()
        fds += [from_child, child_out]
        import _signal  # loaded with the interpreter; `signal` costs an enum

        actions = [(os.POSIX_SPAWN_DUP2, child_in, 0), (os.POSIX_SPAWN_DUP2, child_out, 1),
                   (os.POSIX_SPAWN_DUP2, err, 2)]
        pid = os.posix_spawn(program, ["git", "-C", top, *args], env, file_actions=actions,
                             setsigdef=_default_signals(_signal), setpgroup=0)
    except OSError:
        for fd in fds:
            os.close(fd)
        return None
    os.close(child_in)
    os.close(child_out)
    return Process(pid, err, None, True), to_child, from_child


# Started before anyone asked, by repository and git arguments; `take` hands them over.
_early: dict[tuple[str, tuple[str, ...]], Process] = {}


def prefetch(top: str, starting: bool = False, base: str | None = None) -> None:
    """Start the looks that start and end take first: every ref; the work tree (the slowest in a
    large repository); for start, the fetch of `base`, the branch it will most likely start from."""
    import atexit

    # The longest first: the scan of the work tree, then the fetch.
    looks = [STATUS, *([fetch_args(base)] if starting and base is not None else []), REFS]
    for args in looks:
        process = spawn_git(args, top)
        if process is not None:
            _early[(top, args)] = process
    atexit.register(_stop_untaken)


def prefetch_status(top: str) -> None:
    """`sess switch`: the look at the work tree (in a large repository the slowest git call before
    the park) runs while the rest of sess loads. The switch takes it only if HEAD and the index
    are as they were when it started (`unchanged_since_prefetch`): another command that got the
    project's lock first and moved them makes it stale."""
    import atexit

    from sess.gitfiles import git_dir_of

    gitdir = git_dir_of(top)
    if gitdir is None:
        return
    seen = _fingerprint(gitdir)
    process = spawn_git(STATUS, top)
    if process is not None:
        _early[(top, STATUS)] = process
        _fingerprints[top] = (gitdir, seen)
        atexit.register(_stop_untaken)


def unchanged_since_prefetch(top: str) -> bool:
    """Whether HEAD and the index of `top` are what they were when `prefetch_status` started its look."""
    gitdir, seen = _fingerprints.get(top, ("", None))
    return seen is not None and _fingerprint(gitdir) == seen


_fingerprints: dict[str, tuple[str, tuple[tuple[int, int, int], ...] | None]] = {}


def _fingerprint(gitdir: str) -> tuple[tuple[int, int, int], ...] | None:
    """HEAD and the index as the file system sees them (inode, size, modification time in ns): git
    replaces each by a rename when it writes it, so any write shows. None if one is missing."""
    try:
        return tuple((info.st_ino, info.st_size, info.st_mtime_ns)
                     for info in (os.stat(os.path.join(gitdir, name)) for name in ("HEAD", "index")))
    except OSError:
        return None


def prefetch_sync(top: str) -> None:
    """`sess sync` in a repository that shares its records: origin's refs are fetched, and the
    identity read, while the rest of sess loads; the reader of the moved refs' objects is started
    too, so that git has loaded itself by the time the fetch ends. It finds what the fetch brings
    after it started: git looks again (loose objects, then the packs anew) for an object it does
    not have yet."""
    import atexit

    for args in (SYNC_FETCH, IDENTITY):
        process = spawn_git(args, top)
        if process is not None:
            _early[(top, args)] = process
    piped = spawn_git_piped(BATCH, top)
    if piped is not None:
        _early_piped[(top, BATCH)] = piped
    atexit.register(_stop_untaken)


def take(top: str, args: tuple[str, ...]) -> Process | None:
    return _early.pop((top, args), None)


_early_piped: dict[tuple[str, tuple[str, ...]], tuple[Process, int, int]] = {}  # spawn_git_piped's


def take_piped(top: str, args: tuple[str, ...]) -> tuple[Process, int, int] | None:
    return _early_piped.pop((top, args), None)


def untaken_fetches(top: str) -> list[Process]:
    """Fetches started on a guess that proved wrong (taken, so that the caller waits for them)."""
    return [_early.pop(key) for key in [key for key in _early if key[0] == top and key[1][:3] == _FETCH]]


def _stop_untaken() -> None:
    """At exit, nothing sess started is left running: asked to stop (git then removes its lock
    files) and waited for a moment; never killed (that would leave its lock files behind)."""
    for _, to_git, from_git in _early_piped.values():
        os.close(to_git)  # its input closed, git cat-file ends of itself
        os.close(from_git)
    processes = [*_early.values(), *(process for process, _, _ in _early_piped.values())]
    for process in processes:
        process.terminate()
    for process in processes:
        # One still running then finishes on its own: these are looks and a fetch, nothing half-done.
        process.exits_within(5)
    _early.clear()
    _early_piped.clear()
