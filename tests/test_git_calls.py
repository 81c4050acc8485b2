"""How many git processes each command starts (issue 10: start and end as fast as the git
underneath), and that reading the repository's files gives what git itself would say."""
from __future__ import annotations

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Repo, SessRunner


@pytest.fixture
def git_log(env: dict[str, str], tmp_path: Path) -> Path:
    """A `git` first on PATH that logs its arguments, one call per line, then runs the real one."""
    real = next(Path(d) / "git" for d in env["PATH"].split(os.pathsep) if (Path(d) / "git").is_file())
    wrapper_dir = tmp_path / "gitlog"
    wrapper_dir.mkdir()
    log = tmp_path / "git-calls.txt"
    wrapper = wrapper_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    env["PATH"] = f"{wrapper_dir}{os.pathsep}{env['PATH']}"
    return log


def calls(log: Path) -> list[str]:
    """The git calls logged since the last look (the log is emptied), without a leading `-C DIR`."""
    lines = log.read_text().splitlines() if log.exists() else []
    log.write_text("")
    return [line.split(" ", 2)[2] if line.startswith("-C ") else line for line in lines]


def test_status_starts_no_git(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    calls(git_log)
    assert sess("status", check=0).out.startswith("On branch feature/x (feature)\n")
    assert sess("status", "--json", check=0).out.startswith("{")
    assert calls(git_log) == []


def test_status_reads_branches_as_git_does(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sub = repo.path / "deep" / "er"
    sub.mkdir(parents=True)
    assert sess("status", cwd=sub, check=0).out.startswith("On branch feature/x (feature)\n")
    # A linked worktree: .git is a file pointing at the main repository's worktrees/<name>.
    other = tmp_path / "other-tree"
    repo.git("worktree", "add", "-q", "-b", "elsewhere", str(other), "main")
    # The same project (SPEC Part 3: a project is its main work tree); x is open, not checked out here.
    lines = sess("status", cwd=other, check=0).out.splitlines()
    assert lines[:2] == ["On branch elsewhere", "No session here"] and len(lines) == 3
    assert lines[2].startswith("Also open: feature/x (active · ")
    sess("start", "y", "--no-issue", "--base", "main", "--park", cwd=other, check=0)
    assert sess("status", cwd=other, check=0).out.startswith("On branch feature/y (feature)\n")
    repo.git("checkout", "-q", "--detach", "HEAD")
    assert sess("status", check=0).out.splitlines()[0] == "HEAD detached"


def test_status_off_the_session_branch_starts_no_git(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    sess("pause", check=0)
    repo.git("checkout", "-q", "main")
    calls(git_log)
    assert "Session branch feature/x (feature) is not checked out" in sess("status", check=0).out
    repo.git("pack-refs", "--all")  # the branch now lives in packed-refs only
    assert "is not checked out" in sess("status", check=0).out
    assert calls(git_log) == ["pack-refs --all"]


def test_start_and_end_ask_git_once_for_each_thing(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    started = calls(git_log)
    assert [c.split()[0] for c in started].count("status") == 1, started
    assert not any(c.startswith(("checkout", "pull", "remote", "show-ref", "symbolic-ref --short")) for c in started)
    fetches = [c for c in started if "fetch" in c.split()]
    assert fetches == ["-c maintenance.auto=false fetch --quiet origin refs/heads/main"], started
    # status, the fetch (behind its -c setting) and for-each-ref start at once, so their order in the
    # log is a race's; then one switch makes the branch.
    assert sorted(c.split()[0] for c in started if not c.startswith("-c ")) == ["for-each-ref", "status", "switch"], \
        started
    repo.write("x.txt", "x\n")
    repo.write("README", "changed\n")
    sess("end", "--no-pr", "-m", "Add x", check=0)
    ended = calls(git_log)
    assert [c.split()[0] for c in ended].count("status") == 1, ended
    assert not any(c.startswith("ls-remote") for c in ended), ended  # origin is asked by the fetch alone
    assert len(ended) <= 11, ended
    assert repo.git("log", "-1", "--format=%s", "origin/feature/x") == "Add x"
    assert repo.git("show", "--name-only", "--format=", "origin/feature/x").splitlines() == ["README", "x.txt"]


def test_the_new_branch_reads_as_checked_out(sess: SessRunner, repo: Repo) -> None:
    sess("start", "x", "--no-issue", check=0)
    assert repo.git("reflog", "-1", "--format=%gs") == "checkout: moving from main to feature/x"
    assert repo.git("reflog", "-1", "--format=%gs", "feature/x") == "branch: Created from HEAD"
    repo.git("checkout", "-q", "-")  # git finds its way back through that reflog
    assert repo.current_branch() == "main"


def test_a_post_checkout_hook_still_runs(sess: SessRunner, repo: Repo, tmp_path: Path) -> None:
    ran = tmp_path / "hook-ran"
    hook = repo.path / ".git" / "hooks" / "post-checkout"
    hook.write_text(f'#!/bin/sh\necho "$@" > "{ran}"\n')
    hook.chmod(0o755)
    sess("start", "x", "--no-issue", check=0)
    assert repo.current_branch() == "feature/x"
    old, new, flag = ran.read_text().split()
    assert old == new == repo.git("rev-parse", "HEAD") and flag == "1"


def test_status_reads_idle_after_from_the_configuration_only_when_a_file_sets_it(
        sess: SessRunner, repo: Repo, db_path: Path, env: dict[str, str], tmp_path: Path) -> None:
    import json

    from test_time import backdate_slice, commit_at, now

    sess("start", "--no-issue", "x", check=0)
    backdate_slice(db_path, 1)
    commit_at(repo, now() - timedelta(minutes=50))
    user_file = tmp_path / "user-config.toml"
    env["SESS_CONFIG"] = str(user_file)
    user_file.write_text('[pr]\ndraft = true\n')  # a file, but not about idle time: the default 2h holds
    assert json.loads(sess("status", "--json", check=0).out)["session"]["idle"] is None
    user_file.write_text('[time]\nidle_after = "30m"\n')
    idle = json.loads(sess("status", "--json", check=0).out)["session"]["idle"]
    assert idle is not None and abs(idle["running_seconds"] - 3600) < 60
    user_file.unlink()
    team = repo.path / ".sess.toml"
    team.write_text('time.idle_after = "45m"\n')
    old = (now() - timedelta(minutes=55)).timestamp()
    os.utime(team, (old, old))  # not fresh activity itself
    assert json.loads(sess("status", "--json", check=0).out)["session"]["idle"] is not None


def test_a_base_flag_never_reaches_the_early_fetch_as_a_refspec(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    """The early fetch takes --base before anything has checked it: a refspec must not slip through."""
    r = sess("start", "x", "--no-issue", "--base", "main:refs/heads/planted", check=1)
    assert "does not exist" in r.err
    assert repo.git("branch", "--list", "planted") == ""
    assert not any(":" in c for c in calls(git_log) if "fetch" in c.split())


def test_a_base_flag_is_fetched_while_sess_loads(sess: SessRunner, repo: Repo, git_log: Path) -> None:
    repo.git("push", "-q", "-u", "origin", "main:refs/heads/develop")
    repo.git("branch", "-q", "--track", "develop", "origin/develop")
    mate = repo.teammate_push("dev.txt", "dev\n", "Work on develop", branch="develop")
    calls(git_log)
    assert "pulled 1 commit" in sess("start", "x", "--no-issue", "--base", "develop", check=0).out
    fetches = [c for c in calls(git_log) if "fetch" in c.split()]
    assert fetches == ["-c maintenance.auto=false fetch --quiet origin refs/heads/develop"]
    assert repo.git("rev-parse", "HEAD") == mate


def test_every_changed_path_is_read_however_long_the_list(sess: SessRunner, repo: Repo) -> None:
    """`git status` started early writes to a file, not a pipe: a list longer than a pipe holds
    (64 KiB) is read whole, and end commits every path in it."""
    sess("start", "x", "--no-issue", check=0)
    names = [f"d{n // 100:02d}/a-rather-long-file-name-to-fill-the-status-output-{n:04d}.txt" for n in range(1500)]
    for name in names:
        repo.write(name, "x\n")
    sess("end", "--no-pr", "-m", "Add many", check=0)
    pushed = repo.git("ls-tree", "-r", "--name-only", "origin/feature/x").splitlines()
    assert set(names) <= set(pushed)


def test_an_early_git_can_be_waited_for_with_a_timeout_and_stopped(repo: Repo) -> None:
    from sess import spawn as early

    slow = early.spawn_git(("-c", "alias.nap=!sleep 5", "nap"), str(repo.path))
    assert slow is not None
    with pytest.raises(TimeoutError):
        slow.wait(timeout=0.2)
    assert slow.poll() is None
    slow.terminate()
    assert slow.wait(timeout=5) != 0
    quick = early.spawn_git(("rev-parse", "--show-toplevel"), str(repo.path))
    assert quick is not None
    out, err = quick.communicate(timeout=10)
    assert (quick.returncode, out.strip(), err) == (0, str(repo.path), "")


def test_syncs_early_object_reader_finds_what_came_after_it_started(repo: Repo) -> None:
    """sync starts its `git cat-file --batch-command` with its fetch, before the fetch has brought
    anything: what arrives later, loose or in a new pack, is still found; one left untaken ends
    with sess."""
    from sess import proc, spawn

    top = str(repo.path)
    spawn.prefetch_sync(top)
    fetch = spawn.take(top, spawn.SYNC_FETCH)
    assert fetch is not None and fetch.wait(timeout=30) == 0

    def write(text: str) -> str:
        return subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=top, env=repo.env, input=text,
                              text=True, capture_output=True, check=True).stdout.strip()

    with proc.GitBatch(top, 10) as batch:
        assert spawn.take_piped(top, spawn.BATCH) is None  # the batch is the early one
        head = repo.git("rev-parse", "HEAD")
        assert batch.contents(head) is not None and batch.contents(head)[0] == "commit"  # git has looked: packs read
        loose, packed = write("came later\n"), write("packed later\n")
        subprocess.run(["git", "pack-objects", "-q", str(repo.path / ".git" / "objects" / "pack" / "pack")],
                       cwd=top, env=repo.env, input=packed + "\n", text=True, capture_output=True, check=True)
        subprocess.run(["git", "prune-packed"], cwd=top, env=repo.env, check=True)
        assert not (repo.path / ".git" / "objects" / packed[:2] / packed[2:]).exists()  # in the new pack only
        assert batch.contents(loose) == ("blob", b"came later\n")
        assert batch.contents(packed) == ("blob", b"packed later\n")
    spawn.prefetch_sync(top)
    left = spawn._early_piped[(top, spawn.BATCH)][0]
    spawn._stop_untaken()
    assert left.wait(timeout=5) is not None and spawn._early_piped == {}


def test_plain_branch_names() -> None:
    from sess.gitfiles import plain_branch_name

    for name in ("main", "release/1.2", "feature/x_y-z"):
        assert plain_branch_name(name), name
    for name in ("", "-x", "a:b", "a..b", "a/", ".a", "a.lock", "a.lock/b", "HEAD", "a b", "a*", "a//b", "a/.b",
                 "HEAD^"):
        assert not plain_branch_name(name), name


def imported(sess: SessRunner, repo: Repo, *args: str) -> set[str]:
    """The modules `sess ARGS` imported (python -X importtime)."""
    import re
    import subprocess

    proc = subprocess.run([*sess.argv(*args)[:1], "-X", "importtime", *sess.argv(*args)[1:]], cwd=repo.path,
                          env=sess.env, capture_output=True, text=True, check=False, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M))


def test_start_end_and_status_leave_the_heavy_modules_unloaded(sess: SessRunner, repo: Repo) -> None:
    """What costs start-up milliseconds and these commands do not need (issue 10): typing (its
    NamedTuple is sess.records'), subprocess (git runs through posix_spawn), shutil (argparse's
    terminal width)."""
    heavy = {"typing", "subprocess", "shutil", "signal", "string"}
    assert imported(sess, repo, "start", "x", "--no-issue") & heavy == set()
    assert imported(sess, repo, "status") & heavy == set()
    repo.write("x.txt", "x\n")
    # The push streams too, through a file that sess reads as it grows: posix_spawn as well.
    assert imported(sess, repo, "end", "--no-pr", "-m", "Add x") & heavy == set()


def test_a_plain_branch_name_is_one_git_takes(tmp_path: Path) -> None:
    """plain_branch_name answers for git (valid_branch_name asks git only about the rest): every
    name it takes, `git check-ref-format --branch` must take too."""
    import subprocess

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sess.gitfiles import plain_branch_name

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(["a", "B", "0", ".", "-", "_", "/", "lock", ".lock", "HEAD"]), min_size=1,
                    max_size=6).map("".join))
    def check(name: str) -> None:
        if plain_branch_name(name):
            git = subprocess.run(["git", "check-ref-format", "--branch", name], cwd=tmp_path,
                                 capture_output=True, check=False)
            assert git.returncode == 0, name

    check()


def test_a_git_call_that_outlives_its_timeout_is_stopped(repo: Repo) -> None:
    import time

    from sess import proc
    from sess.errors import Timeout

    began = time.monotonic()
    with pytest.raises(Timeout, match="did not finish within"):
        proc.run(["git", "-c", "alias.nap=!sleep 3", "nap"], cwd=str(repo.path), timeout=0.3)
    assert time.monotonic() - began < 2.5


def test_changed_paths_are_every_path_git_status_names(repo: Repo) -> None:
    """One reader of `git status` (porcelain v2) for start, end, cancel, undo and the idle clock:
    changed, renamed and untracked paths, spaces and all."""
    from sess import git

    assert git.changed_paths(str(repo.path)) == [] and not git.is_dirty(str(repo.path))
    repo.commit("old name.txt", "x\n", "Add a file")
    repo.git("mv", "old name.txt", "new name.txt")
    repo.write("README", "changed\n")
    repo.write("dir/untracked file.txt", "u\n")
    # A rename is named by its new path (its old one is not a change of its own).
    assert sorted(git.changed_paths(str(repo.path))) == ["README", "dir/untracked file.txt", "new name.txt"]
    assert git.is_dirty(str(repo.path))


def test_origin_url_read_from_the_config_file_is_what_git_says(repo: Repo, tmp_path: Path) -> None:
    """remote_url_quick answers only where git's own reading of the file is sure to agree; where
    it does not answer (None), the caller asks git."""
    from sess.gitfiles import remote_url_quick

    config = repo.path / ".git" / "config"
    kept = config.read_text()
    variants = [
        '[remote "origin"]\n\turl = /srv/a.git\n',
        '[remote "origin"]\n\turl = /srv/a.git\n\turl = /srv/b.git\n',  # the last one wins
        '[Remote "origin"]\n\tURL=/srv/a.git\n',
        '[remote "Origin"]\n\turl = /srv/other.git\n',  # another remote: a subsection is case-sensitive
        '[remote.origin]\n\turl = /srv/old-style.git\n',
        '[remote "origin"]\n\turl = "/srv/quoted.git"\n',
        '[remote "origin"]\n\turl = /srv/a.git # a comment\n',
        '[remote "origin"]\n\t# url = /srv/not.git\n\turl = /srv/a.git\n',
        '[remote "origin"]\n\tpushurl = /srv/push.git\n\turl = /srv/a.git\n',
        '[remote "origin"]\n\tfetch = +refs/heads/*:refs/remotes/origin/* \\\n\turl = /srv/continued.git\n',
        '[remote "origin"] url = /srv/same-line.git\n',
        f'[include]\n\tpath = {tmp_path / "more.config"}\n',
        '[remote "origin"]\n\turl = /srv/a.git\n[remote "upstream"]\n\turl = /srv/up.git\n',
        "",
    ]
    (tmp_path / "more.config").write_text('[remote "origin"]\n\turl = /srv/included.git\n')
    answered = 0
    for variant in variants:
        text = re.sub(r'\[remote "origin"\][^\[]*', "", kept) + variant
        config.write_text(text)
        git = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=repo.path, env=repo.env,
                             capture_output=True, text=True, check=False).stdout.strip()
        quick = remote_url_quick(str(repo.path))
        assert quick is None or quick == git, (variant, quick, git)
        answered += quick is not None
    assert answered >= 6  # the usual files are read, not handed to git
    config.write_text(kept)
