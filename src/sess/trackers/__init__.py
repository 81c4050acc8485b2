"""Where issues live: one Tracker interface with the forge's own issues (`forge`), Jira (`jira`,
REST v3) and Linear (`linear`, GraphQL) behind it (SPEC Part 3 "GitLab, Jira and Linear").

The rest of sess asks a Tracker (look an issue up, list the picker's issues, log worked time) and
never names Jira or Linear. This module is cheap to import: the pure rules (issue forms, the
PR title's reference, the body's first line) are here, each connector is imported only by
`for_config`, and HTTP (`urllib.request`) only when a connector makes its first call.
"""

from __future__ import annotations

from sess.errors import SessError, UsageError
from sess.records import NamedTuple
from sess.rules import is_issue_key as is_key  # re-exported: the trackers ask it
from sess.rules import issue_ref

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any

    from sess.config import Config
    from sess.trackers.http import Client

GITHUB, GITLAB, JIRA, LINEAR = "github", "gitlab", "jira", "linear"
SEND_WAIT_S = 0.01  # how long the picker's prefetch waits for its request to be written, at most
TRACKER_NAMES = {GITHUB: "GitHub", GITLAB: "GitLab", JIRA: "Jira", LINEAR: "Linear"}


class Issue(NamedTuple):
    id: str  # as the tracker writes it: "42", "PROJ-123", "ENG-7"
    title: str
    url: str = ""
    state: str = "OPEN"  # OPEN or CLOSED (Jira: status category done; Linear: completed, canceled)
    tracker: str = GITHUB


class TrackerUnavailable(SessError):
    """The tracker cannot be asked: refused the token, cannot be reached, did not answer in time,
    no token. Nothing was changed; the interactive picker offers to go on without an issue."""


class IssueMissing(SessError):
    """The tracker says there is no such issue."""


class Tracker:
    """One tracker, as the rest of sess asks it."""

    name = GITHUB  # the JSON issue object's `tracker`
    time_tracking = False  # whether log_time sends anything (Jira, GitLab)
    can_look_up_logged = False  # whether logged() can tell what was pushed (Jira's marker)

    def reference(self, value: str) -> str:
        """The issue id that `--issue VALUE` means, or UsageError naming the forms."""
        raise NotImplementedError

    def view(self, value: str) -> Issue:
        raise NotImplementedError

    def list_open(self) -> list[Issue]:
        """The picker's issues."""
        raise NotImplementedError

    def prefetch(self) -> Prefetch | None:
        """The picker's issues asked from now on: over HTTP on a thread (the token is found first,
        here), a forge's CLI started here (a program such as gh or glab is never run off the main
        thread). None: list_open() is asked when the picker needs it."""
        return None

    def logged(self, issue_id: str) -> dict[str, int]:
        """Seconds logged on the issue under each sess marker (`sess:<uuid>:<day>`), as the tracker
        has them (can_look_up_logged only)."""
        raise NotImplementedError

    def log_time(self, issue_id: str, seconds: int, started: datetime, marker: str) -> str | None:
        """Log `seconds` worked from `started` on the issue; the remote id where there is one."""
        raise NotImplementedError


class HttpTracker(Tracker):
    """A tracker sess speaks to over HTTP itself (Jira, Linear)."""

    @property
    def client(self) -> Client:
        raise NotImplementedError

    def prefetch(self) -> Prefetch | None:
        try:
            self.client  # noqa: B018  (the token, found on this thread)
        except SessError as exc:  # no token: the picker says so, and token_command is not run again
            return Prefetch(None, exc)
        # The HTTP modules are loaded here too, not on the thread: there they would take turns with
        # the rest of sess loading meanwhile (one thread runs Python at a time), and the request
        # would go out some 25 ms later. For the same reason this thread then waits until the
        # request is written (a few ms; the network, not Python, is what the thread waits on next).
        import urllib.request  # noqa: F401

        listing = Prefetch(self.list_open)
        self.client.sent.wait(SEND_WAIT_S)
        return listing


class Prefetch:
    """The picker's list asked of the tracker ahead of the picker, while git looks at the
    repository and the prompt library loads (the answer is most of the wait). `fetch()` runs on a
    thread of its own from now on (an HTTP request); `on_thread=False`: the caller has started a
    program already, and `fetch()` waits for it when the list is asked for, on that thread (where
    Ctrl-C stops it). `result()` gives the list or raises what `fetch` raised; without `fetch`,
    `error`."""

    def __init__(self, fetch: Callable[[], list[Issue]] | None, error: SessError | None = None, *,
                 on_thread: bool = True) -> None:
        import threading

        self._value: list[Issue] | None = None
        self._error: BaseException | None = error
        self._thread: threading.Thread | None = None
        self._later = None if on_thread else fetch
        if fetch is not None and on_thread:
            self._thread = threading.Thread(target=self._run, args=(fetch,), name="sess-tracker", daemon=True)
            self._thread.start()

    def _run(self, fetch: Callable[[], list[Issue]]) -> None:
        try:
            self._value = fetch()
        except BaseException as exc:  # handed to result(), in the thread that asks
            self._error = exc

    def result(self) -> list[Issue]:
        if self._later is not None:
            return self._later()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


# The picker's list, asked by `prefetch_early` under this configuration.
_early: tuple[Config, Prefetch] | None = None


def prefetch_early(top: str) -> None:
    """`sess start` on a terminal with no issue on its command line (sess.cli, first thing): the
    tracker is asked for the picker's list now (see `prefetch`), before git is started and the
    rest of sess loads, since its answer is most of what the picker waits for. Nothing is said
    here: a configuration that cannot be read or no tracker.url leave it to `sess start`, which
    finds them again and says so; a missing token or CLI is the list's error, told by the picker."""
    global _early
    from sess.config import load

    try:
        cfg = load(top, warn=None)  # start reads it again, and warns
        tracker = for_config(cfg, top)
    except SessError:
        return
    listing = tracker.prefetch() if tracker is not None else None
    if listing is not None:
        _early = (cfg, listing)


def take_early(cfg: Config) -> Prefetch | None:
    """The list `prefetch_early` asked for, when it was asked under this same configuration."""
    global _early
    early, _early = _early, None
    return early[1] if early is not None and early[0] == cfg else None


def for_config(cfg: Config, top: str) -> Tracker | None:
    """The tracker `tracker.type` names (None for "none"); no network until it is asked."""
    kind = cfg.tracker_type
    if kind == "none":
        return None
    if kind == JIRA:
        from sess.trackers.jira import Jira

        return Jira(cfg)
    if kind == LINEAR:
        from sess.trackers.linear import Linear

        return Linear(cfg)
    from sess.trackers.forge import ForgeIssues

    return ForgeIssues(top, cfg)


def mapping(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}: a tracker's answer is read without trusting its shape."""
    return value if isinstance(value, dict) else {}


# --- the pure rules -------------------------------------------------------------------------------



def plausible(value: str) -> bool:
    """Whether `--issue VALUE` could mean an issue of some tracker (checked before anything else;
    the configured tracker judges it exactly once the configuration is read)."""
    text = value.strip()
    if not text or any(ord(c) < 32 for c in text) or text.startswith("-"):
        return False
    owner_repo, hash_, number = text.rpartition("#")  # OWNER/NAME#7
    return (text.lstrip("#").isdigit() or is_key(text) or text.startswith(("https://", "http://"))
            or bool(hash_ and "/" in owner_repo and number.isdigit()))


def key_reference(value: str, project: str | None, tracker: str, url_forms: tuple[str, ...]) -> str:
    """`PROJ-123` (any case), `123` with a project key, or a URL ending in one of `url_forms`
    followed by the key: the key in upper case."""
    text = value.strip()
    for form in url_forms:
        at = text.find(form)
        if at >= 0 and text.startswith(("https://", "http://")):
            text = text[at + len(form):].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            break
    if is_key(text):
        return text.upper()
    name = TRACKER_NAMES[tracker]
    bare = text.lstrip("#")
    if bare.isdigit() and bare.isascii():
        if project:
            return f"{project.upper()}-{int(bare)}"
        raise UsageError(f"--issue {value!r} is a bare number, but no {name} project is set",
                         "Pass the key (PROJ-123), or set tracker.project.")
    raise UsageError(f"--issue {value!r} is not a {name} issue: pass a key such as PROJ-123"
                     + (" or a number (tracker.project)" if project else ""), "Run 'sess start --help' for usage.")


def closing_line(tracker: str | None, issue_id: str, url: str | None) -> str:
    """The PR body's first line: `Closes #N` (forge), `PROJ-123: <url>` (Jira), `Fixes ENG-7` (Linear)."""
    if tracker == JIRA:
        return f"{issue_id}: {url}" if url else issue_id
    if tracker == LINEAR:
        return f"Fixes {issue_id}"
    return f"Closes {issue_ref(issue_id)}"
