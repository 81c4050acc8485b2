"""Issue 15 item 8: what `end` commits, says it commits, and leaves out (`end.never_commit`)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sess import commitlist

if TYPE_CHECKING:  # annotations only
    from conftest import FakeGh, Repo, SessRunner

BRANCH = "feature/x"


def committed_files(repo: Repo, ref: str = BRANCH) -> list[str]:
    return repo.git("show", "--name-only", "--format=", ref).splitlines()


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    (".env", ".env", True),
    (".env", "api/.env", True),
    (".env", ".envrc", False),
    (".env.*", "deploy/.env.production", True),
    ("*.pem", "certs/server.pem", True),
    ("*.pem", "certs/server.pem.txt", False),
    ("id_rsa*", "home/id_rsa.pub", True),
    ("credentials*.json", "gcp/credentials-prod.json", True),
    ("secrets/", "app/secrets/token.txt", True),
    ("secrets/", "secrets", False),
    ("config/local.py", "config/local.py", True),
    ("config/local.py", "app/config/local.py", False),
    ("/local.py", "local.py", True),
    ("/local.py", "app/local.py", False),
    ("docs/*.key", "docs/a.key", True),
    ("docs/*.key", "docs/sub/a.key", False),
    ("**/build/*.p12", "a/b/build/x.p12", True),
    ("keys/**", "keys/a/b.txt", True),
    ("[Ss]ecret.txt", "Secret.txt", True),
])
def test_patterns_follow_gitignore(pattern: str, path: str, expected: bool) -> None:
    assert commitlist.matches(pattern, path) is expected


def test_end_lists_what_it_commits_and_leaves_secrets_untouched(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.commit("src/a.py", "a\n", "a")
    repo.commit("src/b.py", "b\n", "b")
    repo.git("push", "-q", "origin", "main")
    sess("start", "x", "--no-issue", check=0)
    repo.write("src/a.py", "a2\n")
    repo.write("src/b.py", "b2\n")
    repo.write("notes.md", "notes\n")
    repo.write(".env", "TOKEN=hunter2\n")
    repo.write("deploy/server.pem", "-----BEGIN PRIVATE KEY-----\n")
    r = sess("end", "-m", "Work", "--summary", "S", check=0)
    assert "Committing 3 files: src/a.py, src/b.py, notes.md (new)" in r.err, r
    assert "Left out .env (end.never_commit)" in r.out.splitlines(), r
    assert "Left out deploy/server.pem (end.never_commit)" in r.out.splitlines(), r
    assert sorted(committed_files(repo)) == ["notes.md", "src/a.py", "src/b.py"]
    assert repo.git("ls-remote", "--heads", "origin", BRANCH)  # pushed
    assert (repo.path / ".env").read_text() == "TOKEN=hunter2\n"  # untouched, still untracked
    assert repo.git("status", "--porcelain") == "?? .env\n?? deploy/".strip()
    assert repo.current_branch() == "main"


def test_a_secret_the_user_staged_himself_is_committed_as_git_would(sess: SessRunner, repo: Repo,
                                                                    gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.write(".env.example", "TOKEN=\n")
    repo.git("add", ".env.example")
    repo.write(".env", "TOKEN=hunter2\n")
    r = sess("end", "-m", "Work", "--no-pr", check=0)
    assert "Committing 1 file: .env.example (new)" in r.err, r
    assert committed_files(repo) == [".env.example"]
    assert "Left out .env (end.never_commit)" in r.out, r


def test_only_a_secret_changed_is_nothing_to_commit(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    repo.commit("x.txt", "x\n", "Do x")
    repo.write(".env", "TOKEN=hunter2\n")
    r = sess("end", "--summary", "S", check=0)  # no --message needed: nothing of it is committed
    assert "Committing" not in r.err, r
    assert "Left out .env (end.never_commit)" in r.out, r
    assert committed_files(repo) == ["x.txt"]
    assert (repo.path / ".env").exists()


def test_never_commit_is_configurable(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    repo.commit(".sess.toml", '[end]\nnever_commit = ["*.sqlite", "tmp/"]\n', "team")
    repo.git("push", "-q", "origin", "main")
    sess("start", "x", "--no-issue", check=0)
    repo.write("data.sqlite", "db")
    repo.write("tmp/scratch.txt", "scratch")
    repo.write(".env", "TOKEN=1\n")  # the team's list replaces the default one
    r = sess("end", "-m", "Work", "--no-pr", check=0)
    assert sorted(committed_files(repo)) == [".env"], r
    assert "Left out data.sqlite (end.never_commit)" in r.out
    assert "Left out tmp/scratch.txt (end.never_commit)" in r.out
    assert sess("config", "get", "end.never_commit", check=0).out.splitlines() == ["*.sqlite", "tmp/"]


def test_never_commit_default_is_listed(sess: SessRunner, repo: Repo) -> None:
    out = sess("config", "get", "end.never_commit", check=0).out
    assert out.splitlines()[0] == ".env" and "*.keystore" in out.splitlines()


def test_many_files_are_counted_not_all_named(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    sess("start", "x", "--no-issue", check=0)
    for n in range(12):
        repo.write(f"f{n:02}.txt", "x\n")
    r = sess("end", "-m", "Work", "--no-pr", check=0)
    assert "Committing 12 files: f00.txt (new), " in r.err and "f09.txt (new) and 2 more" in r.err, r


# --- issue 15 item 13: what stopped end at `commit` with a misleading error ---------------------

def test_an_untracked_file_inside_a_submodule_does_not_stop_the_commit(sess: SessRunner, repo: Repo, gh: FakeGh,
                                                                       tmp_path: Path) -> None:
    from conftest import run_git

    lib = tmp_path / "lib"
    run_git(tmp_path, repo.env, "init", "-q", "-b", "main", str(lib))
    run_git(lib, repo.env, "commit", "-q", "--allow-empty", "-m", "lib")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib")
    repo.git("commit", "-q", "-m", "Add lib")
    repo.git("push", "-q", "origin", "main")
    sess("start", "x", "--no-issue", check=0)
    (repo.path / "lib" / "scratch.txt").write_text("mine\n")
    repo.write("x.txt", "x\n")
    r = sess("end", "-m", "Work", "--no-pr", check=0)
    assert "Committing 1 file: x.txt (new)" in r.err, r
    assert "Left out the changes inside submodule lib (commit them in the submodule)" in r.out, r
    assert committed_files(repo) == ["x.txt"]
    assert (repo.path / "lib" / "scratch.txt").read_text() == "mine\n"


def test_a_file_name_that_is_not_utf8_is_committed(sess: SessRunner, repo: Repo, gh: FakeGh) -> None:
    import os

    sess("start", "x", "--no-issue", check=0)
    with open(os.path.join(os.fsencode(repo.path), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"latin-1\n")
    repo.write(".env", "TOKEN=1\n")
    r = sess("end", "-m", "Work", "--no-pr", check=0)
    assert "Committing 1 file: caf" in r.err, r
    listed = repo.git("-c", "core.quotePath=true", "show", "--name-only", "--format=", BRANCH)
    assert listed == '"caf\\351.txt"', listed
    assert "Left out .env (end.never_commit)" in r.out


def test_on_a_terminal_the_list_comes_with_the_commit_message_question(sess: SessRunner, repo: Repo,
                                                                       env: dict[str, str]) -> None:
    import pexpect

    sess("start", "x", "--no-issue", check=0)
    repo.write("notes.md", "n\n")
    repo.write(".env", "TOKEN=1\n")
    argv = sess.argv("end", "--no-pr", "--keep-branch")
    terminal = {**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(repo.path), env=terminal, encoding="utf-8",
                          timeout=20, dimensions=(40, 200))
    try:
        child.expect_exact("Committing 1 file: notes.md (new)")
        child.expect_exact("Left out .env (end.never_commit)")
        child.expect_exact("Commit message")
        child.send("Notes\r")
        child.expect_exact("Ended session on feature/x")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert committed_files(repo) == ["notes.md"]
