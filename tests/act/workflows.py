"""Runs this repository's real workflow files with act, on this host.

A throwaway checkout holds the real `.github/workflows/` and `action.yml`
next to the fixture Pulumi projects (tests/fixtures/repo), committed to git
as act expects. act runs every job on the host (`-P ubuntu-latest=-self-hosted`)
and offline; the actions that need the network are mapped to the doubles in
doubles/ (README there), and the build job's `cargo build --release` puts the
debug binary it was given where the release build would have left it.
stackpilot and the Pulumi CLI are the real ones.

act keeps no job summary file (it empties `$GITHUB_STEP_SUMMARY` before
every step and deletes the job's folder at the end), but logs each step's
summary; with `--json` those log lines are what a reviewer would read on the
run page, so the summaries and step outputs are read from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOUBLES = Path(__file__).resolve().parent / "doubles"
PASSPHRASE = "act-suite passphrase that appears in no summary"
PREVIEW_ROLE = "arn:aws:iam::000000000000:role/stackpilot-preview"
DEPLOY_ROLE = "arn:aws:iam::000000000000:role/stackpilot-deploy"


def tools_bin() -> Path:
    tools = os.environ.get("STACKPILOT_TOOLS_DIR") or str(Path.home() / ".cache/stackpilot/tools")
    return Path(tools) / "bin"


def stackpilot_bin() -> Path:
    path = Path(os.environ.get("STACKPILOT_BIN", REPO / "target/debug/stackpilot"))
    assert path.is_file(), f"no stackpilot binary at {path}; set STACKPILOT_BIN (scripts/test does)"
    return path


def pinned_actions() -> dict[str, str]:
    """`owner/repo` -> the commit our workflows pin, read from the files
    themselves so that a bumped pin keeps its double."""
    pins: dict[str, str] = {}
    files = [*sorted((REPO / ".github/workflows").glob("*.yml")), REPO / "action.yml"]
    for file in files:
        for line in file.read_text().splitlines():
            text = line.strip().removeprefix("- ")
            if not text.startswith("uses: ") or "@" not in text:
                continue
            action, ref = text.removeprefix("uses: ").split("#")[0].strip().split("@")
            pins[action] = ref
    return pins


# The actions that reach the network, and the double that stands in for each.
DOUBLED = {
    "aws-actions/configure-aws-credentials": "configure-aws-credentials",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "actions/cache": "cache",
    "pulumi/actions": "setup-pulumi",
    "actions/setup-node": "setup-node",
}


@dataclass
class Job:
    """What one job logged: its top-level steps' summaries and outputs."""

    summaries: list[str] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    result: str = ""

    @property
    def summary(self) -> str:
        return "\n".join(self.summaries)

    def output(self, step: str, name: str) -> str | None:
        return self.outputs.get(step, {}).get(name)


@dataclass
class ActRun:
    code: int
    jobs: dict[str, Job]
    log: str
    roles: list[tuple[str, str]]

    def job(self, job_id: str) -> Job:
        assert job_id in self.jobs, f"job {job_id} did not run; the log:\n{self.log[-6000:]}"
        return self.jobs[job_id]


def parse_log(text: str) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        job_id = entry.get("jobID")
        if not job_id:
            continue
        job = jobs.setdefault(job_id, Job())
        step_id = entry.get("stepID") or []
        # A composite action's inner steps log what its own step logs again.
        top_level = len(step_id) == 1 and entry.get("stage") == "Main"
        if entry.get("command") == "summary" and top_level:
            job.summaries.append(entry["content"])
        elif entry.get("command") == "set-output" and top_level:
            job.outputs.setdefault(step_id[0], {})[entry["name"]] = entry["arg"]
        if "jobResult" in entry:
            job.result = entry["jobResult"]
    return jobs


class Checkout:
    """The repository as a workflow run sees it, plus the state backend."""

    def __init__(self, root: Path):
        self.root = root
        self.repo = root / "repo"
        self.state = root / "state"
        self.record = root / "record"
        for folder in (self.repo, self.state, self.record, root / "home"):
            folder.mkdir(parents=True)
        shutil.copytree(REPO / "tests/fixtures/repo", self.repo, dirs_exist_ok=True)
        shutil.copytree(REPO / ".github/workflows", self.repo / ".github/workflows")
        shutil.copy(REPO / "action.yml", self.repo / "action.yml")
        # The action runs `npm ci` for the programs: the fixture programs
        # are YAML and need no packages, so an empty lock file does.
        package = {"name": "fixture-programs", "version": "0.0.0", "private": True}
        (self.repo / "pulumi/package.json").write_text(json.dumps(package))
        lock = {
            "name": "fixture-programs",
            "version": "0.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {"": {"name": "fixture-programs", "version": "0.0.0"}},
        }
        (self.repo / "pulumi/package-lock.json").write_text(json.dumps(lock))
        self.git("init", "-q", "-b", "main")
        self.commit("the repository")

    def git(self, *args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=act suite", "-c", "user.email=act@example.test", *args],
            cwd=self.repo,
            check=True,
        )

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def env(self) -> dict[str, str]:
        """The host environment act and its jobs get: nothing of the
        developer's own AWS, Pulumi or GitHub settings."""
        return {
            "PATH": f"{DOUBLES / 'bin'}:{os.path.dirname(shutil.which('git') or '/usr/bin/git')}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.root / "home"),
            "PULUMI_HOME": str(self.root / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "STACKPILOT_TOOLS_DIR": str(tools_bin().parent),
            "STACKPILOT_BIN": str(stackpilot_bin()),
            "STACKPILOT_ACT_RECORD": str(self.record),
        }

    def stackpilot(self, *args: str) -> subprocess.CompletedProcess[str]:
        """stackpilot run by hand against the same backend (as someone
        holding the deploy role would, from a laptop)."""
        env = self.env() | {
            "PATH": f"{tools_bin()}:/usr/local/bin:/usr/bin:/bin",
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        }
        return subprocess.run(
            [str(stackpilot_bin()), "--root", str(self.repo), *args],
            env=env,
            capture_output=True,
            text=True,
        )

    def act(
        self,
        workflow: str,
        inputs: dict[str, str],
        meanwhile: Path | None = None,
        aws_endpoint: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> ActRun:
        """Runs `workflow` as a workflow_dispatch with `inputs`; `meanwhile`
        runs while the apply job waits (doubles/download-artifact), and
        `aws_endpoint` is where the jobs' AWS clients go (the sandbox);
        `extra_env` is added to the host environment the jobs get."""
        act = tools_bin() / "act"
        assert act.is_file(), f"act is not in {act.parent}; run scripts/install-tools first"
        pins = pinned_actions()
        cmd = [
            str(act), "workflow_dispatch", "--json",
            "-W", f".github/workflows/{workflow}",
            "-P", "ubuntu-latest=-self-hosted",
            "--action-offline-mode",
            "--action-cache-path", str(self.root / "act-cache"),
            "--var", f"PULUMI_BACKEND_URL=file://{self.state}",
            "--var", f"AWS_PREVIEW_ROLE_ARN={PREVIEW_ROLE}",
            "--var", f"AWS_DEPLOY_ROLE_ARN={DEPLOY_ROLE}",
            "--var", "AWS_REGION=us-east-1",
            "-s", f"PULUMI_CONFIG_PASSPHRASE={PASSPHRASE}",
        ]  # fmt: skip
        for action, double in DOUBLED.items():
            assert action in pins, f"no workflow uses {action} any more: drop its double"
            cmd += ["--local-repository", f"{action}@{pins[action]}={DOUBLES / double}"]
        for name, value in inputs.items():
            cmd += ["--input", f"{name}={value}"]
        env = self.env()
        if meanwhile is not None:
            env["STACKPILOT_ACT_MEANWHILE"] = str(meanwhile)
        if aws_endpoint is not None:
            env |= {"AWS_ENDPOINT_URL": aws_endpoint, "AWS_EC2_METADATA_DISABLED": "true"}
        env |= extra_env or {}
        done = subprocess.run(cmd, cwd=self.repo, env=env, capture_output=True, text=True, timeout=600)
        log = done.stdout + done.stderr
        roles_file = self.record / "roles.tsv"
        roles = []
        if roles_file.is_file():
            roles = [tuple(line.split("\t")) for line in roles_file.read_text().splitlines()]
        return ActRun(done.returncode, parse_log(done.stdout), log, roles)
