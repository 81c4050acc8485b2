"""The forge's own issues (`tracker.type = "forge"`, the default): asked of sess.forges, whichever
forge origin has (GitHub through gh, GitLab through glab)."""

from __future__ import annotations

from sess.errors import SessError
from sess.trackers import GITHUB, Issue, Prefetch, Tracker, TrackerUnavailable

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sess.config import Config
    from sess.forges import Forge


class ForgeIssues(Tracker):
    def __init__(self, top: str, cfg: Config) -> None:
        self.top = top
        self.cfg = cfg
        self._forge: Forge | None = None

    @property
    def forge(self) -> Forge:
        if self._forge is None:
            from sess import forges

            self._forge = forges.open_forge(self.top, forges.Settings.of(self.cfg), instead="pass --no-issue")
        return self._forge

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.forge.name or GITHUB

    @property
    def time_tracking(self) -> bool:  # type: ignore[override]
        return self.name != GITHUB  # GitLab's /spend

    def reference(self, value: str) -> str:
        from sess import forges
        from sess.rules import is_issue_key as is_key

        if is_key(value.strip()):
            from sess.errors import UsageError

            raise UsageError(f"--issue {value!r} is a Jira or Linear key, but this project's issues are its forge's",
                             'Set tracker.type = "jira" or "linear" (with tracker.url), or pass the issue number.')

        if self.name == forges.GITLAB:
            from sess.forges import gitlab

            return gitlab.issue_reference(value)
        return forges.issue_reference(value)[0]

    def view(self, value: str) -> Issue:
        issue = self.forge.view_issue(value)
        return Issue(issue.id, issue.title, issue.url, issue.state, self.name)

    def list_open(self) -> list[Issue]:
        return self._listing()()

    def prefetch(self) -> Prefetch | None:
        try:
            return Prefetch(self._listing(), on_thread=False)
        except SessError as exc:  # no such CLI, an unknown forge: the picker says so
            return Prefetch(None, exc)

    def _listing(self) -> Callable[[], list[Issue]]:
        """The forge's CLI asked for the open issues now; calling what this returns reads its answer."""
        from sess.errors import ForgeUnavailable

        try:
            answer = self.forge.listing_open_issues()
        except ForgeUnavailable as exc:
            raise TrackerUnavailable(exc.message, exc.hint) from None

        def issues() -> list[Issue]:
            try:
                found = answer()
            except ForgeUnavailable as exc:
                raise TrackerUnavailable(exc.message, exc.hint) from None
            return [Issue(issue.id, issue.title, issue.url, issue.state, self.name) for issue in found]
        return issues

    def log_time(self, issue_id: str, seconds: int, started: datetime, marker: str) -> str | None:
        """GitLab: a note `/spend 1h30m 2026-12-01` on the issue (units always written, one per note)."""
        from sess.forges import gitlab

        forge = self.forge
        if not isinstance(forge, gitlab.Forge):
            raise NotImplementedError(f"{self.name} has no time tracking")
        minutes = seconds // 60
        return forge.note_issue(issue_id, f"/spend {minutes // 60}h{minutes % 60}m {started.date().isoformat()}")
