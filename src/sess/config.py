"""Configuration: the user's `config.toml` and the repository's `.sess.toml`, read once into one
frozen `Config` that lower layers receive (never look up).

Precedence: command-line flag > repository file > user file > built-in default. Flags are
applied by the command layer; `load` merges the files over the defaults.

Reading is cheap on purpose: a missing file costs one failed open, `tomllib` is imported only
when a file exists, `hashlib` and the trust record only when the repository's file has hooks,
and no TOML writer is imported here at all (writing lives in `sess.commands.config`).
"""

from __future__ import annotations

import os
from types import MappingProxyType

from sess.errors import SessError

# Not typing's TYPE_CHECKING, and no dataclasses: `sess status` may read a key, and importing
# typing, dataclasses and inspect would cost it more than reading both files does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

DEFAULT_BRANCH_TYPES = ("feature", "bugfix", "refactor", "hotfix", "chore", "docs")
HOOK_EVENTS = ("pre-start", "post-start", "pre-end", "post-end", "post-pause", "post-resume")

DEFAULT, USER, REPO = "default", "user", "repo"
# end.never_commit's default (SPEC Part 3, "What end commits"); sess.commitlist matches them.
DEFAULT_NEVER_COMMIT = (".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", "*.p12", "*.pfx",
                        ".npmrc", ".pypirc", "credentials*.json", "*.keystore")
REPO_FILE = ".sess.toml"

_NONE: Mapping[str, Any] = MappingProxyType({})


class Config:
    """Every key of SPEC Part 2 "Configuration", with its built-in default. Frozen."""

    __slots__ = ("branch_types", "branch_default_type", "branch_template", "branch_max_length", "base",
                 "pr_draft", "pr_reviewers", "pr_labels", "pr_assignees", "pr_title", "pr_template",
                 "end_delete_branch", "end_sync_base", "time_idle_after_s", "time_exclusive", "hooks",
                 "hooks_timeout_s", "sources", "untrusted_hooks", "repo_file",
                 "pr_repo", "forge_type", "forge_host",
                 "sync_enabled", "sync_auto",
                 "end_never_commit", "repo_hooks_timeout_s", "tracker_type", "tracker_url",
                 "tracker_project", "tracker_user", "tracker_token_env", "tracker_token_command", "tracker_jql",
                 "tracker_log_time",
                 "branch_user",
                 # worktree.* (SPEC Part 3, several sessions at once)
                 "worktree_path", "worktree_copy", "worktree_default", "worktree_remove")

    branch_types: tuple[str, ...]  # branch.types
    branch_default_type: str  # branch.default_type
    branch_template: str  # branch.template
    branch_max_length: int  # branch.max_length
    base: str | None  # base
    pr_draft: bool  # pr.draft
    pr_reviewers: tuple[str, ...]  # pr.reviewers
    pr_labels: tuple[str, ...]  # pr.labels
    pr_assignees: tuple[str, ...]  # pr.assignees
    pr_title: str | None  # pr.title; None: "{issue_ref} {issue_title}" with an issue, else {subject}
    pr_template: str | None  # pr.template; None: the repository's own template, if any
    end_delete_branch: bool  # end.delete_branch
    end_sync_base: bool  # end.sync_base
    time_idle_after_s: int  # time.idle_after, in seconds
    time_exclusive: bool  # time.exclusive
    # hooks.<event>: each a string (run by `sh -c`) or an argument list; only hooks that may run
    # (the repository's when trusted, then the user's: both run, in that order) are here.
    hooks: Mapping[str, tuple[str | tuple[str, ...], ...]]
    hooks_timeout_s: int  # hooks.timeout, in seconds
    # Where each key's value came from: DEFAULT, USER or REPO (keys as written in a file).
    sources: Mapping[str, str]
    # Events whose hook in the repository's file was skipped because that content is not trusted.
    untrusted_hooks: tuple[str, ...]
    repo_file: str | None  # the repository's .sess.toml, when there is a repository
    # The forge (SPEC Part 3 "GitHub as it really is", "GitLab, Jira and Linear").
    pr_repo: str | None  # pr.repo: OWNER/NAME that pull requests go to (None: gh's own resolution order)
    forge_type: str | None  # forge.type: github or gitlab when origin's host does not say
    forge_host: str | None  # forge.host: the host the forge's CLI talks to (self-hosted, SSH aliases)
    # sync.enabled: on only where the repository's file says so and the user's does not say false
    sync_enabled: bool
    sync_auto: bool  # sync.auto: `sess sync` after start, end, cancel and switch
    # end.never_commit: new files `end` leaves out (.gitignore patterns), unless the user staged them
    end_never_commit: tuple[str, ...]
    # hooks.timeout as the repository's file sets it: for its own hooks only, never for yours.
    repo_hooks_timeout_s: int | None
    # tracker.*: where issues live (SPEC Part 3 "GitLab, Jira and Linear"); sess.trackers reads them.
    tracker_type: str  # tracker.type: forge, jira, linear or none
    tracker_url: str | None  # tracker.url: Jira's site (required), Linear's GraphQL endpoint
    tracker_project: str | None  # tracker.project: Jira project key / Linear team key for a bare number
    tracker_user: str | None  # tracker.user: Jira account e-mail (basic auth); None: a bearer token
    tracker_token_env: str | None  # tracker.token_env; None: JIRA_API_TOKEN / LINEAR_API_KEY
    tracker_token_command: tuple[str, ...] | None  # tracker.token_command (user file only)
    tracker_jql: str | None  # tracker.jql: the picker's Jira query
    tracker_log_time: bool  # tracker.log_time: push worked time at `end`
    branch_user: str | None  # branch.user: what {user} is (a GitHub login, say); None: from git's user.name
    worktree_path: str  # worktree.path: where `start --worktree` puts one, from the main work tree
    worktree_copy: tuple[str, ...]  # worktree.copy: untracked files of the main work tree to copy in
    worktree_default: bool  # worktree.default: start as if --worktree was given
    worktree_remove: bool  # worktree.remove: end and cancel remove a clean worktree sess made

    def __init__(self, *, branch_types: tuple[str, ...] = DEFAULT_BRANCH_TYPES, branch_default_type: str = "feature",
                 branch_template: str = "{type}/{slug}", branch_max_length: int = 60, base: str | None = None,
                 pr_draft: bool = False, pr_reviewers: tuple[str, ...] = (), pr_labels: tuple[str, ...] = (),
                 pr_assignees: tuple[str, ...] = (), pr_title: str | None = None, pr_template: str | None = None,
                 end_delete_branch: bool = False, end_sync_base: bool = True, time_idle_after_s: int = 2 * 3600,
                 time_exclusive: bool = False, hooks: Mapping[str, tuple[str | tuple[str, ...], ...]] = _NONE,
                 hooks_timeout_s: int = 10 * 60, sources: Mapping[str, str] = _NONE,
                 untrusted_hooks: tuple[str, ...] = (), repo_file: str | None = None,
                 pr_repo: str | None = None, forge_type: str | None = None, forge_host: str | None = None,
                 sync_enabled: bool = False, sync_auto: bool = True,
                 end_never_commit: tuple[str, ...] = DEFAULT_NEVER_COMMIT,
                 repo_hooks_timeout_s: int | None = None,
                 tracker_type: str = "forge", tracker_url: str | None = None, tracker_project: str | None = None,
                 tracker_user: str | None = None, tracker_token_env: str | None = None,
                 tracker_token_command: tuple[str, ...] | None = None, tracker_jql: str | None = None,
                 tracker_log_time: bool = False,
                 branch_user: str | None = None,
                 worktree_path: str = "../{repo}.{branch}", worktree_copy: tuple[str, ...] = (".env", ".env.*"),
                 worktree_default: bool = False, worktree_remove: bool = True) -> None:
        values = dict(locals())
        del values["self"]
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Config is frozen: '{name}' cannot be set")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Config(" + ", ".join(f"{name}={value!r}" for name, value in self._values().items()) + ")"

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def replace(self, **changes: Any) -> Config:
        return Config(**{**self._values(), **changes})

    def source(self, key: str) -> str:
        return self.sources.get(key, DEFAULT)

    def hook_timeout_s(self, event: str, from_repo: bool | None = None) -> int:
        """How long the hook for `event` may run: the repository's hooks.timeout for a hook of the
        repository's file, else yours (or the default). `from_repo`: which of the two hooks of an
        event both files define (None: the repository's when it has one)."""
        if from_repo is None:
            from_repo = self.source(f"hooks.{event}") == REPO
        if from_repo and self.repo_hooks_timeout_s is not None:
            return self.repo_hooks_timeout_s
        return self.hooks_timeout_s


# tracker.*: SPEC Part 3 "GitLab, Jira and Linear".
TRACKER_KEYS = ("tracker.type", "tracker.url", "tracker.project", "tracker.user", "tracker.token_env",
                "tracker.token_command", "tracker.jql", "tracker.log_time")
TRACKER_TYPES = ("forge", "jira", "linear", "none")

# The keys a file may hold, as written in it (hooks: `hooks.<event>` for each of HOOK_EVENTS).
KEYS = (
    "branch.types", "branch.default_type", "branch.template", "branch.max_length", "base",
    "pr.draft", "pr.reviewers", "pr.labels", "pr.assignees", "pr.title", "pr.template",
    "end.delete_branch", "end.sync_base", "time.idle_after", "time.exclusive",
    *(f"hooks.{event}" for event in HOOK_EVENTS), "hooks.timeout",
    # The forge (Part 3).
    "pr.repo", "forge.type", "forge.host",
    "sync.enabled", "sync.auto",
    # What end commits (Part 3).
    "end.never_commit",
    *TRACKER_KEYS,
    "branch.user",
    "worktree.path", "worktree.copy", "worktree.default", "worktree.remove",
)

DEFAULTS = Config()

# What kind of value each key holds; `check` turns a TOML value into the Config's form.
STRINGS, STRING, INTEGER, BOOL, DURATION, COMMAND = "strings", "string", "integer", "bool", "duration", "command"
ARGV = "argv"  # a non-empty list of strings, run without a shell
KINDS: Mapping[str, str] = MappingProxyType({
    "branch.types": STRINGS, "branch.default_type": STRING, "branch.template": STRING,
    "branch.max_length": INTEGER, "base": STRING, "pr.draft": BOOL, "pr.reviewers": STRINGS,
    "pr.labels": STRINGS, "pr.assignees": STRINGS, "pr.title": STRING, "pr.template": STRING,
    "end.delete_branch": BOOL, "end.sync_base": BOOL, "time.idle_after": DURATION, "time.exclusive": BOOL,
    **{f"hooks.{event}": COMMAND for event in HOOK_EVENTS}, "hooks.timeout": DURATION,
    "pr.repo": STRING, "forge.type": STRING, "forge.host": STRING,
    "sync.enabled": BOOL, "sync.auto": BOOL,
    "end.never_commit": STRINGS,
    "tracker.type": STRING, "tracker.url": STRING, "tracker.project": STRING, "tracker.user": STRING,
    "tracker.token_env": STRING, "tracker.token_command": ARGV, "tracker.jql": STRING, "tracker.log_time": BOOL,
    "branch.user": STRING,
    "worktree.path": STRING, "worktree.copy": STRINGS, "worktree.default": BOOL, "worktree.remove": BOOL,
})
SECTIONS = ("branch", "pr", "end", "time", "hooks", "forge", "sync", "tracker", "worktree")
FORGE_TYPES = ("github", "gitlab")  # forge.type (sess.forges.TYPES, not imported here: it is not needed to read)

# The fields each template may use.
BRANCH_FIELDS = ("type", "slug", "issue", "user", "date")
WORKTREE_FIELDS = ("repo", "branch", "type", "slug", "issue")
TITLE_FIELDS = ("issue", "issue_ref", "issue_title", "subject", "type", "branch")

# Config attribute of each key (hooks are gathered into `hooks`).
_ATTRS = {
    "branch.types": "branch_types", "branch.default_type": "branch_default_type",
    "branch.template": "branch_template", "branch.max_length": "branch_max_length", "base": "base",
    "pr.draft": "pr_draft", "pr.reviewers": "pr_reviewers", "pr.labels": "pr_labels",
    "pr.assignees": "pr_assignees", "pr.title": "pr_title", "pr.template": "pr_template",
    "end.delete_branch": "end_delete_branch", "end.sync_base": "end_sync_base",
    "time.idle_after": "time_idle_after_s", "time.exclusive": "time_exclusive", "hooks.timeout": "hooks_timeout_s",
    "pr.repo": "pr_repo", "forge.type": "forge_type", "forge.host": "forge_host",
    "sync.enabled": "sync_enabled", "sync.auto": "sync_auto",
    "end.never_commit": "end_never_commit",
    **{key: key.replace(".", "_") for key in TRACKER_KEYS},
    "branch.user": "branch_user",
    "worktree.path": "worktree_path", "worktree.copy": "worktree_copy", "worktree.default": "worktree_default",
    "worktree.remove": "worktree_remove",
}

# What `sess config list/get` shows for a default, as a file would hold it.
DEFAULT_VALUES: Mapping[str, Any] = MappingProxyType({
    "branch.types": list(DEFAULT_BRANCH_TYPES), "branch.default_type": "feature",
    "branch.template": "{type}/{slug}", "branch.max_length": 60, "pr.draft": False, "pr.reviewers": [],
    "pr.labels": [], "pr.assignees": [], "end.delete_branch": False, "end.sync_base": True,
    "time.idle_after": "2h", "time.exclusive": False, "hooks.timeout": "10m",
    "sync.enabled": False, "sync.auto": True,
    "end.never_commit": list(DEFAULT_NEVER_COMMIT),
    "tracker.type": "forge", "tracker.log_time": False,
    "worktree.path": "../{repo}.{branch}", "worktree.copy": [".env", ".env.*"], "worktree.default": False,
    "worktree.remove": True,
})


class ConfigError(SessError):
    """A configuration file that cannot be used: nothing is done until it is fixed (exit 1)."""


# --- where the files are ----------------------------------------------------------------------

def user_path() -> str:
    """$SESS_CONFIG, else $XDG_CONFIG_HOME/sess/config.toml, else ~/.config/sess/config.toml."""
    explicit = os.environ.get("SESS_CONFIG")
    if explicit:
        path = os.path.expanduser(explicit)
        if not os.path.isabs(path):
            # Relative to wherever sess runs, a cloned repository's file would become your own
            # (its hooks trusted, its keys yours).
            raise ConfigError(f"SESS_CONFIG must be an absolute path, not '{explicit}'",
                              "Set it to the full path of your configuration file (or unset it).")
        return path
    xdg = os.environ.get("XDG_CONFIG_HOME")
    # The XDG spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "sess", "config.toml")


def repo_path(top: str) -> str:
    return os.path.join(top, REPO_FILE)


def shown(path: str) -> str:
    """A path as messages show it: the home directory as `~`."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")):]
    return path


# --- reading ------------------------------------------------------------------------------------

class FileValues:
    """One file's keys, checked, in the form `Config` holds them; `raw` as the file wrote them;
    `digest` the SHA-256 of its bytes (what trust is given to); `ignored` the keys of a
    repository's file that this sess does not know (a teammate's newer sess may), left out."""

    __slots__ = ("path", "digest", "values", "raw", "ignored")

    def __init__(self, path: str, digest: str, values: Mapping[str, Any], raw: Mapping[str, Any],
                 ignored: tuple[str, ...] = ()) -> None:
        self.path = path
        self.digest = digest
        self.values = values
        self.raw = raw
        self.ignored = ignored


def read_file(path: str, source: str, cached: bool = True, cache: _Cache | None = None) -> FileValues | None:
    """The checked keys of one file; None when it does not exist. ConfigError names what is wrong.

    `cached`: a file unchanged since it was last read (same inode, size, mtime and ctime; ctime
    cannot be set back by a program) is taken from the cache in the state dir, without TOML
    parsing or hashing: what keeps a command that needs one key as fast as one that needs none."""
    try:
        with open(path, "rb") as handle:
            stamp = _stamp(os.fstat(handle.fileno()))
            if cached and cache is None:
                cache = _Cache.load()
            elif not cached:
                cache = None
            hit = cache.get(path, source, stamp) if cache is not None else None
            if hit is not None:
                return hit
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise ConfigError(f"{shown(path)}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{shown(path)}: cannot be read: {exc.strerror or exc}") from None
    values = parse(path, data, source)
    if cache is not None:
        cache.put(source, stamp, values)
    return values


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class _Cache:
    """`config-cache` in the state dir: each file's checked values by its stat stamp. In marshal's
    format, which Python reads with nothing to import: json would load re, a fifth of what `sess
    team` may cost (held to status's budget) and what delays sync's fetch (issue 18). Only sess
    writes it, into the user's own state dir; the version check makes another Python's unread."""

    FORMAT = 1

    def __init__(self, path: str) -> None:
        self.path = path
        self._files: dict[str, Any] | None = None

    @classmethod
    def load(cls) -> _Cache | None:
        """The cache, read when first asked (a user without configuration files never reads it);
        None while sess has no state dir (nothing is written before it does)."""
        from sess.state import state_dir  # not sess.store, which loads SQLite: the cache is a file

        home = state_dir()
        return cls(os.path.join(home, "config-cache")) if os.path.isdir(home) else None

    @property
    def files(self) -> dict[str, Any]:
        if self._files is None:
            self._files = self._read()
        return self._files

    def _read(self) -> dict[str, Any]:
        import marshal

        from sess import __version__

        try:
            with open(self.path, "rb") as handle:
                data = marshal.load(handle)
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        # Another version of sess may check values differently: its entries do not count.
        if not isinstance(data, dict) or data.get("version") != self._version(__version__) \
                or not isinstance(data.get("files"), dict):
            return {}
        return dict(data["files"])

    def get(self, path: str, source: str, stamp: list[int]) -> FileValues | None:
        entry = self.files.get(path)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp or entry.get("source") != source:
            return None
        try:
            values = {key: _from_json(key, value) for key, value in entry["values"].items()}
            return FileValues(path, str(entry["digest"]), values, dict(entry["raw"]),
                              tuple(str(key) for key in entry.get("ignored", ())))
        except (KeyError, TypeError, AttributeError):
            return None

    def _version(self, sess_version: str) -> str:
        import sys

        return f"{sess_version}/{self.FORMAT}/{sys.version_info[0]}.{sys.version_info[1]}"  # marshal's format

    def put(self, source: str, stamp: list[int], values: FileValues) -> None:
        import marshal

        from sess import __version__

        self.files[values.path] = {"stamp": stamp, "source": source, "digest": values.digest,
                                   "values": dict(values.values), "raw": dict(values.raw),
                                   "ignored": list(values.ignored)}
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                marshal.dump({"version": self._version(__version__), "files": self.files}, handle)
            os.replace(tmp, self.path)
        except (OSError, ValueError):  # a cache that cannot be written is only slower
            with _suppress():
                os.unlink(tmp)


def _from_json(key: str, value: Any) -> Any:
    """A value as the cache held it, in Config's form again (lists were tuples)."""
    if key not in KINDS:
        raise KeyError(key)
    return tuple(value) if isinstance(value, list) else value


def parse(path: str, data: bytes, source: str) -> FileValues:
    import tomllib

    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{shown(path)}: not valid TOML: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown(path)}: not valid TOML: {exc}") from None
    ignored: list[str] = []
    raw = flatten(path, document, ignored if source == REPO else None)
    values = {key: check(key, value, path, source) for key, value in raw.items()}
    return FileValues(path, digest(data), values, raw, tuple(ignored))


def flatten(path: str, document: Mapping[str, Any], ignored: list[str] | None = None) -> dict[str, Any]:
    """`{"branch": {"types": [...]}}` as `{"branch.types": [...]}`. An unknown key is an error,
    or, given `ignored` (the team's file: a teammate's newer sess may know it), left out there."""
    flat: dict[str, Any] = {}

    def put(key: str, item: Any) -> None:
        if key in KINDS:
            flat[key] = item
            return
        refuse_token(key, path)  # a token in a file is refused, in the team's file too
        if ignored is not None:
            ignored.append(key)
            return
        raise unknown_key(path, key)

    for name, value in document.items():
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{shown(path)}: '{name}' must be a table ([{name}]), not {_kind_of(value)}",
                                  f"Keys in it: {', '.join(k for k in KEYS if k.startswith(name + '.'))}.")
            for sub, item in value.items():
                put(f"{name}.{sub}", item)
        elif isinstance(value, dict) and value and ignored is not None:
            for sub, item in value.items():  # a table this sess does not know: each of its keys
                put(f"{name}.{sub}", item)
        else:
            put(f"{name}.{next(iter(value))}" if isinstance(value, dict) and value else name, value)
    return flat


def _did_you_mean(key: str) -> str:
    near = nearest(key)
    return f" (did you mean '{near}'?)" if near else ""


def unknown_key(path: str, key: str) -> ConfigError:
    return ConfigError(f"{shown(path)}: unknown key '{key}'{_did_you_mean(key)}", "'sess config list' shows every key.")


def ignored_warnings(layer: FileValues | None) -> list[str]:
    """One line per unknown key of the team's file, which is left out."""
    if layer is None:
        return []
    return [f"Warning: {shown(layer.path)}: unknown key '{key}'{_did_you_mean(key)}; ignored "
            "(a newer sess may know it)" for key in layer.ignored]


def refuse_token(key: str, path: str | None = None) -> None:
    """A token written into a configuration file is refused, wherever it is: it would be read by
    everyone who can read the file (the repository's: everyone who clones it)."""
    if key.rsplit(".", 1)[-1].lower() in ("token", "api_token", "api_key", "password"):
        where = f"{shown(path)}: " if path else ""
        raise ConfigError(f"{where}'{key}': a token is never kept in a configuration file",
                          f"Put it in an environment variable (tracker.token_env), or set tracker.token_command "
                          f"in {shown(user_path())} to a command that prints it.")


def nearest(key: str) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
    if found:
        return found[0]
    # The right name in the wrong table: `pr.delete_branch` is `end.delete_branch`.
    leaf = key.rsplit(".", 1)[-1]
    found = difflib.get_close_matches(leaf, [k.rsplit(".", 1)[-1] for k in KEYS], n=1, cutoff=0.8)
    return next((k for k in KEYS if k.rsplit(".", 1)[-1] == found[0]), None) if found else None


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")' if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def check(key: str, value: Any, path: str, source: str) -> Any:
    """The value of `key` in Config's form, or ConfigError naming the file and the key."""
    kind = KINDS[key]

    def wrong(what: str) -> ConfigError:
        return ConfigError(f"{shown(path)}: '{key}' must be {what}, not {_kind_of(value)}")

    def bad(why: str) -> ConfigError:
        return ConfigError(f"{shown(path)}: '{key}' {why}")

    if kind == BOOL:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an integer")
        if value < 1:
            raise bad(f"must be at least 1, not {value}")
        return value
    if kind == DURATION:
        if not isinstance(value, str):
            raise wrong('a duration such as "30s", "90m", "1h30m" or "2h"')
        from sess.timestamps import parse_duration

        try:
            seconds = parse_duration(value)
        except ValueError:
            raise wrong('a duration such as "30s", "90m", "1h30m" or "2h"') from None
        if seconds < 1:
            raise bad(f'must be longer than 0s, not "{value}"')
        return seconds
    if kind == STRINGS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise wrong("a list of strings")
        items = tuple(item.strip() for item in value)
        if any(not item or any(ord(c) < 32 for c in item) for item in items):
            raise bad("holds an empty name or one with control characters")
        # Labels may hold spaces ("good first issue"); logins and branch types cannot.
        if key not in ("pr.labels", "end.never_commit") and any(c.isspace() for item in items for c in item):
            raise bad("holds a name with spaces")
        if key == "worktree.copy" and any(os.path.isabs(item) or ".." in item.replace("\\", "/").split("/")
                                          for item in items):
            raise bad("must hold patterns inside the main work tree (no absolute paths, no '..')")
        if key == "branch.types":
            if not items:
                raise bad("must name at least one type")
            if len(set(items)) != len(items):
                raise bad("names a type twice")
        return items
    if kind == ARGV:
        if source == REPO:
            # The repository's file is anyone's who clones it: it never names a command to run.
            raise bad(f"is not allowed in {REPO_FILE} (it would run a cloned repository's command); "
                      f"set it in {shown(user_path())}")
        if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value) \
                or not value[0].strip():
            raise wrong('a list of strings (a program and its arguments, run without a shell, such as '
                        '["pass", "show", "jira"])')
        return tuple(value)
    if kind == COMMAND:
        if isinstance(value, str):
            if not value.strip():
                raise bad("is an empty command")
            return value
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value) and value[0]:
            return tuple(value)
        raise wrong("a command string or a non-empty list of strings")
    # STRING
    if not isinstance(value, str):
        raise wrong("a string")
    if not value.strip():
        raise bad("must not be empty")
    if key == "branch.template":
        _check_fields(path, key, value, BRANCH_FIELDS)
        if "{slug}" not in value:  # without it, every session's branch has the same name
            raise bad(f"must contain {{slug}}, not '{value}'")
    elif key == "pr.title":
        _check_fields(path, key, value, TITLE_FIELDS)
    elif key == "worktree.path":
        _check_fields(path, key, value, WORKTREE_FIELDS)
    elif key == "pr.template" and source == REPO:
        # A cloned repository must not point sess at files outside it (the rest is checked when read).
        parts = value.replace("\\", "/").split("/")
        if os.path.isabs(value) or value.startswith("~") or ".." in parts:
            raise bad(f"must be a path inside the repository, not '{value}'")
        if any(part.lower() == ".git" for part in parts):
            raise bad(f"must not be in the git directory: '{value}'")
    elif key == "tracker.type" and value not in TRACKER_TYPES:
        raise bad(f"must be one of {', '.join(TRACKER_TYPES)}, not '{value}'")
    elif key == "tracker.url" and not value.startswith(("https://", "http://")):
        raise bad(f"must be an http:// or https:// address, not '{value}'")
    elif key == "tracker.project" and not _is_key(value):
        raise bad(f"must be a project or team key such as PROJ or ENG, not '{value}'")
    elif key == "tracker.token_env" and not _is_env_name(value):
        raise bad(f"must be the name of an environment variable, not '{value}'")
    elif key in ("tracker.user", "tracker.jql") and any(ord(c) < 32 for c in value):
        raise bad("holds control characters")
    elif key in ("base", "branch.default_type") and (value.startswith("-") or any(c.isspace() for c in value)):
        raise bad(f"is not a branch name: '{value}'")
    elif key in ("pr.repo", "forge.type", "forge.host"):
        _check_forge_key(key, value, bad)
    return value


def _check_forge_key(key: str, value: str, bad: Any) -> None:
    import re

    if key == "pr.repo" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+", value):
        raise bad(f"must be OWNER/NAME, not '{value}'")
    if key == "forge.type" and value not in FORGE_TYPES:
        raise bad(f"must be one of {', '.join(FORGE_TYPES)}, not '{value}'")
    if key == "forge.host" and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?", value):
        raise bad(f"must be a host name such as git.example.com, not '{value}'")


def _is_key(value: str) -> bool:
    return value.isascii() and value[:1].isalpha() and value.replace("_", "").isalnum()


def _is_env_name(value: str) -> bool:
    return value.isascii() and not value[:1].isdigit() and value.replace("_", "").isalnum()


def _check_fields(path: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    from sess.rules import template_fields

    fields = ", ".join("{" + name + "}" for name in allowed)
    try:
        parsed = list(template_fields(value))
    except ValueError as exc:
        raise ConfigError(f"{shown(path)}: '{key}' is not a valid template: {exc}",
                          f"Fields: {fields}; write {{{{ and }}}} for literal braces.") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown_field = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ConfigError(f"{shown(path)}: '{key}' has an unknown field {shown_field}", f"Fields: {fields}.")




# --- merging ------------------------------------------------------------------------------------

class Layers:
    """Both files as read, for `load` and for `sess config list`."""

    __slots__ = ("user", "repo", "user_file", "repo_file")

    def __init__(self, user: FileValues | None, repo: FileValues | None, user_file: str,
                 repo_file: str | None) -> None:
        self.user = user
        self.repo = repo
        self.user_file = user_file
        self.repo_file = repo_file


def read_layers(top: str | None) -> Layers:
    user_file = user_path()
    repo_file = repo_path(top) if top else None
    cache = _Cache.load()  # one read of the cache for both files
    user = read_file(user_file, USER, cache=cache)
    repo = read_file(check_inside(top, repo_file), REPO, cache=cache) if top and repo_file else None
    return Layers(user, repo, user_file, repo_file)


def check_inside(top: str, path: str) -> str:
    """`path` (the repository's file), refused unread when it is a symlink that leads out of the
    repository: a cloned repository must not make sess read, or write, one of your files."""
    if os.path.islink(path):
        root = os.path.realpath(top)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise ConfigError(f"{shown(path)} is a symlink that leads outside the repository; it was not read")
    return path


def _stderr(line: str) -> None:
    import sys

    sys.stderr.write(line + "\n")


def load(top: str | None, warn: Callable[[str], None] | None = _stderr) -> Config:
    """The configuration for the repository at `top` (None: outside a repository). What is left
    out or overridden with a warning (the team file's unknown keys, a conflict between the two
    files) goes to `warn`, stderr by default."""
    return merge(read_layers(top), warn)


def merge(layers: Layers, warn: Callable[[str], None] | None = None) -> Config:
    user, repo = layers.user, layers.repo
    if warn is not None:
        for line in ignored_warnings(repo):
            warn(line)
    if user is None and repo is None:
        return Config(repo_file=layers.repo_file)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    hooks: dict[str, tuple[str | tuple[str, ...], ...]] = {}
    untrusted: list[str] = []
    repo_trusted: bool | None = None
    for layer, source in ((user, USER), (repo, REPO)):
        if layer is None:
            continue
        for key, value in layer.values.items():
            if key.startswith("hooks.") and key != "hooks.timeout":
                event = key[len("hooks."):]
                if source == REPO:
                    if repo_trusted is None:
                        repo_trusted = is_trusted(layer.path, layer.digest)
                    if not repo_trusted:
                        untrusted.append(event)
                        continue
                    hooks[event] = (value, *hooks.get(event, ()))  # the team's first, then yours
                else:
                    hooks[event] = (value,)
            elif key == "hooks.timeout" and source == REPO:
                values["repo_hooks_timeout_s"] = value  # a team's hooks' limit is not the user's
            else:
                values[_ATTRS[key]] = value
            sources[key] = source
    # Sharing is the team's choice and each member's veto: the repository's file opts in, and the
    # user's `enabled = false` wins; the user's `true` alone shares nothing (it would reach the
    # origin of every repository, open-source ones included).
    values["sync_enabled"] = (repo is not None and repo.values.get("sync.enabled") is True
                              and (user is None or user.values.get("sync.enabled") is not False))
    if user is not None and user.values.get("sync.enabled") is False:
        sources["sync.enabled"] = USER
    config = Config(**values, hooks=MappingProxyType(hooks), sources=MappingProxyType(sources),
                    untrusted_hooks=tuple(untrusted), repo_file=layers.repo_file)
    return _check_default_type(config, layers, warn)


def _check_default_type(config: Config, layers: Layers, warn: Callable[[str], None] | None = None) -> Config:
    if config.branch_default_type in config.branch_types:
        return config
    if config.source("branch.default_type") == DEFAULT:
        # A team that lists its own types need not also repeat which is the default: the first.
        return config.replace(branch_default_type=config.branch_types[0])
    type_source, list_source = config.source("branch.default_type"), config.source("branch.types")
    if list_source not in (DEFAULT, type_source):
        # Valid in its own file; it only conflicts with the other one here: a warning, here only.
        if warn is not None:
            warn(f"Warning: 'branch.default_type' is '{config.branch_default_type}' ({type_source}), which "
                 f"{'.sess.toml' if list_source == REPO else 'your file'}'s 'branch.types' lacks; "
                 f"'{config.branch_types[0]}' is used here")
        return config.replace(branch_default_type=config.branch_types[0])
    where = layers.repo if type_source == REPO else layers.user
    path = where.path if where else layers.user_file
    raise ConfigError(f"{shown(path)}: 'branch.default_type' is '{config.branch_default_type}', which is not "
                      f"in 'branch.types' ({', '.join(config.branch_types)})")


# --- trust ----------------------------------------------------------------------------------------

def trust_file() -> str:
    from sess.state import state_dir

    return os.path.join(state_dir(), "trusted.json")


def digest(data: bytes) -> str:
    try:  # CPython's own SHA-256: hashlib would load OpenSSL, a few milliseconds more
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha256
    return str(sha256(data).hexdigest())


def _trust_key(path: str) -> str:
    return os.path.realpath(path)


def trusted_digests() -> dict[str, str]:
    import json

    try:
        with open(trust_file(), encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}  # an unreadable record trusts nothing
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def is_trusted(path: str, sha256: str) -> bool:
    """Whether the user trusted exactly the content with this SHA-256 of the repository file at `path`."""
    return trusted_digests().get(_trust_key(path)) == sha256


def record_trust(path: str, sha256: str) -> str:
    """Trust the content with this SHA-256 of `path` (recorded in the state dir); returns it."""
    import json
    import tempfile

    record = trusted_digests()
    record[_trust_key(path)] = value = sha256
    target = trust_file()
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".trusted.", dir=os.path.dirname(target))
    except OSError as exc:
        raise ConfigError(f"cannot record the trust in {shown(os.path.dirname(target))}: {exc.strerror}",
                          "Make the state directory writable (or point SESS_HOME at one), then run "
                          "'sess config trust' again.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return value


def _suppress() -> Any:
    import contextlib

    return contextlib.suppress(OSError)


# --- for the commands that must not stop the clock ------------------------------------------------

def load_lenient(top: str | None, warn: Callable[[str], None] | None = None) -> Config:
    """`load` for pause, resume, status, log, amend, cancel, undo and prompt, which work with a
    configuration file that cannot be read: that file is left out (its keys at their defaults),
    the other still applies, and `warn` (if given) gets one line per file left out."""
    def attempt(read: Callable[[], FileValues | None]) -> FileValues | None:
        try:
            return read()
        except ConfigError as exc:
            if warn is not None:
                warn(f"Warning: {exc.message}; its settings are not used here")
            return None

    try:
        user_file = user_path()
    except ConfigError as exc:
        if warn is not None:
            warn(f"Warning: {exc.message}; its settings are not used here")
        user_file = ""
    repo_file = repo_path(top) if top else None
    cache = _Cache.load()
    user = attempt(lambda: read_file(user_file, USER, cache=cache)) if user_file else None
    repo = attempt(lambda: read_file(check_inside(top, repo_file), REPO, cache=cache)) if top and repo_file else None
    try:
        return merge(Layers(user, repo, user_file, repo_file), warn)
    except ConfigError as exc:  # the files disagree (a default type the other file lacks): defaults
        if warn is not None:
            warn(f"Warning: {exc.message}; the defaults are used here")
        return Config(repo_file=repo_file)
