"""The team through git: `sess sync` and `sess team` between people and devices, each a clone of
its own (own HOME, state dir, git identity) against one bare origin; assertions on what origin
holds, not only on what sess prints."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import GITCONFIG, FakeGh, Repo, Result, SessRunner, refused, run_git

SYNC_ON = "[sync]\nenabled = true\n"


def actor(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


class Person:
    """One person on one device: a clone of origin, a HOME, a state dir, a git identity."""

    def __init__(self, root: Path, base_env: dict[str, str], origin: Path, name: str, email: str,
                 device: str = "laptop") -> None:
        self.name, self.email = name, email
        home = root / f"{name.split()[0].lower()}-{device}"
        (home / "home").mkdir(parents=True)
        gitconfig = home / "gitconfig"
        gitconfig.write_text(GITCONFIG.replace("Test User", name).replace("test@example.com", email))
        self.env = {**base_env, "HOME": str(home / "home"), "SESS_HOME": str(home / "sesshome"),
                    "GIT_CONFIG_GLOBAL": str(gitconfig)}
        run_git(home, self.env, "clone", "-q", str(origin), "widgets")
        self.repo = Repo(home / "widgets", self.env, origin)
        self.state = Path(self.env["SESS_HOME"])

    def __call__(self, *args: str, check: int | None = 0, input: str | None = None) -> Result:
        proc = subprocess.run([sys.executable, "-m", "sess", *args], cwd=self.repo.path, env=self.env, text=True,
                              capture_output=True, timeout=60, check=False,
                              **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}))
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        if check is not None:
            assert result.code == check, result
        return result

    @property
    def device(self) -> str:
        return (self.state / "device-id").read_text().strip()

    @property
    def ref(self) -> str:
        return f"refs/sess/v1/{actor(self.email)}/{self.device}"


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str], repo: Repo) -> dict[str, Person]:
    """Ada (laptop and desktop) and Bob, in a repository whose .sess.toml turns sync on."""
    repo.commit(".sess.toml", SYNC_ON, "Share session records")
    repo.git("push", "-q", "origin", "main")
    assert repo.origin is not None
    people = tmp_path / "people"
    return {"ada": Person(people, env, repo.origin, "Ada Dev", "Ada@Example.com"),
            "desk": Person(people, env, repo.origin, "Ada Dev", "ada@example.com", device="desktop"),
            "bob": Person(people, env, repo.origin, "Bob Builder", "bob@example.com")}


def origin_refs(origin: Path, env: dict[str, str]) -> dict[str, str]:
    listing = run_git(origin, env, "for-each-ref", "--format=%(refname) %(objectname)", "refs/sess/")
    return dict(line.split(" ", 1) for line in listing.splitlines())  # type: ignore[misc]


def records_on_origin(origin: Path, env: dict[str, str], ref: str) -> dict[str, dict[str, object]]:
    paths = run_git(origin, env, "ls-tree", "-r", "--name-only", ref).splitlines()
    return {path: json.loads(run_git(origin, env, "show", f"{ref}:{path}")) for path in paths}


# --- what leaves the machine ------------------------------------------------------------------------

def test_a_first_sync_with_no_session_of_yours_pushes_nothing_and_says_so(team: dict[str, Person],
                                                                          repo: Repo) -> None:
    done = team["bob"]("sync")
    assert done.out.splitlines()[1] == "No session of yours to share yet: nothing pushed", done
    assert repo.origin is not None and origin_refs(repo.origin, repo.env) == {}


def test_sync_writes_exactly_the_listed_fields_on_one_ref(team: dict[str, Person], repo: Repo) -> None:
    ada = team["ada"]
    ada.repo.write("work.txt", "uncommitted\n")
    ada("start", "add-oauth", "--no-issue", "--dirty", "carry")
    head, index = ada.repo.git("rev-parse", "HEAD"), (ada.repo.path / ".git" / "index").read_bytes()
    status = ada.repo.git("status", "--porcelain")
    fetch_config = ada.repo.git("config", "--get-all", "remote.origin.fetch")

    done = ada("sync")  # start's sync.auto has pushed it already
    assert done.out.startswith("Synced widgets with origin\n1 session of yours, up to date on refs/sess/v1/"), done

    assert repo.origin is not None
    refs = origin_refs(repo.origin, repo.env)
    assert list(refs) == [ada.ref]
    assert ada.ref.split("/")[3] == actor("ada@example.com")  # the lower-cased e-mail
    records = records_on_origin(repo.origin, repo.env, ada.ref)
    [(path, record)] = records.items()
    uuid = record["uuid"]
    assert path == f"sessions/{record['started_at'][:7]}/{uuid}.json"  # type: ignore[index]
    assert set(record) == {"uuid", "actor", "device", "branch", "type", "issue", "pr", "state", "outcome",
                           "started_at", "ended_at", "slices", "elapsed_seconds"}
    assert record["actor"] == {"name": "Ada Dev", "email": "Ada@Example.com"}
    assert record["device"] == ada.device and record["branch"] == "feature/add-oauth"
    assert record["state"] == "active" and record["issue"] is None and record["pr"] is None
    [piece] = record["slices"]  # type: ignore[misc]
    assert piece["end"] is None and piece["start"].endswith("Z")
    blob = run_git(repo.origin, repo.env, "show", f"{ada.ref}:{path}")
    assert str(ada.repo.path) not in blob and str(ada.state) not in blob  # nothing private
    # the work tree, the index and HEAD were not touched; plain `git fetch` stays as it was
    assert ada.repo.git("rev-parse", "HEAD") == head
    assert (ada.repo.path / ".git" / "index").read_bytes() == index
    assert ada.repo.git("status", "--porcelain") == status
    assert ada.repo.git("config", "--get-all", "remote.origin.fetch") == fetch_config
    # the device id is random, made once, and not the host name
    assert len(ada.device) == 16 and os.uname().nodename not in ada.device


def test_each_push_adds_to_the_last_one_never_forced(team: dict[str, Person], repo: Repo) -> None:
    ada = team["ada"]
    assert repo.origin is not None
    ada("start", "one", "--no-issue")
    first = origin_refs(repo.origin, repo.env)[ada.ref]
    again = ada("sync")
    assert "up to date" in again.out and origin_refs(repo.origin, repo.env)[ada.ref] == first  # nothing new
    ada("pause")  # pause has no sync.auto
    ada("sync")
    second = origin_refs(repo.origin, repo.env)[ada.ref]
    assert second != first
    assert run_git(repo.origin, repo.env, "rev-parse", f"{second}^") == first
    # what this device pushed is recorded in its state dir, without origin's URL (it may hold a token)
    recorded = (ada.state / "sync-pushed.json").read_text()
    assert second in recorded and str(repo.origin) not in recorded
    [record] = records_on_origin(repo.origin, repo.env, ada.ref).values()
    assert record["state"] == "paused"


def test_a_copied_device_id_is_refused_and_origin_keeps_its_ref(team: dict[str, Person], repo: Repo,
                                                                tmp_path: Path, env: dict[str, str]) -> None:
    ada = team["ada"]
    assert repo.origin is not None
    ada("start", "one", "--no-issue")
    ada("sync")
    # A second machine made from a copy of the first's state dir, before it had ever synced.
    twin = Person(tmp_path / "twin", env, repo.origin, "Ada Dev", "ada@example.com")
    twin.state.mkdir(parents=True)
    shutil.copy(ada.state / "device-id", twin.state / "device-id")
    twin("start", "two", "--no-issue")
    before = origin_refs(repo.origin, repo.env)
    refused = twin("sync", check=1)
    assert refused.err.startswith("Error: origin's refs/sess/v1/") and "device-id" in refused.err, refused
    assert origin_refs(repo.origin, repo.env) == before
    assert twin.repo.git("for-each-ref", "refs/sess/v1/") == ""  # nothing half-written in the clone either


def test_teammates_and_other_devices_through_team(team: dict[str, Person], repo: Repo,
                                                  gh: object) -> None:
    ada, desk, bob = team["ada"], team["desk"], team["bob"]
    ada("start", "add-oauth", "--no-issue")  # sync.auto pushes it
    bob("start", "fix-crash", "--no-issue", "--type", "bugfix")  # and reads it
    shown = json.loads(bob("team", "--json").out)["sessions"]
    by_branch = {entry["branch"]: entry for entry in shown}
    assert set(by_branch) == {"feature/add-oauth", "bugfix/fix-crash"}
    theirs = by_branch["feature/add-oauth"]
    assert theirs["person"] == {"name": "Ada Dev", "email": "Ada@Example.com"} and not theirs["you"]
    assert theirs["device"] == ada.device and theirs["state"] == "active" and theirs["synced_at"]
    assert by_branch["bugfix/fix-crash"]["you"] and by_branch["bugfix/fix-crash"]["this_device"]
    text = bob("team").out
    assert text.startswith("Open sessions in widgets (2)\n"), text
    assert "Ada Dev · feature/add-oauth (feature) · active" in text and "synced just now" in text

    # Ada's desktop: the same person, another device; her laptop's session is hers
    desk("sync")
    mine = json.loads(desk("team", "--json").out)["sessions"]
    laptop = next(entry for entry in mine if entry["branch"] == "feature/add-oauth")
    assert laptop["you"] and not laptop["this_device"]

    # incremental: nothing moved, nothing read; Ada's end moves one ref, which alone is read
    assert "No teammate's ref changed" in bob("sync").out
    ada("cancel")
    moved = bob("sync")
    assert "Read 1 changed ref (1 record)" in moved.out, moved
    assert [e["branch"] for e in json.loads(bob("team", "--json").out)["sessions"]] == ["bugfix/fix-crash"]
    recent = json.loads(bob("team", "--all", "--json").out)["sessions"]
    assert {e["branch"]: e["state"] for e in recent}["feature/add-oauth"] == "cancelled"


# --- opting in, opting out, no origin -------------------------------------------------------------------

def test_off_unless_the_team_opts_in_and_a_personal_opt_out_wins(sess: SessRunner, repo: Repo,
                                                               env: dict[str, str]) -> None:
    refused(sess("sync"), "sync is not enabled in this repository", code=1)
    user_file = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text(SYNC_ON)  # the user's own true shares nothing by itself
    refused(sess("sync"), "sync is not enabled in this repository", code=1)
    repo.commit(".sess.toml", SYNC_ON, "Share session records")
    user_file.write_text("[sync]\nenabled = false\n")
    refused(sess("sync"), "you opted out of sync", code=1)
    sess("start", "quiet", "--no-issue", check=0)  # no auto sync either
    assert repo.origin is not None
    assert origin_refs(repo.origin, env) == {}
    listed = json.loads(sess("config", "list", "--json", check=0).out)
    assert "sync.enabled" in json.dumps(listed) and "sync.auto" in json.dumps(listed)


def test_without_an_origin_one_line(sess: SessRunner, repo_no_remote: Repo) -> None:
    repo_no_remote.commit(".sess.toml", SYNC_ON, "Share session records")
    result = sess("sync")
    refused(result, "no origin", code=1)
    assert len(result.err.strip().splitlines()) == 1
    started = sess("start", "solo", "--no-issue", check=0)  # auto sync: one warning, start done
    assert [line for line in started.err.splitlines() if line.startswith("Warning: sess sync")] == [
        "Warning: sess sync did not finish: this repository has no origin to sync with"], started


def test_auto_sync_after_start_end_cancel_and_switch(team: dict[str, Person], repo: Repo, gh: object) -> None:
    ada = team["ada"]
    assert repo.origin is not None
    ada("start", "auto", "--no-issue")
    [record] = records_on_origin(repo.origin, repo.env, ada.ref).values()
    assert record["state"] == "active"
    ada("start", "other", "--no-issue", "--park")
    ada("switch", "feature/auto")  # sync.auto after switch: the clock moved back to the first
    states = {r["branch"]: r["state"] for r in records_on_origin(repo.origin, repo.env, ada.ref).values()}
    assert states == {"feature/auto": "active", "feature/other": "paused"}, states
    ada("cancel", "--session", "feature/other")
    ada("cancel")
    records = records_on_origin(repo.origin, repo.env, ada.ref).values()
    assert {record["outcome"] for record in records} == {"cancelled"}
    # a server that refuses refs/sess/*: the command still succeeds, with one warning line
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do case $ref in refs/sess/*) "
                    "echo 'no custom refs here' >&2; exit 1;; esac; done\n")
    hook.chmod(0o755)
    before = origin_refs(repo.origin, repo.env)
    started = ada("start", "refused", "--no-issue")
    warnings = [line for line in started.err.splitlines() if "sess sync" in line]
    assert warnings == ["Warning: sess sync did not finish: origin refuses refs under refs/sess/v1 "
                        "(pre-receive hook declined); nothing was pushed"], started
    refused_sync = ada("sync", check=1)
    assert len(refused_sync.err.strip().splitlines()) == 1, refused_sync
    assert origin_refs(repo.origin, repo.env) == before
    # this clone's copy of the ref is back at what origin holds
    assert ada.repo.git("rev-parse", ada.ref) == before[ada.ref]


def test_dry_run_pushes_nothing(team: dict[str, Person], repo: Repo) -> None:
    ada = team["ada"]
    assert repo.origin is not None
    (ada.repo.path / ".sess.toml").write_text(SYNC_ON + "auto = false\n")
    ada.repo.git("commit", "-qam", "no auto")
    ada("start", "dry", "--no-issue")
    assert origin_refs(repo.origin, repo.env) == {}  # sync.auto = false
    dry = ada("sync", "--dry-run")
    assert dry.out.startswith(f"Would push 1 session of yours to {ada.ref} on origin"), dry
    assert origin_refs(repo.origin, repo.env) == {}
    assert ada.repo.git("for-each-ref", "refs/sess/") == ""
    pushed = ada("sync")
    assert pushed.out.splitlines()[1] == f"Pushed 1 session (1 changed) to {ada.ref}", pushed
    assert list(origin_refs(repo.origin, repo.env)) == [ada.ref]


# --- records from outside ------------------------------------------------------------------------------

def plant(origin: Path, env: dict[str, str], ref: str, files: dict[str, bytes]) -> None:
    """A ref on origin written by hand, as a hostile or broken teammate's sess might."""
    work = origin.parent / "planting"
    if work.exists():
        shutil.rmtree(work)
    run_git(origin.parent, env, "init", "-q", str(work))
    for path, data in files.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    run_git(work, env, "add", "-A")
    run_git(work, env, "commit", "-q", "-m", "records")
    run_git(work, env, "push", "-q", "--force", str(origin), f"HEAD:{ref}")


def good_record(uuid: str, email: str, device: str, **changes: object) -> bytes:
    record: dict[str, object] = {
        "uuid": uuid, "actor": {"name": "Eve", "email": email}, "device": device, "branch": "feature/x",
        "type": "feature", "issue": {"tracker": "github", "id": "42", "title": "Fine"}, "pr": None,
        "state": "active", "outcome": None, "started_at": "2026-11-30T09:14:00Z", "ended_at": None,
        "slices": [{"start": "2026-11-30T09:14:00Z", "end": None}], "elapsed_seconds": 0}
    record.update(changes)
    return json.dumps(record).encode()


def test_hostile_records_are_skipped_or_shown_safely(team: dict[str, Person], repo: Repo) -> None:
    bob = team["bob"]
    assert repo.origin is not None
    email, device = "eve@example.com", "00112233445566ff"
    ref = f"refs/sess/v1/{actor(email)}/{device}"
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(1, 9)]
    plant(repo.origin, repo.env, ref, {
        f"sessions/2026-11/{ids[0]}.json": good_record(
            ids[0], email, device, actor={"name": "Eve\x1b[31m<script>alert(1)</script>", "email": email},
            branch="feature/\x1b]0;pwned\x07x", issue={"tracker": "github", "id": "42", "title": "T\x1b[2Jitle"}),
        f"sessions/2026-11/{ids[1]}.json": b"{not json",
        f"sessions/2026-11/{ids[2]}.json": b" " * (200 * 1024),
        f"sessions/2026-11/{ids[3]}.json": good_record(ids[3], email, device, elapsed_seconds="lots"),
        f"sessions/2026-11/{ids[4]}.json": good_record(ids[4], "mallory@example.com", device),  # not the ref's
        f"sessions/2026-11/{ids[5]}.json": good_record(ids[5], email, device, state="hacking"),
        "sessions/2026-11/not-a-uuid.json": b"{}",
        "sessions/2026-11/\x1b[31mred.json": b"{}",
        "notes.txt": b"hello",
    })
    result = bob("sync")
    warnings = [line for line in result.err.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and f"in {ref} on origin" in warnings[0], result
    assert "\x1b" not in result.err + result.out
    shown = json.loads(bob("team", "--json").out)["sessions"]
    assert len(shown) == 1
    assert shown[0]["person"]["name"] == "Eve[31m<script>alert(1)</script>"
    assert shown[0]["branch"] == "feature/]0;pwnedx"
    text = bob("team").out
    assert "\x1b" not in text and "\x07" not in text
    page = bob("report", "--team", "--html", "-", "--since", "2026-11-01").out
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in bob("history", "--team").out
    plant(repo.origin, repo.env, f"refs/sess/v1/{actor('mal@example.com')}/{device}", {
        f"sessions/2026-11/{ids[7]}.json": good_record(
            ids[7], "mal@example.com", device, actor={"name": "=HYPERLINK(\"http://x\")", "email": "mal@example.com"})})
    bob("sync")
    rows = bob("export", "--team", "--since", "2026-11-01").out.splitlines()
    assert any(row.startswith('"\'=HYPERLINK(""http://x"")",') for row in rows), rows
    # the broken records are not retried on every sync: the ref did not move
    again = bob("sync")
    assert "Warning" not in again.err and "No teammate's ref changed" in again.out, again
    # the ref moves: only what changed is read, a new broken record warned about once
    plant(repo.origin, repo.env, ref, {
        f"sessions/2026-11/{ids[0]}.json": good_record(ids[0], email, device, branch="feature/renamed"),
        f"sessions/2026-11/{ids[6]}.json": b"[1, 2",
    })
    moved = bob("sync")
    assert "Read 1 changed ref (1 record)" in moved.out, moved
    assert [line for line in moved.err.splitlines() if line.startswith("Warning:")] == [
        f"Warning: skipped 1 unreadable record in {ref} on origin ({ids[6]}: not JSON)"], moved
    eves = [e for e in json.loads(bob("team", "--json").out)["sessions"] if e["person"]["email"] == email]
    assert [e["branch"] for e in eves] == ["feature/renamed"]
    # read incrementally too: a huge record is never read, an odd path is left out, one warning
    plant(repo.origin, repo.env, ref, {
        f"sessions/2026-11/{ids[0]}.json": good_record(ids[0], email, device, branch="feature/again"),
        f"sessions/2026-11/{ids[2]}.json": b" " * (200 * 1024),
        "sessions/2026-11/deeper/x.json": b"{}",
    })
    moved = bob("sync")
    assert "Read 1 changed ref (1 record)" in moved.out, moved
    [warning] = [line for line in moved.err.splitlines() if line.startswith("Warning:")]
    assert warning.startswith(f"Warning: skipped 2 unreadable records in {ref} on origin ("), moved
    eves = [e for e in json.loads(bob("team", "--json").out)["sessions"] if e["person"]["email"] == email]
    assert [e["branch"] for e in eves] == ["feature/again"]


# --- who is on it already ------------------------------------------------------------------------------

def test_start_on_an_issue_someone_is_on_warns(team: dict[str, Person], gh: FakeGh, repo: Repo) -> None:
    ada, bob, desk = team["ada"], team["bob"], team["desk"]
    gh.add_issue(42, "Add OAuth2 login")
    ada("start", "--issue", "42")  # sync.auto shares it
    bob("sync")
    started = bob("start", "--issue", "42", "--type", "bugfix")
    [line] = [line for line in started.err.splitlines() if "has been on" in line]
    assert re.fullmatch(r"Ada Dev has been on #42 since \d\d:\d\d \(feature/add-oauth2-login, synced just now\)",
                        line), started
    assert bob.repo.current_branch() == "bugfix/add-oauth2-login"  # piped: a warning, and on
    # on her other device, her own session is not "another actor", Bob's is
    desk("sync")
    own = desk("start", "--issue", "42", "--type", "chore")
    assert "Ada Dev has been on" not in own.err and "Bob Builder has been on #42" in own.err, own


def test_start_on_a_taken_issue_asks_on_a_terminal(team: dict[str, Person], gh: FakeGh, repo: Repo) -> None:
    from test_interactive import ENTER, Terminal

    ada, bob = team["ada"], team["bob"]
    gh.add_issue(42, "Add OAuth2 login")
    ada("start", "--issue", "42")
    bob("sync")
    terminal = Terminal(bob.env, bob.repo.path, "start", "--issue", "42", "--type", "bugfix", "new-login")
    try:
        terminal.expect("Ada Dev has been on #42 since")
        terminal.expect("Start on #42 anyway?")
        terminal.send(ENTER)  # the default: no
        assert terminal.finish() == 1
    finally:
        if terminal.child.isalive():
            terminal.child.terminate(force=True)
    assert "cancelled; nothing was changed" in terminal.seen
    assert bob.repo.current_branch() == "main" and not bob.repo.is_dirty()
    assert json.loads(bob("status", "--json").out)["session"] is None
    terminal = Terminal(bob.env, bob.repo.path, "start", "--issue", "42", "--type", "bugfix", "new-login")
    try:
        terminal.expect("Start on #42 anyway?")
        terminal.send("y" + ENTER)  # yes/no takes its answer on Enter (issue 15 item 19)
        assert terminal.finish() == 0
    finally:
        if terminal.child.isalive():
            terminal.child.terminate(force=True)
    assert bob.repo.current_branch() == "bugfix/new-login"


# --- --team on history, stats, report -------------------------------------------------------------------

def test_team_reports_count_everyone_once_by_person(team: dict[str, Person], repo: Repo) -> None:
    ada, desk, bob = team["ada"], team["desk"], team["bob"]
    ada("start", "laptop-work", "--no-issue", "--at", "3h")
    ada("pause", "--at", "2h")  # one hour
    ada("sync")
    desk("start", "desktop-work", "--no-issue", "--at", "90m")
    desk("pause", "--at", "60m")  # half an hour
    desk("sync")
    bob("start", "bob-work", "--no-issue", "--type", "bugfix", "--at", "20m")
    bob("pause", "--at", "10m")  # ten minutes
    bob("sync")

    report = json.loads(bob("report", "--team", "--json").out)
    stats = report["stats"]
    assert stats["scope"] == "team" and stats["total_sessions"] == 3
    assert stats["total_elapsed_seconds"] == pytest.approx(3600 + 1800 + 600, abs=3)
    people = {person["name"]: person for person in stats["by_person"]}
    assert people["Ada Dev"]["sessions"] == 2 and people["Ada Dev"]["elapsed_seconds"] == pytest.approx(5400, abs=3)
    assert people["Bob Builder"]["you"] and people["Bob Builder"]["sessions"] == 1
    assert stats["longest"]["branch"] == "feature/laptop-work" and stats["longest"]["person"]["name"] == "Ada Dev"
    assert [entry["person"]["name"] for entry in report["recent"]] == ["Bob Builder", "Ada Dev", "Ada Dev"]
    text = bob("report", "--team").out
    assert text.startswith("Report for widgets, everyone\n3 sessions · 0 active · 3 paused"), text
    assert re.search(r"\nBy person\n  Ada Dev            1h30m ·  90% · 2 sessions\n"
                     r"  Bob Builder \(you\)  10m\ds ·  10% · 1 session\n", text), text
    history = bob("history", "--team").out
    assert "feature/laptop-work (feature) · paused · 1h0m\n  Ada Dev · 3 hours ago" in history, history
    # Ada's desktop counts her laptop's session once, her own desktop one from its own table
    desk("sync")
    assert json.loads(desk("stats", "--team", "--json").out)["total_sessions"] == 3
    # a period clips everyone's slices
    since = (datetime.now(UTC) - timedelta(minutes=150)).isoformat(timespec="seconds")
    clipped = json.loads(bob("stats", "--team", "--since", since, "--json").out)
    assert clipped["total_elapsed_seconds"] == pytest.approx(1800 + 1800 + 600, abs=30), clipped  # the clock moved on
    # without --team, as before: this device's own sessions
    assert json.loads(bob("stats", "--json").out)["total_sessions"] == 1
    refused(bob("stats", "--team", "--all", check=None), "--team and --all cannot be combined")
    page = bob("report", "--team", "--html", "-").out
    assert "By person" in page and "Ada Dev" in page
    exported = bob("export", "--team").out.splitlines()
    assert exported[0] == "person,email,uuid,branch,type,issue_id,issue_title,pr_number,start,end,seconds"
    assert [line.split(",")[0] for line in exported[1:]] == ["Ada Dev", "Ada Dev", "Bob Builder"]
    assert all(str(bob.repo.path) not in line for line in exported)
    slices = json.loads(bob("export", "--team", "--json").out)["slices"]
    assert slices[0]["branch"] == "feature/laptop-work" and slices[0]["seconds"] == pytest.approx(3600, abs=2)
    chart = bob("report", "--team", "--chart").out
    assert chart.startswith("Time per day for widgets, everyone · "), chart


@pytest.mark.parametrize("command", ["sync", "team"])
def test_the_quick_reading_of_sync_and_team_knows_the_parsers_options(command: str) -> None:
    from test_cli import _declared

    from sess.commands import team

    table = {"sync": team.QUICK_SYNC, "team": team.QUICK_TEAM}[command]
    assert _declared(command) == table
    assert getattr(team, "quick_" + command)(["--no-hooks"]) is not None
    assert getattr(team, "quick_" + command)(["--bogus"]) is None  # argparse words that error


@pytest.mark.parametrize("argv", [["stats", "--all"], ["stats", "--team", "--json"], ["report", "--all"],
                                  ["report", "--since", "7d", "--until=today", "--chart"], ["report", "--html=x.html"],
                                  ["report", "--team", "--all", "--json"]])
def test_stats_and_report_are_read_quickly_as_argparse_reads_them(argv: list[str]) -> None:
    from test_cli import _declared

    from sess.cli import build_parser
    from sess.commands import analytics

    assert _declared("stats") == analytics.QUICK_STATS
    assert {k: v for k, v in _declared("report").items() if k != "--limit"} == analytics.QUICK_REPORT
    quick = getattr(analytics, "quick_" + argv[0])(argv[1:])
    assert quick is not None and vars(quick) == vars(build_parser(argv).parse_args(argv))
    assert analytics.quick_report(["--limit", "3"]) is None  # a number: argparse's to read


def test_doctor_probes_sync_without_changing_anything(team: dict[str, Person], repo: Repo, gh: FakeGh) -> None:
    ada = team["ada"]
    assert repo.origin is not None
    ada("start", "probe", "--no-issue")  # sync.auto pushes this device's ref
    before = origin_refs(repo.origin, repo.env)
    local = ada.repo.git("for-each-ref", "refs/sess/")
    document = json.loads(ada("doctor", "--json", check=None).out)
    [finding] = [f for f in document["findings"] if f["check"] == "sync"]
    assert finding["severity"] == "info" and finding["problem"] == (
        f"sync: 1 refs of 1 people on origin; this device's {ada.ref} is on origin"), finding
    assert origin_refs(repo.origin, repo.env) == before and ada.repo.git("for-each-ref", "refs/sess/") == local
    # a server that refuses refs/sess/*: the probe ref pushed is declined, and said so
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do case $ref in refs/sess/*) "
                    "echo 'no custom refs here' >&2; exit 1;; esac; done\n")
    hook.chmod(0o755)
    refusal = ada("doctor", "--json", check=None)
    assert refusal.code == 1, refusal
    [finding] = [f for f in json.loads(refusal.out)["findings"]
                 if f["check"] == "sync" and f["severity"] == "warning"]
    assert finding["problem"].startswith("origin refuses refs under refs/sess/ (a probe ref was declined)"), finding
    assert "sync.enabled" in finding["fix"] and origin_refs(repo.origin, repo.env) == before
    hook.unlink()
    ada.repo.git("remote", "set-url", "origin", str(repo.origin) + "-gone")
    document = json.loads(ada("doctor", "--json", check=None).out)
    [finding] = [f for f in document["findings"] if f["check"] == "sync"]
    assert finding["severity"] == "warning" and finding["problem"].startswith(
        "origin cannot be read for the team's records"), finding


def test_team_runs_no_git_once_synced(team: dict[str, Person], repo: Repo, tmp_path: Path) -> None:
    ada, bob = team["ada"], team["bob"]
    ada("start", "add-oauth", "--no-issue")
    bob("sync")
    trace = tmp_path / "git-trace"
    bob.env["GIT_TRACE"] = str(trace)  # on `sess status`'s budget: no git process at all
    shown = json.loads(bob("team", "--json").out)["sessions"]
    assert not trace.exists() or trace.read_text() == "", trace.read_text()
    # who you are comes from the last sync: Ada's own record is hers on her own team list
    assert [entry["person"]["name"] for entry in shown] == ["Ada Dev"] and not shown[0]["you"]
    del bob.env["GIT_TRACE"]
    ada.env["GIT_TRACE"] = str(trace)
    [mine] = json.loads(ada("team", "--json").out)["sessions"]
    assert mine["you"] and mine["this_device"] and mine["person"]["name"] == "Ada Dev"
    assert not trace.exists() or trace.read_text() == "", trace.read_text()
    # nor the modules status does without (issue 18: team within 1.3x status): json loads re
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sess", "team"], cwd=ada.repo.path,
                          env={k: v for k, v in ada.env.items() if k != "GIT_TRACE"}, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0 and "add-oauth" in proc.stdout and " · active · " in proc.stdout, proc
    assert set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M)) & {"json", "re"} == set()
    # nor in the team's reports (issue 18: report --team within 2x report --all): yours as synced
    del ada.env["GIT_TRACE"]
    ada("sync")
    ada.env["GIT_TRACE"] = str(trace)
    people = json.loads(ada("report", "--team", "--json").out)["stats"]["by_person"]
    assert [(person["name"], person["you"]) for person in people] == [("Ada Dev", True)]
    assert not trace.exists() or trace.read_text() == "", trace.read_text()


def test_two_clones_on_one_device_write_one_set_without_asking_git_each(team: dict[str, Person], repo: Repo,
                                                                        tmp_path: Path) -> None:
    """Every tracked project whose origin is this repository shares the ref (SPEC Part 3); which
    ones they are is read from their config files, not from one git per tracked project (issue 18)."""
    ada = team["ada"]
    second = ada.repo.path.parent / "widgets-again"
    run_git(ada.repo.path.parent, ada.env, "clone", "-q", str(repo.origin), str(second))
    elsewhere = ada.repo.path.parent / "elsewhere"
    run_git(ada.repo.path.parent, ada.env, "init", "-q", str(elsewhere))
    run_git(elsewhere, ada.env, "remote", "add", "origin", str(tmp_path / "another.git"))
    run_git(elsewhere, ada.env, "commit", "-q", "--allow-empty", "-m", "init")
    ada("start", "here", "--no-issue")
    for path, name in ((second, "there"), (elsewhere, "not-this-one")):
        proc = subprocess.run([sys.executable, "-m", "sess", "start", name, "--no-issue"], cwd=path, env=ada.env,
                              text=True, capture_output=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
    trace = tmp_path / "git-trace"
    ada.env["GIT_TRACE"] = str(trace)
    ada("sync")
    del ada.env["GIT_TRACE"]
    assert "remote.origin.url" not in trace.read_text().replace("remote\\.origin\\.url", ""), trace.read_text()
    records = records_on_origin(Path(str(repo.origin)), ada.env, ada.ref)
    assert sorted(str(record["branch"]) for record in records.values()) == ["feature/here", "feature/there"]
