"""Configuration: the user's `config.toml` and the repository's `.sess.toml`, read once into one
frozen `Config` that lower layers receive (never look up).

Precedence: command-line flag > repository file > user file > built-in default. Flags are
applied by the command layer; `load` merges the files over the defaults.

Reading is cheap on purpose: a missing file costs one failed open, `tomllib` is imported only
when a file exists, `hashlib` and the trust record only when the repository's file has hooks,
and no TOML writer is imported here at all (writing lives in `sess.config_edit`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sess.errors import SessError

DEFAULT_BRANCH_TYPES = ("feature", "bugfix", "refactor", "hotfix", "chore", "docs")
HOOK_EVENTS = ("pre-start", "post-start", "pre-end", "post-end", "post-pause", "post-resume")

DEFAULT, USER, REPO = "default", "user", "repo"
REPO_FILE = ".sess.toml"


@dataclass(frozen=True)
class Config:
    """Every key of SPEC Part 2 "Configuration", with its built-in default."""

    branch_types: tuple[str, ...] = DEFAULT_BRANCH_TYPES  # branch.types
    branch_default_type: str = "feature"  # branch.default_type
    branch_template: str = "{type}/{slug}"  # branch.template
    branch_max_length: int = 60  # branch.max_length
    base: str | None = None  # base
    pr_draft: bool = False  # pr.draft
    pr_reviewers: tuple[str, ...] = ()  # pr.reviewers
    pr_labels: tuple[str, ...] = ()  # pr.labels
    pr_assignees: tuple[str, ...] = ()  # pr.assignees
    pr_title: str | None = None  # pr.title; None: "#{issue} {issue_title}" with an issue, else {subject}
    pr_template: str | None = None  # pr.template; None: the repository's own template, if any
    end_delete_branch: bool = False  # end.delete_branch
    end_sync_base: bool = True  # end.sync_base
    time_idle_after_s: int = 2 * 3600  # time.idle_after, in seconds
    time_exclusive: bool = False  # time.exclusive
    # hooks.<event>: a string (run by `sh -c`) or an argument list; only hooks that may run
    # (the user's, and the repository's when trusted) are here.
    hooks: Mapping[str, str | tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    hooks_timeout_s: int = 10 * 60  # hooks.timeout, in seconds
    # Where each key's value came from: DEFAULT, USER or REPO (keys as written in a file).
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Events whose hook in the repository's file was skipped because that content is not trusted.
    untrusted_hooks: tuple[str, ...] = ()
    repo_file: str | None = None  # the repository's .sess.toml, when there is a repository

    def source(self, key: str) -> str:
        return self.sources.get(key, DEFAULT)


# The keys a file may hold, as written in it (hooks: `hooks.<event>` for each of HOOK_EVENTS).
KEYS = (
    "branch.types", "branch.default_type", "branch.template", "branch.max_length", "base",
    "pr.draft", "pr.reviewers", "pr.labels", "pr.assignees", "pr.title", "pr.template",
    "end.delete_branch", "end.sync_base", "time.idle_after", "time.exclusive",
    *(f"hooks.{event}" for event in HOOK_EVENTS), "hooks.timeout",
)

DEFAULTS = Config()

# What kind of value each key holds; `check` turns a TOML value into the Config's form.
STRINGS, STRING, INTEGER, BOOL, DURATION, COMMAND = "strings", "string", "integer", "bool", "duration", "command"
KINDS: Mapping[str, str] = MappingProxyType({
    "branch.types": STRINGS, "branch.default_type": STRING, "branch.template": STRING,
    "branch.max_length": INTEGER, "base": STRING, "pr.draft": BOOL, "pr.reviewers": STRINGS,
    "pr.labels": STRINGS, "pr.assignees": STRINGS, "pr.title": STRING, "pr.template": STRING,
    "end.delete_branch": BOOL, "end.sync_base": BOOL, "time.idle_after": DURATION, "time.exclusive": BOOL,
    **{f"hooks.{event}": COMMAND for event in HOOK_EVENTS}, "hooks.timeout": DURATION,
})
SECTIONS = ("branch", "pr", "end", "time", "hooks")

# The fields each template may use.
BRANCH_FIELDS = ("type", "slug", "issue", "user", "date")
TITLE_FIELDS = ("issue", "issue_title", "subject", "type", "branch")

# Config attribute of each key (hooks are gathered into `hooks`).
_ATTRS = {
    "branch.types": "branch_types", "branch.default_type": "branch_default_type",
    "branch.template": "branch_template", "branch.max_length": "branch_max_length", "base": "base",
    "pr.draft": "pr_draft", "pr.reviewers": "pr_reviewers", "pr.labels": "pr_labels",
    "pr.assignees": "pr_assignees", "pr.title": "pr_title", "pr.template": "pr_template",
    "end.delete_branch": "end_delete_branch", "end.sync_base": "end_sync_base",
    "time.idle_after": "time_idle_after_s", "time.exclusive": "time_exclusive", "hooks.timeout": "hooks_timeout_s",
}

# What `sess config list/get` shows for a default, as a file would hold it.
DEFAULT_VALUES: Mapping[str, Any] = MappingProxyType({
    "branch.types": list(DEFAULT_BRANCH_TYPES), "branch.default_type": "feature",
    "branch.template": "{type}/{slug}", "branch.max_length": 60, "pr.draft": False, "pr.reviewers": [],
    "pr.labels": [], "pr.assignees": [], "end.delete_branch": False, "end.sync_base": True,
    "time.idle_after": "2h", "time.exclusive": False, "hooks.timeout": "10m",
})


class ConfigError(SessError):
    """A configuration file that cannot be used: nothing is done until it is fixed (exit 1)."""


# --- where the files are ----------------------------------------------------------------------

def user_path() -> str:
    """$SESS_CONFIG, else $XDG_CONFIG_HOME/sess/config.toml, else ~/.config/sess/config.toml."""
    explicit = os.environ.get("SESS_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
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

@dataclass(frozen=True)
class FileValues:
    """One file's keys, checked, in the form `Config` holds them; `raw` as the file wrote them."""

    path: str
    data: bytes
    values: Mapping[str, Any]
    raw: Mapping[str, Any]


def read_file(path: str, source: str) -> FileValues | None:
    """The checked keys of one file; None when it does not exist. ConfigError names what is wrong."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"{shown(path)}: is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{shown(path)}: cannot be read: {exc.strerror or exc}") from None
    return parse(path, data, source)


def parse(path: str, data: bytes, source: str) -> FileValues:
    import tomllib

    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{shown(path)}: not valid TOML: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown(path)}: not valid TOML: {exc}") from None
    raw = flatten(path, document)
    values = {key: check(key, value, path, source) for key, value in raw.items()}
    return FileValues(path, data, values, raw)


def flatten(path: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """`{"branch": {"types": [...]}}` as `{"branch.types": [...]}`; unknown keys are errors."""
    flat: dict[str, Any] = {}
    for name, value in document.items():
        if name in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{shown(path)}: '{name}' must be a table ([{name}]), not {_kind_of(value)}",
                                  f"Keys in it: {', '.join(k for k in KEYS if k.startswith(name + '.'))}.")
            for sub, item in value.items():
                flat[_known(path, f"{name}.{sub}")] = item
        else:
            inner = f"{name}.{next(iter(value))}" if isinstance(value, dict) and value else name
            flat[_known(path, inner)] = value
    return flat


def _known(path: str, key: str) -> str:
    if key in KINDS:
        return key
    near = nearest(key)
    hint = f" (did you mean '{near}'?)" if near else ""
    raise ConfigError(f"{shown(path)}: unknown key '{key}'{hint}", "'sess config list' shows every key.")


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
        if key != "pr.labels" and any(c.isspace() for item in items for c in item):
            raise bad("holds a name with spaces")
        if key == "branch.types":
            if not items:
                raise bad("must name at least one type")
            if len(set(items)) != len(items):
                raise bad("names a type twice")
        return items
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
    elif key == "pr.title":
        _check_fields(path, key, value, TITLE_FIELDS)
    elif key == "pr.template" and source == REPO:
        # A cloned repository must not point sess at files outside it (the rest is checked when read).
        parts = value.replace("\\", "/").split("/")
        if os.path.isabs(value) or value.startswith("~") or ".." in parts:
            raise bad(f"must be a path inside the repository, not '{value}'")
    elif key in ("base", "branch.default_type") and (value.startswith("-") or any(c.isspace() for c in value)):
        raise bad(f"is not a branch name: '{value}'")
    return value


def _check_fields(path: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    import string

    fields = ", ".join("{" + name + "}" for name in allowed)
    try:
        parsed = list(string.Formatter().parse(value))
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

@dataclass(frozen=True)
class Layers:
    """Both files as read, for `load` and for `sess config list`."""

    user: FileValues | None
    repo: FileValues | None
    user_file: str
    repo_file: str | None


def read_layers(top: str | None) -> Layers:
    user_file = user_path()
    repo_file = repo_path(top) if top else None
    user = read_file(user_file, USER)
    repo = read_file(repo_file, REPO) if repo_file else None
    return Layers(user, repo, user_file, repo_file)


def load(top: str | None) -> Config:
    """The configuration for the repository at `top` (None: outside a repository)."""
    return merge(read_layers(top))


def merge(layers: Layers) -> Config:
    user, repo = layers.user, layers.repo
    if user is None and repo is None:
        return Config(repo_file=layers.repo_file)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    hooks: dict[str, str | tuple[str, ...]] = {}
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
                        repo_trusted = is_trusted(layer.path, layer.data)
                    if not repo_trusted:
                        untrusted.append(event)
                        continue
                hooks[event] = value
            else:
                values[_ATTRS[key]] = value
            sources[key] = source
    config = Config(**values, hooks=MappingProxyType(hooks), sources=MappingProxyType(sources),
                    untrusted_hooks=tuple(untrusted), repo_file=layers.repo_file)
    return _check_default_type(config, layers)


def _check_default_type(config: Config, layers: Layers) -> Config:
    if config.branch_default_type in config.branch_types:
        return config
    if config.source("branch.default_type") == DEFAULT:
        # A team that lists its own types need not also repeat which is the default: the first.
        return _replace(config, branch_default_type=config.branch_types[0])
    where = layers.repo if config.source("branch.default_type") == REPO else layers.user
    path = where.path if where else layers.user_file
    raise ConfigError(f"{shown(path)}: 'branch.default_type' is '{config.branch_default_type}', which is not "
                      f"in 'branch.types' ({', '.join(config.branch_types)})")


def _replace(config: Config, **changes: Any) -> Config:
    import dataclasses

    return dataclasses.replace(config, **changes)


# --- trust ----------------------------------------------------------------------------------------

def trust_file() -> str:
    from sess.store import state_dir

    return os.path.join(state_dir(), "trusted.json")


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


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


def is_trusted(path: str, data: bytes) -> bool:
    """Whether the user trusted exactly this content of the repository file at `path`."""
    return trusted_digests().get(_trust_key(path)) == digest(data)


def record_trust(path: str, data: bytes) -> str:
    """Trust this content of `path` (its SHA-256 in the state dir); returns the digest."""
    import json
    import tempfile

    record = trusted_digests()
    record[_trust_key(path)] = value = digest(data)
    target = trust_file()
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".trusted.", dir=os.path.dirname(target))
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
