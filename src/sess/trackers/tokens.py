"""A tracker's token: from the environment variable (tracker.token_env, else the tracker's
usual one), or from the user's own `tracker.token_command` (run without a shell, the first line
of its stdout). The token is handed to the HTTP client and nowhere else."""

from __future__ import annotations

import os

from sess.trackers import TRACKER_NAMES, TrackerUnavailable

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.config import Config

DEFAULT_ENV = {"jira": "JIRA_API_TOKEN", "linear": "LINEAR_API_KEY"}
COMMAND_TIMEOUT_S = 30.0


def token_variables(cfg: Config) -> tuple[str, ...]:
    """The variables that may hold a tracker token: kept out of hooks' environment."""
    names = {*DEFAULT_ENV.values()}
    if cfg.tracker_token_env:
        names.add(cfg.tracker_token_env)
    return tuple(sorted(names))


def token(cfg: Config, tracker: str) -> tuple[str, str]:
    """(the token, what messages call its source)."""
    name = TRACKER_NAMES[tracker]
    if cfg.tracker_token_command:
        return _from_command(cfg.tracker_token_command, name), "tracker.token_command"
    variable = cfg.tracker_token_env or DEFAULT_ENV[tracker]
    value = os.environ.get(variable, "").strip()
    if not value:
        from sess.config import shown, user_path

        raise TrackerUnavailable(f"no {name} token: {variable} is not set",
                                 f"Set {variable}, or tracker.token_command in {shown(user_path())}.")
    return value, variable


def _from_command(argv: tuple[str, ...], name: str) -> str:
    from sess import proc
    from sess.errors import ProgramMissing, Timeout

    try:
        result = proc.run(list(argv), check=False, timeout=COMMAND_TIMEOUT_S)
    except ProgramMissing as exc:
        raise TrackerUnavailable(f"tracker.token_command cannot run: {exc.message}",
                                 "Check tracker.token_command in your configuration.") from None
    except Timeout:
        raise TrackerUnavailable(f"tracker.token_command did not finish within {COMMAND_TIMEOUT_S:.0f}s") from None
    # Its output is never repeated: it may hold the token.
    if not result.ok:
        raise TrackerUnavailable(f"tracker.token_command failed (exit status {result.returncode}); "
                                 f"no {name} token", "Run it yourself to see why.")
    first = next(iter(result.stdout.splitlines()), "").strip()
    if not first:
        raise TrackerUnavailable(f"tracker.token_command printed no {name} token")
    return first
