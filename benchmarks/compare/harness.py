"""Side-by-side benchmark of app-update tools on the local AWS sandbox.

Every (scenario, contender) pair gets its own fresh sandbox on a free port:
start, seed `alpha`, adjust (breaker off / extra services), wait until every
service is steady, clear the call log, run the contender under a hard
timeout, read the call log, inspect the end state. Pairs run in a small
worker pool (--jobs) so that one suite stays under 10 minutes even though
the AWS CLI's waiters poll every 15 real seconds.

Usage (through benchmarks/compare/run): harness.py [--time-scale S] [--scenarios a,b]
  [--contenders x,y] [--jobs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from stackpilot_sandbox.launcher import Sandbox, start

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
VENV_BIN = REPO / "sandbox" / ".venv" / "bin"
PY = VENV_BIN / "python"
# The binary to measure; `run` sets it (benchmarks/lib.sh says which).
STACKPILOT = os.environ.get("STACKPILOT_BIN", "")

MIGRATION_S = 30.0
SLOWEST_S = 90.0
IDEAL_S = MIGRATION_S + SLOWEST_S

# expect: what a correct tool reports. cap_s: timeout in sandbox seconds
# (the harness adds an allowance for the AWS CLI's 15-real-second waiter).
SCENARIOS = {
    "healthy": {"file": "healthy.yaml", "backend": "v2", "frontend": "v2", "expect": "success", "cap_s": 1500},
    "crash-loop": {"file": "crash-loop.yaml", "backend": "broken", "frontend": "v2", "expect": "failure",
                   "cap_s": 600, "breaker": False},
    "circuit-breaker": {"file": "circuit-breaker.yaml", "backend": "broken", "frontend": "v2",
                        "expect": "failure", "cap_s": 1500},
    "throttled": {"file": "throttled.yaml", "backend": "v2", "frontend": "v2", "expect": "success", "cap_s": 1500},
    "scale": {"file": "scale.yaml", "backend": "v2", "frontend": "v2", "expect": "success", "cap_s": 4000,
              "extra_services": 16},
}

# poll: how often the tool looks, in real seconds (None: scaled to 2 sandbox s).
CONTENDERS = {
    "aws-cli": {"cmd": ["bash", str(BENCH / "contenders" / "awscli.sh"), "seq"],
                "label": "AWS CLI pipeline (sequential)", "poll_real": 15.0},
    "aws-cli-parallel": {"cmd": ["bash", str(BENCH / "contenders" / "awscli.sh"), "par"],
                         "label": "AWS CLI pipeline (services in parallel)", "poll_real": 15.0},
    "ecs-deploy": {"cmd": ["bash", str(BENCH / "contenders" / "ecs-deploy.sh")],
                   "label": "ecs-deploy 1.17", "poll_real": 1.0},
    "ecspresso": {"cmd": None, "label": "ecspresso v2", "poll_real": None},
    "stackpilot": {"cmd": ["bash", str(BENCH / "contenders" / "stackpilot.sh")],
                   "label": "stackpilot update", "poll_real": None},
}

# Tries per boto3 call: the throttled scenario throttles the harness's own calls too.
ATTEMPTS = 21


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


def ecspresso_status() -> str | None:
    """None when ecspresso can be built, else why not."""
    if shutil.which("ecspresso"):
        return None
    if not shutil.which("go"):
        return "no Go toolchain on this machine"
    try:
        out = subprocess.run(["go", "list", "-m", "-versions", "github.com/kayac/ecspresso/v2"],
                             capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "`go list -m -versions github.com/kayac/ecspresso/v2` timed out"
    text = (out.stdout + out.stderr).strip()
    if out.returncode == 0:
        return ("the module proxy lists versions, but building ecspresso is not wired into this "
                f"benchmark yet ({text[:80]})")
    first = text.splitlines()[0] if text else f"exit {out.returncode}"
    return f"cannot be built here: `go list -m -versions github.com/kayac/ecspresso/v2` says: {first}"


def add_services(sb: Sandbox, contract: dict, count: int) -> None:
    """Seed `count` more backend services shaped like the seed's own."""
    from stackpilot_sandbox.seed import MIGRATION_COMMAND, _register  # noqa: F401  (the seed's helper)
    ecs, logs = sb.client("ecs", ATTEMPTS), sb.client("logs", ATTEMPTS)
    net = contract["network"]
    for i in range(1, count + 1):
        name = f"worker-{i:02d}"
        family = _register(ecs, logs, "alpha", name, "backend", ["celery", "-A", "ublog", "worker", "-Q", name])
        ecs.create_service(
            cluster=contract["cluster"], serviceName=family, taskDefinition=family, desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": net["subnets"],
                                                          "securityGroups": net["securityGroups"],
                                                          "assignPublicIp": "DISABLED"}},
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                     "maximumPercent": 200, "minimumHealthyPercent": 100})
        contract["services"].append({"name": name, "service": family, "taskFamily": family,
                                     "container": name, "image": "backend", "desiredCount": 1})


def describe_all(ecs, cluster: str, names: list[str]) -> list[dict]:
    out = []
    for i in range(0, len(names), 10):
        out += ecs.describe_services(cluster=cluster, services=names[i:i + 10])["services"]
    return out


def settle(sb: Sandbox, contract: dict, limit: float) -> None:
    ecs = sb.client("ecs", ATTEMPTS)
    names = [s["service"] for s in contract["services"]]
    deadline = time.time() + limit
    while time.time() < deadline:
        svcs = describe_all(ecs, contract["cluster"], names)
        if all(len(s["deployments"]) == 1 and s["deployments"][0].get("rolloutState") == "COMPLETED"
               and s["runningCount"] == s["desiredCount"] for s in svcs):
            return
        time.sleep(0.2)
    raise RuntimeError("services did not settle after seeding")


def failed_tasks(ecs, cluster: str) -> list[dict]:
    arns, token = [], None
    while True:
        kw = {"cluster": cluster, "desiredStatus": "STOPPED"}
        if token:
            kw["nextToken"] = token
        page = ecs.list_tasks(**kw)
        arns += page["taskArns"]
        token = page.get("nextToken")
        if not token:
            break
    tasks = []
    for i in range(0, len(arns), 100):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]
    return [t for t in tasks
            if t.get("stopCode") == "TaskFailedToStart"
            or any(c.get("exitCode") not in (0, None) for c in t.get("containers", []))]


def end_state(sb: Sandbox, contract: dict, tags: dict, started: float) -> dict:
    ecs = sb.client("ecs", ATTEMPTS)
    names = [s["service"] for s in contract["services"]]
    by_name = {s["service"]: s for s in contract["services"]}
    deployed, rolled_back, not_deployed = True, False, []
    for svc in describe_all(ecs, contract["cluster"], names):
        want = tags.get(by_name[svc["serviceName"]]["image"])
        if not want:
            continue
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        images = [c["image"] for c in td["containerDefinitions"]]
        steady = len(svc["deployments"]) == 1 and svc["runningCount"] == svc["desiredCount"]
        if not all(i.endswith(":" + want) for i in images) or not steady:
            deployed = False
            not_deployed.append(svc["serviceName"])
        for ev in svc.get("events", []):
            if "rolling back" in ev["message"] and ev["createdAt"].timestamp() >= started - 1:
                rolled_back = True
    return {"deployed": deployed, "rolled_back": rolled_back, "not_deployed": not_deployed}


def run_pair(scenario: str, contender: str, scale: float, out: Path) -> dict:
    sc, ct = SCENARIOS[scenario], CONTENDERS[contender]
    work = Path(tempfile.mkdtemp(prefix=f"bench-{scenario}-{contender}-"))
    res: dict = {"scenario": scenario, "contender": contender}
    doc = yaml.safe_load((BENCH / "scenarios" / sc["file"]).read_text())
    doc["timeScale"] = scale
    scenario_file = work / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(doc))
    n_services = 4 + sc.get("extra_services", 0)
    # Timeout: the scenario's cap in sandbox seconds, plus one 15 s waiter
    # poll per service and the migration (the AWS CLI's granularity).
    cap_real = sc["cap_s"] * scale + 15.0 * (n_services + 2)
    sb: Sandbox | None = None
    try:
        sb = start(scenario_file, log=work / "sandbox.log", cwd=work)
        ACTIVE.add(sb.pid)
        seeded = subprocess.run([str(PY), "-m", "stackpilot_sandbox", "seed", "alpha", "--endpoint", sb.url],
                                capture_output=True, text=True, timeout=120, check=True)
        contract = json.loads(seeded.stdout)
        if sc.get("breaker") is False:
            ecs = sb.client("ecs", ATTEMPTS)
            for s in contract["services"]:
                ecs.update_service(cluster=contract["cluster"], service=s["service"], deploymentConfiguration={
                    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
                    "maximumPercent": 200, "minimumHealthyPercent": 100})
        if sc.get("extra_services"):
            add_services(sb, contract, sc["extra_services"])
        (work / "contract.json").write_text(json.dumps(contract, indent=2))
        settle(sb, contract, limit=max(60.0, 400 * scale))
        sb.clear_calls()
        memlog = work / "mem.txt"
        memlog.write_text("")
        env = dict(os.environ, AWS_ENDPOINT_URL=sb.url, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
                   PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}", CONTRACT=str(work / "contract.json"),
                   BACKEND_TAG=sc["backend"], FRONTEND_TAG=sc["frontend"], MEMLOG=str(memlog), WORK=str(work),
                   TIME_SCALE=str(scale), STACKPILOT=STACKPILOT)
        env.pop("GITHUB_STEP_SUMMARY", None)
        started = time.time()
        with open(work / "tool.out", "w") as so, open(work / "tool.err", "w") as se:
            proc = subprocess.Popen(ct["cmd"], stdout=so, stderr=se, env=env, cwd=work, start_new_session=True)
            ACTIVE.add(proc.pid)
            timed_out = False
            try:
                rc = proc.wait(timeout=cap_real)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            ACTIVE.discard(proc.pid)
        ended = time.time()
        calls = sb.calls()
        ecs_calls = [c for c in calls if c["service"] == "ecs"]
        by_op: dict[str, int] = {}
        for c in ecs_calls:
            by_op[c["operation"]] = by_op.get(c["operation"], 0) + 1
        fails = failed_tasks(sb.client("ecs", ATTEMPTS), contract["cluster"])
        first_fail = min((t["stoppedAt"].timestamp() for t in fails if t.get("stoppedAt")), default=None)
        state = end_state(sb, contract, {"backend": sc["backend"], "frontend": sc["frontend"]}, started)
        mem = [int(x) for x in memlog.read_text().split() if x.isdigit()]
        wall = ended - started
        res.update({
            "exit_code": None if timed_out else rc,
            "timed_out": timed_out,
            "timeout_real_s": round(cap_real, 1),
            "wall_real_s": round(wall, 2),
            "wall_sandbox_s": round(wall / scale, 1),
            "ideal_sandbox_s": IDEAL_S,
            "ratio_to_ideal": round(wall / scale / IDEAL_S, 2),
            "failed_tasks": len(fails),
            "first_failed_task_to_exit_sandbox_s":
                round((ended - first_fail) / scale, 1) if first_fail and not timed_out and rc != 0 else None,
            "first_failed_task_to_kill_sandbox_s":
                round((ended - first_fail) / scale, 1) if first_fail and timed_out else None,
            "ecs_calls_total": len(ecs_calls),
            "ecs_calls_throttled": sum(1 for c in ecs_calls if c["throttled"]),
            "ecs_calls_by_operation": dict(sorted(by_op.items())),
            "all_calls_total": len(calls),
            "peak_rss_kib": max(mem) if mem else None,
            "processes": len(mem),
            **state,
        })
        res["verdict"] = verdict(res)
        res["correct"] = correct(res, sc["expect"])
        res["first_failure_figure"] = failure_figure(res, sc["expect"])
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
        for name in ("tool.out", "tool.err", "sandbox.log", "contract.json", "summary.md"):
            if (work / name).exists():
                shutil.copy(work / name, keep / name)
        shutil.rmtree(work, ignore_errors=True)
    log(f"{scenario:16} {contender:17} {res.get('verdict')} "
        f"wall {res.get('wall_sandbox_s')} sandbox s ({res.get('wall_real_s')} s real)")
    return res


def verdict(r: dict) -> str:
    if r["timed_out"]:
        return f"TIMEOUT (killed after {r['timeout_real_s']:.0f} s real)"
    if r["exit_code"] == 0:
        if r["deployed"]:
            return "success (exit 0)"
        if r["rolled_back"]:
            return "FALSE SUCCESS: exit 0 after a rollback"
        return "FALSE SUCCESS: exit 0, not deployed"
    return f"failed (exit {r['exit_code']})" + (", rolled back" if r["rolled_back"] else "")


def correct(r: dict, expect: str) -> bool:
    if r["timed_out"]:
        return False
    return (r["exit_code"] == 0 and r["deployed"]) if expect == "success" else r["exit_code"] != 0


def failure_figure(r: dict, expect: str) -> str:
    if r["failed_tasks"] == 0:
        return "no failed task"
    if r["first_failed_task_to_exit_sandbox_s"] is not None:
        return f"{r['first_failed_task_to_exit_sandbox_s']:.0f}"
    if r["timed_out"]:
        return f"never (killed {r['first_failed_task_to_kill_sandbox_s']:.0f} s after)"
    return "never (exit 0)"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = f"{int(open('/proc/meminfo').readline().split()[1]) / 1048576:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform()}


def fmt_calls(by_op: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0])))


def write_results(out: Path, meta: dict, results: list[dict]) -> None:
    """results.md from the runs (contenders that ran)."""
    s = meta["time_scale"]
    lines = [
        "# App-update benchmark: stackpilot next to the tools people use today",
        "",
        f"Run {meta['date']} with `{meta['command']}` in {meta['duration_real_s']:.0f} s real time, "
        f"time scale {s} (1 sandbox s = {s} real s), {meta['jobs']} pairs at a time, "
        f"each (scenario, contender) on a fresh sandbox.",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, {meta['machine']['memory']}, "
        f"{meta['machine']['os']}.",
        "",
        f"Times are sandbox seconds (real / {s}). Ideal = migration {MIGRATION_S:.0f} s + slowest service "
        f"{SLOWEST_S:.0f} s = {IDEAL_S:.0f} s. *Failure → exit*: from the first task that stopped with a "
        "non-zero exit code to the tool's non-zero exit. *ECS calls*: every ECS API call in the sandbox's "
        "call log during the run (throttled ones included). *Peak RSS*: the largest `%M` of GNU time over "
        "the tool's own processes (one per CLI invocation for the AWS CLI and ecs-deploy).",
        "",
        "Polling (sandbox seconds between status checks at this time scale): "
        + "; ".join(f"{CONTENDERS[k]['label']} {v}" for k, v in meta["poll_sandbox_s"].items()) + ".",
        "The AWS CLI's waiters (`services-stable` 15 s, `tasks-stopped` 6 s, real time) and ecs-deploy's "
        "`--sleep-time` (integer seconds, minimum 1) cannot be scaled without patching the tools, so at "
        "this time scale their polling is coarser in sandbox seconds than on AWS and inflates their wall "
        "times; stackpilot's interval is scaled (2 sandbox s, as on AWS). See benchmarks/compare/README.md.",
        "",
    ]
    if meta.get("unavailable"):
        for k, why in meta["unavailable"].items():
            lines.append(f"**{CONTENDERS[k]['label']}: not available** — {why}.")
        lines.append("")
    head = ("| scenario | contender | verdict | correct | wall (sandbox s) | × ideal | failure → exit (sandbox s) "
            "| ECS calls | throttled | peak RSS (MiB) |")
    lines += [head, "|" + "---|" * 10]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['scenario']} | {r['contender']} | harness error: {r['error']} | no | | | | | | |")
            continue
        mem = f"{r['peak_rss_kib'] / 1024:.0f}" if r.get("peak_rss_kib") else "—"
        lines.append(
            f"| {r['scenario']} | {r['contender']} | {r['verdict']} | {'yes' if r['correct'] else '**no**'} "
            f"| {r['wall_sandbox_s']:.0f} | {r['ratio_to_ideal']:.2f} | {r['first_failure_figure']} "
            f"| {r['ecs_calls_total']} | {r['ecs_calls_throttled']} | {mem} |")
    lines += ["", "## ECS API calls by operation", "",
              "| scenario | contender | calls by operation |", "|---|---|---|"]
    for r in results:
        if "error" not in r:
            lines.append(f"| {r['scenario']} | {r['contender']} | {fmt_calls(r['ecs_calls_by_operation'])} |")
    lines += ["", "## Notes", "",
              f"- A TIMEOUT is the harness's hard limit, not the tool's exit. Left alone, the AWS CLI's "
              f"`aws ecs wait services-stable` gives up after 40 polls × 15 s = 600 real s "
              f"({600 / s:.0f} sandbox s here) with exit 255, and `ecs deploy` after its `--timeout` of "
              f"300 real s ({300 / s:.0f} sandbox s here).",
              f"- Call counts of polling tools follow their poll interval in sandbox seconds: the AWS CLI waiters "
              f"and ecs-deploy poll {1 / s:g}× less often per sandbox second here than they would per AWS "
              "second on AWS, so their Describe* counts are far lower than on AWS (stackpilot's interval is "
              "scaled, so its counts are what AWS would see). Compare the mutating calls (Register, Update, "
              "RunTask) as they are; compare the Describe* counts only with that in mind.",
              "- `ecs run` (ecs-deploy) starts the migration task and returns without waiting for it, so with "
              "ecs-deploy the migration does not gate the rollout (its wall time has no migration wait in it).",
              f"- Throttled: the clients' retry backoffs are real seconds (not scaled), so at this time scale "
              f"each real second of backoff counts {1 / s:g} sandbox s. stackpilot uses the Rust SDK's adaptive "
              "retry (backoff up to 5 s, client-side rate limiting after throttles); the AWS CLI v1 its legacy "
              "retries; ecs-deploy's client retries a call twice (\"reached max retries: 2\"), so one call "
              "throttled three times in a row fails its run (exit 1).",
              "- stackpilot's *failure → exit* includes rolling every updated service back before it exits 3.",
              "- Where the AWS CLI pipeline or ecs-deploy exit 0 after the circuit breaker rolled gunicorn "
              "back: `services-stable` only asks for one deployment with runningCount = desiredCount, which "
              "the rolled-back service satisfies; ecs-deploy fails only when the *primary* deployment is "
              "FAILED, and after a rollback the primary is the rollback deployment, which completes.",
              ""]
    (out / "results.md").write_text("\n".join(lines))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-scale", type=float, default=float(os.environ.get("BENCH_TIME_SCALE", 0.1)))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", 4)))
    ap.add_argument("--out", default=str(BENCH))
    ap.add_argument("--command", default="benchmarks/compare/run")
    ap.add_argument("--render-only", action="store_true", help="rewrite results.md from results.json")
    a = ap.parse_args()
    if a.render_only:
        doc = json.loads((Path(a.out) / "results.json").read_text())
        runs = [r for r in doc.pop("results") if r.get("available", True)]
        write_results(Path(a.out), doc, runs)
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
    unavailable = {}
    if "ecspresso" in contenders:
        why = ecspresso_status()
        if why:
            unavailable["ecspresso"] = why
        else:
            unavailable["ecspresso"] = "ecspresso is installed, but this harness has no ecspresso driver yet"
    runnable = [c for c in contenders if c not in unavailable]
    pairs = [(s, c) for s in scenarios for c in runnable]
    # longest first: the sequential AWS CLI pipeline on many services
    weight = {"aws-cli": 3, "aws-cli-parallel": 2, "ecs-deploy": 2, "stackpilot": 1}
    pairs.sort(key=lambda p: -(weight.get(p[1], 1) * (4 + SCENARIOS[p[0]].get("extra_services", 0))
                               + (5 if SCENARIOS[p[0]].get("breaker") is False else 0)))
    t0 = time.time()
    log(f"{len(pairs)} runs, time scale {a.time_scale}, {a.jobs} at a time")
    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = {pool.submit(run_pair, s, c, a.time_scale, out): (s, c) for s, c in pairs}
        done = {futs[f]: f.result() for f in cf.as_completed(futs)}
    results = [done[(s, c)] for s in scenarios for c in runnable]
    for s in scenarios:
        for c in unavailable:
            results.append({"scenario": s, "contender": c, "verdict": "not available", "available": False,
                            "reason": unavailable[c]})
    results.sort(key=lambda r: (scenarios.index(r["scenario"]), contenders.index(r["contender"])))
    poll = {}
    for c in contenders:
        p = CONTENDERS[c]["poll_real"]
        poll[c] = "—" if c in unavailable else (f"{p / a.time_scale:g}" if p else "2")
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command.strip(), "time_scale": a.time_scale, "jobs": a.jobs,
        "duration_real_s": round(time.time() - t0, 1), "machine": machine(),
        "ideal_sandbox_s": IDEAL_S, "scenarios": scenarios, "contenders": contenders,
        "unavailable": unavailable, "poll_sandbox_s": poll,
    }
    write_results_all(out, meta, results)
    log(f"done in {time.time() - t0:.0f} s: {out / 'results.md'}")
    return 0


def write_results_all(out: Path, meta: dict, results: list[dict]) -> None:
    runs = [r for r in results if r.get("available", True)]
    write_results(out, meta, runs)
    # results.json keeps the unavailable rows too
    (out / "results.json").write_text(json.dumps({**meta, "results": results}, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
