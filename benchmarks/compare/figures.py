"""The figures of one run and the results.md that shows them."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from contenders import CONTENDERS
from world import SCENARIOS, Clock


def shown(contender: str) -> str:
    """The contender as its table rows name it."""
    ct = CONTENDERS.get(contender)
    return ct.row if ct and ct.row else contender


def measure(sc, ct, scale: float, started: float, ended: float, rc: int | None, timed_out: bool,
            cap_real: float, calls: list[dict], state: dict, verdict_lines: list[float], mem: list[int],
            services: int) -> dict:
    by_op: dict[str, int] = {}
    for c in calls:
        by_op[c["operation"]] = by_op.get(c["operation"], 0) + 1
    wall = ended - started
    first_fail = state["first_fail"]
    failed_run = not timed_out and rc != 0

    def after_fail(t: float | None) -> float | None:
        return None if t is None or first_fail is None else round(max(0.0, t - first_fail) / scale, 1)

    # The verdict: the first output line that says so after the first failed
    # task, else the non-zero exit.
    seen = next((t for t in verdict_lines if first_fail is not None and t >= first_fail), None)
    r = {
        "exit_code": None if timed_out else rc,
        "timed_out": timed_out,
        "timeout_real_s": round(cap_real, 1),
        "wall_real_s": round(wall, 2),
        "wall_sandbox_s": round(wall / scale, 1),
        "ideal_sandbox_s": sc.ideal_s,
        "ratio_to_ideal": round(wall / scale / sc.ideal_s, 2),
        "failed_tasks": state["failed_tasks"],
        "detection_sandbox_s": after_fail(seen if seen is not None else (ended if failed_run else None)),
        "failure_to_exit_sandbox_s": after_fail(ended) if failed_run else None,
        "failure_to_kill_sandbox_s": after_fail(ended) if timed_out else None,
        "ecs_calls_total": len(calls),
        "ecs_calls_throttled": sum(1 for c in calls if c["throttled"]),
        "ecs_calls_by_operation": dict(sorted(by_op.items())),
        "ecs_calls_per_service": round(len(calls) / max(services, 1), 1),
        "services": services,
        "peak_rss_kib": max(mem) if mem else None,
        "processes": len(mem),
        **{k: v for k, v in state.items() if k != "first_fail"},
    }
    judge(r, sc.expect)
    return r


def false_success(r: dict, expect: str) -> str | None:
    """Why an exit 0 was wrong, or None."""
    if r["timed_out"] or r["exit_code"] != 0:
        return None
    if r["rolled_back"]:
        return "exit 0 after a rollback"
    if expect == "failure" and r["failed_tasks"]:
        return f"exit 0, {r['failed_tasks']} new tasks failed"
    if not r["deployed"]:
        return "exit 0, not deployed"
    return None


def judge(r: dict, expect: str) -> None:
    """The verdict fields from the measured ones (also when re-rendering)."""
    r["false_success"] = false_success(r, expect)
    r["verdict"] = verdict(r)
    r["correct"] = correct(r, expect)


def verdict(r: dict) -> str:
    if r["timed_out"]:
        return f"TIMEOUT (killed after {r['timeout_real_s']:.0f} s real)"
    if r["false_success"]:
        return f"FALSE SUCCESS: {r['false_success']}"
    if r["exit_code"] == 0:
        return "success (exit 0)"
    return f"failed (exit {r['exit_code']})" + (", rolled back" if r["rolled_back"] else "")


def correct(r: dict, expect: str) -> bool:
    if r["timed_out"] or r["false_success"]:
        return False
    return r["exit_code"] == 0 if expect == "success" else r["exit_code"] != 0


def failure_figure(r: dict, key: str) -> str:
    if r["failed_tasks"] == 0:
        return "—"
    if r.get(key) is not None:
        return f"{r[key]:.0f}"
    if r["timed_out"]:
        return f"never (killed {r['failure_to_kill_sandbox_s']:.0f} s after)"
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


def _load(v: list[float] | None) -> str:
    return " ".join(f"{x:.2f}" for x in v) if v else "—"


def write_markdown(out: Path, doc: dict) -> None:
    results = [r for r in doc["results"] if r.get("available", True)]
    for r in results:
        if "error" not in r:
            judge(r, SCENARIOS[r["scenario"]].expect)
    m = doc["machine"]
    lines = [
        "# App-update benchmark: stackpilot next to the tools people use today",
        "",
        f"Run {doc['date']} with `{doc['command']}` in {doc['duration_real_s']:.0f} s real time, "
        f"{doc['jobs']} pairs at a time, each (scenario, contender) on a fresh sandbox. "
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}; load average "
        f"{_load(doc.get('loadavg_start'))} at the start, {_load(doc.get('loadavg_end'))} at the end.",
        "",
        f"Clock: {', '.join(s for s in doc['scenarios'] if SCENARIOS[s].clock == Clock.REAL) or 'none'} at time "
        f"scale {doc['time_scale']}"
        + (" (real seconds: every tool waits and backs off as on AWS)" if doc["time_scale"] == 1 else "")
        + f"; {', '.join(s for s in doc['scenarios'] if SCENARIOS[s].clock == Clock.SCALED) or 'none'} at "
        f"{doc['long_time_scale']}, with each tool's waits scaled (column *waits*). "
        "Times are sandbox seconds (real / time scale).",
        "",
        "*Detection*: from the first task that stopped failed (non-zero exit, failed to start, or failed "
        "health checks) to the tool's verdict (the first output line saying so, else its non-zero exit). "
        "*Exit*: from the same task to the exit, rollback included. *ECS calls*: every ECS API call in the "
        "sandbox's call log during the run (throttled ones included and counted on their own). *Peak RSS*: "
        "the largest `%M` of GNU time over the tool's processes.",
        "",
    ]
    for k, why in (doc.get("unavailable") or {}).items():
        lines.append(f"**{CONTENDERS[k].label}: not available** — {why}.")
    if doc.get("action_version"):
        lines.append(f"The official action: aws-actions/amazon-ecs-deploy-task-definition "
                     f"v{doc['action_version']}.")
    lines += ["", "| scenario | contender | waits | verdict | wall | × ideal | detection | exit "
                  "| ECS calls (per service) | throttled | peak RSS (MiB) | load at start |",
              "|" + "---|" * 12]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['scenario']} | {shown(r['contender'])} | | harness error: {r['error']} |"
                         + " |" * 8)
            continue
        mem = f"{r['peak_rss_kib'] / 1024:.0f}" if r.get("peak_rss_kib") else "—"
        verdict_text = r["verdict"] if r["correct"] else f"**{r['verdict']}**"
        lines.append(
            f"| {r['scenario']} | {shown(r['contender'])} | {r['waits']} (× {r['time_scale']:g}) | {verdict_text} "
            f"| {r['wall_sandbox_s']:.0f} | {r['ratio_to_ideal']:.2f} "
            f"| {failure_figure(r, 'detection_sandbox_s')} | {failure_figure(r, 'failure_to_exit_sandbox_s')} "
            f"| {r['ecs_calls_total']} ({r['ecs_calls_per_service']:g}) | {r['ecs_calls_throttled']} | {mem} "
            f"| {_load(r.get('loadavg_start')[:1])} |")
    lines += ["", "## Compact (the README's table)", "",
              "| scenario | contender | verdict | wall (s) | × ideal | detection (s) | exit (s) | ECS calls (throttled) "
              "| peak RSS (MiB) |", "|" + "---|" * 9]
    for r in results:
        if "error" not in r:
            mem = f"{r['peak_rss_kib'] / 1024:.0f}" if r.get("peak_rss_kib") else "—"
            lines.append(
                f"| {r['scenario']} | {shown(r['contender'])} | {r['verdict'] if r['correct'] else '**' + r['verdict'] + '**'} "
                f"| {r['wall_sandbox_s']:.0f} | {r['ratio_to_ideal']:.2f} "
                f"| {failure_figure(r, 'detection_sandbox_s')} | {failure_figure(r, 'failure_to_exit_sandbox_s')} "
                f"| {r['ecs_calls_total']} ({r['ecs_calls_throttled']}) | {mem} |")
    lines += ["", "## ECS API calls by operation", "",
              "| scenario | contender | calls by operation |", "|---|---|---|"]
    for r in results:
        if "error" not in r:
            lines.append(f"| {r['scenario']} | {shown(r['contender'])} | {fmt_calls(r['ecs_calls_by_operation'])} |")
    lines += ["", "## Scenarios", "", "| name | ideal (s) | what |", "|---|---|---|"]
    for s in doc["scenarios"]:
        lines.append(f"| {s} | {SCENARIOS[s].ideal_s:.0f} | {SCENARIOS[s].what} |")
    lines.append("")
    (out / "results.md").write_text("\n".join(lines))
