"""Linked worktrees for sessions (SPEC Part 3): where `start --worktree` puts one, the untracked
files it copies in, its removal after `end` / `cancel` when nothing uncommitted is there, and a
worktree that was deleted by hand."""

from __future__ import annotations

import os

from sess import git, rules
from sess.errors import CommandError, SessError
from sess.rules import Session


def planned_path(template: str, main: str, branch: str, branch_type: str, slug: str, issue: str | None) -> str:
    """`worktree.path` filled in, relative to the main work tree; an existing path is refused."""
    fields = {"repo": os.path.basename(main.rstrip("/")), "branch": branch.replace("/", "-"), "type": branch_type,
              "slug": slug, "issue": issue or ""}
    filled = rules.fill_template(template, fields)
    path = os.path.normpath(os.path.join(main, os.path.expanduser(filled)))
    if os.path.lexists(path):
        raise SessError(f"{path} already exists", "Pass --worktree-path PATH, or move it away; nothing was changed.")
    return path


def add(top: str, path: str, branch: str, start_at: str) -> None:
    """`git worktree add -b BRANCH PATH START`."""
    git.git(top, "worktree", "add", "--quiet", "-b", branch, "--", path, start_at)


def copy_files(main: str, path: str, patterns: tuple[str, ...]) -> list[str]:
    """The main work tree's untracked files that match `worktree.copy`, copied into the new
    worktree, never over a file there; the names copied."""
    import glob
    import shutil

    found: list[str] = []
    for pattern in patterns:
        found += [name for name in glob.glob(pattern, root_dir=main, include_hidden=True)
                  if os.path.isfile(os.path.join(main, name)) and not os.path.islink(os.path.join(main, name))]
    if not found:
        return []
    tracked = set(git.out_raw(main, "ls-files", "-z", "--", *found).split("\0"))
    copied = []
    for name in sorted(set(found) - tracked):
        target = os.path.join(path, name)
        if os.path.lexists(target):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(main, name), target)
        copied.append(name)
    return copied


def remove_if_clean(main: str, session: Session, allowed: bool) -> tuple[bool, str | None]:
    """After `end` / `cancel`: the worktree sess made for the session goes when `worktree.remove`
    allows and it holds no uncommitted change (ignored files do not count, as for `git worktree
    remove`). (removed, why it stays)."""
    path = session.worktree
    if path is None or not allowed:
        return False, None
    if not os.path.isdir(path):
        git.ok(main, "worktree", "prune")
        return False, None
    try:
        if git.changed_paths(path):
            return False, f"Kept the worktree {path}: it has uncommitted changes"
        git.git(main, "worktree", "remove", "--", path)
    except CommandError as exc:
        return False, f"Kept the worktree {path}: {exc.detail}"
    return True, None


def prune_if_gone(top: str, branch: str) -> bool:
    """A worktree holding `branch` whose folder was deleted by hand: git forgets it (`git worktree
    prune`), so the branch can be checked out again. Whether that was so."""
    from sess.workflows.common import checked_out_elsewhere

    path = checked_out_elsewhere(top).get(branch)
    if path is None or os.path.isdir(path):
        return False
    git.ok(top, "worktree", "prune")
    return True


def base_elsewhere(top: str, base: str) -> str | None:
    """The other work tree the base is checked out in (then this one cannot check it out)."""
    from sess.workflows.common import checked_out_elsewhere

    return checked_out_elsewhere(top).get(base)
