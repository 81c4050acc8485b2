"""Local HTTP servers that answer like Jira (REST v3) and Linear (GraphQL): threads on random ports
of 127.0.0.1, every request recorded. `tracker.url` points sess at them."""
from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class Recorded:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


class FakeTracker:
    """Shared by both fakes: the server thread, the recorded requests, a delay, a token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[Recorded] = []
        self.delay = 0.0
        self.fail_status: int | None = None  # answer every request with this HTTP status
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[FakeTracker]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake.lock:
                    fake.requests.append(Recorded(self.command, self.path, headers, body))
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.fail_status is not None:
                    status, payload = fake.fail_status, {"errorMessages": ["failing on purpose"], "errors": {}}
                else:
                    status, payload = fake.answer(self.command, self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join()


class FakeJira(FakeTracker):
    """Issues by key; worklogs per issue as Jira keeps them (ADF comments)."""

    def __init__(self, token: str = "jira-secret-token-123", user: str | None = "ada@acme.com") -> None:
        super().__init__(token)
        self.user = user
        self.issues: dict[str, dict[str, Any]] = {}
        self.worklogs: dict[str, list[dict[str, Any]]] = {}
        self._next_id = 10000

    def add_issue(self, key: str, summary: str, done: bool = False) -> None:
        category = {"key": "done", "name": "Done"} if done else {"key": "indeterminate", "name": "In Progress"}
        self.issues[key] = {"id": str(len(self.issues) + 10001), "key": key,
                            "self": f"{self.url}/rest/api/3/issue/{key}",
                            "fields": {"summary": summary,
                                       "status": {"name": "Done" if done else "In Progress",
                                                  "statusCategory": category}}}

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("authorization", "")
        if self.user is None:
            return given == f"Bearer {self.token}"
        return given == "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if not self._authorised(headers):
            return 401, {"errorMessages": ["You are not authenticated. Authentication required to perform "
                                           "this operation."], "errors": {}}
        parts = urlsplit(path)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if segments[:3] != ["rest", "api", "3"]:
            return 404, {"errorMessages": ["no such resource"]}
        rest = segments[3:]
        if method == "POST" and rest == ["search", "jql"]:
            found = [i for i in self.issues.values() if i["fields"]["status"]["statusCategory"]["key"] != "done"]
            limit = int(body.get("maxResults", 50))
            return 200, {"issues": [{"id": i["id"], "key": i["key"],
                                     "fields": {k: i["fields"][k] for k in body.get("fields", [])}}
                                    for i in found[:limit]], "isLast": True}
        if len(rest) >= 2 and rest[0] == "issue":
            key = rest[1]
            issue = self.issues.get(key)
            if issue is None:
                return 404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                             "errors": {}}
            if len(rest) == 2 and method == "GET":
                wanted = parse_qs(parts.query).get("fields", ["summary,status"])[0].split(",")
                return 200, {**issue, "fields": {k: issue["fields"][k] for k in wanted if k in issue["fields"]}}
            if rest[2:] == ["worklog"] and method == "GET":
                logs = self.worklogs.get(key, [])
                start = int(parse_qs(parts.query).get("startAt", ["0"])[0])
                return 200, {"startAt": start, "maxResults": 5000, "total": len(logs), "worklogs": logs[start:]}
            if rest[2:] == ["worklog"] and method == "POST":
                self._next_id += 1
                entry = {"id": str(self._next_id), "issueId": issue["id"], "started": body["started"],
                         "timeSpentSeconds": body["timeSpentSeconds"], "comment": body.get("comment")}
                self.worklogs.setdefault(key, []).append(entry)
                return 201, entry
        return 404, {"errorMessages": ["no such resource"]}

    def worklog_texts(self, key: str) -> list[str]:
        def text(node: Any) -> str:
            if isinstance(node, dict):
                return str(node.get("text", "")) + "".join(text(c) for c in node.get("content", []))
            return ""
        return [text(w["comment"]) for w in self.worklogs.get(key, [])]


class FakeLinear(FakeTracker):
    """Issues by identifier; the viewer's assigned ones for the picker."""

    def __init__(self, token: str = "lin_api_secretkey456") -> None:
        super().__init__(token)
        self.issues: dict[str, dict[str, Any]] = {}

    def add_issue(self, identifier: str, title: str, state_type: str = "started") -> None:
        self.issues[identifier] = {"identifier": identifier, "title": title,
                                   "url": f"https://linear.app/acme/issue/{identifier.lower()}/x",
                                   "state": {"name": state_type.title(), "type": state_type}}

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("authorization") != self.token:
            return 400, {"errors": [{"message": "Authentication required, not authenticated",
                                     "extensions": {"type": "authentication error", "code": "AUTHENTICATION_ERROR",
                                                    "statusCode": 401}}]}
        query = body.get("query", "")
        if "assignedIssues" in query:
            nodes = [i for i in self.issues.values() if i["state"]["type"] not in ("completed", "canceled")]
            return 200, {"data": {"viewer": {"assignedIssues": {"nodes": nodes}}}}
        if "issue(" in query:
            issue = self.issues.get(body["variables"]["id"].upper())
            if issue is None:
                return 200, {"data": None, "errors": [{"message": "Entity not found: Issue",
                                                       "extensions": {"type": "invalid input",
                                                                      "code": "INVALID_INPUT"}}]}
            return 200, {"data": {"issue": issue}}
        return 400, {"errors": [{"message": "unknown query"}]}
