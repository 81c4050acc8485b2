"""Pure functions: branch names, durations, relative times, stored timestamps, transitions."""
from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sess import render, rules, timestamps
from sess.errors import SessError

HOSTILE = [
    "$(rm -rf ~)", "`rm -rf ~`", "; echo pwned", "&& echo pwned", "| cat /etc/passwd",
    "--upload-pack=evil", "-b", "-", "--", "..", "a..b", "@{", "@{-1}", "@", "HEAD", "x.lock",
    "refs/heads/main", "~^:?*[\\", "a/./b", "/leading", "trailing/", "x//y", "ÜNÏCÖDÉ Ärger",
    "日本語のタイトル", "emoji \U0001f600 title", "tab\there", "new\nline", "nul\x00byte", "\x7f\x1b[31m",
    "x" * 300, "A" * 59 + " B", " " * 10, "",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=320),
    st.text(alphabet=st.sampled_from(list("-./@{}~^:?*[\\ \t\n$`;|&'\"aZ9ü.lock")), max_size=80),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=40)),
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_ref_format(branch: str) -> bool:
    proc = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True,
                          stdin=subprocess.DEVNULL, check=False)
    return proc.returncode == 0


# --- slugs and branch names ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "slug"), [
    ("Add OAuth2 authentication support", "add-oauth2-authentication-support"),
    ("  --Fix: the__bug!!  ", "fix-the-bug"),
    ("already-a-slug", "already-a-slug"),
    ("CamelCase and 123 numbers", "camelcase-and-123-numbers"),
    ("$(rm -rf ~)", "rm-rf"),
    ("--upload-pack=evil", "upload-pack-evil"),
    ("x.lock", "x-lock"),
    ("a..b@{c", "a-b-c"),
    ("Ünïcödé", "unicode"),  # accents fold to their base letters
    ("日本語", ""),
    ("...", ""),
    ("x" * 300, "x" * 60),
    ("a" * 59 + " b", "a" * 59),  # the cut lands on a separator: no trailing dash
    ("Login loops \x1b[31mred\x1b[0m", "login-loops-red"),  # an issue title's terminal escapes leave no trace
    ("see \x1b]8;;https://x.example\x07the link\x1b]8;;\x07", "see-the-link"),
])
def test_slugify(text: str, slug: str) -> None:
    assert rules.slugify(text) == slug


@given(hostile_text)
@settings(max_examples=300, deadline=None)
def test_slugify_shape(text: str) -> None:
    slug = rules.slugify(text)
    assert len(slug) <= rules.SLUG_MAX
    assert slug == "" or SLUG.match(slug), slug


@given(st.sampled_from(rules.BRANCH_TYPES), hostile_text)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_branch_name_is_valid_for_git_or_refused(branch_type: str, text: str) -> None:
    try:
        branch = rules.branch_name(branch_type, text)
    except SessError as exc:
        assert "empty branch name" in exc.message
        assert rules.slugify(text) == ""
        return
    assert branch.startswith(f"{branch_type}/")
    assert SLUG.match(branch.split("/", 1)[1])
    assert check_ref_format(branch), branch


@pytest.mark.parametrize("text", HOSTILE)
def test_every_listed_hostile_title_is_valid_or_refused(text: str) -> None:
    try:
        branch = rules.branch_name("feature", text)
    except SessError:
        assert rules.slugify(text) == ""
        return
    assert check_ref_format(branch)


def test_branch_name_unknown_type() -> None:
    with pytest.raises(SessError, match="unknown branch type 'evil'"):
        rules.branch_name("evil", "x")


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("  ", None), ("#", None), ("123", "123"), ("#123", "123"), (" 42 ", "42"),
    ("PROJ-12", "PROJ-12"),
])
def test_normalise_issue_id(value: str | None, expected: str | None) -> None:
    assert rules.normalise_issue_id(value) == expected


# --- durations ----------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "text"), [
    (2 * 3600 + 34 * 60 + 12, "2h34m"),
    (45 * 60 + 12, "45m12s"),
    (30, "30s"),
    (3600, "1h0m"),
    (30 * 60, "30m0s"),
    (0, "0s"),
    (59.9, "59s"),
    (60, "1m0s"),
    (3599, "59m59s"),
    (48 * 3600 + 5, "48h0m"),
    (-5, "0s"),
])
def test_duration(seconds: float, text: str) -> None:
    assert render.duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**7))
def test_duration_shape(seconds: int) -> None:
    text = render.duration(seconds)
    assert re.fullmatch(r"[1-9]\d*h\d{1,2}m|[1-9]\d?m\d{1,2}s|\d{1,2}s", text), text
    assert ":" not in text and " " not in text


# --- relative times -----------------------------------------------------------------------

@pytest.fixture
def utc_local() -> Iterator[None]:
    """relative() compares local calendar days: pin the process's zone to UTC."""
    import os

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


NOW = datetime(2026, 4, 10, 15, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("ago", "text"), [
    (timedelta(seconds=0), "just now"),
    (timedelta(seconds=59), "just now"),
    (timedelta(seconds=-30), "just now"),  # a clock a little ahead
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=5, seconds=30), "5 minutes ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=1), "1 hour ago"),
    (timedelta(hours=2, minutes=10), "2 hours ago"),
    (timedelta(hours=15), "15 hours ago"),
    (timedelta(hours=16), "yesterday"),  # 23:00 the day before
    (timedelta(days=1, hours=10), "yesterday"),
    (timedelta(days=3), "3 days ago"),
    (timedelta(days=7), "7 days ago"),
    (timedelta(days=8), "2026-04-02"),
    (timedelta(days=400), "2025-03-06"),
])
def test_relative(utc_local: None, ago: timedelta, text: str) -> None:
    assert render.relative(NOW - ago, NOW) == text


def test_relative_never_and_other_zones(utc_local: None) -> None:
    assert render.relative(None, NOW) == "never"
    plus_two = timezone(timedelta(hours=2))
    assert render.relative((NOW - timedelta(minutes=5)).astimezone(plus_two), NOW) == "5 minutes ago"


# --- stored timestamps --------------------------------------------------------------------

def at(offset_minutes: int) -> timezone:
    return timezone(timedelta(minutes=offset_minutes))


@pytest.mark.parametrize(("text", "expected"), [
    # what sess writes
    ("2026-04-02 10:15:30.123456+02:00", datetime(2026, 4, 2, 10, 15, 30, 123456, at(120))),
    ("2026-04-02 10:15:30.000000+00:00", datetime(2026, 4, 2, 10, 15, 30, 0, UTC)),
    # Go's time.Time.String(), with and without the monotonic reading
    ("2026-04-02 10:15:30.123456789 +0200 CEST m=+0.004211870",
     datetime(2026, 4, 2, 10, 15, 30, 123456, at(120))),
    ("2026-04-02 10:15:30.123456789 +0200 CEST", datetime(2026, 4, 2, 10, 15, 30, 123456, at(120))),
    ("2026-04-02 10:15:30 +0000 UTC", datetime(2026, 4, 2, 10, 15, 30, 0, UTC)),
    ("2026-01-02 03:04:05.5 -0700 MST m=-12.000000001", datetime(2026, 1, 2, 3, 4, 5, 500000, at(-420))),
    ("2026-04-02 10:15:30.1 +0530 IST m=+1234.5", datetime(2026, 4, 2, 10, 15, 30, 100000, at(330))),
    ("2026-04-02 10:15:30 -0330 -0330", datetime(2026, 4, 2, 10, 15, 30, 0, at(-210))),
    ("2026-04-02 10:15:30 +0000 +00", datetime(2026, 4, 2, 10, 15, 30, 0, UTC)),
    # the Go SQLite driver's own layout
    ("2026-04-02 10:15:30.123456789+02:00", datetime(2026, 4, 2, 10, 15, 30, 123456, at(120))),
    # RFC 3339 / ISO 8601
    ("2026-04-02T10:15:30Z", datetime(2026, 4, 2, 10, 15, 30, 0, UTC)),
    ("2026-04-02T10:15:30.5+05:30", datetime(2026, 4, 2, 10, 15, 30, 500000, at(330))),
    ("2026-04-02T10:15:30.999999999-03:00", datetime(2026, 4, 2, 10, 15, 30, 999999, at(-180))),
    # no offset: taken as UTC
    ("2026-04-02 10:15:30", datetime(2026, 4, 2, 10, 15, 30, 0, UTC)),
    ("2026-04-02T10:15:30.25", datetime(2026, 4, 2, 10, 15, 30, 250000, UTC)),
])
def test_parse_db_forms(text: str, expected: datetime) -> None:
    parsed = timestamps.parse_db(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_db_empty(value: str | None) -> None:
    assert timestamps.parse_db(value) is None


def test_parse_db_unix_number() -> None:
    assert timestamps.parse_db(0) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["garbage", "2026-04-02", "10:15:30", "2026-13-02 10:15:30",
                                  "2026-04-02 10:15:30 m=+1 extra words"])
def test_parse_db_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        timestamps.parse_db(text)
    assert timestamps.epoch(text) is None


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.sampled_from([UTC, at(120), at(-420), at(330), at(-210)])))
def test_format_then_parse_is_the_same_instant(moment: datetime) -> None:
    text = timestamps.format_db(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d", text), text
    assert timestamps.parse_db(text) == moment
    assert timestamps.epoch(text) == pytest.approx(moment.timestamp())


# --- transitions and time math ------------------------------------------------------------

T0 = datetime(2026, 4, 2, 10, 0, 0, tzinfo=UTC)


def make_session(state: str, total_s: int = 0, slice_start: datetime | None = T0) -> rules.Session:
    return rules.Session(1, 1, "feature/x", "feature", state, None, None, T0, None, None,
                         slice_start if state == rules.ACTIVE else None, total_s * rules.NS_PER_SECOND,
                         None, None)


def test_elapsed_counts_the_running_slice_only_while_active() -> None:
    later = T0 + timedelta(minutes=10)
    assert rules.elapsed_seconds(make_session(rules.ACTIVE, total_s=60), later) == 660
    assert rules.elapsed_seconds(make_session(rules.PAUSED, total_s=60), later) == 60
    # a slice that seems to start in the future (clock skew) adds nothing
    assert rules.elapsed_seconds(make_session(rules.ACTIVE, total_s=60), T0 - timedelta(hours=1)) == 60


def test_pause_folds_the_slice_into_the_total() -> None:
    later = T0 + timedelta(seconds=90)
    changes = rules.pause(make_session(rules.ACTIVE, total_s=30), later)
    assert changes == {"state": rules.PAUSED, "pause_time": later, "current_slice_start": None,
                       "total_elapsed": 120 * rules.NS_PER_SECOND}


def test_resume_starts_a_new_slice() -> None:
    later = T0 + timedelta(hours=1)
    assert rules.resume(make_session(rules.PAUSED), later) == {
        "state": rules.ACTIVE, "pause_time": None, "current_slice_start": later}


@pytest.mark.parametrize(("transition", "state", "message"), [
    (rules.pause, rules.PAUSED, "already paused"),
    (rules.pause, rules.ENDED, "no active session"),
    (rules.resume, rules.ACTIVE, "already active"),
    (rules.resume, rules.ENDED, "no paused session"),
])
def test_transitions_refuse_the_wrong_state(transition: object, state: str, message: str) -> None:
    with pytest.raises(SessError, match=message):
        transition(make_session(state), T0)  # type: ignore[operator]


def test_end_keeps_the_time_and_the_pr() -> None:
    later = T0 + timedelta(minutes=5)
    changes = rules.end(make_session(rules.ACTIVE, total_s=10), later, 7, "https://x/pull/7")
    assert changes["state"] == rules.ENDED and changes["end_time"] == later
    assert changes["total_elapsed"] == 310 * rules.NS_PER_SECOND
    assert (changes["pr_number"], changes["pr_url"]) == (7, "https://x/pull/7")
    with pytest.raises(SessError):
        rules.end(make_session(rules.ENDED), later, None, None)


# --- templates (branch.template, pr.title) ---------------------------------------------------------

@pytest.mark.parametrize(("template", "fields", "expected"), [
    ("{type}/{issue}-{slug}", {"type": "feature", "slug": "add-login", "issue": ""}, "feature/add-login"),
    ("{type}/{issue}-{slug}", {"type": "feature", "slug": "add-login", "issue": "12"}, "feature/12-add-login"),
    ("{type}/{slug}-{issue}", {"type": "bugfix", "slug": "x", "issue": ""}, "bugfix/x"),
    ("{user}/{type}/{slug}", {"type": "feature", "slug": "x", "user": ""}, "feature/x"),
    ("{slug}_{issue}.{date}", {"slug": "x", "issue": "", "date": "2026-11-30"}, "x_2026-11-30"),  # the one after
    ("{issue}-{user}-{slug}", {"slug": "x", "issue": "", "user": ""}, "x"),
    ("{type}/{slug}", {"type": "docs", "slug": "readme"}, "docs/readme"),
])
def test_branch_from_template(template: str, fields: dict[str, str], expected: str) -> None:
    assert rules.branch_from_template(template, fields) == expected


def test_fill_template_keeps_literal_braces() -> None:
    assert rules.fill_template("{{x}} {slug}", {"slug": "a"}) == "{x} a"
