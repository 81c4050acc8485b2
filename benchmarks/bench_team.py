"""The team through git at scale: 50 people with 2 devices each and 1,000 sessions per device
(100,000 records on 100 refs) on a local bare origin.

Targets (issue 18), medians of --runs runs:
- `sess sync` after one teammate's ref changed <= 1.3x `git fetch` of those refs alone;
- `sess team` <= 1.3x `sess status` (in the same clone);
- `report --team` over the 100,000 records <= 2x `report --all` over 100,000 local sessions
  (bench_analytics's database).

    python3 benchmarks/bench_team.py [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_analytics import PROJECTS, fill, make_schema
from benchlib import sess_command, timed, verdict, workdir

PEOPLE, DEVICES, PER_DEVICE = 50, 2, 1000
FETCH = ["git", "fetch", "--quiet", "--no-tags", "--prune", "origin", "+refs/sess/v1/*:refs/sess/remotes/origin/v1/*"]


def actor(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def record(person: int, device: str, n: int, start: float) -> tuple[str, bytes]:
    uuid = f"{person:08x}-{n:04x}-4000-8000-{int(device[:12], 16):012x}"
    email = f"dev{person}@example.com"
    iso = datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    end = datetime.fromtimestamp(start + 3600, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = {"uuid": uuid, "actor": {"name": f"Dev {person}", "email": email}, "device": device,
            "branch": f"feature/change-{person}-{n}", "type": "feature",
            "issue": {"tracker": "github", "id": str(n % 900), "title": f"Issue {n % 900}"} if n % 2 else None,
            "pr": {"number": n, "url": f"https://github.com/acme/p/pull/{n}"} if n % 3 == 0 else None,
            "state": "ended", "outcome": None, "started_at": iso, "ended_at": end,
            "slices": [{"start": iso, "end": end}], "elapsed_seconds": 3600}
    if n == PER_DEVICE - 1:  # each device's newest: still running, so that `sess team` lists 100
        body.update(state="active", ended_at=None, slices=[{"start": iso, "end": None}], elapsed_seconds=0)
    path = f"sessions/{iso[:7]}/{uuid}.json"
    return path, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode()


def device_of(person: int, index: int) -> str:
    return hashlib.sha256(f"device-{person}-{index}".encode()).hexdigest()[:16]


def plant(origin: Path, env: dict[str, str]) -> None:
    """Every teammate's ref, written straight into origin with git fast-import."""
    now = time.time()
    stream = bytearray()
    for person in range(1, PEOPLE + 1):
        for index in range(DEVICES):
            device = device_of(person, index)
            ref = f"refs/sess/v1/{actor(f'dev{person}@example.com')}/{device}"
            message = b"sess sync"
            stream += f"commit {ref}\ncommitter Dev {person} <dev{person}@example.com> {int(now)} +0000\n".encode()
            stream += b"data %d\n%s\n" % (len(message), message)
            for n in range(PER_DEVICE):
                start = now - 3600 * 3 - person * 60 if n == PER_DEVICE - 1 else now - 86400 * 700 + n * 60000
                path, data = record(person, device, n, start + person * 100)
                stream += f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=origin, input=bytes(stream), env=env, check=True)


_bump = [0]


def change_one(origin: Path, env: dict[str, str]) -> None:
    """Dev 1's first device records one more session."""
    _bump[0] += 1
    device = device_of(1, 0)
    ref = f"refs/sess/v1/{actor('dev1@example.com')}/{device}"
    path, data = record(1, device, PER_DEVICE + _bump[0], time.time() - 7200)
    stream = (f"commit {ref}\ncommitter Dev 1 <dev1@example.com> {int(time.time())} +0000\n"
              f"data 9\nsess sync\nfrom {ref}^0\nM 100644 inline {path}\n").encode()
    stream += b"data %d\n" % len(data) + data + b"\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=origin, input=stream, env=env, check=True)


def median_pair(first: list[float], second: list[float]) -> tuple[float, float]:
    return statistics.median(first), statistics.median(second)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR")
    args = parser.parse_args()
    sess = sess_command()
    with workdir(args.keep, "sess-bench-team-") as (root, env):
        origin, clone = root / "origin.git", root / "widgets"
        home = root / "home"
        team_env = {**env, "SESS_HOME": str(home)}
        if not origin.exists():
            began = time.perf_counter()
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True, env=env)
            subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, env=env)
            (clone / ".sess.toml").write_text("[sync]\nenabled = true\nauto = false\n")
            for git_args in (["add", ".sess.toml"], ["commit", "-q", "-m", "sync"], ["push", "-q", "origin", "main"]):
                subprocess.run(["git", *git_args], cwd=clone, check=True, env=env)
            plant(origin, env)
            subprocess.run([*sess, "sync"], cwd=clone, env=team_env, check=True, stdout=subprocess.DEVNULL)
            print(f"built {PEOPLE} people x {DEVICES} devices x {PER_DEVICE} sessions "
                  f"in {time.perf_counter() - began:.1f}s", flush=True)
        local_home = root / "home-local"
        if not (local_home / "sess.db").exists():
            began = time.perf_counter()
            fill(make_schema(local_home, env), 100_000, PROJECTS, str(clone))
            print(f"built 100000 local sessions in {time.perf_counter() - began:.1f}s", flush=True)
        local_env = {**env, "SESS_HOME": str(local_home)}

        # sync after one teammate's ref changed, against the fetch of those refs alone
        syncs, fetches = [], []
        for _ in range(args.runs):
            change_one(origin, env)
            syncs.append(timed([*sess, "sync"], str(clone), team_env))
            change_one(origin, env)
            fetches.append(timed(FETCH, str(clone), env))
        subprocess.run([*sess, "sync"], cwd=clone, env=team_env, check=True, stdout=subprocess.DEVNULL)
        sync_s, fetch_s = median_pair(syncs, fetches)

        def pair(first: tuple[list[str], dict[str, str]], second: tuple[list[str], dict[str, str]]
                 ) -> tuple[float, float]:
            a, b = [], []
            for argv, run_env in (first, second):
                timed(argv, str(clone), run_env)  # warm
            for _ in range(args.runs):
                a.append(timed(first[0], str(clone), first[1]))
                b.append(timed(second[0], str(clone), second[1]))
            return median_pair(a, b)

        team_s, status_s = pair(([*sess, "team"], team_env), ([*sess, "status"], team_env))
        report_team_s, report_all_s = pair(([*sess, "report", "--team"], team_env),
                                           ([*sess, "report", "--all"], local_env))

        ok = True
        print(f"\nmedians of {args.runs} runs")
        for label, ours, theirs, limit, against in (
                ("sync after one ref changed", sync_s, fetch_s, 1.3, "git fetch of the refs"),
                ("team", team_s, status_s, 1.3, "status"),
                ("report --team (100k records)", report_team_s, report_all_s, 2.0, "report --all (100k local)")):
            ratio = ours / theirs
            met = ratio <= limit
            ok = ok and met
            print(f"{label:<30}{ours * 1000:>8.1f}ms  vs {against} {theirs * 1000:.1f}ms  "
                  f"{ratio:.2f}x {'ok' if met else 'MISSED'} (<= {limit}x)")
        return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
