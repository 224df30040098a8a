"""The contenders: what runs, whether it can run here, and how its waiting is
put on the sandbox's clock.

At time scale 1 every tool waits in real seconds, as on AWS. Below 1 (the
long scenarios) each peer's own delays are scaled by the same factor as the
sandbox, each by the means the tool allows:
- AWS CLI: the ECS waiter model (`services-stable` 15 s, `tasks-stopped` 6 s)
  overridden through botocore's data path (AWS_DATA_PATH), delays × scale;
- ecs-deploy: its sleeps × scale (`--sleep-time` takes whole seconds, so
  contenders/scaled_sleep.py scales them) and `--timeout` × scale;
- the official action: node preloads contenders/scaled-timers.js, so its
  waiter delays (15 s, backing off to 120 s) and retry backoffs × scale;
- stackpilot: `--poll-interval` × scale (2 s on AWS), and `--bake` × scale
  for the `stackpilot-bake` variant (late-fail only).
Retry backoffs of the AWS CLI, ecs-deploy and stackpilot stay real seconds,
which is why the throttled scenario runs at time scale 1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CONTENDER_DIR = BENCH / "contenders"
ACTION_DIR = "amazon-ecs-deploy-task-definition"


@dataclass(frozen=True)
class Contender:
    name: str
    label: str
    cmd: list[str] | None
    # How the tool waits, at time scale 1 and below it (for the table).
    waits_real: str
    waits_scaled: str
    # An output line that says the tool has seen the failure (its verdict);
    # without one, the verdict is the exit.
    verdict_line: re.Pattern | None = None
    # The scenarios it runs in (empty: all): a variant made for one story.
    only: tuple[str, ...] = ()
    # How the results tables name it (empty: its name).
    row: str = ""

    def waits(self, scale: float) -> str:
        return self.waits_real if scale >= 1 else self.waits_scaled

    def runs_in(self, scenario: str) -> bool:
        return not self.only or scenario in self.only


STACKPILOT_VERDICT = re.compile(r"rolling back to revision|: failed|migration: failed|FAILED,")
# The bake window of the `stackpilot-bake` variant, sandbox seconds: the
# late-fail scenario's tasks fail 140 s after they start, about 90 s after
# the last rollout completed.
BAKE_S = 300


def _script(name: str, *args: str) -> list[str]:
    return ["bash", str(CONTENDER_DIR / name), *args]


CONTENDERS = {
    c.name: c
    for c in [
        Contender("aws-cli", "AWS CLI pipeline (sequential)", _script("awscli.sh", "seq"),
                  "waiters 15 s / 6 s", "waiter delays × scale (AWS_DATA_PATH)",
                  re.compile(r"Waiter \w+ failed|migration failed")),
        Contender("aws-cli-parallel", "AWS CLI pipeline (services in parallel)", _script("awscli.sh", "par"),
                  "waiters 15 s / 6 s", "waiter delays × scale (AWS_DATA_PATH)",
                  re.compile(r"Waiter \w+ failed|migration failed")),
        Contender("ecs-deploy", "ecs-deploy 1.17", _script("ecs-deploy.sh"),
                  "--sleep-time 1", "sleeps × scale (scaled_sleep.py), --timeout × scale",
                  re.compile(r"(?i)deployment failed|error")),
        Contender("ecs-deploy-action", "aws-actions/amazon-ecs-deploy-task-definition", _script("ecs-deploy-action.sh"),
                  "SDK waiter 15 s → 120 s", "timers × scale (scaled-timers.js)",
                  re.compile(r"^::error::")),
        Contender("ecspresso", "ecspresso v2", None, "—", "—"),
        Contender("stackpilot", "stackpilot update", _script("stackpilot.sh"),
                  "--poll-interval 2 (paced 2-15 s)", "--poll-interval 2 × scale", STACKPILOT_VERDICT),
        # An option, not the default: the same update, watched for 300 s
        # after every rollout completed.
        Contender("stackpilot-bake", f"stackpilot update --bake {BAKE_S} (an option, not the default)",
                  _script("stackpilot.sh", str(BAKE_S)),
                  f"--poll-interval 2 (paced 2-15 s), --bake {BAKE_S}", f"--poll-interval 2, --bake {BAKE_S}, × scale",
                  STACKPILOT_VERDICT, only=("late-fail",),
                  row=f"stackpilot --bake {BAKE_S} (an option, not the default)"),
    ]
}


def action_checkout() -> Path:
    """$ECS_DEPLOY_ACTION, else next to the tools folder scripts/install-tools
    fills (~/.cache/stackpilot/amazon-ecs-deploy-task-definition)."""
    if os.environ.get("ECS_DEPLOY_ACTION"):
        return Path(os.environ["ECS_DEPLOY_ACTION"])
    tools = os.environ.get("STACKPILOT_TOOLS_DIR")
    cache = Path(tools).parent if tools else Path.home() / ".cache" / "stackpilot"
    return cache / ACTION_DIR


def unavailable(names: list[str]) -> dict[str, str]:
    """Contender -> why it cannot run here (only those that cannot)."""
    out = {}
    if "ecspresso" in names:
        out["ecspresso"] = _ecspresso_status()
    if "ecs-deploy-action" in names:
        why = _action_status()
        if why:
            out["ecs-deploy-action"] = why
    return out


def _action_status() -> str | None:
    path = action_checkout()
    if not (path / "dist" / "index.js").is_file():
        return (f"no checkout of aws-actions/amazon-ecs-deploy-task-definition at {path} "
                "(set ECS_DEPLOY_ACTION; benchmarks/compare/README.md says how to get one)")
    if not shutil.which("node"):
        return "no `node` on PATH"
    return None


def action_version() -> str | None:
    try:
        return json.loads((action_checkout() / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return None


def _ecspresso_status() -> str:
    if shutil.which("ecspresso"):
        return "ecspresso is installed, but this harness has no ecspresso driver yet"
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


def scaled_waiters(into: Path, scale: float) -> Path:
    """A botocore data path whose ECS waiter model has every delay × scale
    (read from the botocore the AWS CLI uses; nothing copied into the repo)."""
    import botocore

    data = Path(botocore.__file__).parent / "data" / "ecs"
    version = sorted(p.name for p in data.iterdir() if (p / "waiters-2.json").exists())[-1]
    model = json.loads((data / version / "waiters-2.json").read_text())
    for waiter in model["waiters"].values():
        waiter["delay"] = waiter["delay"] * scale
    target = into / "ecs" / version
    target.mkdir(parents=True, exist_ok=True)
    (target / "waiters-2.json").write_text(json.dumps(model))
    return into


def environment(name: str, scale: float, work: Path) -> dict[str, str]:
    """Variables one contender needs on top of the common ones."""
    env: dict[str, str] = {}
    if name.startswith("aws-cli") and scale < 1:
        env["AWS_DATA_PATH"] = str(scaled_waiters(work / "botocore-data", scale))
    if name == "ecs-deploy-action":
        env["ECS_DEPLOY_ACTION"] = str(action_checkout())
    return env
