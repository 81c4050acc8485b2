"""Jira over its REST API v3 (`tracker.url`): basic auth with the account e-mail (`tracker.user`)
and an API token, or a bearer token (Data Center's personal access tokens) without a user."""

from __future__ import annotations

import base64
import urllib.parse

from sess.trackers import JIRA, HttpTracker, Issue, IssueMissing, TrackerUnavailable, key_reference, mapping

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from sess.config import Config
    from sess.trackers.http import Client

DEFAULT_JQL = "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC"
PICKER_LIMIT = 50


class Jira(HttpTracker):
    name = JIRA
    time_tracking = True
    can_look_up_logged = True

    def __init__(self, cfg: Config) -> None:
        if not cfg.tracker_url:
            from sess.errors import SessError

            raise SessError("tracker.type is jira, but tracker.url is not set",
                            "Set it to your Jira site: sess config set tracker.url https://acme.atlassian.net")
        self.cfg = cfg
        self.url = cfg.tracker_url.rstrip("/")
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from sess.trackers.http import Client
            from sess.trackers.tokens import token

            secret, source = token(self.cfg, JIRA)
            if self.cfg.tracker_user:
                pair = f"{self.cfg.tracker_user}:{secret}".encode()
                auth = "Basic " + base64.b64encode(pair).decode("ascii")
            else:
                auth = f"Bearer {secret}"
            self._client = Client(JIRA, self.url, {"Authorization": auth}, source, secret)
        return self._client

    def reference(self, value: str) -> str:
        return key_reference(value, self.cfg.tracker_project, JIRA, ("/browse/",))

    def _issue_url(self, key: str) -> str:
        return f"{self.url}/rest/api/3/issue/{urllib.parse.quote(key, safe='')}"

    def view(self, value: str) -> Issue:
        key = self.reference(value)
        answer = self.client.call("GET", self._issue_url(key) + "?fields=summary,status", accept=(404,))
        if answer.status == 404:
            raise IssueMissing(f"issue {key} does not exist in Jira at {self.url}",
                               "Check the key (or tracker.project); nothing was changed.")
        return self._issue(answer.data, key)

    def _issue(self, data: Any, fallback_key: str = "") -> Issue:
        if not isinstance(data, dict):
            raise TrackerUnavailable(f"Jira at {self.url} answered an issue without fields")
        key = str(data.get("key") or fallback_key).upper()
        fields = mapping(data.get("fields"))
        status = mapping(fields.get("status"))
        category = mapping(status.get("statusCategory"))
        done = str(category.get("key", "")).lower() == "done"
        return Issue(key, str(fields.get("summary") or "").strip(), f"{self.url}/browse/{key}",
                     "CLOSED" if done else "OPEN", JIRA)

    def list_open(self) -> list[Issue]:
        body = {"jql": self.cfg.tracker_jql or DEFAULT_JQL, "fields": ["summary", "status"],
                "maxResults": PICKER_LIMIT}
        answer = self.client.call("POST", f"{self.url}/rest/api/3/search/jql", body)
        issues = answer.data.get("issues") if isinstance(answer.data, dict) else None
        return [self._issue(item) for item in issues or [] if isinstance(item, dict) and item.get("key")]

    # --- worklogs ---------------------------------------------------------------------------

    def logged(self, issue_id: str) -> dict[str, int]:
        """The seconds of the issue's worklogs per marker their comments carry (every page)."""
        import re

        totals: dict[str, int] = {}
        start = 0
        while True:
            answer = self.client.call("GET", f"{self._issue_url(issue_id)}/worklog?startAt={start}&maxResults=1000",
                                      accept=(404,))
            if answer.status == 404:
                raise IssueMissing(f"issue {issue_id} does not exist in Jira at {self.url}")
            data = answer.data if isinstance(answer.data, dict) else {}
            worklogs = [w for w in data.get("worklogs") or [] if isinstance(w, dict)]
            for worklog in worklogs:
                found = re.search(r"sess:[0-9A-Fa-f-]+:\d{4}-\d{2}-\d{2}", _adf_text(worklog.get("comment")))
                seconds = worklog.get("timeSpentSeconds")
                if found and isinstance(seconds, int):
                    totals[found.group()] = totals.get(found.group(), 0) + seconds
            start += len(worklogs)
            reported = data.get("total")
            if not worklogs or not isinstance(reported, int) or start >= reported:
                return totals

    def log_time(self, issue_id: str, seconds: int, started: datetime, marker: str) -> str | None:
        body = {
            "timeSpentSeconds": seconds,
            "started": jira_time(started),
            "comment": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"Worked in sess ({marker})"}]}]},
        }
        answer = self.client.call("POST", f"{self._issue_url(issue_id)}/worklog", body, accept=(404,))
        if answer.status == 404:
            raise IssueMissing(f"issue {issue_id} does not exist in Jira at {self.url}")
        remote = answer.data.get("id") if isinstance(answer.data, dict) else None
        return str(remote) if remote is not None else None


def jira_time(moment: datetime) -> str:
    """Jira's `started`: `2026-12-01T09:30:00.000+0100`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def _adf_text(node: Any) -> str:
    """The text of an Atlassian Document Format node (a worklog comment), or a plain string."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return str(node.get("text", "")) + "".join(_adf_text(child) for child in node.get("content") or [])
    if isinstance(node, list):
        return "".join(_adf_text(child) for child in node)
    return ""
