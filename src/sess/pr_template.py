"""The pull request body from the repository's own template.

`find` locates and reads the template (never a file outside the repository unless the user's
own configuration names it by absolute path); `merge` puts the text of `--summary`,
`--testing` and `--notes` under the template's headings of those names.
"""

from __future__ import annotations

import os
import re

from sess.config import REPO, Config, ConfigError, shown
from sess.errors import SessError

# Where GitHub looks for a repository's template, in this order; the file name in any case.
DEFAULT_PLACES = (".github", "docs", "")
TEMPLATE_NAME = "pull_request_template.md"
MAX_BYTES = 256 * 1024


def find(top: str, config: Config) -> str | None:
    """The template's text: `pr.template`, else the repository's own; None when there is none.

    Never a file under the git directory (`.git/config` may hold a token), from either file; a
    template from the repository (found by name, or named by `.sess.toml`) only when it is a regular
    file that git tracks, never through a symlink: each is refused unread."""
    configured = config.pr_template
    if configured is not None:
        source = config.source("pr.template")
        where = shown(config.repo_file or "") if source == REPO else "your configuration"
        path = os.path.expanduser(configured) if source != REPO else configured
        if os.path.isabs(path):
            if source == REPO:  # config.check refuses this already; kept as a second lock
                raise ConfigError(f"'pr.template' in {where} must be a path inside the repository, not '{configured}'")
            return _read(_outside_git_dir(top, path, configured, where), configured, where)
        real = _outside_git_dir(top, _inside(top, path, configured, where), configured, where)
        if source == REPO and os.path.lexists(os.path.join(top, path)):  # else _read says it does not exist
            _tracked_regular_file(top, path, configured, where)
        return _read(real, configured, where)
    for directory in DEFAULT_PLACES:
        folder = os.path.join(top, directory) if directory else top
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name.lower() == TEMPLATE_NAME:
                relative = os.path.join(directory, name) if directory else name
                full = os.path.join(folder, name)
                if os.path.isfile(full) or os.path.islink(full):
                    real = _outside_git_dir(top, _inside(top, relative, relative, "the repository"), relative,
                                            "the repository")
                    if not _tracked_regular_file(top, relative, relative, "the repository", untracked_ok=True):
                        continue  # not git's: a file of this clone only, never taken for the team's
                    return _read(real, relative, "the repository")
    return None


def _refused(configured: str, where: str, why: str) -> ConfigError:
    return ConfigError(f"the pull request template '{configured}' ({where}) {why}; it was not read",
                       "A template must be a regular file that git tracks in the repository.")


def _outside_git_dir(top: str, real: str, configured: str, where: str) -> str:
    """`real`, refused when it lies in the git directory (of this work tree, or the common one)."""
    from sess import git

    real = os.path.realpath(real)
    places = {os.path.realpath(os.path.join(top, ".git"))}
    try:
        places.add(os.path.realpath(git.git_dir(top)))
        places.add(os.path.realpath(os.path.join(top, git.out(top, "rev-parse", "--git-common-dir"))))
    except SessError:
        pass
    for place in places:
        if os.path.commonpath([place, real]) == place:
            raise _refused(configured, where, "is in the git directory")
    return real


def _tracked_regular_file(top: str, relative: str, configured: str, where: str, untracked_ok: bool = False) -> bool:
    """Whether git tracks `relative` as a regular file, reached through no symlink; a symlink is
    refused, and so is an untracked file unless `untracked_ok` (then False)."""
    from sess import git

    root = os.path.realpath(top)
    if os.path.realpath(os.path.join(root, relative)) != os.path.normpath(os.path.join(root, relative)):
        raise _refused(configured, where, "is a symlink (or reached through one)")
    listed = git.git(top, "--literal-pathspecs", "ls-files", "--stage", "-z", "--", relative, check=False).stdout
    modes = [entry.split(" ", 1)[0] for entry in listed.split("\0") if entry]
    if modes and all(mode in ("100644", "100755") for mode in modes):
        return True
    if modes:
        raise _refused(configured, where, "is not a regular file in git")
    if untracked_ok:
        return False
    raise _refused(configured, where, "is not tracked by git")


def _inside(top: str, relative: str, configured: str, where: str) -> str:
    """The real path of `relative` under `top`, refused when it (or a symlink on the way) leads out."""
    root = os.path.realpath(top)
    real = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, real]) != root or real == root:
        raise ConfigError(f"the pull request template '{configured}' ({where}) leads outside the repository; "
                          "it was not read",
                          "A template must be a file inside the repository (no '..', no absolute path, "
                          "no symlink out).")
    return real


def _read(path: str, configured: str, where: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"the pull request template '{configured}' ({where}) does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"the pull request template '{configured}' ({where}) is a directory") from None
    except OSError as exc:
        raise ConfigError(f"the pull request template '{configured}' ({where}) cannot be read: "
                          f"{exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"the pull request template '{configured}' ({where}) is larger than 256 KiB")
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


# --- merging --------------------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*(?:#+[ \t]*)?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _heading_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, heading text) of every ATX heading outside code fences and HTML comments."""
    found: list[tuple[int, str]] = []
    fence: str | None = None
    in_comment = False
    for index, line in enumerate(lines):
        if in_comment:
            if "-->" in line:
                in_comment = False
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[:3]
            continue
        stripped = _COMMENT.sub("", line)
        if "<!--" in stripped:
            in_comment = True
            continue
        match = _HEADING.match(line)
        if match:
            found.append((index, match.group(2).strip()))
    return found


def _name(heading: str) -> str:
    return heading.strip().rstrip(":").strip().lower()


def _only_comments(text: str) -> bool:
    return not _COMMENT.sub("", text).strip()


def merge(template: str, sections: list[tuple[str, str | None]]) -> str:
    """`template` with each (heading, text) put under the heading of that name (any level, any
    case), replacing content that is empty or only comments, else placed before what is there;
    a text whose heading the template lacks is appended as a `## heading` section."""
    lines = template.rstrip("\n").split("\n")
    headings = _heading_lines(lines)
    extra: list[str] = []
    # Work from the bottom up so that earlier line numbers stay valid.
    placements: list[tuple[int, int, list[str]]] = []
    for heading, text in sections:
        if text is None or not text.strip():
            continue
        body = text.strip("\n")
        hit = next((n for n, (_, title) in enumerate(headings) if _name(title) == heading.lower()), None)
        if hit is None:
            extra += ["", f"## {heading}", "", body]
            continue
        start = headings[hit][0] + 1
        end = headings[hit + 1][0] if hit + 1 < len(headings) else len(lines)
        content = "\n".join(lines[start:end])
        if _only_comments(content):
            placements.append((start, end, ["", body, ""] if end < len(lines) else ["", body]))
        else:
            placements.append((start, start, ["", body] + ([""] if lines[start].strip() else [])))
    for start, end, new in sorted(placements, reverse=True):
        lines[start:end] = new
    text = "\n".join(lines).rstrip("\n")
    if extra:
        text += "\n" + "\n".join(extra)
    return text.strip("\n") + "\n"
