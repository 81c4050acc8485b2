"""Everything sess asks of git, as small functions over `proc.run`.

Names that come from users (branches, messages) are passed after `--` or as `--opt=value`
so they can never be read as options.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sess import proc
from sess.errors import SessError

Output = Callable[[str], None] | None


def git(repo: str, *args: str, check: bool = True, on_output: Output = None,
        timeout: float | None = proc.DEFAULT_TIMEOUT, input: str | None = None) -> proc.Result:
    return proc.run(["git", *args], cwd=repo, check=check, on_output=on_output, timeout=timeout, input=input)


def out(repo: str, *args: str) -> str:
    return git(repo, *args).stdout.strip()


def ok(repo: str, *args: str) -> bool:
    return git(repo, *args, check=False).ok


# --- where we are ---------------------------------------------------------------------------

def locate(cwd: str) -> tuple[str, str] | None:
    """(top-level path, current branch) in one git call; None outside a repository.

    The branch is "HEAD" when detached, and the unborn branch's name in an empty repository.
    """
    result = proc.run(["git", "rev-parse", "--show-toplevel", "--abbrev-ref", "HEAD"],
                      cwd=cwd, check=False)
    lines = result.stdout.splitlines()
    if result.ok and len(lines) == 2:
        return lines[0], lines[1]
    if not lines or "not a git repository" in result.stderr:
        top = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, check=False)
        if not top.ok:
            return None
        lines = top.stdout.splitlines()
    # No commits yet: HEAD names a branch that does not exist.
    unborn = proc.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=cwd, check=False)
    return lines[0], unborn.stdout.strip() or "HEAD"


def require_repo(cwd: str) -> tuple[str, str]:
    where = locate(cwd)
    if where is None:
        raise SessError("not a git repository", "Run sess inside a git repository.")
    return where


def has_commits(repo: str) -> bool:
    return ok(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}")


def current_branch(repo: str) -> str:
    """The checked-out branch, or "HEAD" when detached."""
    result = git(repo, "symbolic-ref", "--short", "-q", "HEAD", check=False)
    return result.stdout.strip() if result.ok else "HEAD"


def head_sha(repo: str) -> str:
    return out(repo, "rev-parse", "HEAD")


def git_dir(repo: str) -> str:
    return os.path.join(repo, out(repo, "rev-parse", "--git-dir"))


# --- refs --------------------------------------------------------------------------------------

def valid_branch_name(repo: str, name: str) -> bool:
    if not name or name.startswith("-"):
        return False
    return ok(repo, "check-ref-format", "--branch", name)


def branch_exists(repo: str, branch: str) -> bool:
    return ok(repo, "show-ref", "--verify", "--quiet", f"refs/heads/{branch}")


def remote_branch_exists(repo: str, branch: str, remote: str = "origin") -> bool:
    """Whether our remote-tracking ref for the branch exists (no network)."""
    return ok(repo, "show-ref", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}")


def rev(repo: str, ref: str) -> str | None:
    result = git(repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
    return result.stdout.strip() if result.ok else None


def has_remote(repo: str, name: str = "origin") -> bool:
    return name in out(repo, "remote").split()


def remote_head_branch(repo: str, remote: str = "origin") -> str | None:
    """The branch `origin/HEAD` points at, e.g. "main"."""
    result = git(repo, "symbolic-ref", "--short", "-q", f"refs/remotes/{remote}/HEAD", check=False)
    ref = result.stdout.strip()
    prefix = f"{remote}/"
    return ref[len(prefix):] if result.ok and ref.startswith(prefix) else None


def commits_ahead(repo: str, base: str, head: str = "HEAD") -> int:
    return int(out(repo, "rev-list", "--count", f"{base}..{head}"))


def is_ancestor(repo: str, ancestor: str, descendant: str) -> bool:
    return ok(repo, "merge-base", "--is-ancestor", ancestor, descendant)


def ls_remote_branch(repo: str, branch: str, remote: str = "origin") -> str | None:
    """The sha the remote has for the branch, asked of the remote itself."""
    text = out(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    for line in text.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


# --- working tree ------------------------------------------------------------------------------

def status_lines(repo: str) -> list[str]:
    return [line for line in out_raw(repo, "status", "--porcelain=v1", "--untracked-files=all").splitlines() if line]


def changed_paths(repo: str) -> list[str]:
    """Every path with uncommitted changes (untracked ones too), as git names them."""
    text = out_raw(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    paths: list[str] = []
    fields = iter(text.split("\0"))
    for field in fields:
        if len(field) > 3:
            paths.append(field[3:])
            if field[0] in "RC":
                next(fields, None)  # a rename's source follows
    return paths


def out_raw(repo: str, *args: str) -> str:
    return git(repo, *args).stdout


def is_dirty(repo: str) -> bool:
    return bool(status_lines(repo))


def conflicted_files(repo: str) -> list[str]:
    return [line for line in out_raw(repo, "diff", "--name-only", "--diff-filter=U").splitlines() if line]


def rebase_in_progress(repo: str) -> bool:
    gd = git_dir(repo)
    return os.path.isdir(os.path.join(gd, "rebase-merge")) or os.path.isdir(os.path.join(gd, "rebase-apply"))


# --- changes -----------------------------------------------------------------------------------

def checkout(repo: str, branch: str) -> None:
    git(repo, "checkout", "--quiet", branch, "--")


def create_branch(repo: str, branch: str) -> None:
    git(repo, "checkout", "--quiet", "-b", branch)


def delete_branch(repo: str, branch: str, force: bool = False) -> None:
    git(repo, "branch", "-D" if force else "-d", "--", branch)


def commit_all(repo: str, message: str) -> str:
    git(repo, "add", "--all")
    # The user's own hooks (pre-commit, commit-msg) run: their rules apply to sess's commits too.
    # The message goes through stdin: Linux refuses one argument over 128 KiB.
    git(repo, "commit", "--quiet", "--file=-", input=message)
    return head_sha(repo)


def stash_push(repo: str, message: str) -> str:
    """Stash everything (untracked too) and return the stash commit's sha."""
    git(repo, "stash", "push", "--quiet", "--include-untracked", f"--message={message}")
    return out(repo, "rev-parse", "refs/stash")


def stash_index(repo: str, sha: str) -> int | None:
    listing = git(repo, "stash", "list", "--format=%H", check=False).stdout.split()
    return listing.index(sha) if sha in listing else None


def stash_pop(repo: str, sha: str) -> None:
    index = stash_index(repo, sha)
    if index is None:
        raise SessError(f"stash {sha[:12]} is gone; nothing to restore")
    # --index puts staged changes back as staged; when it cannot, git changes nothing and says so.
    if not ok(repo, "stash", "pop", "--quiet", "--index", f"stash@{{{index}}}"):
        git(repo, "stash", "pop", "--quiet", f"stash@{{{index}}}")


def stash_drop(repo: str, sha: str) -> None:
    index = stash_index(repo, sha)
    if index is not None:
        git(repo, "stash", "drop", "--quiet", f"stash@{{{index}}}")


def reset_hard(repo: str, ref: str = "HEAD") -> None:
    git(repo, "reset", "--quiet", "--hard", ref)


def write_tree(repo: str) -> str | None:
    """The index as a tree object, to put it back exactly; None when it cannot be written."""
    result = git(repo, "write-tree", check=False)
    return result.stdout.strip() if result.ok else None


def uncommit(repo: str, commit: str, parent: str, index_tree: str | None) -> None:
    """Undo `commit` (HEAD) back to `parent`, keeping the working tree and restoring the index."""
    if head_sha(repo) != commit:
        raise SessError(f"HEAD is no longer {commit[:12]}; your changes are kept in that commit")
    if index_tree is None:
        reset_mixed(repo, parent)
        return
    git(repo, "reset", "--quiet", "--soft", parent)
    git(repo, "read-tree", index_tree)


def reset_mixed(repo: str, ref: str) -> None:
    """Move the branch back to ref, keeping the changes in the working tree."""
    git(repo, "reset", "--quiet", "--mixed", ref)


def user_name(repo: str) -> str:
    """git's `user.name`, or "" when it is not set."""
    return git(repo, "config", "--get", "user.name", check=False).stdout.strip()


def last_commit_subject(repo: str, ref: str = "HEAD") -> str:
    return out(repo, "log", "-1", "--format=%s", ref, "--")

