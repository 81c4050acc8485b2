"""Configuration: the user's `config.toml` and the repository's `.sess.toml`, read once into one
frozen `Config` that lower layers receive (never look up).

Precedence: command-line flag > repository file > user file > built-in default. Flags are
applied by the command layer; `load` merges the files over the defaults.

SKELETON: `load` returns the defaults; reading the files, validation, hooks and trust are
issue 7's work. The field names and meanings below are the contract the other layers use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_BRANCH_TYPES = ("feature", "bugfix", "refactor", "hotfix", "chore", "docs")
HOOK_EVENTS = ("pre-start", "post-start", "pre-end", "post-end", "post-pause", "post-resume")


@dataclass(frozen=True)
class Config:
    """Every key of SPEC Part 2 "Configuration", with its built-in default."""

    branch_types: tuple[str, ...] = DEFAULT_BRANCH_TYPES  # branch.types
    branch_default_type: str = "feature"  # branch.default_type
    branch_template: str = "{type}/{slug}"  # branch.template
    branch_max_length: int = 60  # branch.max_length
    base: str | None = None  # base
    pr_draft: bool = False  # pr.draft
    pr_reviewers: tuple[str, ...] = ()  # pr.reviewers
    pr_labels: tuple[str, ...] = ()  # pr.labels
    pr_assignees: tuple[str, ...] = ()  # pr.assignees
    pr_title: str | None = None  # pr.title; None: "#{issue} {issue_title}" with an issue, else {subject}
    pr_template: str | None = None  # pr.template; None: the repository's own template, if any
    end_delete_branch: bool = False  # end.delete_branch
    end_sync_base: bool = True  # end.sync_base
    time_idle_after_s: int = 2 * 3600  # time.idle_after, in seconds
    time_exclusive: bool = False  # time.exclusive
    # hooks.<event>: a string (run by `sh -c`) or an argument list; only hooks that may run
    # (the user's, and the repository's when trusted) are here.
    hooks: Mapping[str, str | tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    hooks_timeout_s: int = 10 * 60  # hooks.timeout, in seconds


# The keys a file may hold, as written in it (hooks: `hooks.<event>` for each of HOOK_EVENTS).
KEYS = (
    "branch.types", "branch.default_type", "branch.template", "branch.max_length", "base",
    "pr.draft", "pr.reviewers", "pr.labels", "pr.assignees", "pr.title", "pr.template",
    "end.delete_branch", "end.sync_base", "time.idle_after", "time.exclusive",
    *(f"hooks.{event}" for event in HOOK_EVENTS), "hooks.timeout",
)

DEFAULTS = Config()


def load(top: str | None) -> Config:
    """The configuration for the repository at `top` (None: outside a repository)."""
    return DEFAULTS
