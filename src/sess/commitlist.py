"""What `end` commits: every tracked change and new file, but never a new file that matches
`end.never_commit` (a secret: `.env`, `*.pem`, ...) unless the user added it to the index himself,
and never a change that lives only inside a submodule (it belongs to the submodule's own history).

Pure: it reads a `git.WorkTree` and the patterns, and says which paths to add and how to name them.
Patterns follow `.gitignore`: one without a `/` matches a file or folder name at any depth, one with
a `/` a path from the repository root; `*` and `?` never match a `/`, `**` matches any folders.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sess.config import DEFAULT_NEVER_COMMIT as DEFAULT_NEVER_COMMIT
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.git import WorkTree

MOST_SHOWN = 10  # files named in the one line; the rest are counted


class Selection(NamedTuple):
    """The paths `git add` takes, each as the list shows it, and what is left out."""

    paths: tuple[str, ...]  # for `git add --all`: changes, new files, deletions
    shown: tuple[str, ...]  # the committed files as the list names them: `notes.md (new)`
    left_out: tuple[str, ...]  # new files that match end.never_commit, left untouched
    submodules: tuple[str, ...]  # submodules whose changes are only inside them: not sess's to commit

    @property
    def any(self) -> bool:
        return bool(self.shown)


def select(tree: WorkTree, patterns: tuple[str, ...]) -> Selection:
    untracked, added, deleted = set(tree.untracked), set(tree.added), set(tree.deleted)
    inside_only = set(tree.submodules_inside_only)
    paths: list[str] = []
    shown: list[str] = []
    left_out: list[str] = []
    submodules: list[str] = []
    for path in tree.changed:
        if path in inside_only:
            submodules.append(path)
            continue
        if path in untracked and matches_any(patterns, path):
            left_out.append(path)
            continue
        paths.append(path)
        if path in untracked or path in added:
            shown.append(f"{path} (new)")
        elif path in deleted:
            shown.append(f"{path} (deleted)")
        else:
            shown.append(path)
    return Selection(tuple(paths), tuple(shown), tuple(left_out), tuple(submodules))


def listing(selection: Selection) -> str:
    """`Committing 3 files: src/a.py, src/b.py, notes.md (new)`."""
    count = len(selection.shown)
    named = ", ".join(selection.shown[:MOST_SHOWN])
    if count > MOST_SHOWN:
        named += f" and {count - MOST_SHOWN} more"
    return f"Committing {count} file{'s' if count != 1 else ''}: {named}"


def left_out_lines(left_out: tuple[str, ...], submodules: tuple[str, ...]) -> list[str]:
    lines = [f"Left out {path} (end.never_commit)" for path in left_out]
    lines += [f"Left out the changes inside submodule {path} (commit them in the submodule)" for path in submodules]
    return lines


def matches_any(patterns: tuple[str, ...], path: str) -> bool:
    return any(matches(pattern, path) for pattern in patterns)


def matches(pattern: str, path: str) -> bool:
    """Whether `path` (relative to the repository root, `/`-separated) is matched by `pattern`, as a
    line of `.gitignore` would match it (negation aside)."""
    return _compiled(pattern).match(path) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    directory_only = pattern.endswith("/")
    body = pattern.strip("/") if directory_only else pattern
    anchored = "/" in body or pattern.startswith("/")
    body = body.lstrip("/")
    regex = _glob(body)
    # Without a `/` the name matches at any depth; a match on a folder takes everything under it.
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.+" if directory_only else "(?:/.+)?"
    return re.compile(f"{prefix}{regex}{suffix}\\Z", re.DOTALL)


def _glob(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if text.startswith("/**", index) and index + 3 == len(text):
            out.append("/.*")
            index += 3
            continue
        if text.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = text.find("]", index + 2 if text[index + 1:index + 2] in ("!", "]") else index + 1)
            if close == -1:
                out.append(re.escape(char))
            else:
                inner = text[index + 1:close]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                index = close + 1
                continue
        elif char == "\\" and index + 1 < len(text):
            out.append(re.escape(text[index + 1]))
            index += 2
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
