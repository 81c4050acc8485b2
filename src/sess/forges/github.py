"""GitHub, through the `gh` executable and its --json output: the `github` forge."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sess import forges, proc
from sess.errors import CommandError, GhUnavailable, ProgramMissing, SessError
from sess.forges import Issue, PullRequest, PullRequestState

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

GH_TIMEOUT = 60.0
EXIT_AUTH = 4  # gh's exit status when no account is logged in


class Forge(forges.Forge):
    """GitHub over gh; each call runs in the repository, as gh resolves it from there."""

    name = forges.GITHUB

    def check_ready(self) -> None:
        check_ready(self.top)

    def view_issue(self, ref: str) -> Issue:
        return view_issue(self.top, ref)

    def list_open_issues(self, limit: int = 100) -> list[Issue]:
        return list_open_issues(self.top, limit)

    def find_open_pr(self, branch: str) -> PullRequest | None:
        return find_open_pr(self.top, branch)

    def create_pr(self, base: str, branch: str, title: str, body: str, draft: bool, *,
                  reviewers: Sequence[str] = (), labels: Sequence[str] = (),
                  assignees: Sequence[str] = ()) -> PullRequest:
        return create_pr(self.top, base, branch, title, body, draft, reviewers=reviewers, labels=labels,
                         assignees=assignees)

    def view_pr(self, ref: str) -> PullRequestState:
        data = _json(_gh(self.top, "pr", "view", ref, "--json",
                         "number,url,state,headRefName,headRepositoryOwner,isCrossRepository,title"))
        owner = data.get("headRepositoryOwner") or {}
        return PullRequestState(int(data["number"]), str(data["url"]), str(data.get("state", "")).upper(),
                                str(data.get("headRefName", "")), str(owner.get("login", "")),
                                bool(data.get("isCrossRepository")), str(data.get("title", "")))

    def checkout_pr(self, ref: str, branch: str) -> None:
        _gh(self.top, "pr", "checkout", ref, f"--branch={branch}")


def _gh(repo: str, *args: str) -> str:
    try:
        return proc.run(["gh", *args], cwd=repo, timeout=GH_TIMEOUT).stdout
    except ProgramMissing as exc:
        raise GhUnavailable("gh is not installed",
                            "Install GitHub CLI (https://cli.github.com) or work without it.") from exc
    except CommandError as exc:
        if exc.returncode == EXIT_AUTH:
            raise GhUnavailable("gh is not logged in", "Run 'gh auth login'.") from exc
        raise SessError(f"gh {' '.join(args[:2])} failed: {exc.detail}") from exc


def check_ready(repo: str) -> None:
    """Fail with GhUnavailable unless gh is installed and logged in.

    `gh auth status` exits 1 when nobody is logged in, and (gh >= 2.52) when any account's token
    is invalid; 2.40-2.51 exited 0 then, so the report itself is read too. An account in trouble
    on another host than origin's does not count.
    """
    try:
        result = proc.run(["gh", "auth", "status"], cwd=repo, timeout=GH_TIMEOUT, check=False)
    except ProgramMissing as exc:
        raise GhUnavailable("gh is not installed",
                            "Install GitHub CLI (https://cli.github.com) or work without it.") from exc
    if result.ok and "Failed to log in" not in result.stdout + result.stderr:
        return
    said = result.stdout + result.stderr
    host = forges.origin_host(repo)
    if host and f"Logged in to {host} account" in said and f"Failed to log in to {host}" not in said:
        return  # only an account on another host is in trouble
    failed = re.search(r"Failed to log in to (\S+)", said)
    if failed:
        raise GhUnavailable(f"gh's login to {failed.group(1)} is no longer valid", "Run 'gh auth login'.")
    raise GhUnavailable("gh is not logged in", "Run 'gh auth login'.")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SessError(f"gh printed something that is not JSON: {text[:80]!r}") from exc


def list_open_issues(repo: str, limit: int = 100) -> list[Issue]:
    data = _json(_gh(repo, "issue", "list", "--state", "open", "--limit", str(limit),
                     "--json", "number,title,url"))
    return [_issue(item) for item in data]


def view_issue(repo: str, issue_id: str) -> Issue:
    number, ref = forges.issue_reference(issue_id)
    try:
        data = _json(_gh(repo, "issue", "view", ref, "--json", "number,title,url,state"))
    except SessError as exc:
        if "Could not resolve to an issue" in exc.message:
            where = "in this repository" if ref == number else f"at {ref}"
            raise SessError(f"issue #{number} does not exist {where} on GitHub") from None
        raise
    return _issue(data)


def _issue(data: dict[str, Any]) -> Issue:
    """An issue from gh's JSON; the title trimmed, the state as gh spells it (OPEN, CLOSED)."""
    return Issue(str(data["number"]), str(data.get("title", "")).strip(), str(data.get("url", "")),
                 str(data.get("state", "OPEN")).upper())


def find_open_pr(repo: str, branch: str) -> PullRequest | None:
    # Exactly the fields SPEC.md names; --head already selects the branch.
    data = _json(_gh(repo, "pr", "list", "--head", branch, "--state", "open",
                     "--json", "number,url,title,state"))
    for item in data:
        if str(item.get("state", "OPEN")).upper() == "OPEN":
            return PullRequest(int(item["number"]), str(item["url"]))
    return None


def create_pr(repo: str, base: str, branch: str, title: str, body: str, draft: bool, *,
              reviewers: Sequence[str] = (), labels: Sequence[str] = (), assignees: Sequence[str] = ()) -> PullRequest:
    import os
    import tempfile

    # The body goes through a private file: Linux refuses one argument over 128 KiB.
    fd, body_file = tempfile.mkstemp(prefix="pr-body-", suffix=".md", dir=_private_tmp())
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        args = ["pr", "create", f"--base={base}", f"--head={branch}", f"--title={title}",
                f"--body-file={body_file}"]
        if draft:
            args.append("--draft")
        # gh takes each of these as a repeatable flag (a comma also separates names).
        args += [f"--reviewer={name}" for name in reviewers]
        args += [f"--label={name}" for name in labels]
        args += [f"--assignee={name}" for name in assignees]
        text = _gh(repo, *args)
    finally:
        os.unlink(body_file)
    url = next((line.strip() for line in text.splitlines() if "/pull/" in line), "")
    if not url:
        raise SessError(f"gh pr create printed no pull request URL: {text.strip()[:120]!r}")
    return PullRequest(pr_number_from_url(url), url)


# A body file older than this was left by a sess that was killed while gh ran (gh's own
# timeout is a minute): nobody reads it any more.
STALE_BODY_S = 3600


def _private_tmp() -> str:
    """`tmp` in sess's state directory (0700): where PR body files live while gh reads them;
    files a killed sess left there are removed."""
    import os
    import time

    from sess.state import state_dir

    directory = os.path.join(state_dir(), "tmp")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for entry in os.scandir(directory):
        try:
            if entry.name.startswith("pr-body-") and time.time() - entry.stat().st_mtime > STALE_BODY_S:
                os.unlink(entry.path)
        except OSError:
            pass
    return directory


def pr_number_from_url(url: str) -> int:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0
