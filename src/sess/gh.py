"""Everything sess asks of GitHub, through the `gh` executable and its --json output."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sess import proc
from sess.errors import CommandError, GhUnavailable, ProgramMissing, SessError

GH_TIMEOUT = 60.0
EXIT_AUTH = 4  # gh's exit status when no account is logged in


class Issue(NamedTuple):
    id: str
    title: str
    url: str = ""
    state: str = "OPEN"


class PullRequest(NamedTuple):
    number: int
    url: str


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
    number = issue_id.lstrip("#")
    if not number.isdigit():
        raise SessError(f"issue '{issue_id}' is not a GitHub issue number")
    data = _json(_gh(repo, "issue", "view", number, "--json", "number,title,url,state"))
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


def create_pr(repo: str, base: str, branch: str, title: str, body: str, draft: bool) -> PullRequest:
    args = ["pr", "create", f"--base={base}", f"--head={branch}", f"--title={title}", f"--body={body}"]
    if draft:
        args.append("--draft")
    text = _gh(repo, *args)
    url = next((line.strip() for line in text.splitlines() if "/pull/" in line), "")
    if not url:
        raise SessError(f"gh pr create printed no pull request URL: {text.strip()[:120]!r}")
    return PullRequest(pr_number_from_url(url), url)


def pr_number_from_url(url: str) -> int:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0
