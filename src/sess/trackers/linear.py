"""Linear over its GraphQL API (`tracker.url`, default https://api.linear.app/graphql), with a
personal API key sent as `Authorization: <key>` (no `Bearer`). Linear has no time tracking."""

from __future__ import annotations

from sess.trackers import LINEAR, HttpTracker, Issue, IssueMissing, TrackerUnavailable, key_reference, mapping

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

    from sess.config import Config
    from sess.trackers.http import Client

DEFAULT_URL = "https://api.linear.app/graphql"
PICKER_LIMIT = 50
_FIELDS = "identifier title url state { name type }"
VIEW = "query SessIssue($id: String!) { issue(id: $id) { " + _FIELDS + " } }"
ASSIGNED = ("query SessAssigned { viewer { assignedIssues(first: " + str(PICKER_LIMIT)
            + ', orderBy: updatedAt, filter: { state: { type: { nin: ["completed", "canceled"] } } }) '
            "{ nodes { " + _FIELDS + " } } } }")
CLOSED_TYPES = ("completed", "canceled")


class Linear(HttpTracker):
    name = LINEAR

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.url = (cfg.tracker_url or DEFAULT_URL).rstrip("/")
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from sess.trackers.http import Client
            from sess.trackers.tokens import token

            secret, source = token(self.cfg, LINEAR)
            self._client = Client(LINEAR, self.url, {"Authorization": secret}, source, secret)
        return self._client

    def reference(self, value: str) -> str:
        return key_reference(value, self.cfg.tracker_project, LINEAR, ("/issue/",))

    def _query(self, query: str, variables: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        """(data, errors) of one GraphQL call; a refused key is TrackerUnavailable."""
        # Linear answers a GraphQL error with HTTP 400 and the errors in the body.
        answer = self.client.call("POST", self.url, {"query": query, "variables": variables}, accept=(400,))
        payload = answer.data if isinstance(answer.data, dict) else {}
        errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
        for error in errors:
            extensions = mapping(error.get("extensions"))
            if str(extensions.get("code", "")).upper() == "AUTHENTICATION_ERROR":
                raise self.client.refused("AUTHENTICATION_ERROR")
        if answer.status == 400 and not errors:
            raise TrackerUnavailable(f"{self.client.label} answered HTTP 400", "Check tracker.url.")
        return payload.get("data"), errors

    def view(self, value: str) -> Issue:
        key = self.reference(value)
        data, errors = self._query(VIEW, {"id": key})
        issue = data.get("issue") if isinstance(data, dict) else None
        if not isinstance(issue, dict):
            if errors and not any(_not_found(e) for e in errors):
                said = "; ".join(str(e.get("message", "")) for e in errors)
                raise TrackerUnavailable(f"{self.client.label} answered an error: {self.client._clean(said)[:200]}")
            raise IssueMissing(f"issue {key} does not exist in Linear", "Check the key; nothing was changed.")
        return _issue(issue, key)

    def list_open(self) -> list[Issue]:
        data, errors = self._query(ASSIGNED, {})
        viewer = data.get("viewer") if isinstance(data, dict) else None
        assigned = viewer.get("assignedIssues") if isinstance(viewer, dict) else None
        nodes = assigned.get("nodes") if isinstance(assigned, dict) else None
        if nodes is None and errors:
            said = "; ".join(str(e.get("message", "")) for e in errors)
            raise TrackerUnavailable(f"{self.client.label} answered an error: {self.client._clean(said)[:200]}")
        return [_issue(node) for node in nodes or [] if isinstance(node, dict) and node.get("identifier")]


def _not_found(error: dict[str, Any]) -> bool:
    extensions = mapping(error.get("extensions"))
    said = f"{error.get('message', '')} {extensions.get('code', '')} {extensions.get('type', '')}".lower()
    return "not found" in said or "not_found" in said


def _issue(node: dict[str, Any], fallback_key: str = "") -> Issue:
    state = mapping(node.get("state"))
    closed = str(state.get("type", "")).lower() in CLOSED_TYPES
    return Issue(str(node.get("identifier") or fallback_key), str(node.get("title") or "").strip(),
                 str(node.get("url") or ""), "CLOSED" if closed else "OPEN", LINEAR)
