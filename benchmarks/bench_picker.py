"""How soon `sess start`'s interactive issue picker appears, against the tracker's own answer time.

A local server answers Jira's `POST /rest/api/3/search/jql` after 200 ms (tests/trackerservers.py,
the one the tests use). `sess start` runs on a pseudo-terminal (pexpect) in a repository with a
bare origin and tracker.type = "jira"; the time from launching it to the first issue of the list
on screen is compared with the tracker's own answer time: the same request made by a client
already running (urllib, in this process). Median of N runs each. Target (issue 17): ratio <= 1.3.
The second figure compares against a fresh `python -c` client (interpreter start-up included).

    python3 benchmarks/bench_picker.py [--runs N] [--delay SECONDS]
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


def picker_time(repo: Path, env: dict[str, str]) -> float:
    import pexpect

    argv = sess_command()
    start = time.perf_counter()
    child = pexpect.spawn(argv[0], [*argv[1:], "start"], cwd=str(repo), env=env, encoding="utf-8", timeout=20,
                          dimensions=(40, 120))
    child.expect_exact("PROJ-1  ")
    elapsed = time.perf_counter() - start
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
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


def timed_client(url: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLIENT, url], env=env, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
