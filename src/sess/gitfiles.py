"""What git keeps in files, read without running git: the work tree's top, the checked-out branch,
whether a branch exists. For `sess status` on a bare interpreter's budget, this module loads
nothing beyond `os` (no subprocess); git itself is asked (through sess.git) only when the files
do not give a sure answer.
"""

from __future__ import annotations

import os


def _ask_git(cwd: str) -> tuple[str, str] | None:
    from sess import git

    return git.locate(cwd)


def locate_quick(cwd: str) -> tuple[str, str] | None:
    """What `locate` answers, read from the repository's own files: no git process, for `sess
    status` on its budget. git is asked after all when the layout is not the usual one."""
    top = _work_tree_top(cwd)
    gitdir = git_dir_of(top) if top is not None else None
    if top is None or gitdir is None:
        return _ask_git(cwd)
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return _ask_git(cwd)
    if head.startswith("ref: refs/heads/"):
        return top, head[len("ref: refs/heads/"):]
    if len(head) in (40, 64) and all(c in "0123456789abcdef" for c in head):
        return top, "HEAD"  # detached
    return _ask_git(cwd)


def current_branch_quick(top: str) -> str | None:
    """The branch checked out in the work tree at `top`, from its HEAD file; None when detached
    or unreadable."""
    gitdir = git_dir_of(top)
    return None if gitdir is None else _head_branch(gitdir)


def _head_branch(gitdir: str) -> str | None:
    """The branch the HEAD file of this git directory names; None when detached or unreadable."""
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return head[len("ref: refs/heads/"):] if head.startswith("ref: refs/heads/") else None


def branch_exists_quick(top: str, branch: str) -> bool:
    """`branch_exists` answered from the repository's files when they hold the branch (a loose ref,
    or a line of packed-refs); git is asked only when they do not, so a missing branch is sure."""
    gitdir = os.path.join(top, ".git")
    if os.path.isdir(gitdir) and not os.path.exists(os.path.join(gitdir, "reftable")):
        if os.path.isfile(os.path.join(gitdir, "refs", "heads", *branch.split("/"))):
            return True
        try:
            with open(os.path.join(gitdir, "packed-refs"), encoding="utf-8", errors="replace") as handle:
                if any(line.rstrip("\n").endswith(f" refs/heads/{branch}") for line in handle):
                    return True
        except OSError:
            pass
    from sess import git

    return git.branch_exists(top, branch)


def _work_tree_top(cwd: str) -> str | None:
    """The nearest directory from `cwd` up holding `.git`; None when git's own search could end
    elsewhere first (inside a git directory, or in a bare repository) or nowhere."""
    path = cwd
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        if os.path.basename(path) == ".git" or all(
                os.path.exists(os.path.join(path, name)) for name in ("HEAD", "objects", "refs")):
            return None  # a git directory itself: git decides
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def git_dir_of(top: str) -> str | None:
    """The git directory of the work tree at `top`: `.git`, or where a worktree's or submodule's
    `.git` file points (`gitdir: <path>`, relative to the file's directory); None if unreadable."""
    dotgit = os.path.join(top, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    try:
        with open(dotgit, encoding="utf-8") as handle:
            pointer = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not pointer.startswith("gitdir: "):
        return None
    return os.path.join(top, pointer[len("gitdir: "):])


def remote_head_quick(top: str, remote: str = "origin") -> str | None:
    """The branch `REMOTE/HEAD` points at ("main"), read from its file; None when the file is not
    there (never set, or packed) or not the usual symbolic ref."""
    gitdir = git_dir_of(top)
    if gitdir is None:
        return None
    try:  # a linked worktree keeps its refs in the main repository's git directory
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
            gitdir = os.path.join(gitdir, handle.read().strip())
    except (OSError, UnicodeDecodeError):
        pass
    try:
        with open(os.path.join(gitdir, "refs", "remotes", remote, "HEAD"), encoding="utf-8") as handle:
            head = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    prefix = f"ref: refs/remotes/{remote}/"
    name = head[len(prefix):] if head.startswith(prefix) else ""
    return name if plain_branch_name(name) else None


def remote_url_quick(top: str, remote: str = "origin") -> str | None:
    """`git config --get remote.REMOTE.url` read from the repository's own config file (the last
    one wins, as in git); None when the file does not answer surely: no such key there (git would
    look in the global files too), an include, a worktree config, a quoted or continued value, or
    any line read otherwise than git reads it. The caller asks git then."""
    common = common_dir_of(top)
    if common is None:
        return None
    try:
        with open(os.path.join(common, "config"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    section, found = "", None
    for raw in lines:
        line = raw.strip()
        if line.endswith("\\"):
            return None  # a value continued on the next line, whatever its key
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            header = line[1:line.find("]")] if line.endswith("]") and line.count("]") == 1 else None
            if header is None or '\\' in header or header.count('"') not in (0, 2):
                return None
            name, _, sub = header.partition(" ")
            if sub and not (sub.startswith('"') and sub.endswith('"')):
                return None
            if name.lower() in ("include", "includeif"):
                return None  # another file's keys count too
            section = name.lower() + ("." + sub[1:-1] if sub else "")
            continue
        key, equals, value = line.partition("=")
        key = key.strip().lower()
        if section == "extensions" and key == "worktreeconfig":
            return None  # a config.worktree may say otherwise
        if section != f"remote.{remote}" or key != "url":
            continue
        if not equals or any(char in value for char in '"\\#;'):
            return None  # a quoted, escaped, continued or commented value: git's reading
        found = value.strip()
    return found or None


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")


def plain_branch_name(name: str) -> bool:
    """A branch name that `git check-ref-format --branch` takes and that cannot read as anything
    else in a refspec or on a command line (letters, digits, '_', '-', '.', '/'; no '..', no
    leading '-', no component that begins with '.' or ends with '.lock'): a subset of git's rules,
    so that most names need no git process to be known good."""
    return (bool(name) and set(name) <= _PLAIN and name[0] not in "-./" and name[-1] not in "./"
            and ".." not in name and "//" not in name and "/." not in name and ".lock/" not in name
            and not name.endswith(".lock") and name != "HEAD")


def common_dir_of(top: str) -> str | None:
    """The repository's common git directory (a linked worktree's `commondir`, else its own)."""
    gitdir = git_dir_of(top)
    if gitdir is None:
        return None
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
            return os.path.normpath(os.path.join(gitdir, handle.read().strip()))
    except (OSError, UnicodeDecodeError):
        return os.path.normpath(gitdir)


def main_work_tree(top: str) -> str:
    """The main work tree of the repository whose work tree is at `top` (the parent of `git
    rev-parse --git-common-dir`): `top` itself unless it is a linked worktree. A project is its
    main work tree (SPEC Part 3)."""
    if os.path.isdir(os.path.join(top, ".git")):
        return top
    common = common_dir_of(top)
    if common is None or os.path.basename(common) != ".git":
        return top  # a submodule (its git directory under the parent's .git/modules), or unusual
    return os.path.dirname(common)


def worktree_heads(top: str) -> dict[str, str]:
    """Every work tree of the repository at `top` by the branch checked out in it: {branch: path},
    read from git's files (`worktrees/*/HEAD` and `gitdir`), no git process. A worktree whose
    folder was deleted by hand is still listed (git keeps its branch until `git worktree prune`)."""
    common = common_dir_of(top)
    if common is None:
        return {}
    found: dict[str, str] = {}
    main = _head_branch(common)
    if main is not None and os.path.basename(common) == ".git":
        found[main] = os.path.dirname(common)
    linked = os.path.join(common, "worktrees")
    try:
        names = sorted(os.listdir(linked))
    except OSError:
        names = []
    for name in names:
        branch = _head_branch(os.path.join(linked, name))
        if branch is None:
            continue
        try:
            with open(os.path.join(linked, name, "gitdir"), encoding="utf-8") as handle:
                dotgit = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        found[branch] = os.path.dirname(os.path.normpath(os.path.join(linked, name, dotgit)))
    return found


def refs_quick(top: str, prefix: str) -> dict[str, str] | None:
    """{refname: sha} of the refs under `prefix` (which ends in '/'), as `git for-each-ref` lists
    them, read from packed-refs and the loose ref files (a loose one wins, as in git); None when
    the files cannot give a sure answer (reftable, a symbolic or unreadable ref): ask git then."""
    common = common_dir_of(top)
    if common is None or os.path.exists(os.path.join(common, "reftable")):
        return None
    found: dict[str, str] = {}
    try:
        with open(os.path.join(common, "packed-refs"), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                sha, _, name = line.rstrip("\n").partition(" ")
                if name.startswith(prefix) and not sha.startswith(("#", "^")):
                    found[name] = sha
    except FileNotFoundError:
        pass
    except OSError:
        return None
    root = os.path.join(common, *prefix.rstrip("/").split("/"))
    if not os.path.isdir(root):
        return found  # no loose refs under it, the usual case
    try:
        return found if _loose_refs(root, prefix, found) else None
    except (OSError, UnicodeDecodeError):  # a ref packed meanwhile (git pack-refs), unreadable: ask git
        return None


_HEX = frozenset("0123456789abcdef")


def _loose_refs(folder: str, name: str, found: dict[str, str]) -> bool:
    """The ref files under `folder` into `found` (a loose one wins over packed-refs), read with
    scandir and os.read: a quarter of the time of os.walk and open() for a hundred refs, which
    sync reads after every fetch (issue 18). False for a file that is no ref git wrote."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not _loose_refs(entry.path, name + entry.name + "/", found):
                    return False
            elif not entry.name.endswith(".lock"):  # git is writing that ref (a ref's name never ends in .lock)
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    sha = os.read(fd, 128).decode("ascii").strip()
                finally:
                    os.close(fd)
                if len(sha) not in (40, 64) or not set(sha) <= _HEX:
                    return False  # a symbolic ref, or not one git wrote
                found[name + entry.name] = sha
    return True
