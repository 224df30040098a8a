"""Side-by-side benchmark of app-update tools on the local AWS sandbox.

Every (scenario, contender) pair gets its own fresh sandbox on a free port:
start, seed (one or more environments), adjust (breaker off, health checks,
extra services), wait until every service is steady, clear the call log,
run the contender (once per environment, all at once) under a hard timeout
with every output line timestamped, read the call log, inspect the end
state. Pairs run in a small worker pool (--jobs).

The headline scenarios run at --time-scale (default 1: real seconds, so
every tool's waiting and retry backoff is on the sandbox's clock); the long
ones at --long-time-scale (default 0.1) with each peer's waits scaled the
same way (contenders.py says how).

Usage (through benchmarks/compare/run): harness.py [--time-scale S]
  [--long-time-scale S] [--scenarios a,b] [--contenders x,y] [--jobs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

import figures
from contenders import CONTENDERS, Contender, action_version, environment, unavailable
from stackpilot_sandbox.launcher import Sandbox, start
from world import SCENARIOS, Clock, Scenario, end_state, prepare

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
VENV_BIN = REPO / "sandbox" / ".venv" / "bin"
PY = VENV_BIN / "python"
# The binary to measure; `run` sets it (benchmarks/lib.sh says which).
STACKPILOT = os.environ.get("STACKPILOT_BIN", "")

ACTIVE: set[int] = set()  # process groups started by this harness


def _on_signal(signum, _frame):
    for pgid in list(ACTIVE):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os._exit(128 + signum)


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


class Transcript:
    """A child's stdout and stderr, each line stamped with its arrival time;
    remembers when the first line matching the contender's verdict pattern
    came."""

    def __init__(self, path: Path, started: float, ct: Contender):
        self.file = open(path, "w")
        self.started, self.ct = started, ct
        self.lock = threading.Lock()
        self.verdict_lines: list[float] = []
        self.threads: list[threading.Thread] = []

    def follow(self, stream, label: str) -> None:
        def pump():
            for raw in iter(stream.readline, b""):
                now = time.time()
                line = raw.decode(errors="replace").rstrip("\n")
                with self.lock:
                    self.file.write(f"{now - self.started:8.2f} {label} {line}\n")
                    if self.ct.verdict_line and self.ct.verdict_line.search(line):
                        self.verdict_lines.append(now)
            stream.close()

        t = threading.Thread(target=pump, daemon=True)
        t.start()
        self.threads.append(t)

    def close(self) -> None:
        for t in self.threads:
            t.join(timeout=10)
        self.file.close()


def run_contender(ct: Contender, envs: list[dict], transcript: Transcript, cap_real: float) -> tuple[int | None, bool]:
    """One process per environment, all at once; the worst exit code."""
    procs = []
    for env in envs:
        p = subprocess.Popen(ct.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             cwd=env["WORK"], start_new_session=True)
        ACTIVE.add(p.pid)
        transcript.follow(p.stdout, f"{env['ENV_NAME']}:out")
        transcript.follow(p.stderr, f"{env['ENV_NAME']}:err")
        procs.append(p)
    deadline = time.time() + cap_real
    codes, timed_out = [], False
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(0.1, deadline - time.time())))
        except subprocess.TimeoutExpired:
            timed_out = True
    if timed_out:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for p in procs:
        ACTIVE.discard(p.pid)
    return (None if timed_out else max(codes, key=lambda c: (c != 0, abs(c)))), timed_out


def run_pair(scenario: str, contender: str, scale: float, out: Path) -> dict:
    sc: Scenario = SCENARIOS[scenario]
    ct = CONTENDERS[contender]
    work = Path(tempfile.mkdtemp(prefix=f"bench-{scenario}-{contender}-"))
    res: dict = {"scenario": scenario, "contender": contender, "time_scale": scale, "waits": ct.waits(scale),
                 "loadavg_start": list(os.getloadavg())}
    doc = yaml.safe_load((BENCH / "scenarios" / sc.file).read_text())
    doc["timeScale"] = scale
    scenario_file = work / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(doc))
    # The scenario's cap in sandbox seconds, plus per service and migration
    # one stock 15 s waiter poll (the AWS CLI's granularity, scaled with the
    # clock) and 6 real seconds for starting the CLI processes of a step (a
    # Python or node start-up takes 1-3 s on a loaded 2-core machine).
    per_env_services = 4 + sc.extra_services
    cap_real = sc.cap_s * scale + (15.0 * scale + 6.0) * (per_env_services + 2)
    sb: Sandbox | None = None
    try:
        sb = start(scenario_file, log=work / "sandbox.log", cwd=work)
        ACTIVE.add(sb.pid)
        world = prepare(sb, sc, str(PY), scale)
        envs = []
        for contract in world.contracts:
            cwork = work / contract["env"]
            cwork.mkdir()
            # the contract as the seed printed it (`env` is the harness's own note)
            seeded = {k: v for k, v in contract.items() if k != "env"}
            (cwork / "contract.json").write_text(json.dumps(seeded, indent=2))
            (cwork / "mem.txt").write_text("")
            env = dict(os.environ, AWS_ENDPOINT_URL=sb.url, AWS_ACCESS_KEY_ID="testing",
                       AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
                       PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", CONTRACT=str(cwork / "contract.json"),
                       ENV_NAME=contract["env"], BACKEND_TAG=sc.backend, FRONTEND_TAG=sc.frontend,
                       MEMLOG=str(cwork / "mem.txt"), WORK=str(cwork), TIME_SCALE=str(scale),
                       STACKPILOT=STACKPILOT, **environment(contender, scale, cwork))
            env.pop("GITHUB_STEP_SUMMARY", None)
            env.pop("GITHUB_ACTIONS", None)
            envs.append(env)
        sb.clear_calls()
        started = time.time()
        transcript = Transcript(work / "tool.log", started, ct)
        rc, timed_out = run_contender(ct, envs, transcript, cap_real)
        ended = time.time()
        transcript.close()
        res["loadavg_end"] = list(os.getloadavg())
        if sc.observe_s:
            # Failures that come after the tool exited count too.
            time.sleep(max(0.0, started + sc.observe_s * scale - time.time()))
        calls = [c for c in sb.calls() if c["service"] == "ecs" and c["time"] <= ended]
        (work / "calls.json").write_text(json.dumps(
            [dict(c, at=round(c["time"] - started, 3)) for c in calls], indent=1))
        state = end_state(sb, world, sc, started)
        mem = [int(x) for e in envs for x in Path(e["MEMLOG"]).read_text().split() if x.isdigit()]
        res.update(figures.measure(sc, ct, scale, started, ended, rc, timed_out, cap_real, calls, state,
                                   transcript.verdict_lines, mem, world.service_count))
    except Exception as e:  # record, never hang the suite
        res.update({"error": f"{type(e).__name__}: {e}", "verdict": "harness error", "correct": False})
    finally:
        if sb is not None:
            sb.stop()
            ACTIVE.discard(sb.pid)
        keep = out / "runs" / f"{scenario}--{contender}"
        if keep.exists():
            shutil.rmtree(keep)
        keep.mkdir(parents=True)
        for path in [work / "tool.log", work / "sandbox.log", work / "calls.json", *work.glob("*/contract.json"),
                     *work.glob("*/summary.md")]:
            if path.exists():
                shutil.copy(path, keep / path.relative_to(work).as_posix().replace("/", "--"))
        shutil.rmtree(work, ignore_errors=True)
    log(f"{scenario:16} {contender:17} {res.get('verdict')} "
        f"wall {res.get('wall_sandbox_s')} sandbox s ({res.get('wall_real_s')} s real)")
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-scale", type=float, default=float(os.environ.get("BENCH_TIME_SCALE", 1.0)),
                    help="real seconds per sandbox second for the headline scenarios (default 1)")
    ap.add_argument("--long-time-scale", type=float,
                    default=float(os.environ.get("BENCH_LONG_TIME_SCALE", 0.1)),
                    help="the same for the long scenarios (scale, fleet), every wait scaled (default 0.1)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", 4)))
    ap.add_argument("--out", default=str(BENCH))
    ap.add_argument("--command", default="benchmarks/compare/run")
    ap.add_argument("--render-only", action="store_true", help="rewrite results.md (and the verdicts in results.json) from results.json")
    a = ap.parse_args()
    if a.render_only:
        doc = json.loads((Path(a.out) / "results.json").read_text())
        figures.write_markdown(Path(a.out), doc)  # re-judges every verdict by the current rules
        (Path(a.out) / "results.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
        return 0
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    scenarios = [s for s in a.scenarios.split(",") if s]
    contenders = [c for c in a.contenders.split(",") if c]
    for name in scenarios + contenders:
        if name not in SCENARIOS and name not in CONTENDERS:
            ap.error(f"unknown scenario or contender {name}")
    missing = unavailable(contenders)
    runnable = [c for c in contenders if c not in missing]

    def scale_of(s: str) -> float:
        return a.time_scale if SCENARIOS[s].clock == Clock.REAL else a.long_time_scale

    pairs = [(s, c) for s in scenarios for c in runnable if CONTENDERS[c].runs_in(s)]
    # longest first: the cap in real seconds, sequential tools weighted up
    weight = {"aws-cli": 3, "ecs-deploy": 2}
    pairs.sort(key=lambda p: -(SCENARIOS[p[0]].cap_s * scale_of(p[0]) * weight.get(p[1], 1)))
    t0 = time.time()
    load0 = list(os.getloadavg())
    log(f"{len(pairs)} runs, time scale {a.time_scale} (long scenarios {a.long_time_scale}), {a.jobs} at a time")
    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = {pool.submit(run_pair, s, c, scale_of(s), out): (s, c) for s, c in pairs}
        done = {futs[f]: f.result() for f in cf.as_completed(futs)}
    results = [done[p] for p in ((s, c) for s in scenarios for c in runnable) if p in done]
    for s in scenarios:
        for c, why in missing.items():
            if not CONTENDERS[c].runs_in(s):
                continue
            results.append({"scenario": s, "contender": c, "verdict": "not available", "available": False,
                            "reason": why})
    results.sort(key=lambda r: (scenarios.index(r["scenario"]), contenders.index(r["contender"])))
    doc = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command.strip(), "time_scale": a.time_scale, "long_time_scale": a.long_time_scale,
        "jobs": a.jobs, "duration_real_s": round(time.time() - t0, 1), "machine": figures.machine(),
        "loadavg_start": load0, "loadavg_end": list(os.getloadavg()),
        "action_version": action_version() if "ecs-deploy-action" not in missing else None,
        "scenarios": scenarios, "contenders": contenders, "unavailable": missing, "results": results,
    }
    (out / "results.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    figures.write_markdown(out, doc)
    log(f"done in {time.time() - t0:.0f} s: {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
