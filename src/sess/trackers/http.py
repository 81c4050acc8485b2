"""The trackers' HTTP: a few JSON calls through the standard library's urllib.request (enough
for them; no dependency). Every call has a 10 s timeout and honours the usual proxy variables
(urllib reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY). The token travels in a header only: it is
never in a URL, an error or anything printed."""

from __future__ import annotations

import json

from sess.trackers import TRACKER_NAMES, TrackerUnavailable

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

TIMEOUT_S = 10.0
MAX_ANSWER = 16 * 1024 * 1024  # a tracker's JSON answer larger than this is not read


class Answer:
    __slots__ = ("status", "data")

    def __init__(self, status: int, data: Any) -> None:
        self.status = status
        self.data = data


class Client:
    """Calls to one tracker: its name and base URL for messages, the headers that authenticate,
    and what to call the token in a message (the variable, or tracker.token_command)."""

    def __init__(self, tracker: str, base_url: str, headers: dict[str, str], token_source: str,
                 secret: str) -> None:
        self.tracker = tracker
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.token_source = token_source
        self._secret = secret
        import threading

        self.sent = threading.Event()  # set once a request is written, while its answer is awaited

    def _opener(self) -> Any:
        """urllib's opener (proxies and all) whose HTTP and HTTPS connections set `sent` once the
        request is written: `getresponse` comes right after that, to wait for the answer."""
        import urllib.request

        sent = self.sent

        class Signalling(urllib.request.AbstractHTTPHandler):
            def do_open(self, http_class: Any, req: Any, **kwargs: Any) -> Any:
                class Connection(http_class):  # type: ignore[misc]
                    def getresponse(self) -> Any:
                        sent.set()
                        return super().getresponse()

                return super().do_open(Connection, req, **kwargs)

        class Plain(Signalling, urllib.request.HTTPHandler):
            pass

        class Secure(Signalling, urllib.request.HTTPSHandler):
            pass

        return urllib.request.build_opener(Plain, Secure)

    @property
    def label(self) -> str:
        return f"{TRACKER_NAMES[self.tracker]} at {self.base_url}"

    def refused(self, status: str) -> TrackerUnavailable:
        return TrackerUnavailable(f"{self.label} refused the token in {self.token_source} ({status})",
                                  f"Check {self.token_source}; nothing was changed.")

    def call(self, method: str, url: str, body: Any = None, accept: tuple[int, ...] = ()) -> Answer:
        """The JSON answer; 401/403 is TrackerUnavailable naming the token's source, an address that
        cannot be reached or does not answer in time names the tracker and the URL. Other HTTP errors
        are returned when listed in `accept`, else TrackerUnavailable with the tracker's message."""
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": "application/json", "User-Agent": "sess", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener().open(request, timeout=TIMEOUT_S) as response:
                return Answer(response.status, self._json(response.read(MAX_ANSWER)))
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                payload = self._json(exc.read(MAX_ANSWER))
            except (OSError, TrackerUnavailable):
                payload = None
            finally:
                exc.close()
            if status in accept:
                return Answer(status, payload)
            if status in (401, 403):
                raise self.refused(f"HTTP {status}") from None
            said = self._said(payload)
            raise TrackerUnavailable(f"{self.label} answered HTTP {status}" + (f": {said}" if said else ""),
                                     "Nothing was changed.") from None
        except TimeoutError:
            raise self._unreachable(f"no answer within {TIMEOUT_S:.0f}s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise self._unreachable(f"no answer within {TIMEOUT_S:.0f}s") from None
            raise self._unreachable(str(getattr(reason, "strerror", None) or reason)) from None
        except (OSError, ValueError) as exc:  # a reset connection, a malformed address
            raise self._unreachable(str(getattr(exc, "strerror", None) or exc)) from None

    def _unreachable(self, why: str) -> TrackerUnavailable:
        return TrackerUnavailable(f"{self.label} cannot be reached: {self._clean(why)}",
                                  "Check tracker.url and your network; nothing was changed.")

    def _json(self, raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise TrackerUnavailable(f"{self.label} answered something that is not JSON",
                                     "Check tracker.url; nothing was changed.") from None

    def _said(self, payload: Any) -> str:
        """The tracker's own message (Jira's errorMessages, GraphQL's errors), one short line."""
        messages: list[str] = []
        if isinstance(payload, dict):
            for item in payload.get("errorMessages") or []:
                messages.append(str(item))
            errors = payload.get("errors")
            if isinstance(errors, dict):
                messages += [f"{key}: {value}" for key, value in errors.items()]
            elif isinstance(errors, list):
                messages += [str(item.get("message", "")) for item in errors if isinstance(item, dict)]
        return self._clean("; ".join(m for m in messages if m))[:200]

    def _clean(self, text: str) -> str:
        """Text from outside, made safe to show: no token, no control characters."""
        from sess.render import safe

        if self._secret:
            text = text.replace(self._secret, "***")
        return safe(text)
