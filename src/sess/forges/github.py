"""GitHub, through the `gh` executable and its --json output: the `github` forge.

Which repository (SPEC Part 3 "GitHub as it really is"): sess pushes to `origin` (the head
repository); pull requests and issues live in the base repository: `pr.repo`, else `GH_REPO`,
else the remote `gh repo set-default` marked, else `upstream`, else origin. Every `gh issue` and
`gh pr` call names it with `--repo`, and a PR from a fork has `--head OWNER:BRANCH`. An origin
on the local disk names no repository: gh is then left to resolve it, as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

from sess import forges, proc
from sess.errors import CommandError, GhUnavailable, ProgramMissing, SessError, Timeout, UsageError
from sess.forges import Issue, PullRequest, PullRequestState
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

GH_TIMEOUT = 60.0
PREFLIGHT_TIMEOUT = 20.0  # `gh auth status`: longer means the host does not answer
EXIT_AUTH = 4  # gh's exit status when no account is logged in
NOT_INSTALLED = ("gh is not installed", "Install GitHub CLI (https://cli.github.com) or work without it.")


class Repo(NamedTuple):
    """A repository on a GitHub host."""

    host: str
    owner: str
    name: str

    @property
    def slug(self) -> str:
        """What `--repo` takes: OWNER/NAME, with the host in front when it is not github.com."""
        return f"{self.owner}/{self.name}" if self.host == "github.com" else f"{self.host}/{self.owner}/{self.name}"

    def same(self, other: Repo | None) -> bool:
        return other is not None and (self.host.lower(), self.owner.lower(), self.name.lower()) == (
            other.host.lower(), other.owner.lower(), other.name.lower())


class Forge(forges.Forge):
    """GitHub over gh; each call runs in the repository and names the base repository."""

    name = forges.GITHUB
    cli = "gh"

    def __init__(self, top: str, settings: forges.Settings | None = None) -> None:
        super().__init__(top, settings)
        self._resolved: tuple[Repo | None, Repo | None] | None = None

    # --- which repository ------------------------------------------------------------------------

    def repos(self) -> tuple[Repo | None, Repo | None]:
        """(base, head): where PRs and issues go, and where the branch is pushed (origin)."""
        if self._resolved is None:
            head = self._remote_repo("origin")
            self._resolved = (self._base_repo(head), head)
        return self._resolved

    @property
    def host(self) -> str | None:
        """The host gh talks to: forge.host, else origin's (an SSH alias needs forge.host)."""
        return self.settings.host or forges.origin_host(self.top)

    def _base_repo(self, head: Repo | None) -> Repo | None:
        host = self.settings.host or (head.host if head else "github.com")
        if self.settings.repo:
            owner, name = self.settings.repo.split("/", 1)
            return Repo(host, owner, name)
        from_env = os.environ.get("GH_REPO", "").strip()
        if from_env:
            parts = from_env.removeprefix("https://").strip("/").split("/")
            if len(parts) == 2:
                return Repo(host, *parts)
            if len(parts) == 3:
                return Repo(*parts)
        marked = self._set_default()
        if marked is not None:
            return marked
        return self._remote_repo("upstream") or head

    def _set_default(self) -> Repo | None:
        """The remote `gh repo set-default` marked (git config remote.NAME.gh-resolved)."""
        result = proc.run(["git", "config", "--get-regexp", r"^remote\..*\.gh-resolved$"], cwd=self.top,
                          check=False)
        for line in result.stdout.splitlines():
            key, _, value = line.partition(" ")
            remote = key[len("remote."):-len(".gh-resolved")]
            if value.strip() == "base":
                return self._remote_repo(remote)
            if value.count("/") == 1:  # an OWNER/NAME of its own, on the remote's host
                found = self._remote_repo(remote)
                owner, name = value.strip().split("/")
                return Repo(found.host if found else self.settings.host or "github.com", owner, name)
        return None

    def _remote_repo(self, remote: str) -> Repo | None:
        from sess import git

        url = git.remote_url(self.top, remote)
        host = forges.host_of(url)
        if not url or not host:
            return None
        path = re.sub(r"^(?:[a-z+]+://)?(?:[^@/]+@)?[^:/]+(?::\d+)?[:/]", "", url)
        parts = path.strip("/").removesuffix(".git").split("/")
        if len(parts) < 2:
            return None
        return Repo(self.settings.host or host, parts[-2], parts[-1])

    def pr_repo(self) -> str | None:
        base, _ = self.repos()
        return f"{base.owner}/{base.name}" if base else None

    def _repo_args(self) -> list[str]:
        base, _ = self.repos()
        return [f"--repo={base.slug}"] if base else []

    # --- the interface ---------------------------------------------------------------------------

    def check_ready(self) -> None:
        check_ready(self.top, self.host)

    def view_issue(self, ref: str) -> Issue:
        number, where = forges.issue_reference(ref)
        base, _ = self.repos()
        repo = base
        if where != number:  # OWNER/NAME#N or an issue URL: that repository
            repo = _issue_repo(where, base)
            self._check_issue_host(repo.host, ref)
        args = [f"--repo={repo.slug}"] if repo else []
        # With origin on the local disk the base is not known: an issue is taken as this one's.
        this_one = repo is None or base is None or repo.same(base)
        shown = f"#{number}" if this_one or repo is None else f"{repo.owner}/{repo.name}#{number}"
        try:
            data = forges.parse_json("gh", self._gh("issue", "view", number, *args, "--json", "number,title,url,state"))
        except SessError as exc:
            if "Could not resolve to an issue" in exc.message or "Could not resolve to a Repository" in exc.message:
                place = "in this repository" if shown.startswith("#") or repo is None \
                    else f"in {repo.owner}/{repo.name}"
                raise SessError(f"issue {shown} does not exist {place} on GitHub") from None
            raise
        if "/pull/" in str(data.get("url", "")):
            raise SessError(f"{shown} is a pull request; use --pr {data.get('number', number)} to review it")
        issue = _issue(data)
        return issue._replace(id=number if shown.startswith("#") else shown)

    def _check_issue_host(self, host: str, ref: str) -> None:
        """An issue URL on a host that is neither origin's nor one gh is logged in to never goes to gh
        (github.com, gh's own default, always may)."""
        known = {h.lower() for h in ("github.com", self.host, forges.origin_host(self.top)) if h} | logged_in_hosts()
        if host.lower() not in known:
            shown = ", ".join(sorted(known)) or "none"
            raise UsageError(f"--issue {ref}: {host} is not a GitHub host here (origin's host and gh's logins: "
                             f"{shown})", "Pass an issue of this repository, or log gh in to that host.")

    def listing_open_issues(self, limit: int = 100) -> Callable[[], list[Issue]]:
        answer = self._gh_started("issue", "list", *self._repo_args(), "--state", "open", "--limit", str(limit),
                                  "--json", "number,title,url")
        return lambda: [_issue(item) for item in forges.parse_json("gh", answer())]

    def find_open_pr(self, branch: str) -> PullRequest | None:
        """The open PR whose head is `branch` of origin: `--head` matches the branch name in every
        fork, so the head's owner is checked too (a stranger's fork PR is never adopted)."""
        base, head = self.repos()
        data = forges.parse_json("gh", self._gh("pr", "list", *self._repo_args(), "--head", branch, "--state", "open",
                                                "--json", "number,url,state,headRepositoryOwner,isCrossRepository"))
        fork = head is not None and not head.same(base)
        for item in data:
            if str(item.get("state", "OPEN")).upper() != "OPEN":
                continue
            owner = str((item.get("headRepositoryOwner") or {}).get("login", ""))
            if bool(item.get("isCrossRepository")) != fork:
                continue
            if head is not None and owner.lower() != head.owner.lower():
                continue
            return PullRequest(int(item["number"]), str(item["url"]))
        return None

    def create_pr(self, base: str, branch: str, title: str, body: str, draft: bool, *,
                  reviewers: Sequence[str] = (), labels: Sequence[str] = (),
                  assignees: Sequence[str] = ()) -> PullRequest:
        """A new PR. gh creates it, then requests reviewers and adds labels and assignees; when one
        of those fails it exits 1 with the URL on stdout: the PR exists, with gh's message as
        its warning."""
        import tempfile

        base_repo, head_repo = self.repos()
        head = branch
        if head_repo is not None and not head_repo.same(base_repo):
            head = f"{head_repo.owner}:{branch}"
        if reviewers:
            me = self.login()
            reviewers = [name for name in reviewers if not me or name.lower() != me.lower()]
        # The body goes through a private file: Linux refuses one argument over 128 KiB.
        fd, body_file = tempfile.mkstemp(prefix="pr-body-", suffix=".md", dir=forges.private_tmp())
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            args = ["pr", "create", *self._repo_args(), f"--base={base}", f"--head={head}", f"--title={title}",
                    f"--body-file={body_file}"]
            if draft:
                args.append("--draft")
            # gh takes each of these as a repeatable flag (a comma also separates names).
            args += [f"--reviewer={name}" for name in reviewers]
            args += [f"--label={name}" for name in labels]
            args += [f"--assignee={name}" for name in assignees]
            warning = ""
            try:
                text = self._gh(*args, raw=True)
            except CommandError as exc:
                if "/pull/" not in exc.stdout or exc.returncode == EXIT_AUTH:
                    raise self._failed(args, exc) from exc
                text, warning = exc.stdout, _said(exc.stderr)
        finally:
            os.unlink(body_file)
        url = next((line.strip() for line in text.splitlines() if "/pull/" in line), "")
        if not url:
            raise SessError(f"gh pr create printed no pull request URL: {text.strip()[:120]!r}")
        return PullRequest(pr_number_from_url(url), url, warning)

    def login(self) -> str:
        """The login gh uses for this host ('' when it cannot say)."""
        host = self.host or "github.com"
        try:
            hostname = [f"--hostname={host}"] if host != "github.com" else []
            data = forges.parse_json("gh", self._gh("api", *hostname, "user"))
        except SessError:
            return ""
        return str(data.get("login", "")) if isinstance(data, dict) else ""

    def view_pr(self, ref: str) -> PullRequestState:
        try:
            data = forges.parse_json("gh", self._gh("pr", "view", ref, *self._repo_args(), "--json", "number,url,"
                                                    "state,headRefName,headRepositoryOwner,isCrossRepository,title"))
        except SessError as exc:
            if "Could not resolve to a PullRequest" not in exc.message:
                raise
            base, _ = self.repos()
            place = f"in {base.owner}/{base.name}" if base else "in this repository"
            raise SessError(f"pull request #{ref.lstrip('#')} does not exist {place} on GitHub") from None
        owner = data.get("headRepositoryOwner") or {}
        return PullRequestState(int(data["number"]), str(data["url"]), str(data.get("state", "")).upper(),
                                str(data.get("headRefName", "")), str(owner.get("login", "")),
                                bool(data.get("isCrossRepository")), str(data.get("title", "")))

    def checkout_pr(self, ref: str, branch: str) -> None:
        self._gh("pr", "checkout", ref, *self._repo_args(), f"--branch={branch}")

    # --- running gh ------------------------------------------------------------------------------

    def _gh(self, *args: str, raw: bool = False) -> str:
        """gh's stdout; GhUnavailable when it is missing or logged out, else SessError (with
        `raw`, the CommandError itself, for the caller to read)."""
        try:
            return proc.run(["gh", *args], cwd=self.top, timeout=GH_TIMEOUT).stdout
        except ProgramMissing as exc:
            raise GhUnavailable(*NOT_INSTALLED) from exc
        except CommandError as exc:
            if raw:
                raise
            raise self._failed(list(args), exc) from exc

    def _gh_started(self, *args: str) -> Callable[[], str]:
        """`_gh`, with gh started now: calling what it returns waits for gh's stdout."""
        try:
            running = proc.start(["gh", *args], cwd=self.top, timeout=GH_TIMEOUT)
        except ProgramMissing as exc:
            raise GhUnavailable(*NOT_INSTALLED) from exc

        def answer() -> str:
            try:
                return running.wait().stdout
            except CommandError as exc:
                raise self._failed(list(args), exc) from exc
        return answer

    def _failed(self, args: list[str], exc: CommandError) -> SessError:
        if exc.returncode == EXIT_AUTH:
            return GhUnavailable("gh is not logged in", "Run 'gh auth login'.")
        return SessError(f"gh {' '.join(args[:2])} failed: {exc.detail}")


def _said(stderr: str) -> str:
    from sess.render import safe

    return safe(" ".join(line.strip() for line in stderr.strip().splitlines() if line.strip()))


def _issue_repo(where: str, base: Repo | None) -> Repo:
    """The repository of `OWNER/NAME#N` or an issue URL (its host; OWNER/NAME#N: the base's)."""
    url = re.match(r"https?://([^/\s]+)/([^/\s]+)/([^/\s]+)/issues/", where)
    if url:
        return Repo(url.group(1), url.group(2), url.group(3))
    owner, _, rest = where.partition("/")
    return Repo(base.host if base else "github.com", owner, rest.split("#", 1)[0])


def logged_in_hosts() -> set[str]:
    """The hosts in gh's hosts.yml (read directly: no gh call, nothing sent anywhere)."""
    config = os.environ.get("GH_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "gh")
    try:
        with open(os.path.join(config, "hosts.yml"), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        text = ""
    hosts = {match.lower() for match in re.findall(r"^([A-Za-z0-9][A-Za-z0-9.:-]*):\s*$", text, re.M)}
    if os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN"):
        hosts.add("github.com")
    if os.environ.get("GH_HOST"):
        hosts.add(os.environ["GH_HOST"].lower())
    return hosts


def check_ready(repo: str, host: str | None = None) -> None:
    """Fail with GhUnavailable unless gh is installed and the active account of `host` (origin's)
    is logged in.

    `gh auth status --hostname HOST` looks at that host only (without it, gh waits on every host it
    knows). gh >= 2.40 lists every account of the host and exits 1 when any of them fails: only
    the active one counts. gh says a token is invalid when the host cannot be reached as well, so
    a failed login is checked once more with `gh api`, which tells the two apart.
    """
    args = ["gh", "auth", "status", *([f"--hostname={host}"] if host else [])]
    try:
        result = proc.run(args, cwd=repo, timeout=PREFLIGHT_TIMEOUT, check=False)
    except ProgramMissing as exc:
        raise GhUnavailable(*NOT_INSTALLED) from exc
    except Timeout:
        where = host or "GitHub"
        raise GhUnavailable(f"gh auth status did not answer within {PREFLIGHT_TIMEOUT:.0f}s: {where} may be "
                            "unreachable", "Check the network (or the host), or work without gh.") from None
    said = result.stdout + result.stderr
    active = _active_account(said, host)
    if active is not None:
        if active:
            return
    elif result.ok:
        return
    if "not logged in" in said or "You are not logged into" in said or not said.strip():
        raise GhUnavailable(f"gh is not logged in{f' to {host}' if host else ''}", "Run 'gh auth login'.")
    named = re.search(r"Failed to log in to (\S+)|X (\S+): authentication failed", said)
    where = host or (next(filter(None, named.groups())) if named else "github.com")
    reason = _unreachable(repo, where)
    if reason:
        raise GhUnavailable(f"{where} cannot be reached: {reason}",
                            "Check the network (or the host), or work without gh.")
    raise GhUnavailable(f"gh's login to {where} is no longer valid",
                        f"Run 'gh auth login{f' --hostname {host}' if host and host != 'github.com' else ''}'.")


def _active_account(said: str, host: str | None) -> bool | None:
    """Whether the active account of `host` is logged in, by gh's report; None when it does not say."""
    blocks = re.split(r"\n(?=\S)", said.strip())
    for block in blocks:
        lines = block.splitlines()
        if not lines or (host and lines[0].strip().lower() != host.lower()):
            continue
        # gh >= 2.40: one entry per account, each "✓ Logged in ..." or "X Failed ...", then
        # "- Active account: true|false". Older gh: one entry, the active one.
        entries = re.split(r"\n(?=\s+(?:✓|X|!) )", "\n".join(lines[1:]))
        for entry in entries:
            ok = bool(re.match(r"\s*✓ Logged in", entry))
            failed = bool(re.match(r"\s*(X|!) ", entry))
            if not (ok or failed):
                continue
            flag = re.search(r"Active account: (true|false)", entry)
            if flag is None or flag.group(1) == "true":
                return ok
    return None


def _unreachable(repo: str, host: str) -> str:
    """Why `host` cannot be reached, when `gh api` says so ('' when it answers, or refuses the token)."""
    try:
        result = proc.run(["gh", "api", *([f"--hostname={host}"] if host != "github.com" else []), "user"],
                          cwd=repo, timeout=PREFLIGHT_TIMEOUT, check=False)
    except Timeout:
        return f"no answer within {PREFLIGHT_TIMEOUT:.0f}s"
    except SessError:
        return ""
    said = _said(result.stderr)
    if result.ok or "HTTP 401" in said or "Bad credentials" in said:
        return ""
    return said or f"gh api exited {result.returncode}"


def _issue(data: dict[str, Any]) -> Issue:
    """An issue from gh's JSON; the title trimmed, the state as gh spells it (OPEN, CLOSED)."""
    return Issue(str(data["number"]), str(data.get("title", "")).strip(), str(data.get("url", "")),
                 str(data.get("state", "OPEN")).upper())


def pr_number_from_url(url: str) -> int:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0
