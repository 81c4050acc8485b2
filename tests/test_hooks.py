"""Hooks: environment, failure, timeout, --no-hooks, live output, trust (real git, fake gh)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from test_config import session_count, write_user

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

DUMP = 'env | grep "^SESS_" | sort > "$HOOK_OUT/$SESS_EVENT.env"'


def hook_dir(tmp_path: Path, env: dict[str, str]) -> Path:
    out = tmp_path / "hook-out"
    out.mkdir(exist_ok=True)
    env["HOOK_OUT"] = str(out)
    return out


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def user_hooks(env: dict[str, str], **hooks: str | list[str]) -> None:
    lines = ["[hooks]"] + [f"{event.replace('_', '-')} = {json.dumps(command)}" for event, command in hooks.items()]
    write_user(env, "\n".join(lines) + "\n")


def trust(sess: SessRunner) -> None:
    sess("config", "trust", check=0)


# --- environment ------------------------------------------------------------------------------

def test_every_event_gets_the_session_in_its_environment(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                         env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    user_hooks(env, **{event: DUMP for event in ("pre_start", "post_start", "post_pause", "post_resume",
                                                  "pre_end", "post_end")})
    gh.add_issue(31, "Make it fast")
    sess("start", "--issue", "31", check=0)
    sess("pause", check=0)
    sess("resume", check=0)
    repo.commit("f.txt", "f\n", "Faster")
    sess("end", check=0)

    pre = read_env(out / "pre-start.env")
    assert pre == {"SESS_EVENT": "pre-start", "SESS_PROJECT": "widgets", "SESS_PROJECT_PATH": str(repo.path),
                   "SESS_BRANCH": "feature/make-it-fast", "SESS_BRANCH_TYPE": "feature", "SESS_BASE": "main",
                   "SESS_SESSION_ID": "", "SESS_ISSUE_ID": "31", "SESS_ISSUE_TITLE": "Make it fast",
                   "SESS_ELAPSED_SECONDS": "0", "SESS_HOME": env["SESS_HOME"]}
    post = read_env(out / "post-start.env")
    assert post["SESS_SESSION_ID"] == "1" and post["SESS_BRANCH"] == "feature/make-it-fast"
    for event in ("post-pause", "post-resume", "pre-end"):
        seen = read_env(out / f"{event}.env")
        assert seen["SESS_EVENT"] == event and seen["SESS_SESSION_ID"] == "1" and seen["SESS_ISSUE_ID"] == "31"
        assert "SESS_PR_NUMBER" not in seen
    ended = read_env(out / "post-end.env")
    (pr,) = gh.prs()
    assert ended["SESS_PR_NUMBER"] == str(pr["number"]) and ended["SESS_PR_URL"] == pr["url"]
    assert int(ended["SESS_ELAPSED_SECONDS"]) >= 0


def test_hostile_issue_title_reaches_the_hook_only_as_data(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                           env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    pwned = tmp_path / "PWNED"
    title = f"Fix $(touch {pwned}) `touch {pwned}` \"; touch {pwned}; echo ' $HOME"
    gh.add_issue(66, title)
    user_hooks(env, post_start='printf %s "$SESS_ISSUE_TITLE" > "$HOOK_OUT/title"',
               post_pause=["sh", "-c", 'printf %s "$1" > "$HOOK_OUT/argv-title"', "hook", "fixed words"])
    sess("start", "--issue", "66", check=0)
    sess("pause", check=0)
    assert (out / "title").read_text() == title
    assert (out / "argv-title").read_text() == "fixed words"
    assert not pwned.exists()


def test_hooks_run_in_the_repository_root(sess: SessRunner, repo: Repo, env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    user_hooks(env, post_start='pwd > "$HOOK_OUT/pwd"')
    (repo.path / "sub" / "dir").mkdir(parents=True)
    sess("start", "x", "--no-issue", cwd=repo.path / "sub" / "dir", check=0)
    assert (out / "pwd").read_text().strip() == str(repo.path)


# --- failure, timeout, --no-hooks --------------------------------------------------------------

def test_failing_pre_start_changes_nothing(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    user_hooks(env, pre_start="echo checking; echo 'lint: 3 problems' >&2; echo 'see above'; exit 7")
    repo.write("dirty.txt", "mine\n")
    before = repo.git("for-each-ref")
    r = sess("start", "x", "--no-issue", "--dirty", "stash")
    assert r.code == 1
    assert "checking\nlint: 3 problems\nsee above\n" in r.err  # shown as it came
    assert r.err.splitlines()[-3] == "Error: pre-start hook failed (exit status 7)"  # the output not again
    assert "--no-hooks" in r.err.splitlines()[-1]
    assert repo.git("for-each-ref") == before and repo.current_branch() == "main"
    assert repo.git("stash", "list") == "" and (repo.path / "dirty.txt").read_text() == "mine\n"
    assert session_count(env) == 0


def test_failing_post_hooks_are_warnings(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str]) -> None:
    user_hooks(env, post_start="exit 1", post_pause="echo nope; exit 2", post_resume="exit 3", post_end="exit 4")
    r = sess("start", "x", "--no-issue", check=0)
    assert "Warning: post-start hook failed (exit status 1)" in r.err
    r = sess("pause", check=0)
    assert "Warning: post-pause hook failed (exit status 2)" in r.err and r.err.count("nope") == 1
    assert "Session paused" not in r.out and r.out.startswith("Paused session on feature/x")
    r = sess("resume", check=0)
    assert "Warning: post-resume hook failed (exit status 3)" in r.err
    repo.commit("x.txt", "x\n", "X")
    r = sess("end", check=0)
    assert "Warning: post-end hook failed (exit status 4)" in r.err
    assert len(gh.prs()) == 1 and repo.current_branch() == "main"


def test_hook_timeout_stops_it_and_its_children(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    write_user(env, '[hooks]\ntimeout = "1s"\npre-start = "sleep 60 & echo $! > \\"$HOOK_OUT/child\\"; wait"\n')
    started = time.monotonic()
    r = sess("start", "x", "--no-issue")
    took = time.monotonic() - started
    assert r.code == 1
    assert r.err.splitlines()[0] == "Error: pre-start hook timed out after 1s and was stopped", r
    assert took < 15
    child = int((out / "child").read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert session_count(env) == 0 and repo.current_branch() == "main"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[-1].startswith("Z"))


def test_no_hooks_skips_every_hook(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str],
                                   tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    fail = 'touch "$HOOK_OUT/$SESS_EVENT"; exit 1'
    user_hooks(env, **{event: fail for event in ("pre_start", "post_start", "post_pause", "post_resume", "pre_end",
                                                 "post_end")})
    sess("start", "x", "--no-issue", "--no-hooks", check=0)
    sess("pause", "--no-hooks", check=0)
    sess("resume", "--no-hooks", check=0)
    repo.commit("x.txt", "x\n", "X")
    r = sess("end", "--no-hooks", check=0)
    assert "Warning" not in r.err
    assert list(out.iterdir()) == []
    assert sess("status", "--no-hooks", check=0).code == 0  # every command takes it


def test_hook_output_is_shown_as_it_comes(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    user_hooks(env, pre_start="echo first; sleep 3; echo second")
    proc = subprocess.Popen(sess.argv("start", "x", "--no-issue"), cwd=repo.path, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    started = time.monotonic()
    for line in proc.stderr:
        if line.strip() == "first":
            break
    assert time.monotonic() - started < 2.8, "the hook's first line came only when it ended"
    assert proc.poll() is None
    proc.communicate(timeout=30)
    assert proc.returncode == 0


# --- end: pre-end and post-end ----------------------------------------------------------------

def test_failing_pre_end_changes_nothing(sess: SessRunner, repo: Repo, gh: FakeGh, env: dict[str, str]) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.write("work.txt", "uncommitted\n")
    user_hooks(env, pre_end="echo 'tests failed'; exit 1")
    r = sess("end", "--message", "Work")
    assert r.code == 1
    assert "Error: pre-end hook failed (exit status 1)" in r.err and r.err.count("tests failed") == 1
    assert repo.is_dirty() and repo.git("log", "-1", "--format=%s") == "Initial commit"
    assert repo.git("ls-remote", "--heads", "origin", "feature/x") == ""
    assert gh.prs() == []
    status = sess("status", check=0).out
    assert "Session active" in status and "--continue" not in status  # no unfinished end left behind
    write_user(env, "")
    sess("end", "--message", "Work", check=0)
    assert len(gh.prs()) == 1


def test_kill_during_pre_end_is_picked_up_by_continue(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                      env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    sess("start", "x", "--no-issue", check=0)
    repo.write("work.txt", "uncommitted\n")
    # The first run sits in the hook until killed; the run after that passes.
    user_hooks(env, pre_end='if [ -e "$HOOK_OUT/ran" ]; then exit 0; fi; touch "$HOOK_OUT/ran"; sleep 60')
    proc = sess.start("end", "--message", "Work")
    deadline = time.monotonic() + 15
    while not (out / "ran").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)

    status = sess("status", check=0).out
    assert "sess end --continue" in status
    r = sess("end", "--continue", check=0)
    assert r.out.startswith("Ended session on feature/x")
    (pr,) = gh.prs()
    assert repo.current_branch() == "main"
    assert repo.git("log", "--format=%s", "origin/feature/x", "-1") == "Work"


def test_interrupt_during_pre_end_leaves_no_unfinished_end(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                           env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    sess("start", "x", "--no-issue", check=0)
    user_hooks(env, pre_end='touch "$HOOK_OUT/ran"; sleep 60')
    repo.commit("x.txt", "x\n", "X")
    proc = sess.start("end")
    deadline = time.monotonic() + 15
    while not (out / "ran").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert "nothing was changed" in err
    assert "--continue" not in sess("status", check=0).out
    assert gh.prs() == []


# --- trust ------------------------------------------------------------------------------------

def test_repository_hooks_run_only_when_trusted(sess: SessRunner, repo: Repo, env: dict[str, str],
                                               tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    text = '[hooks]\npost-start = "touch \\"$HOOK_OUT/team\\""\n[branch]\ntemplate = "team/{slug}"\n'
    repo.commit(".sess.toml", text, "Team hooks")

    r = sess("start", "one", "--no-issue", check=0)
    assert repo.current_branch() == "team/one"  # its other keys apply
    assert not (out / "team").exists()
    warnings = [line for line in r.err.splitlines() if line.startswith("Warning")]
    assert warnings == [f"Warning: hooks in {repo.path}/.sess.toml are not trusted and were skipped; "
                        "run 'sess config trust' to allow them"]
    keys = json.loads(sess("config", "list", "--json", check=0).out)
    assert keys["files"]["repo"]["trusted"] is False
    assert keys["keys"]["hooks.post-start"]["skipped"]["source"] == "repo"
    sess("end", "--no-pr", check=0)

    r = sess("config", "trust", check=0)
    assert r.out.startswith(f"Trusted {repo.path}/.sess.toml · sha256 ")
    assert 'post-start  "touch \\"$HOOK_OUT/team\\""' in r.out
    record = json.loads((Path(env["SESS_HOME"]) / "trusted.json").read_text())
    import hashlib
    assert record == {str(repo.path / ".sess.toml"): hashlib.sha256(text.encode()).hexdigest()}
    sess("start", "two", "--no-issue", check=0)
    assert (out / "team").exists()
    sess("end", "--no-pr", check=0)

    # A changed file is untrusted again, until trusted anew.
    (out / "team").unlink()
    repo.commit(".sess.toml", text.replace("team", "crew"), "Changed hooks")
    r = sess("start", "three", "--no-issue", check=0)
    assert not (out / "crew").exists() and "sess config trust" in r.err
    sess("end", "--no-pr", check=0)
    trust(sess)
    sess("start", "four", "--no-issue", check=0)
    assert (out / "crew").exists()


def test_user_hooks_always_run_and_stand_in_for_untrusted_ones(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                               tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    user_hooks(env, post_start='touch "$HOOK_OUT/user-start"', post_pause='touch "$HOOK_OUT/user-pause"')
    repo.commit(".sess.toml", '[hooks]\npost-start = "touch \\"$HOOK_OUT/repo-start\\""\n', "Team hooks")
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    assert sorted(p.name for p in out.iterdir()) == ["user-pause", "user-start"]
    sess("resume", check=0)
    sess("end", "--no-pr", check=0)
    trust(sess)
    (out / "user-start").unlink()
    sess("start", "y", "--no-issue", check=0)
    assert (out / "repo-start").exists() and (out / "user-start").exists()  # both run


def test_hooks_of_both_files_run_the_repository_s_first(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                        tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    user_hooks(env, pre_start='echo user >> "$HOOK_OUT/order"', post_start='echo user >> "$HOOK_OUT/order"')
    repo.commit(".sess.toml", '[hooks]\npre-start = "echo team >> \\"$HOOK_OUT/order\\""\n'
                'post-start = ["sh", "-c", "echo team >> \\"$HOOK_OUT/order\\""]\n', "Team hooks")
    trust(sess)
    sess("start", "x", "--no-issue", check=0)
    assert (out / "order").read_text().split() == ["team", "user", "team", "user"]
    sess("cancel", check=0)
    # The team's pre-start failing stops the command before yours runs, and before anything changes.
    repo.commit(".sess.toml", '[hooks]\npre-start = "exit 3"\n', "Failing team hook")
    trust(sess)
    (out / "order").unlink()
    r = sess("start", "y", "--no-issue")
    assert r.code == 1 and "pre-start hook failed (exit status 3)" in r.err, r
    assert not (out / "order").exists() and repo.current_branch() == "main"


def test_trust_without_a_file_is_an_error(sess: SessRunner, repo: Repo) -> None:
    r = sess("config", "trust")
    assert r.code == 1 and r.err.startswith(f"Error: there is no .sess.toml in {repo.path}")


def test_config_set_repo_keeps_your_trust_but_not_a_strangers(sess: SessRunner, repo: Repo) -> None:
    repo.write(".sess.toml", '[hooks]\npost-start = "true"\n')
    sess("config", "set", "--repo", "pr.draft", "true", check=0)
    assert json.loads(sess("config", "list", "--json", check=0).out)["files"]["repo"]["trusted"] is False
    trust(sess)
    sess("config", "set", "--repo", "pr.draft", "false", check=0)
    assert json.loads(sess("config", "list", "--json", check=0).out)["files"]["repo"]["trusted"] is True


def test_content_changed_behind_an_unchanged_size_and_mtime_is_untrusted(sess: SessRunner, repo: Repo,
                                                                        env: dict[str, str], tmp_path: Path) -> None:
    out = hook_dir(tmp_path, env)
    path = repo.path / ".sess.toml"
    repo.commit(".sess.toml", '[hooks]\npost-pause = "touch \\"$HOOK_OUT/aaaa\\""\n', "Team hooks")
    trust(sess)
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    assert (out / "aaaa").exists()
    before = path.stat()
    path.write_text(path.read_text().replace("aaaa", "bbbb"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    sess("resume", check=0)
    r = sess("pause", check=0)
    assert not (out / "bbbb").exists() and "sess config trust" in r.err


def test_a_list_hook_whose_program_is_missing(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    user_hooks(env, pre_start=["no-such-program-sess-test", "arg"], post_pause=["no-such-program-sess-test"])
    r = sess("start", "x", "--no-issue")
    assert r.code == 1
    assert r.err.splitlines()[0] == ("Error: pre-start hook cannot run: no-such-program-sess-test is not installed "
                                     "(not found on PATH)")
    assert session_count(env) == 0
    sess("start", "x", "--no-issue", "--no-hooks", check=0)
    r = sess("pause", check=0)
    assert "Warning: post-pause hook cannot run" in r.err
