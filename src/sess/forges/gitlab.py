"""GitLab, through the `glab` executable and its `--output json`: the `gitlab` forge.

Written against glab's documented behaviour (the 1.4x releases): `--output json` objects carry
`iid` (the number users see), `web_url` and `state` (`opened`, `closed`, `merged`); `mr create
... --yes` prints the MR's URL alone on stdout when stdout is not a terminal (progress goes to
stderr) and refuses a source branch that is not pushed; `auth status` reports on stderr and exits
0 or 1. An MR is a PR everywhere else in sess (its iid is the PR number). `mr create` takes the
description only on its command line, which Linux limits to 128 KiB an argument: a longer one is
set afterwards by `glab api ... --field=description=@FILE`, which reads it from the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sess import forges, proc
from sess.errors import CommandError, ForgeUnavailable, ProgramMissing, SessError, Timeout, UsageError
from sess.forges import Issue, PullRequest, PullRequestState

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

GLAB_TIMEOUT = 60.0
INSTALL_HINT = "Install GitLab CLI (https://gitlab.com/gitlab-org/cli) or work without it."
LOGIN_HINT = "Run 'glab auth login'."
# glab's own environment: plain output, no prompts, no update check.
GLAB_ENV = {"NO_COLOR": "1", "NO_PROMPT": "1", "GLAB_NO_PROMPT": "1", "GLAB_CHECK_UPDATE": "false",
            "GLAB_SEND_TELEMETRY": "false", "FORCE_HYPERLINKS": "0"}
_STATES = {"opened": "OPEN", "closed": "CLOSED", "merged": "MERGED", "locked": "CLOSED"}
_ISSUE_URL = re.compile(r"https?://[^/\s]+/(?:[^/\s]+/)+-/issues/(\d+)/?(?:[?#]\S*)?")


def _failed(args: list[str], exc: CommandError) -> SessError:
    said = (exc.stderr + exc.stdout).lower()
    if "401" in said or "unauthorized" in said or "not logged in" in said or "glab auth login" in said:
        return ForgeUnavailable("glab is not logged in", LOGIN_HINT)
    return SessError(f"glab {' '.join(args[:2])} failed: {exc.detail}")


class Forge(forges.Forge):
    """GitLab over glab; each call runs in the repository, as glab resolves the project from its
    remotes (`forge.host` names the host for self-hosted instances and SSH aliases)."""

    name = forges.GITLAB
    cli = "glab"

    def _env(self) -> dict[str, str]:
        env = dict(GLAB_ENV)
        if self.settings.host:
            env["GITLAB_HOST"] = self.settings.host
        return env

    def _glab(self, *args: str) -> str:
        try:
            return proc.run(["glab", *args], cwd=self.top, timeout=GLAB_TIMEOUT, env=self._env()).stdout
        except ProgramMissing as exc:
            raise ForgeUnavailable("glab is not installed", INSTALL_HINT) from exc
        except CommandError as exc:
            raise _failed(list(args), exc) from exc

    def _glab_started(self, *args: str) -> Callable[[], str]:
        """`_glab`, with glab started now: calling what it returns waits for glab's stdout."""
        try:
            running = proc.start(["glab", *args], cwd=self.top, timeout=GLAB_TIMEOUT, env=self._env())
        except ProgramMissing as exc:
            raise ForgeUnavailable("glab is not installed", INSTALL_HINT) from exc

        def answer() -> str:
            try:
                return running.wait().stdout
            except CommandError as exc:
                raise _failed(list(args), exc) from exc
        return answer

    def _host(self) -> str | None:
        return self.settings.host or forges.origin_host(self.top)

    def check_ready(self) -> None:
        host = self._host()
        args = ["glab", "auth", "status", *([f"--hostname={host}"] if host else [])]
        try:
            result = proc.run(args, cwd=self.top, timeout=GLAB_TIMEOUT, check=False, env=self._env())
        except ProgramMissing as exc:
            raise ForgeUnavailable("glab is not installed", INSTALL_HINT) from exc
        except Timeout as exc:
            raise ForgeUnavailable(f"glab could not reach {host or 'GitLab'}", "Check your network.") from exc
        if not result.ok:
            raise ForgeUnavailable(f"glab is not logged in to {host}" if host else "glab is not logged in",
                                   LOGIN_HINT)

    def view_issue(self, ref: str) -> Issue:
        return _issue(self._view("issue", issue_reference(ref)))

    def _view(self, what: str, number: str) -> Any:
        """`glab issue|mr view N --output json`; a 404 names what does not exist."""
        try:
            return forges.parse_json("glab", self._glab(what, "view", number, "--output", "json"))
        except ForgeUnavailable:
            raise
        except SessError as exc:
            if "404" in exc.message or "not found" in exc.message.lower():
                named = "issue" if what == "issue" else "merge request"
                raise SessError(f"{named} #{number} does not exist in this project on GitLab") from None
            raise

    def listing_open_issues(self, limit: int = 100) -> Callable[[], list[Issue]]:
        answer = self._glab_started("issue", "list", "--per-page", str(limit), "--output", "json")

        def issues() -> list[Issue]:
            data = forges.parse_json("glab", answer())
            return [_issue(item) for item in data if isinstance(item, dict) and item.get("state", "opened") == "opened"]
        return issues

    def note_issue(self, ref: str, text: str) -> str | None:
        out = self._glab("issue", "note", issue_reference(ref), f"--message={text}")
        return next((line.strip() for line in out.splitlines() if "#note_" in line), None)

    def find_open_pr(self, branch: str) -> PullRequest | None:
        """The open MR of `branch` of origin's project. `--source-branch` matches the branch name in
        every project (a stranger's fork's MR too): the MR's source project is looked up and
        compared with origin, by its clone URLs (only when there is an MR to reuse)."""
        data = forges.parse_json("glab", self._glab("mr", "list", f"--source-branch={branch}", "--output", "json"))
        for item in data if isinstance(data, list) else []:
            if not (isinstance(item, dict) and item.get("state") == "opened"
                    and item.get("source_branch", branch) == branch):
                continue
            if self._is_origin(item.get("source_project_id")):
                return PullRequest(int(item["iid"]), str(item["web_url"]))
        return None

    def _is_origin(self, project_id: object) -> bool:
        """Whether GitLab project `project_id` is the one origin points at (its ssh or http clone URL,
        the path compared: origin may be an SSH alias, or https where GitLab says ssh)."""
        from sess import git

        if not isinstance(project_id, int):
            return False
        try:
            project = forges.parse_json("glab", self._glab("api", f"projects/{project_id}"))
        except ForgeUnavailable:
            raise
        except SessError:  # a project we cannot read is no project of ours
            return False
        origin = git.remote_url(self.top, "origin")
        if not isinstance(project, dict) or not origin:
            return False
        return any(_same_repository(origin, str(project.get(key) or ""))
                   for key in ("ssh_url_to_repo", "http_url_to_repo"))

    def create_pr(self, base: str, branch: str, title: str, body: str, draft: bool, *,
                  reviewers: Sequence[str] = (), labels: Sequence[str] = (),
                  assignees: Sequence[str] = ()) -> PullRequest:
        # glab takes the description only as an argument, and Linux refuses one over 128 KiB
        # (MAX_ARG_STRLEN): a longer one is cut for the create, then set whole through the API.
        whole = body if len(body.encode()) > DESCRIPTION_ARG_MAX else None
        args = ["mr", "create", f"--source-branch={branch}", f"--target-branch={base}", f"--title={title}",
                f"--description={cut_description(body) if whole is not None else body}"]
        if draft:
            args.append("--draft")
        if reviewers:
            args.append(f"--reviewer={','.join(reviewers)}")
        args += [f"--label={name}" for name in labels]
        if assignees:
            args.append(f"--assignee={','.join(assignees)}")
        args.append("--yes")
        out = self._glab(*args)
        url = next((line.strip() for line in out.splitlines() if "/merge_requests/" in line), "")
        if not url:
            raise SessError(f"glab mr create printed no merge request URL: {out.strip()[:120]!r}")
        tail = url.rstrip("/").rsplit("/", 1)[-1]
        created = PullRequest(int(tail) if tail.isdigit() else 0, url)
        if whole is not None:
            return created._replace(warning=self._set_description(created.number, whole))
        return created

    def _set_description(self, number: int, text: str) -> str:
        """The MR's whole description, from a private file (`glab api -F key=@file` reads the
        value from the file); '' once set, else what went wrong, as a warning: the MR is made."""
        import os
        import tempfile

        fd, body_file = tempfile.mkstemp(prefix="pr-body-", suffix=".md", dir=forges.private_tmp())
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            self._glab("api", "--method=PUT", f"projects/:fullpath/merge_requests/{number}",
                       f"--field=description=@{body_file}", "--silent")
        except SessError as exc:  # glab logged out meanwhile included: the MR is there all the same
            return f"its description is cut (the whole one could not be set: {exc.message})"
        finally:
            os.unlink(body_file)
        return ""

    def _mr(self, ref: str) -> dict[str, Any]:
        number = ref.strip().lstrip("!#")
        data = self._view("mr", number)
        if not isinstance(data, dict) or "iid" not in data:
            raise SessError(f"glab mr view printed no merge request: {str(data)[:80]!r}")
        return data

    def view_pr(self, ref: str) -> PullRequestState:
        data = self._mr(ref)
        return PullRequestState(int(data["iid"]), str(data.get("web_url", "")),
                                _STATES.get(str(data.get("state", "")), str(data.get("state", "")).upper()),
                                str(data.get("source_branch", "")), "",
                                data.get("source_project_id") != data.get("target_project_id"),
                                str(data.get("title", "")))

    def checkout_pr(self, ref: str, branch: str) -> None:
        self._glab("mr", "checkout", ref.strip().lstrip("!#"), f"--branch={branch}")

    def takes_review_pushes(self, number: int, ref: str) -> bool:
        """glab's checkout tracks the source project's branch (or, when that project cannot be read,
        the target's read-only refs/merge-requests/N/head). A fork's MR takes pushes from the
        target's members only when its author allowed collaboration (`allow_collaboration`,
        which GitLab sends for a fork's MR alone); the same project's always does."""
        if not super().takes_review_pushes(number, ref):
            return False
        data = self._mr(str(number))
        forked = data.get("source_project_id") != data.get("target_project_id")
        return not forked or bool(data.get("allow_collaboration"))


# The longest description passed to glab mr create on its command line (bytes): one argument
# may hold 128 KiB on Linux, `--description=` and the note included.
DESCRIPTION_ARG_MAX = 120 * 1024
CUT_NOTE = ("\n\n---\n_sess cut this description here: the whole of it ({size} KiB) did not fit on "
            "glab's command line, and setting it afterwards failed._\n")


def cut_description(body: str) -> str:
    """The description cut at the last line that fits DESCRIPTION_ARG_MAX, with a note saying so
    (what the MR keeps if the whole one cannot be set after)."""
    note = CUT_NOTE.format(size=len(body.encode()) // 1024)
    room = DESCRIPTION_ARG_MAX - len(note.encode()) - len("--description=")
    head = body.encode()[:room].decode("utf-8", errors="ignore")
    if "\n" in head:
        head = head[:head.rindex("\n")]
    return head.rstrip("\n") + note


def _same_repository(one: str, other: str) -> bool:
    """Two clone URLs of one repository: the same path on a host (any host: SSH aliases), or the
    same local path."""
    if not other:
        return False
    paths = [forges.repo_of(url) for url in (one, other)]
    if paths[0] is None or paths[1] is None:
        return one.rstrip("/").removesuffix(".git") == other.rstrip("/").removesuffix(".git")
    return paths[0].lower() == paths[1].lower()


def issue_reference(value: str) -> str:
    """The iid from `42`, `#42` or an issue URL (`https://gitlab.com/group/sub/project/-/issues/42`)."""
    text = value.strip()
    if text.lstrip("#").isdigit() and text.count("#") <= 1 and text.isascii():
        return str(int(text.lstrip("#")))
    match = _ISSUE_URL.fullmatch(text)
    if match:
        return str(int(match.group(1)))
    raise UsageError(f"--issue {value!r} is not a GitLab issue: pass 42, #42 or its URL",
                     "Run 'sess start --help' for usage.")


def _issue(data: dict[str, Any]) -> Issue:
    state = str(data.get("state", "opened"))
    return Issue(str(data["iid"]), str(data.get("title", "")).strip(), str(data.get("web_url", "")),
                 _STATES.get(state, state.upper()))
