"""The forges pull requests go to: one interface that workflows ask, one module per forge.

`Forge` is what the rest of sess may ask of a forge (SPEC Part 3, STYLE.md point 8): whether its
CLI is ready for origin's host, the open PR of a branch, a new PR, a PR's state, an issue, the
open issues, checking out a PR. `github` answers over `gh`; no other module names gh. `open_forge`
is the one place that decides which forge a repository has: origin's exact host (github.com,
gitlab.com), else the configured `forge.type`.

Loading this package loads no forge: `sess start` without `--issue` never imports gh's code, and
`status` and `prompt` import none of this.
"""

from __future__ import annotations

from sess.errors import ForgeUnavailable as ForgeUnavailable
from sess.errors import SessError
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from sess.config import Config

GITHUB = "github"
GITLAB = "gitlab"
# Hosts whose forge is known without configuration (exact match only: a self-hosted
# GitHub Enterprise or GitLab says so with forge.type and forge.host).
KNOWN_HOSTS = {"github.com": GITHUB, "gitlab.com": GITLAB}
TYPES = (GITHUB, GITLAB)
# Where a forge keeps its own copy of a PR's head (GitHub's refs/pull/N/head, GitLab's
# refs/merge-requests/N/head): read-only, so a checkout that tracks one takes no pushes.
READ_ONLY_HEADS = ("refs/pull/", "refs/merge-requests/")


class Issue(NamedTuple):
    id: str
    title: str
    url: str = ""
    state: str = "OPEN"


class PullRequest(NamedTuple):
    number: int
    url: str
    # A PR that was created although a later part of creating it failed (a reviewer that could
    # not be requested, say): what the forge said.
    warning: str = ""


class PullRequestState(NamedTuple):
    """A PR as `view_pr` sees it (for `reopen` and `start --pr`)."""

    number: int
    url: str
    state: str  # OPEN, CLOSED, MERGED
    head_branch: str = ""
    head_owner: str = ""  # the login owning the head repository
    cross_repository: bool = False  # the head is in a fork
    title: str = ""


class UnknownForge(SessError):
    """Origin is on a host that is no known forge, and forge.type does not say which it is."""

    def __init__(self, host: str, instead: str) -> None:
        super().__init__(f"origin is on {host}, which is not a forge sess knows",
                         f"Set forge.type (github or gitlab; forge.host for a self-hosted one) in .sess.toml or "
                         f"your configuration; or {instead}.")
        self.host = host


class Settings(NamedTuple):
    """What the configuration says about the forge: forge.type, forge.host, pr.repo."""

    type: str | None = None
    host: str | None = None
    repo: str | None = None  # OWNER/NAME the pull requests go to

    @classmethod
    def of(cls, cfg: Config) -> Settings:
        return cls(cfg.forge_type, cfg.forge_host, cfg.pr_repo)


class Forge:
    """What sess asks of a forge. Each method raises ForgeUnavailable when the forge's CLI is
    missing or logged out, SessError when it failed otherwise."""

    name = ""  # github, gitlab
    cli = ""  # the program it runs: gh, glab

    def __init__(self, top: str, settings: Settings | None = None) -> None:
        self.top = top
        self.settings = settings or Settings()

    def version(self) -> str | None:
        """The first line of `<cli> --version`; None when the CLI is not installed or does not run
        (for `sess doctor`)."""
        from sess import proc
        from sess.errors import SessError

        try:
            result = proc.run([self.cli, "--version"], cwd=self.top, check=False, timeout=30)
        except SessError:
            return None
        first = (result.stdout.splitlines() or [""])[0].strip()
        return first if result.ok and first else None

    def check_ready(self) -> None:
        """Fail with ForgeUnavailable unless the CLI is installed and logged in for origin's host."""
        raise NotImplementedError

    def pr_repo(self) -> str | None:
        """The path of the repository pull requests go to (OWNER/NAME, GROUP/SUBGROUP/NAME), as
        in their URLs: pr.repo, else origin's (GitHub overrides it); None when unknown."""
        return self.settings.repo or origin_repo(self.top)

    def view_issue(self, ref: str) -> Issue:
        raise NotImplementedError

    def list_open_issues(self, limit: int = 100) -> list[Issue]:
        return self.listing_open_issues(limit)()

    def listing_open_issues(self, limit: int = 100) -> Callable[[], list[Issue]]:
        """list_open_issues with the CLI started now: the picker's list is asked while sess goes on
        (loading the prompt library costs as much as the CLI's answer). Calling what it returns
        waits for the CLI, on the calling thread, and raises as list_open_issues would."""
        raise NotImplementedError

    def find_open_pr(self, branch: str) -> PullRequest | None:
        """The open pull request whose head is `branch` of the repository sess pushes to."""
        raise NotImplementedError

    def create_pr(self, base: str, branch: str, title: str, body: str, draft: bool, *,
                  reviewers: Sequence[str] = (), labels: Sequence[str] = (),
                  assignees: Sequence[str] = ()) -> PullRequest:
        raise NotImplementedError

    def view_pr(self, ref: str) -> PullRequestState:
        raise NotImplementedError

    def checkout_pr(self, ref: str, branch: str) -> None:
        """Check out the head of PR `ref` as the local branch `branch`, its upstream set to the head."""
        raise NotImplementedError

    def takes_review_pushes(self, number: int, ref: str) -> bool:
        """Whether commits can go to the head of PR `number`, which `checkout_pr` checked out with
        `ref` (branch.B.merge) as its upstream; asked by a review's `end` with something to push."""
        return not ref.startswith(READ_ONLY_HEADS)


def forge_type(origin_host: str | None, settings: Settings) -> str | None:
    """Which forge: origin's exact host when it is a known one, else forge.type, else None."""
    if origin_host and origin_host.lower() in KNOWN_HOSTS:
        return KNOWN_HOSTS[origin_host.lower()]
    return settings.type


def open_forge(top: str, settings: Settings | None = None, instead: str = "work without it") -> Forge:
    """The forge of the repository at `top`; nothing is run until it is asked something.

    UnknownForge when origin's host is not a known forge and forge.type is not set (`instead`
    says what the user can do without one)."""
    settings = settings or Settings()
    host = origin_host(top)
    kind = forge_type(host, settings)
    if kind is None and host is not None:
        raise UnknownForge(host, instead)
    if kind == GITLAB:
        from sess.forges import gitlab

        return gitlab.Forge(top, settings)
    # One import per forge, here only: loading any of them costs start-up time. An origin on
    # the local disk (no host) goes to gh, which may know its repository (GH_REPO, pr.repo).
    from sess.forges import github

    return github.Forge(top, settings)


def origin_host(top: str) -> str | None:
    """The host in origin's URL (https://HOST/..., ssh://[user@]HOST/..., user@HOST:...)."""
    from sess import git

    return host_of(git.remote_url(top, "origin"))


def origin_repo(top: str) -> str | None:
    """The repository's path in origin's URL: OWNER/NAME (GROUP/SUBGROUP/NAME on GitLab)."""
    from sess import git

    return repo_of(git.remote_url(top, "origin"))


def repo_of(url: str | None) -> str | None:
    import re

    if not url or url.startswith(("/", ".", "file:")):
        return None
    match = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?[^:/]+(?::\d+(?=/))?[:/]/?(.+?)(?:\.git)?/*$", url)
    return match.group(1) if match else None


def host_of(url: str | None) -> str | None:
    import re

    if not url or url.startswith(("/", ".", "file:")):
        return None
    match = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^:/]+)[:/]", url)
    return match.group(1) if match else None


_ISSUE_URL = r"https?://[^/\s]+/[^/\s]+/[^/\s]+/issues/(\d+)/?(?:[?#]\S*)?"
_OTHER_REPO = r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+#(\d+)"


def issue_reference(value: str) -> tuple[str, str]:
    """(number, where) from `42`, `#42`, `OWNER/NAME#42` or an issue URL; a usage error otherwise.

    `where` is the number itself for this repository's issue, else what names the other one.
    """
    text = value.strip()
    if text.lstrip("#").isdigit() and text.count("#") <= 1 and text.isascii():
        number = str(int(text.lstrip("#")))
        return number, number
    import re

    match = re.fullmatch(_ISSUE_URL, text) or re.fullmatch(_OTHER_REPO, text)
    if match:
        return str(int(match.group(1))), text
    from sess.errors import UsageError

    raise UsageError(f"--issue {value!r} is not an issue: pass 42, #42, OWNER/REPO#42 or "
                     "https://github.com/OWNER/REPO/issues/42",
                     "Run 'sess start --help' for usage.")


def parse_json(cli: str, text: str) -> Any:
    """What a forge's CLI printed for --json / --output json; a clear error when it is not JSON."""
    import json

    try:
        return json.loads(text)
    except ValueError as exc:
        raise SessError(f"{cli} printed something that is not JSON: {text[:80]!r}") from exc


# A body file older than this was left by a sess that was killed while the forge's CLI ran (gh's
# and glab's own timeouts are a minute): nobody reads it any more.
STALE_BODY_S = 3600


def private_tmp() -> str:
    """`tmp` in sess's state directory (0700): where PR body files live while gh or glab reads
    them; files a killed sess left there are removed."""
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
