"""`sess config list|get|set|unset|path|trust`: see and change the configuration.

Writing goes through tomlkit (imported only here, only when writing) so that a file keeps its
comments and order. Every value is checked, and the whole file after the change too, before
anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from sess import config
from sess.commands import add_json
from sess.config import KEYS, ConfigError, Layers
from sess.errors import SessError, UsageError

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any


def parser_config(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from sess.cli import add_no_hooks

    parser = commands.add_parser(
        "config", help="show or change the configuration",
        description="The configuration: your own file (config.toml) and the repository's .sess.toml. "
                    "A flag wins over the repository's file, which wins over yours, which wins over the defaults.")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", parser_class=type(parser))
    listing = sub.add_parser("list", help="every key, its effective value and where it comes from",
                             description="Every key with its effective value and where it came from "
                                         "(default, user, repo).")
    add_json(listing)
    get = sub.add_parser("get", help="print a key's effective value",
                         description="Print a key's effective value: a list one item per line, a bool as "
                                     "true/false. Exit 1 when the key has no value.")
    get.add_argument("key", metavar="KEY")
    put = sub.add_parser("set", help="set a key in your file (or the repository's with --repo)",
                         description="Set KEY to VALUE in your file, or in .sess.toml with --repo. A list is "
                                     "written as 'a,b,c' or as a TOML array '[\"a\", \"b\"]'.")
    put.add_argument("key", metavar="KEY")
    put.add_argument("value", metavar="VALUE")
    put.add_argument("--repo", action="store_true", help="write the repository's .sess.toml")
    unset = sub.add_parser("unset", help="remove a key from your file (or the repository's with --repo)")
    unset.add_argument("key", metavar="KEY")
    unset.add_argument("--repo", action="store_true", help="change the repository's .sess.toml")
    path = sub.add_parser("path", help="where the configuration files are")
    which = path.add_mutually_exclusive_group()
    which.add_argument("--user", action="store_true", help="print only your file's path")
    which.add_argument("--repo", action="store_true", help="print only the repository's file's path")
    sub.add_parser("trust", help="let the hooks in this repository's .sess.toml run (this exact content)",
                   description="Trust the hooks in this repository's .sess.toml as it is now. A changed file "
                               "is untrusted again until trusted anew.")
    for action in sub.choices.values():
        add_no_hooks(action)


def cmd_config(args: argparse.Namespace) -> int:
    action = args.config_command
    if action is None:
        raise UsageError("say what to do: list, get, set, unset, path or trust",
                         "Run 'sess config --help' for usage.")
    handler = {"list": _list, "get": _get, "set": _set, "unset": _unset, "path": _path, "trust": _trust}[action]
    return handler(args)


# --- reading ------------------------------------------------------------------------------------

def _top(required: bool) -> str | None:
    from sess import git

    if required:
        return git.require_repo(os.getcwd())[0]
    where = git.locate(os.getcwd())
    return where[0] if where else None


def _require_key(key: str) -> None:
    if key in KEYS:
        return
    config.refuse_token(key)
    near = config.nearest(key)
    raise UsageError(f"unknown key '{key}'" + (f" (did you mean '{near}'?)" if near else ""),
                     "'sess config list' shows every key.")


def effective(layers: Layers, cfg: config.Config) -> dict[str, dict[str, Any]]:
    """Every key: its value as a file would write it, where it came from, and for a repository
    hook that was skipped, that it was."""
    result: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        source = cfg.source(key)
        layer = layers.repo if source == config.REPO else layers.user if source == config.USER else None
        value = layer.raw[key] if layer is not None else config.DEFAULT_VALUES.get(key)
        if key == "branch.default_type":
            value = cfg.branch_default_type  # the first type when the files name types but no default
        elif key == "sync.enabled":
            value = cfg.sync_enabled  # the user's true alone does not turn it on; its false turns it off
        entry: dict[str, Any] = {"value": value, "source": source}
        event = key[len("hooks."):]
        if event in cfg.untrusted_hooks and layers.repo is not None:
            entry["skipped"] = {"source": config.REPO, "value": layers.repo.raw[key],
                                "reason": "not trusted: run 'sess config trust'"}
        result[key] = entry
    return result


def _toml(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _list(args: argparse.Namespace) -> int:
    from sess import render

    layers = config.read_layers(_top(required=False))
    cfg = config.merge(layers)
    keys = effective(layers, cfg)
    if args.json:
        repo = layers.repo
        render.emit_json({
            "files": {
                "user": {"path": layers.user_file, "exists": layers.user is not None},
                "repo": {"path": layers.repo_file, "exists": repo is not None,
                         "trusted": config.is_trusted(repo.path, repo.digest) if repo else None}
                if layers.repo_file else None,
            },
            "keys": keys,
        })
        return 0
    # key, where its value comes from, the value: the source before the value (as git config
    # --show-origin has it), so that a long value never pushes the next column out of line.
    rows = []
    for key, entry in keys.items():
        value = "(not set)" if entry["value"] is None else _toml(entry["value"])
        source = entry["source"]
        if "skipped" in entry:
            skipped = _toml(entry["skipped"]["value"])
            if entry["value"] is None:
                value, source = f"{skipped}  (not trusted: skipped)", "repo"
            else:
                value += f"  (repo's {skipped} not trusted: skipped)"
        rows.append((key, source, render.safe(value)))
    width = max(len(key) for key, _, _ in rows)
    source_width = max(len(source) for _, source, _ in rows)
    render.print_lines([f"{key:<{width}}  {source:<{source_width}}  {value}" for key, source, value in rows])
    return 0


def _get(args: argparse.Namespace) -> int:
    _require_key(args.key)
    layers = config.read_layers(_top(required=False))
    value = effective(layers, config.merge(layers))[args.key]["value"]
    if value is None:
        return 1  # like `git config --get`: no value, no output
    items = value if isinstance(value, list | tuple) else [value]
    from sess.render import safe_line  # a team's file may hold escape sequences

    sys.stdout.write("".join(f"{safe_line(_plain(item))}\n" for item in items))
    return 0


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _path(args: argparse.Namespace) -> int:
    from sess import render

    top = _top(required=bool(args.repo))
    user, repo = config.user_path(), config.repo_path(top) if top else None
    if args.user or args.repo:
        render.print_lines([user if args.user else str(repo)])
        return 0
    lines = [f"user  {user}" + ("" if os.path.exists(user) else "  (not created yet)")]
    if repo:
        lines.append(f"repo  {repo}" + ("" if os.path.exists(repo) else "  (not created yet)"))
    render.print_lines(lines)
    return 0


def _trust(args: argparse.Namespace) -> int:
    from sess import render

    top = _top(required=True)
    assert top is not None
    path = config.check_inside(top, config.repo_path(top))
    repo = config.read_file(path, config.REPO, cached=False)  # exactly what is there now
    if repo is None:
        raise SessError(f"there is no {config.REPO_FILE} in {top}", "Nothing to trust.")
    digest = config.record_trust(path, repo.digest)
    hooks = [(key[len("hooks."):], repo.raw[key]) for key in KEYS if key in repo.raw and key != "hooks.timeout"
             and key.startswith("hooks.")]
    lines = [f"Trusted {path} · sha256 {digest[:12]}"]
    if hooks:
        width = max(len(event) for event, _ in hooks)
        lines += [f"  {event:<{width}}  {render.safe(_toml(command))}" for event, command in hooks]
    else:
        lines.append("  (it has no hooks)")
    render.print_lines(lines)
    return 0


# --- writing ------------------------------------------------------------------------------------

def _target(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """(file, source, repository top) that `set`/`unset` change."""
    if args.repo:
        top = _top(required=True)
        assert top is not None
        return config.check_inside(top, config.repo_path(top)), config.REPO, top
    return config.user_path(), config.USER, _top(required=False)


def parse_value(key: str, text: str) -> Any:
    """A command-line VALUE as the TOML value for `key` (checked afterwards by config.check)."""
    kind = config.KINDS[key]
    stripped = text.strip()
    if kind in (config.STRINGS, config.COMMAND, config.ARGV) and stripped.startswith("["):
        import tomllib

        try:
            return tomllib.loads(f"value = {stripped}")["value"]
        except tomllib.TOMLDecodeError as exc:
            if kind == config.COMMAND:
                return text  # a shell command that starts with `[ ... ]` (test)
            raise UsageError(f"'{text}' is not a TOML array: {exc}") from None
    if kind == config.STRINGS:
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == config.ARGV:
        return text.split()  # `pass show jira`: words, never a shell
    if kind == config.BOOL:
        lowered = stripped.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        return text
    if kind == config.INTEGER:
        return int(stripped) if stripped.lstrip("-").isdigit() else text
    return text


def _set(args: argparse.Namespace) -> int:
    from sess import render

    _require_key(args.key)
    path, source, top = _target(args)
    value = parse_value(args.key, args.value)
    config.check(args.key, value, path, source)  # the value alone, with a clear message

    def change(document: Any) -> None:
        import tomlkit

        section, _, leaf = args.key.rpartition(".")
        if not section:
            document[leaf] = value
            return
        table = document.get(section)
        if table is None:
            document[section] = table = tomlkit.table()
        table[leaf] = value

    _rewrite(path, source, top, change)
    render.print_lines([f"Set {args.key} = {_toml(value)} in {path}"])
    return 0


def _unset(args: argparse.Namespace) -> int:
    from sess import render

    path, source, top = _target(args)
    section, _, leaf = args.key.rpartition(".")
    found = False

    def change(document: Any) -> None:
        nonlocal found
        container = document.get(section) if section else document
        if container is None or not hasattr(container, "keys") or leaf not in container:
            return
        found = True
        del container[leaf]
        if section and len(container) == 0:
            del document[section]

    if os.path.exists(path):
        _rewrite(path, source, top, change, removing=True)
    if not found:
        _require_key(args.key)  # a misspelt key that is not in the file either: say so
        render.print_lines([f"{args.key} was not set in {path}; nothing changed"])
        return 0
    render.print_lines([f"Unset {args.key} in {path}"])
    return 0


def _rewrite(path: str, source: str, top: str | None, change: Any, removing: bool = False) -> None:
    """Apply `change` to the file's TOML document; write it only if the whole result is valid
    (when removing a key from a file that is already invalid, only if it still parses: that is
    how a misspelt key is taken out)."""
    import tomlkit

    try:
        with open(path, "rb") as handle:
            old = handle.read()
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise ConfigError(f"{config.shown(path)}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = tomlkit.parse(old.decode("utf-8")) if old is not None else tomlkit.document()
    except Exception as exc:  # tomlkit's own parse errors: the file must be fixed by hand first
        raise ConfigError(f"{config.shown(path)}: not valid TOML: {exc}",
                          "Fix the file by hand; sess will not rewrite what it cannot read.") from None
    change(document)
    new = tomlkit.dumps(document).encode("utf-8")
    if new.strip() and not new.endswith(b"\n"):
        new += b"\n"
    if new == old:
        return
    if not (removing and not _valid(path, old, source)):
        # The file as it will be must be valid on its own (with defaults for what it lacks): your
        # file is used in every repository, not only in this one. What it only conflicts with in
        # the other file is a warning, here.
        mine = config.parse(path, new, source)
        other = _other_layers(top, source)
        alone = config.Layers(mine if source == config.USER else None, mine if source == config.REPO else None,
                              other.user_file, other.repo_file)
        config.merge(alone)
        config.merge(config.Layers(mine if source == config.USER else other.user,
                                   mine if source == config.REPO else other.repo, other.user_file, other.repo_file),
                     _warn)
    # A file you create through sess, or one you trusted, is yours: it stays trusted after your
    # change. An untrusted one stays untrusted (a change to one key must not approve its hooks).
    was_trusted = source == config.REPO and (old is None or config.is_trusted(path, config.digest(old)))
    _write(path, new)
    if was_trusted:
        # Your own change through sess keeps a file you trusted trusted; an untrusted one stays so.
        config.record_trust(path, config.digest(new))


def _warn(line: str) -> None:
    import sys

    sys.stderr.write(line + "\n")


def _valid(path: str, data: bytes | None, source: str) -> bool:
    try:
        if data is not None:
            config.parse(path, data, source)
    except ConfigError:
        return False
    return True


def _other_layers(top: str | None, source: str) -> Layers:
    """Both files as they are, except that the other one, when broken, counts as absent: its
    own errors are reported when it is used, not blamed on this change."""
    user_file = config.user_path()
    repo_file = config.repo_path(top) if top else None
    user = repo = None
    with contextlib.suppress(ConfigError):
        user = config.read_file(user_file, config.USER) if source != config.USER else None
    with contextlib.suppress(ConfigError):
        repo = config.read_file(repo_file, config.REPO) if repo_file and source != config.REPO else None
    return Layers(user, repo, user_file, repo_file)


def _write(path: str, data: bytes) -> None:
    import tempfile

    # A symlinked file (dotfiles) is written where it points.
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    os.makedirs(directory, exist_ok=True)
    try:
        mode = os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=".sess-config.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
