"""Everything sess asks of git, as small functions over `proc.run`.

Names that come from users (branches, messages) are passed after `--` or as `--opt=value`
so they can never be read as options.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sess import proc, spawn
from sess.errors import SessError
from sess.gitfiles import branch_exists_quick, git_dir_of, locate_quick, plain_branch_name
from sess.records import NamedTuple

__all__ = ["branch_exists_quick", "locate_quick"]  # read from git's files; here for callers of git

Output = Callable[[str], None] | None


def git(repo: str, *args: str, check: bool = True, on_output: Output = None,
        timeout: float | None = proc.DEFAULT_TIMEOUT, input: str | None = None,
        on_start: Callable[[int], None] | None = None) -> proc.Result:
    result = proc.run(["git", *args], cwd=repo, check=check, on_output=on_output, timeout=timeout, input=input,
                      on_start=on_start)
    if "is ambiguous." in result.stderr or (on_output is not None and "is ambiguous." in result.stdout):
        _refuse_ambiguous(result)
    return result


def _refuse_ambiguous(result: proc.Result) -> None:
    """sess names refs in full (`refs/remotes/origin/main`), so git never has to guess which of a
    tag, a branch or a remote-tracking ref of one name is meant; if it still had to, that is an
    error, never a guess taken quietly."""
    import re

    found = re.search(r"warning: refname '([^']*)' is ambiguous\.", result.stderr + result.stdout)
    if found:
        raise SessError(f"git {result.argv[1] if len(result.argv) > 1 else ''}: the ref name '{found.group(1)}' "
                        "is ambiguous (a tag or branch of that name exists too)",
                        "Rename or delete the one that is not meant (git tag -d / git branch -m), then try again.")


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
    where = locate_quick(cwd)
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
    """The git directory of the work tree at `repo` (its top)."""
    return git_dir_of(repo) or os.path.join(repo, out(repo, "rev-parse", "--git-dir"))


# --- refs --------------------------------------------------------------------------------------

def valid_branch_name(repo: str, name: str) -> bool:
    if not name or name.startswith("-"):
        return False
    return plain_branch_name(name) or ok(repo, "check-ref-format", "--branch", name)


class Refs(NamedTuple):
    """Every local branch and remote-tracking ref, read in one `git for-each-ref`."""

    heads: dict[str, str]  # branch -> sha
    remotes: dict[str, str]  # "origin/main" -> sha
    symrefs: dict[str, str]  # "origin/HEAD" -> "origin/main"
    worktrees: dict[str, str] = {}  # branch -> the work tree it is checked out in (this one too)

    def branch(self, name: str) -> str | None:
        return self.heads.get(name)

    def remote_branch(self, name: str, remote: str = "origin") -> str | None:
        return self.remotes.get(f"{remote}/{name}")

    def known(self, name: str, remote: str = "origin") -> bool:
        """A branch here or on the remote (as last fetched)."""
        return name in self.heads or f"{remote}/{name}" in self.remotes

    def remote_head(self, remote: str = "origin") -> str | None:
        """The branch `origin/HEAD` points at, e.g. "main"."""
        target = self.symrefs.get(f"{remote}/HEAD", "")
        return target[len(remote) + 1:] if target.startswith(f"{remote}/") else None

    def has_remote(self, remote: str = "origin") -> bool:
        """Whether any ref of the remote was ever fetched (`git remote remove` deletes them)."""
        prefix = f"{remote}/"
        return any(name.startswith(prefix) for name in self.remotes)


_REFS, _STATUS = spawn.REFS, spawn.STATUS


def _early(repo: str, args: tuple[str, ...]) -> proc.Running | None:
    """The look sess.spawn started for these arguments, if it did."""
    process = spawn.take(repo, args)
    return proc.adopt(["git", *args], process) if process is not None else None


def _output(repo: str, args: tuple[str, ...]) -> str:
    started = _early(repo, args)
    return started.wait().stdout if started is not None else out_raw(repo, *args)


def refs(repo: str) -> Refs:
    text = _output(repo, _REFS)
    heads: dict[str, str] = {}
    remotes: dict[str, str] = {}
    symrefs: dict[str, str] = {}
    worktrees: dict[str, str] = {}
    for line in text.splitlines():
        name, sha, symref, worktree = (line.split("\0") + ["", "", ""])[:4]
        if name.startswith("refs/heads/"):
            heads[name[len("refs/heads/"):]] = sha
            if worktree:
                worktrees[name[len("refs/heads/"):]] = worktree
        elif name.startswith("refs/remotes/"):
            short = name[len("refs/remotes/"):]
            if symref.startswith("refs/remotes/"):
                symrefs[short] = symref[len("refs/remotes/"):]
            else:
                remotes[short] = sha
    return Refs(heads, remotes, symrefs, worktrees)


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


def commits_ahead(repo: str, base: str, head: str = "HEAD") -> int:
    return int(out(repo, "rev-list", "--count", f"{base}..{head}"))


def left_right(repo: str, ours: str, theirs: str) -> tuple[int, int] | None:
    """(commits only `ours` has, commits only `theirs` has); None when either does not exist."""
    result = git(repo, "rev-list", "--left-right", "--count", f"{ours}...{theirs}", "--", check=False)
    counts = result.stdout.split()
    if not result.ok or len(counts) != 2:
        return None
    return int(counts[0]), int(counts[1])


def is_ancestor(repo: str, ancestor: str, descendant: str) -> bool:
    return ok(repo, "merge-base", "--is-ancestor", ancestor, descendant)


def fetch_branch(repo: str, branch: str, remote: str = "origin") -> proc.Running:
    """Start fetching one branch of the remote (what `git pull REMOTE BRANCH` fetches first)."""
    args = spawn.fetch_args(branch, remote)
    started = _early(repo, args)
    if started is not None:
        return started
    # One started on a guess that proved wrong finishes first: FETCH_HEAD is then this one's.
    for guessed in spawn.untaken_fetches(repo):
        proc.adopt(["git", "fetch"], guessed).wait(check=False)
    return proc.start(["git", *args], cwd=repo)


def fetched_head(repo: str) -> str | None:
    """The commit the last fetch of one branch brought: the first line of FETCH_HEAD."""
    try:
        with open(os.path.join(git_dir(repo), "FETCH_HEAD"), encoding="utf-8") as handle:
            sha = handle.readline().split("\t", 1)[0].strip()
    except (OSError, UnicodeDecodeError):
        sha = ""
    return sha if len(sha) in (40, 64) else rev(repo, "FETCH_HEAD")


def ls_remote_branch(repo: str, branch: str, remote: str = "origin") -> str | None:
    """The sha the remote has for the branch, asked of the remote itself."""
    text = out(repo, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    for line in text.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return None


def ls_remote_ref(repo: str, remote: str, ref: str) -> str | None:
    """The sha `remote` (a name or a URL) has for the full ref `ref`, asked of the remote itself."""
    text = out(repo, "ls-remote", "--", remote, ref)
    for line in text.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref:
            return sha
    return None


# --- working tree ------------------------------------------------------------------------------

class WorkTree(NamedTuple):
    """The checked-out branch and the uncommitted changes, from one `git status`."""

    branch: str  # "HEAD" when detached
    head: str | None  # None before the first commit
    changed: tuple[str, ...]  # every path with uncommitted changes, untracked ones too
    unmerged: tuple[str, ...] = ()  # paths with unresolved conflicts (also in `changed`)
    untracked: tuple[str, ...] = ()  # new files git does not know yet (also in `changed`)
    added: tuple[str, ...] = ()  # new files the user added to the index (also in `changed`)
    deleted: tuple[str, ...] = ()  # (also in `changed`)
    submodules_inside_only: tuple[str, ...] = ()  # submodules changed only inside: no new commit of theirs
    submodules: tuple[str, ...] = ()  # submodules with any change (also in `changed`)

    @property
    def dirty(self) -> bool:
        return bool(self.changed)


def work_tree(repo: str) -> WorkTree:
    return _work_tree(_output(repo, _STATUS))


def work_tree_now(repo: str) -> WorkTree:
    """`work_tree` as it is now (never the look started when sess started)."""
    return _work_tree(out_raw(repo, *_STATUS))


def work_tree_fresh(repo: str) -> WorkTree:
    """`work_tree` as it is now: the look `spawn.prefetch_status` started when sess started, if
    nothing has moved HEAD or the index since it began (checked once it has finished, with the
    project's lock held), else a new one."""
    started = _early(repo, _STATUS)
    if started is not None:
        result = started.wait(check=False)
        if result.returncode == 0 and spawn.unchanged_since_prefetch(repo):
            return _work_tree(result.stdout)
    return work_tree_now(repo)


class PendingWorkTree:
    """`work_tree` started in the background; `wait()` gives its answer."""

    def __init__(self, repo: str) -> None:
        self._running = _early(repo, _STATUS) or proc.start(["git", *_STATUS], cwd=repo)

    def wait(self) -> WorkTree:
        return _work_tree(self._running.wait().stdout)


def work_tree_start(repo: str) -> PendingWorkTree:
    return PendingWorkTree(repo)


def _work_tree(text: str) -> WorkTree:
    branch, head, changed, unmerged = "HEAD", None, [], []
    untracked: list[str] = []
    added: list[str] = []
    deleted: list[str] = []
    inside_only: list[str] = []
    submodules: list[str] = []
    fields = iter(text.split("\0"))
    for field in fields:
        if field.startswith("# branch.head "):
            name = field[len("# branch.head "):]
            branch = "HEAD" if name == "(detached)" else name
        elif field.startswith("# branch.oid "):
            oid = field[len("# branch.oid "):]
            head = None if oid == "(initial)" else oid
        elif field[:2] in ("1 ", "u "):
            parts = field.split(" ", 8 if field[0] == "1" else 10)
            changed.append(parts[-1])
            if field[0] == "u":
                unmerged.append(changed[-1])
            else:
                _note_change(parts[1], parts[2], changed[-1], added, deleted, inside_only, submodules)
        elif field.startswith("2 "):
            parts = field.split(" ", 9)
            changed.append(parts[-1])
            _note_change(parts[1], parts[2], changed[-1], added, deleted, inside_only, submodules)
            next(fields, None)  # the path it was renamed or copied from
        elif field.startswith("? "):
            changed.append(field[2:])
            untracked.append(field[2:])
    return WorkTree(branch, head, tuple(changed), tuple(unmerged), tuple(untracked), tuple(added), tuple(deleted),
                    tuple(inside_only), tuple(submodules))


def _note_change(xy: str, sub: str, path: str, added: list[str], deleted: list[str], inside_only: list[str],
                 submodules: list[str]) -> None:
    """From one `git status --porcelain=v2` entry: XY (index, work tree) and the submodule state
    `S<commit changed><tracked changes><untracked files>` (`N...` for no submodule)."""
    if xy[:1] == "A":
        added.append(path)
    elif "D" in xy:
        deleted.append(path)
    if sub.startswith("S"):
        submodules.append(path)
    if sub.startswith("S") and len(sub) == 4 and sub[1] == "." and xy[:1] == ".":
        inside_only.append(path)


def changed_paths(repo: str) -> list[str]:
    """Every path with uncommitted changes (untracked ones too), as git names them: the `git
    status` that `work_tree` reads, without the branch header (and its ahead/behind count)."""
    return list(_work_tree(out_raw(repo, *(arg for arg in _STATUS if arg != "--branch"))).changed)


def out_raw(repo: str, *args: str) -> str:
    return git(repo, *args).stdout


def is_dirty(repo: str) -> bool:
    return bool(changed_paths(repo))


def last_activity(repo: str, branch: str, with_worktree: bool) -> float | None:
    """Epoch of the newest of: the latest commit on `branch`, and (with_worktree) the modification
    time of a changed or untracked file. One `git log`, one `git status`, a stat per listed file."""
    newest: float | None = None
    log = git(repo, "log", "-1", "--format=%ct", f"refs/heads/{branch}", "--", check=False)
    if log.ok and log.stdout.strip().isdigit():
        newest = float(log.stdout.strip())
    if not with_worktree:
        return newest
    try:
        paths = changed_paths(repo)
    except SessError:
        return newest
    for path in paths:
        try:
            mtime = os.lstat(os.path.join(repo, path)).st_mtime
        except OSError:
            continue  # deleted: when is not recorded anywhere
        newest = mtime if newest is None else max(newest, mtime)
    return newest


def count_commits(repo: str, ref: str, *excluding: str) -> int:
    """Commits reachable from ref but from none of `excluding` (refs, or --remotes=origin)."""
    return int(out(repo, "rev-list", "--count", ref, "--not", *excluding, "--"))


def conflicted_files(repo: str) -> list[str]:
    return [line for line in out_raw(repo, "diff", "--name-only", "--diff-filter=U").splitlines() if line]


def unconcluded(repo: str, tree: WorkTree | None = None, heads_only: bool = False) -> tuple[str, str] | None:
    """(what, hint) when a merge, cherry-pick or revert is under way or paths are still unmerged:
    committing would take its conflict markers along, stashing or switching would drop MERGE_HEAD.
    `heads_only`: look only at git's files (no git call) for the first."""
    gd = git_dir(repo)
    for head, what, abort in (("MERGE_HEAD", "a merge", "git merge --abort"),
                              ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --abort"),
                              ("REVERT_HEAD", "a revert", "git revert --abort")):
        if not os.path.exists(os.path.join(gd, head)):
            continue
        try:
            with open(os.path.join(gd, "MERGE_MSG"), encoding="utf-8", errors="replace") as handle:
                subject = handle.readline().strip()
        except OSError:
            subject = ""
        unmerged = tree.unmerged if tree is not None else tuple(conflicted_files(repo))
        named = f"{what} is not concluded" + (f" ({subject})" if subject and what == "a merge" else "")
        if unmerged:
            named += f"; unresolved conflicts in {_shown_paths(unmerged)}"
        return named, f"Resolve it and conclude it ('git commit'), or undo it ('{abort}'); then try again."
    if heads_only:
        return None
    unmerged = tree.unmerged if tree is not None else tuple(conflicted_files(repo))
    if unmerged:
        return (f"unresolved conflicts in {_shown_paths(unmerged)}",
                "Resolve them and 'git add' them (or 'git checkout --merge' / 'git restore'), then try again.")
    return None


def _shown_paths(paths: tuple[str, ...], most: int = 5) -> str:
    return ", ".join(paths[:most]) + (f" and {len(paths) - most} more" if len(paths) > most else "")


def merges(repo: str, since: str, ref: str) -> list[tuple[str, str]]:
    """(sha, subject) of the merge commits in since..ref."""
    text = out_raw(repo, "log", "--min-parents=2", "--format=%H%x00%s", f"{since}..{ref}", "--")
    return [(sha, subject) for sha, _, subject in (line.partition("\0") for line in text.splitlines() if line)]


def without_counterpart(repo: str, before: str, after: str) -> list[tuple[str, str]]:
    """(sha, subject) of the commits of `before` (merges aside) that `after` lacks: neither the
    commit itself, nor one with the same patch (`git cherry`: a rebase's copy, or one upstream
    already has), nor one with the same author, author date and subject (a copy whose conflict
    was resolved, so its patch changed)."""
    marked = out_raw(repo, "cherry", after, before).splitlines()
    candidates = [line[2:].strip() for line in marked if line.startswith("+ ")]
    if not candidates:
        return []
    identity = "--format=%H%x00%an <%ae> %ad%x00%s"
    copies = {line.split("\0", 1)[1] for line in out_raw(repo, "log", "--no-merges", "--date=raw", identity,
                                                        f"{before}..{after}", "--").splitlines() if "\0" in line}
    missing = []
    for line in out_raw(repo, "log", "--no-walk=unsorted", "--date=raw", identity, *candidates, "--").splitlines():
        sha, _, rest = line.partition("\0")
        if rest not in copies:
            missing.append((sha, rest.rsplit("\0", 1)[-1]))
    return missing


def only_copies_of(repo: str, original: str, head: str, upstream: str) -> bool:
    """Whether `head` is `upstream` plus copies of `original`'s own commits and nothing else (what
    a rebase of `original` onto `upstream` makes): every commit of upstream..head has its patch
    among them."""
    marked = out_raw(repo, "cherry", original, head, upstream).splitlines()
    return is_ancestor(repo, upstream, head) and bool(marked) and all(line.startswith("- ") for line in marked)


def merged_tree(repo: str, ours: str, theirs: str) -> str | None:
    """The tree a merge of `ours` and `theirs` gives, when it has no conflicts; None when it has,
    or this git cannot say (merge-tree --write-tree: git 2.38)."""
    result = git(repo, "merge-tree", "--write-tree", "--no-messages", ours, theirs, check=False)
    return result.stdout.split()[0] if result.returncode == 0 and result.stdout.split() else None


def rebase_in_progress(repo: str) -> bool:
    gd = git_dir(repo)
    return os.path.isdir(os.path.join(gd, "rebase-merge")) or os.path.isdir(os.path.join(gd, "rebase-apply"))


# --- changes -----------------------------------------------------------------------------------

def checkout(repo: str, branch: str) -> None:
    git(repo, "checkout", "--quiet", branch, "--")


def create_branch(repo: str, branch: str) -> None:
    """`git checkout -b BRANCH`, as `git switch --create`: the same branch, reflog and
    post-checkout hook, but switch sees that a new branch at HEAD leaves the index and the work
    tree as they are and skips checkout's scan of every file (27 ms against 2 in a repository of
    20,000 files)."""
    git(repo, "switch", "--quiet", f"--create={branch}")


def delete_branch(repo: str, branch: str, force: bool = False) -> None:
    git(repo, "branch", "-D" if force else "-d", "--", branch)


def commit_all(repo: str, message: str, paths: tuple[str, ...] | None = None,
               leaving: tuple[str, ...] = ()) -> str:
    """Commit every change (only `paths` need looking at, when the caller knows them; never
    `leaving`) and return the new commit's sha."""
    if paths is not None and any("\ufffd" in path for path in paths):
        # A file name that is not UTF-8 cannot be named back to git as it was read: add all, but
        # what is to be left out.
        paths = None
    if paths is None:
        git(repo, "add", "--all", "--", ":/", *(f":(top,exclude,literal){path}" for path in leaving))
    else:  # as literal paths through stdin: no globbing, no argument-length limit
        git(repo, "--literal-pathspecs", "add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul",
            input="\0".join(paths))
    # The user's own hooks (pre-commit, commit-msg) run: their rules apply to sess's commits too.
    # The message goes through stdin: Linux refuses one argument over 128 KiB.
    git(repo, "commit", "--quiet", "--file=-", input=message)
    return head_sha(repo)


class StashPush:
    """A `git stash push --include-untracked` about to run, and the rollback that pops what it
    made: refs/stash is read once before it, for both.

    git saves nothing, and says so with exit 0, when the only changes are inside a submodule
    (which git stash does not reach): refs/stash is then the user's own older stash, never to be
    taken for this one (issue 15, item 2). That is an error naming the submodules."""

    def __init__(self, repo: str, message: str) -> None:
        self.repo, self.message = repo, message
        self.before = rev(repo, "refs/stash")

    def run(self) -> str:
        """Stash everything (untracked too); the new stash commit's sha."""
        repo = self.repo
        git(repo, "stash", "push", "--quiet", "--include-untracked", f"--message={self.message}")
        after = rev(repo, "refs/stash")
        if after is None or after == self.before:
            inside = changed_submodules(repo)
            if inside:
                named = ", ".join(inside[:3]) + (f" and {len(inside) - 3} more" if len(inside) > 3 else "")
                raise SessError(f"the changes inside submodule {named} cannot be set aside (git stash does not "
                                "reach into submodules)",
                                f"Commit or stash them in the submodule itself (git -C {inside[0]} stash), then "
                                "try again. Nothing was changed.")
            raise SessError("git stash saved nothing of the changes", "Nothing was changed; look at 'git status'.")
        return after

    def restore(self) -> None:
        """The rollback, in place before `run` (an interruption may land just as git finishes):
        pops the stash it made, if it made one (refs/stash moved, and to a stash of this message),
        else does nothing."""
        sha = rev(self.repo, "refs/stash")
        if sha is None or sha == self.before:
            return  # nothing was stashed; whatever is there is the user's
        if out(self.repo, "log", "-1", "--format=%s", sha).endswith(self.message):
            stash_pop(self.repo, sha)


def changed_submodules(repo: str) -> list[str]:
    """The submodules with changes of their own (a new commit checked out, or edits inside)."""
    text = out_raw(repo, "status", "--porcelain=v2", "-z", "--untracked-files=no", "--ignore-submodules=none")
    found = []
    for field in text.split("\0"):
        parts = field.split(" ", 8)
        if field.startswith("1 ") and len(parts) == 9 and parts[2].startswith("S"):
            found.append(parts[8])
    return found


def submodules_left(repo: str) -> str | None:
    """After a stash: what it could not take (changes inside submodules, which stay as they are).
    Only a repository with submodules is asked (one more `git status` otherwise spent on nothing)."""
    inside = changed_submodules(repo) if os.path.exists(os.path.join(repo, ".gitmodules")) else []
    if not inside:
        return None
    named = ", ".join(inside[:3]) + (f" and {len(inside) - 3} more" if len(inside) > 3 else "")
    return f"changes inside submodule {named} cannot be set aside: they stay as they are"


def stash_untracked(repo: str, sha: str) -> list[str]:
    """The untracked files a stash holds (its third parent, when it has one)."""
    if rev(repo, f"{sha}^3") is None:
        return []
    return [path for path in out_raw(repo, "ls-tree", "-r", "-z", "--name-only", f"{sha}^3", "--").split("\0")
            if path]


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


def uncommit_if_made(repo: str, parent: str, index_tree: str | None) -> None:
    """Undo a commit on `parent` that may or may not have been made (interrupted): the index as
    it was, the changes kept in the working tree."""
    head = head_sha(repo)
    if head == parent:
        if index_tree is not None:
            git(repo, "read-tree", index_tree)  # `git add` may have run
        return
    if rev(repo, f"{head}~1") != parent:
        raise SessError(f"HEAD is no longer on {parent[:12]}; your changes are kept in {head[:12]}")
    uncommit(repo, head, parent, index_tree)


def reset_mixed(repo: str, ref: str) -> None:
    """Move the branch back to ref, keeping the changes in the working tree."""
    git(repo, "reset", "--quiet", "--mixed", ref)


def user_name(repo: str) -> str:
    """git's `user.name`, or "" when it is not set."""
    return git(repo, "config", "--get", "user.name", check=False).stdout.strip()


def last_commit_subject(repo: str, ref: str = "HEAD") -> str:
    return out(repo, "log", "-1", "--format=%s", ref, "--")



def remote_url(repo: str, name: str) -> str | None:
    """The URL of remote `name` as git (and gh) use it, insteadOf applied; None without that remote."""
    result = proc.run(["git", "remote", "get-url", "--", name], cwd=repo, check=False)
    return (result.stdout.strip() or None) if result.ok else None


# --- parked changes (SPEC Part 3): a stash entry, known by its commit id ------------------------

def apply_parked(repo: str, sha: str) -> None:
    """Apply a parked stash commit by its id (found even after other stashes, or a hand drop, as
    long as git keeps the commit). CommandError when it does not apply cleanly; the entry stays."""
    if not ok(repo, "stash", "apply", "--quiet", "--index", sha):
        git(repo, "stash", "apply", "--quiet", sha)


def parked_exists(repo: str, sha: str) -> bool:
    return ok(repo, "cat-file", "-e", f"{sha}^{{commit}}")


def parked_untracked(repo: str, sha: str) -> list[str]:
    """The untracked files a parked entry holds (its third parent's tree)."""
    result = git(repo, "ls-tree", "-r", "-z", "--name-only", f"{sha}^3", "--", check=False)
    return [path for path in result.stdout.split("\0") if path] if result.ok else []


def parked_is_applied(repo: str, sha: str) -> bool:
    """Whether the work tree already holds a parked entry's changes (an interrupted switch had
    applied them): the tracked files as the entry has them, its untracked files present."""
    if not ok(repo, "diff", "--quiet", sha, "--"):
        return False
    return all(os.path.lexists(os.path.join(repo, path)) for path in parked_untracked(repo, sha))


def take_back_applied(repo: str, sha: str) -> None:
    """Undo a (partly) applied parked entry on a tree that was clean before: tracked files back to
    HEAD, the untracked files it brought removed. The entry itself is kept."""
    reset_hard(repo)
    for path in parked_untracked(repo, sha):
        full = os.path.join(repo, path)
        if os.path.lexists(full) and not os.path.isdir(full):
            os.unlink(full)
