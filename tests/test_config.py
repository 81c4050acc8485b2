"""The configuration files: where they are, precedence, errors, and `sess config ...`."""
from __future__ import annotations

import json
import marshal
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # annotations only
    from conftest import Repo, SessRunner


def user_file(env: dict[str, str]) -> Path:
    """Where sess looks by default in the test environment (no SESS_CONFIG, no XDG_CONFIG_HOME)."""
    return Path(env["HOME"]) / ".config" / "sess" / "config.toml"


def write_user(env: dict[str, str], text: str) -> Path:
    path = user_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def listing(sess: SessRunner, **kwargs: Any) -> dict[str, Any]:
    r = sess("config", "list", "--json", check=0, **kwargs)
    data: dict[str, Any] = json.loads(r.out)
    return data


def session_count(env: dict[str, str]) -> int:
    db = Path(env["SESS_HOME"]) / "sess.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])


# --- where the user's file is -----------------------------------------------------------------

def test_user_file_is_sess_config_else_xdg_else_home(sess: SessRunner, repo: Repo, env: dict[str, str],
                                                     tmp_path: Path) -> None:
    write_user(env, 'branch.template = "home/{slug}"\n')
    xdg = tmp_path / "xdg"
    (xdg / "sess").mkdir(parents=True)
    (xdg / "sess" / "config.toml").write_text('[branch]\ntemplate = "xdg/{slug}"\n')
    explicit = tmp_path / "mine.toml"
    explicit.write_text('[branch]\ntemplate = "explicit/{slug}"\n')

    assert sess("config", "get", "branch.template", check=0).out == "home/{slug}\n"
    assert sess("config", "path", "--user", check=0).out == f"{user_file(env)}\n"

    env["XDG_CONFIG_HOME"] = str(xdg)
    assert sess("config", "get", "branch.template", check=0).out == "xdg/{slug}\n"
    assert sess("config", "path", "--user", check=0).out == f"{xdg}/sess/config.toml\n"

    env["SESS_CONFIG"] = str(explicit)
    assert sess("config", "get", "branch.template", check=0).out == "explicit/{slug}\n"
    sess("start", "one", "--no-issue", check=0)
    assert repo.current_branch() == "explicit/one"


def test_a_relative_xdg_config_home_is_ignored(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, 'base = "main"\n')
    env["XDG_CONFIG_HOME"] = "relative/dir"
    assert sess("config", "path", "--user", check=0).out == f"{user_file(env)}\n"
    assert sess("config", "get", "base", check=0).out == "main\n"


def test_missing_files_are_defaults(sess: SessRunner, repo: Repo) -> None:
    data = listing(sess)
    assert data["files"]["user"]["exists"] is False
    assert data["files"]["repo"] == {"path": str(repo.path / ".sess.toml"), "exists": False, "trusted": None}
    assert data["keys"]["branch.types"] == {
        "value": ["feature", "bugfix", "refactor", "hotfix", "chore", "docs"], "source": "default"}
    assert data["keys"]["base"] == {"value": None, "source": "default"}
    assert data["keys"]["time.idle_after"] == {"value": "2h", "source": "default"}
    assert list(data["keys"]) == [
        "branch.types", "branch.default_type", "branch.template", "branch.max_length", "base", "pr.draft",
        "pr.reviewers", "pr.labels", "pr.assignees", "pr.title", "pr.template", "end.delete_branch",
        "end.sync_base", "time.idle_after", "time.exclusive", "hooks.pre-start", "hooks.post-start",
        "hooks.pre-end", "hooks.post-end", "hooks.post-pause", "hooks.post-resume", "hooks.timeout",
        "pr.repo", "forge.type", "forge.host", "sync.enabled", "sync.auto", "end.never_commit",
        "tracker.type", "tracker.url", "tracker.project", "tracker.user", "tracker.token_env",
        "tracker.token_command", "tracker.jql", "tracker.log_time", "branch.user",
        "worktree.path", "worktree.copy", "worktree.default", "worktree.remove"]


# --- precedence -------------------------------------------------------------------------------

def test_repository_file_wins_over_user_file_key_by_key(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, '[branch]\ntemplate = "user/{slug}"\nmax_length = 5\n[pr]\ndraft = true\n')
    repo.write(".sess.toml", '[branch]\ntemplate = "team/{type}/{slug}"\n')

    keys = listing(sess)["keys"]
    assert keys["branch.template"] == {"value": "team/{type}/{slug}", "source": "repo"}
    assert keys["branch.max_length"] == {"value": 5, "source": "user"}
    assert keys["pr.draft"] == {"value": True, "source": "user"}
    assert keys["pr.labels"] == {"value": [], "source": "default"}

    text = sess("config", "list", check=0).out
    assert any(line.split()[:3] == ["branch.template", "repo", '"team/{type}/{slug}"'] for line in text.splitlines())
    assert any(line.split() == ["branch.max_length", "user", "5"] for line in text.splitlines())
    # The values start in one column, however long any of them is.
    starts = {line.index(line.split()[2]) for line in text.splitlines()}
    assert len(starts) == 1, text

    sess("start", "a long name", "--no-issue", "--dirty", "carry", check=0)
    assert repo.current_branch() == "team/feature/a-lon"  # repo's template, user's max_length


def test_flags_win_over_both_files(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    repo.git("branch", "develop")
    repo.git("push", "-q", "origin", "develop")
    write_user(env, '[branch]\ndefault_type = "chore"\n')
    repo.commit(".sess.toml", 'base = "develop"\n[branch]\ndefault_type = "docs"\n', "team config")
    repo.git("push", "-q", "origin", "main")

    r = sess("start", "one", "--no-issue", "--type", "bugfix", "--base", "main", check=0)
    assert repo.current_branch() == "bugfix/one"
    assert "from main" in r.out
    sess("end", "--no-pr", check=0)

    r = sess("start", "two", "--no-issue", check=0)
    assert repo.current_branch() == "docs/two"  # the repository's default type, not the user's
    assert "from develop" in r.out


# --- errors -----------------------------------------------------------------------------------

def assert_refused(sess: SessRunner, repo: Repo, env: dict[str, str], expected: str) -> None:
    """`sess start` fails with exactly `expected` as its one error line, and changes nothing."""
    before = repo.git("for-each-ref")
    r = sess("start", "thing", "--no-issue")
    assert r.code == 1, r
    assert r.err.splitlines()[0] == expected, r
    assert "Traceback" not in r.err
    assert repo.git("for-each-ref") == before
    assert repo.current_branch() == "main"
    assert session_count(env) == 0


def test_unknown_key_names_the_file_and_the_nearest_key(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, '[branch]\ntempalte = "{type}/{slug}"\n')
    assert_refused(sess, repo, env, "Error: ~/.config/sess/config.toml: unknown key 'branch.tempalte' "
                                    "(did you mean 'branch.template'?)")


def test_unknown_key_in_the_wrong_table_suggests_the_right_one(sess: SessRunner, repo: Repo,
                                                               env: dict[str, str]) -> None:
    write_user(env, "[pr]\ndelete_branch = true\n")  # your file; in the team's it is a warning
    assert_refused(sess, repo, env, "Error: ~/.config/sess/config.toml: unknown key 'pr.delete_branch' "
                                    "(did you mean 'end.delete_branch'?)")


def test_unknown_key_without_anything_near(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, 'colour = "blue"\n')
    assert_refused(sess, repo, env, "Error: ~/.config/sess/config.toml: unknown key 'colour'")


def test_invalid_toml_names_the_file_and_the_line(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    repo.write(".sess.toml", '[branch]\ntemplate = "{type}/{slug}"\nmax_length = \n')
    before = repo.git("for-each-ref")
    r = sess("start", "thing", "--no-issue")
    assert r.code == 1
    first = r.err.splitlines()[0]
    assert first.startswith(f"Error: {repo.path}/.sess.toml: not valid TOML: ") and "line 3" in first, r
    assert repo.git("for-each-ref") == before and session_count(env) == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("[branch]\nmax_length = \"60\"\n", "'branch.max_length' must be an integer, not a string (\"60\")"),
    ("[branch]\nmax_length = 0\n", "'branch.max_length' must be at least 1, not 0"),
    ("[branch]\ntypes = \"feature\"\n", "'branch.types' must be a list of strings, not a string (\"feature\")"),
    ("[branch]\ntypes = []\n", "'branch.types' must name at least one type"),
    ("[pr]\ndraft = \"yes\"\n", "'pr.draft' must be true or false, not a string (\"yes\")"),
    ("[pr]\nreviewers = [\"ada\", 3]\n", "'pr.reviewers' must be a list of strings, not a list"),
    ("[time]\nidle_after = \"soon\"\n",
     "'time.idle_after' must be a duration such as \"30s\", \"90m\", \"1h30m\" or \"2h\", not a string (\"soon\")"),
    ("[time]\nexclusive = 1\n", "'time.exclusive' must be true or false, not an integer (1)"),
    ("[end]\nsync_base = \"no\"\n", "'end.sync_base' must be true or false, not a string (\"no\")"),
    ("[hooks]\npre-start = 5\n", "'hooks.pre-start' must be a command string or a non-empty list of strings, "
                                 "not an integer (5)"),
    ("[hooks]\ntimeout = 600\n", "'hooks.timeout' must be a duration such as \"30s\", \"90m\", \"1h30m\" or \"2h\", "
                                 "not an integer (600)"),
    ("branch = \"x\"\n", "'branch' must be a table ([branch]), not a string (\"x\")"),
    ("[branch]\ntemplate = \"{type}/{name}\"\n", "'branch.template' has an unknown field {name}"),
    ("[pr]\ntitle = \"{title}\"\n", "'pr.title' has an unknown field {title}"),
    ("[branch]\ntypes = [\"feat\", \"fix\"]\ndefault_type = \"feature\"\n",
     "'branch.default_type' is 'feature', which is not in 'branch.types' (feat, fix)"),
])
def test_wrong_values_name_the_file_and_the_key(sess: SessRunner, repo: Repo, env: dict[str, str], text: str,
                                                expected: str) -> None:
    write_user(env, text)
    assert_refused(sess, repo, env, f"Error: ~/.config/sess/config.toml: {expected}")


def test_every_command_that_acts_refuses_a_broken_file(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    sess("start", "x", "--no-issue", check=0)
    write_user(env, "[pr]\ndraft = maybe\n")
    for command in (["end", "--no-pr"], ["config", "list"], ["config", "get", "base"]):
        r = sess(*command)
        assert r.code == 1 and r.err.startswith("Error: ~/.config/sess/config.toml: not valid TOML"), r
    # The clock is another matter: pause and resume work with the defaults and a warning.
    for command in (["pause"], ["resume"]):
        r = sess(*command)
        assert r.code == 0 and r.err.startswith("Warning: ~/.config/sess/config.toml: not valid TOML"), r
    assert sess("status", check=0).out.splitlines()[1].startswith("Session active")


# --- sess config get ----------------------------------------------------------------------------

def test_config_get_prints_plain_values(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, '[branch]\ntypes = ["feat", "fix"]\nmax_length = 40\n[pr]\ndraft = true\n'
                    '[hooks]\npost-start = ["notify-send", "started"]\n')
    assert sess("config", "get", "branch.types", check=0).out == "feat\nfix\n"
    assert sess("config", "get", "branch.default_type", check=0).out == "feat\n"  # the first type
    assert sess("config", "get", "branch.max_length", check=0).out == "40\n"
    assert sess("config", "get", "pr.draft", check=0).out == "true\n"
    assert sess("config", "get", "end.sync_base", check=0).out == "true\n"
    assert sess("config", "get", "time.idle_after", check=0).out == "2h\n"
    assert sess("config", "get", "hooks.post-start", check=0).out == "notify-send\nstarted\n"
    r = sess("config", "get", "base")
    assert (r.code, r.out, r.err) == (1, "", "")


def test_config_get_unknown_key_is_a_usage_error_with_a_suggestion(sess: SessRunner, repo: Repo) -> None:
    r = sess("config", "get", "pr.reviewer")
    assert r.code == 2
    assert r.err.splitlines()[0] == "Error: unknown key 'pr.reviewer' (did you mean 'pr.reviewers'?)"


def test_config_works_outside_a_repository(sess: SessRunner, env: dict[str, str], tmp_path: Path) -> None:
    write_user(env, 'base = "trunk"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert sess("config", "get", "base", cwd=elsewhere, check=0).out == "trunk\n"
    assert listing(sess, cwd=elsewhere)["files"]["repo"] is None
    r = sess("config", "set", "--repo", "base", "x", cwd=elsewhere)
    assert r.code == 1 and r.err.startswith("Error: not a git repository")


def test_config_without_an_action_is_a_usage_error(sess: SessRunner, repo: Repo) -> None:
    r = sess("config")
    assert r.code == 2 and "list, get, set, unset, path or trust" in r.err


# --- sess config set / unset ----------------------------------------------------------------------

COMMENTED = """\
# Ada's sess settings
base = "main"  # where sessions start

[branch]
# how branches are named
template = "{type}/{slug}"

[pr]
labels = ["ours"]  # always
"""


def test_config_set_keeps_comments_and_order(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    path = write_user(env, COMMENTED)
    r = sess("config", "set", "branch.template", "{user}/{slug}", check=0)
    assert r.out == f'Set branch.template = "{{user}}/{{slug}}" in {path}\n'
    sess("config", "set", "pr.reviewers", "ada, grace", check=0)
    sess("config", "set", "end.delete_branch", "true", check=0)
    assert path.read_text() == """\
# Ada's sess settings
base = "main"  # where sessions start

[branch]
# how branches are named
template = "{user}/{slug}"

[pr]
labels = ["ours"]  # always
reviewers = ["ada", "grace"]

[end]
delete_branch = true
"""
    assert sess("config", "get", "pr.reviewers", check=0).out == "ada\ngrace\n"


def test_config_set_creates_the_file_and_its_directory(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    sess("config", "set", "pr.labels", '["needs review", "sess"]', check=0)
    sess("config", "set", "base", "main", check=0)
    sess("config", "set", "hooks.post-start", '[ -n "$SESS_ISSUE_ID" ] && echo linked', check=0)
    text = user_file(env).read_text()
    assert text.startswith('base = "main"\n')  # a top-level key stays above the tables, valid TOML
    keys = listing(sess)["keys"]
    assert keys["pr.labels"]["value"] == ["needs review", "sess"]
    assert keys["hooks.post-start"]["value"] == '[ -n "$SESS_ISSUE_ID" ] && echo linked'


@pytest.mark.parametrize(("key", "value", "message"), [
    ("branch.max_length", "long", "'branch.max_length' must be an integer, not a string (\"long\")"),
    ("pr.draft", "maybe", "'pr.draft' must be true or false, not a string (\"maybe\")"),
    ("time.idle_after", "2 hours", "'time.idle_after' must be a duration"),
    ("branch.template", "{type}/{title}", "'branch.template' has an unknown field {title}"),
    ("branch.default_type", "epic", "'branch.default_type' is 'epic', which is not in 'branch.types'"),
])
def test_config_set_checks_before_writing(sess: SessRunner, repo: Repo, env: dict[str, str], key: str, value: str,
                                          message: str) -> None:
    path = write_user(env, COMMENTED)
    r = sess("config", "set", key, value)
    assert r.code == 1, r
    assert r.err.startswith(f"Error: ~/.config/sess/config.toml: {message}"), r
    assert path.read_text() == COMMENTED


def test_config_set_unknown_key_changes_nothing(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    r = sess("config", "set", "branch.tempalte", "x")
    assert r.code == 2 and "did you mean 'branch.template'?" in r.err
    assert not user_file(env).exists()


def test_config_set_repo_writes_sess_toml(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    repo.write(".sess.toml", "# team conventions\n[pr]\nlabels = [\"team\"]\n")
    r = sess("config", "set", "--repo", "pr.draft", "on", check=0)
    assert r.out == f"Set pr.draft = true in {repo.path}/.sess.toml\n"
    assert (repo.path / ".sess.toml").read_text() == "# team conventions\n[pr]\nlabels = [\"team\"]\ndraft = true\n"
    assert not user_file(env).exists()
    assert listing(sess)["keys"]["pr.draft"] == {"value": True, "source": "repo"}


def test_config_unset(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    path = write_user(env, COMMENTED)
    r = sess("config", "unset", "pr.labels", check=0)
    assert r.out == f"Unset pr.labels in {path}\n"
    assert "labels" not in path.read_text() and "[pr]" not in path.read_text()  # the empty table goes too
    assert path.read_text().startswith("# Ada's sess settings\nbase = \"main\"  # where sessions start\n")
    r = sess("config", "unset", "pr.labels", check=0)
    assert r.out == f"pr.labels was not set in {path}; nothing changed\n"
    assert sess("config", "unset", "pr.label").code == 2  # not a key, not in the file


def test_config_unset_takes_a_misspelt_key_out(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    path = write_user(env, '# mine\n[branch]\ntempalte = "{slug}"\n')
    assert sess("config", "list").code == 1
    sess("config", "unset", "branch.tempalte", check=0)
    assert path.read_text() == "# mine\n"
    sess("config", "list", check=0)


def test_config_path_lists_both_files(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    r = sess("config", "path", check=0)
    assert r.out == (f"user  {user_file(env)}  (not created yet)\n"
                     f"repo  {repo.path}/.sess.toml  (not created yet)\n")
    assert sess("config", "path", "--repo", check=0).out == f"{repo.path}/.sess.toml\n"


def test_no_toml_writer_is_imported_when_reading(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    write_user(env, COMMENTED)
    code = ("import sys\nfrom sess.cli import main\nsys.argv = ['sess', 'config', 'list']\nmain()\n"
            "print('tomlkit' in sys.modules, file=sys.stderr)\n")
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, env=env, capture_output=True, text=True,
                          check=False)
    assert proc.stderr.strip().splitlines()[-1] == "False", proc.stderr
    assert os.environ.get("HOME") != env["HOME"]  # never the real home


# --- the cache of checked files ---------------------------------------------------------------------

def test_a_changed_file_is_read_again_even_with_its_old_size_and_mtime(sess: SessRunner, repo: Repo,
                                                                        env: dict[str, str]) -> None:
    sess("start", "x", "--no-issue", check=0)  # the state dir exists: the cache is written
    path = write_user(env, 'base = "aaaa"\n')
    assert sess("config", "get", "base", check=0).out == "aaaa\n"
    assert (Path(env["SESS_HOME"]) / "config-cache").exists()
    before = path.stat()
    path.write_text('base = "bbbb"\n')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert sess("config", "get", "base", check=0).out == "bbbb\n"


def test_a_broken_cache_is_only_slower(sess: SessRunner, repo: Repo, env: dict[str, str]) -> None:
    sess("start", "x", "--no-issue", check=0)
    write_user(env, 'base = "aaaa"\n')
    sess("config", "get", "base", check=0)
    cache = Path(env["SESS_HOME"]) / "config-cache"
    for broken in (b"{not marshal", b"", marshal.dumps([1, 2]), marshal.dumps({"version": 7, "files": []})):
        cache.write_bytes(broken)
        assert sess("config", "get", "base", check=0).out == "aaaa\n"
    cache.write_bytes(marshal.dumps({"version": "0/1", "files": {str(user_file(env)): {"values": {"base": "evil"}}}}))
    assert sess("config", "get", "base", check=0).out == "aaaa\n"


def test_a_sess_toml_symlinked_out_of_the_repository_is_not_read_nor_written(sess: SessRunner, repo: Repo,
                                                                             env: dict[str, str]) -> None:
    mine = write_user(env, "# mine\n[pr]\nlabels = [\"mine\"]\n")
    os.symlink(mine, repo.path / ".sess.toml")
    expected = f"Error: {repo.path}/.sess.toml is a symlink that leads outside the repository; it was not read"
    for command in (["config", "list"], ["config", "set", "--repo", "pr.draft", "true"], ["config", "trust"]):
        r = sess(*command)
        assert r.code == 1 and r.err.splitlines()[0] == expected, r
    assert mine.read_text() == "# mine\n[pr]\nlabels = [\"mine\"]\n"
    assert_refused(sess, repo, env, expected)


def test_a_sess_toml_symlinked_inside_the_repository_is_read(sess: SessRunner, repo: Repo) -> None:
    repo.write("conf/sess.toml", "[pr]\ndraft = true\n")
    os.symlink("conf/sess.toml", repo.path / ".sess.toml")
    assert sess("config", "get", "pr.draft", check=0).out == "true\n"
