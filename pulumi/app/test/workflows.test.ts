// The GitHub side: the shell inside preview.yml and action.yml, run here with
// fake inputs, and the properties of the workflows that approval, OIDC and
// concurrency depend on. actionlint (in pulumi/test) checks the syntax.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT } from "../../base/test/harness";

const load = (file: string): any => parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
const workflow = (name: string) => load(`.github/workflows/${name}`);

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "stackpilot-wf-"));
}

/** Runs the `stacks to preview` step of preview.yml in a fake checkout. */
function previewMatrix(changed: string[], stackFiles: string[], project?: string): { matrix: any; any: string } {
    const script = workflow("preview.yml").jobs.changes.steps.find((s: any) => s.id === "matrix").run;
    const dir = tempDir();
    for (const file of stackFiles) {
        fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), "config: {}\n");
    }
    if (project !== undefined) fs.writeFileSync(path.join(dir, "stackpilot.yaml"), project);
    fs.writeFileSync(path.join(dir, "changed.txt"), changed.map((f) => `${f}\n`).join(""));
    const output = path.join(dir, "output");
    execFileSync("bash", ["-c", script], { cwd: dir, env: { ...process.env, CHANGED: path.join(dir, "changed.txt"), GITHUB_OUTPUT: output } });
    const values = Object.fromEntries(fs.readFileSync(output, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2)));
    return { matrix: JSON.parse(values.matrix), any: values.any };
}

const STACK_FILES = ["stacks/base/Pulumi.dev.yaml", "stacks/app/Pulumi.alpha.yaml", "stacks/app/Pulumi.beta.yaml"];
const stacksOf = (m: { matrix: any }) => m.matrix.include.map((s: any) => `${s.layer}:${s.env}`);

test("preview matrix: a stack file previews only its stack", () => {
    assert.deepEqual(stacksOf(previewMatrix(["stacks/app/Pulumi.beta.yaml", "README.md"], STACK_FILES)), ["app:beta"]);
});

test("preview matrix: the app program previews every app stack, the base program every stack", () => {
    assert.deepEqual(stacksOf(previewMatrix(["pulumi/app/src/services.ts"], STACK_FILES)), ["app:alpha", "app:beta"]);
    assert.deepEqual(stacksOf(previewMatrix(["pulumi/base/src/cache.ts"], STACK_FILES)), ["app:alpha", "app:beta", "base:dev"]);
});

test("preview matrix: a CDK layer previews its <env>.json stacks, a Pulumi layer its Pulumi files", () => {
    const files = [...STACK_FILES, "stacks/app/alpha.json", "stacks/app/gamma.json", "stacks/base/dev.json"];
    const project = "layers:\n  app: cdk\ncdk:\n  app: cdk\n";
    assert.deepEqual(stacksOf(previewMatrix(["stacks/app/gamma.json"], files, project)), ["app:gamma"]);
    // The app layer is the CDK's: its Pulumi file is not a stack to preview.
    assert.deepEqual(stacksOf(previewMatrix(["stacks/app/Pulumi.beta.yaml"], files, project)), []);
    assert.deepEqual(stacksOf(previewMatrix(["cdk/src/appStack.ts"], files, project)), ["app:alpha", "app:gamma"]);
    assert.deepEqual(stacksOf(previewMatrix(["pulumi/base/src/cache.ts"], files, project)), ["app:alpha", "app:gamma", "base:dev"]);
    // Without stackpilot.yaml every layer is Pulumi's, and a JSON file is no stack.
    assert.deepEqual(stacksOf(previewMatrix(["stacks/app/gamma.json", "cdk/bin/app.ts"], files)), []);
});

test("preview matrix: a deleted stack file previews nothing", () => {
    const result = previewMatrix(["stacks/app/Pulumi.gamma.yaml"], STACK_FILES);
    assert.deepEqual(result.matrix, { include: [] });
    assert.equal(result.any, "false");
});

/** Runs the action's last step with a fake stackpilot that prints its arguments. */
function actionCommand(inputs: Record<string, string>): string[] {
    const step = load("action.yml").runs.steps.at(-1);
    const dir = tempDir();
    const fake = path.join(dir, "stackpilot");
    // Executable, as the action's engine step leaves it.
    fs.writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
    const env = {
        ...process.env, STACKPILOT: fake, LAYER: "", BACKEND: "", FRONTEND: "", ARGS: "", SAVE_PLAN: "", PLAN: "", PASSPHRASE_INPUT: "",
        RUNNER_TEMP: dir, GITHUB_OUTPUT: path.join(dir, "output"), GITHUB_STEP_SUMMARY: path.join(dir, "job-summary.md"), ...inputs,
    };
    return execFileSync("bash", ["-c", step.run], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n");
}

test("action: up and destroy confirm with --yes, preview passes extra args", () => {
    assert.deepEqual(actionCommand({ COMMAND: "up", LAYER: "app", STACK_ENV: "alpha" }), ["up", "app", "alpha", "--yes"]);
    assert.deepEqual(actionCommand({ COMMAND: "destroy", LAYER: "base", STACK_ENV: "dev" }), ["destroy", "base", "dev", "--yes"]);
    assert.deepEqual(actionCommand({ COMMAND: "preview", LAYER: "app", STACK_ENV: "beta", ARGS: "--pr-comment" }), ["preview", "app", "beta", "--pr-comment"]);
});

test("action: update passes only the tags that are set, and refuses none", () => {
    assert.deepEqual(actionCommand({ COMMAND: "update", STACK_ENV: "alpha", BACKEND: "v1.2.3" }), ["update", "alpha", "--backend", "v1.2.3"]);
    assert.deepEqual(actionCommand({ COMMAND: "update", STACK_ENV: "alpha", FRONTEND: "v9" }), ["update", "alpha", "--frontend", "v9"]);
    assert.deepEqual(actionCommand({ COMMAND: "update", STACK_ENV: "alpha", BACKEND: "b", FRONTEND: "f" }), ["update", "alpha", "--backend", "b", "--frontend", "f"]);
    assert.throws(() => actionCommand({ COMMAND: "update", STACK_ENV: "alpha" }));
});

test("action: save-plan plans without applying, plan applies exactly that plan", () => {
    const saved = { SAVE_PLAN: "/tmp/p.json" };
    assert.deepEqual(actionCommand({ COMMAND: "up", LAYER: "app", STACK_ENV: "alpha", ...saved }), ["preview", "app", "alpha", "--save-plan", "/tmp/p.json"]);
    assert.deepEqual(actionCommand({ COMMAND: "preview", LAYER: "base", STACK_ENV: "dev", ...saved }), ["preview", "base", "dev", "--save-plan", "/tmp/p.json"]);
    assert.deepEqual(actionCommand({ COMMAND: "destroy", LAYER: "base", STACK_ENV: "dev", ...saved }), ["destroy", "base", "dev", "--save-plan", "/tmp/p.json"]);
    assert.deepEqual(actionCommand({ COMMAND: "update", STACK_ENV: "alpha", BACKEND: "v2", ...saved }), ["update", "alpha", "--backend", "v2", "--dry-run", "--save-plan", "/tmp/p.json"]);
    const plan = { PLAN: "/tmp/p.json" };
    assert.deepEqual(actionCommand({ COMMAND: "up", LAYER: "app", STACK_ENV: "alpha", ...plan }), ["up", "app", "alpha", "--yes", "--plan", "/tmp/p.json"]);
    assert.deepEqual(actionCommand({ COMMAND: "destroy", LAYER: "base", STACK_ENV: "dev", ...plan }), ["destroy", "base", "dev", "--yes", "--plan", "/tmp/p.json"]);
    assert.deepEqual(actionCommand({ COMMAND: "update", STACK_ENV: "alpha", FRONTEND: "f", ...plan }), ["update", "alpha", "--frontend", "f", "--plan", "/tmp/p.json"]);
    // Planning and applying in one step would skip the approval between them.
    assert.throws(() => actionCommand({ COMMAND: "up", LAYER: "app", STACK_ENV: "alpha", ...saved, ...plan }));
    assert.throws(() => actionCommand({ COMMAND: "preview", LAYER: "app", STACK_ENV: "alpha", ...plan }));
    assert.throws(() => actionCommand({ COMMAND: "outputs", LAYER: "app", STACK_ENV: "alpha", ...saved }));
});

test("action: the passphrase input and the GitHub token reach stackpilot alone, the token only for a preview", () => {
    const step = load("action.yml").runs.steps.at(-1);
    const dir = tempDir();
    const fake = path.join(dir, "stackpilot");
    fs.writeFileSync(fake, '#!/bin/sh\necho "passphrase=${PULUMI_CONFIG_PASSPHRASE-unset}"\necho "input=${PASSPHRASE_INPUT-unset}"\necho "token=${GITHUB_TOKEN-unset}"\n', { mode: 0o755 });
    const run = (inputs: Record<string, string>) => execFileSync("bash", ["-c", step.run], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        env: {
            ...process.env, STACKPILOT: fake, LAYER: "base", STACK_ENV: "dev", BACKEND: "", FRONTEND: "", ARGS: "", SAVE_PLAN: "", PLAN: "", PASSPHRASE_INPUT: "",
            GITHUB_TOKEN: "ghs_token", RUNNER_TEMP: dir, GITHUB_OUTPUT: path.join(dir, "output"), GITHUB_STEP_SUMMARY: path.join(dir, "summary.md"), ...inputs,
        },
    }).trim().split("\n");
    assert.deepEqual(run({ COMMAND: "preview", PASSPHRASE_INPUT: "s3cret" }), ["passphrase=s3cret", "input=unset", "token=ghs_token"]);
    assert.deepEqual(run({ COMMAND: "up", PASSPHRASE_INPUT: "s3cret" }), ["passphrase=s3cret", "input=unset", "token=unset"]);
    // An empty input keeps what the caller's environment holds.
    assert.deepEqual(run({ COMMAND: "up", PASSPHRASE_INPUT: "", PULUMI_CONFIG_PASSPHRASE: "from-env" }), ["passphrase=from-env", "input=unset", "token=unset"]);
    assert.equal(step.env.PASSPHRASE_INPUT, "${{ inputs.pulumi-config-passphrase }}");
});

test("action: the engine step reads the layer's engine and checks the env's config file of that engine", () => {
    const step = load("action.yml").runs.steps.find((s: any) => s.id === "engine");
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "stacks/app"), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks/app/alpha.json"), "{}");
    fs.writeFileSync(path.join(dir, "stacks/app/Pulumi.beta.yaml"), "config: {}\n");
    const fake = path.join(dir, "stackpilot");
    // Answers as `stackpilot engine <layer> --json` does, for the engine in $ENGINE.
    fs.writeFileSync(fake, '#!/bin/sh\n[ "$1 $2 $3" = "engine app --json" ] || exit 9\n' +
        'if [ "$ENGINE" = cdk ]; then echo \'{"layer":"app","engine":"cdk","cdk_app":"infra/cdk"}\'; ' +
        'else echo \'{"layer":"app","engine":"pulumi","cdk_app":null}\'; fi\n', { mode: 0o644 });
    const run = (engine: string, env: string): Record<string, string> => {
        const output = path.join(dir, `output-${engine}-${env}`);
        execFileSync("bash", ["-c", step.run], {
            cwd: dir,
            stdio: ["ignore", "ignore", "ignore"],
            env: { ...process.env, STACKPILOT: fake, LAYER: "app", STACK_ENV: env, ENGINE: engine, GITHUB_OUTPUT: output },
        });
        return Object.fromEntries(fs.readFileSync(output, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2)));
    };
    assert.deepEqual(run("cdk", "alpha"), { cdk_app: "infra/cdk", engine: "cdk" });
    assert.deepEqual(run("pulumi", "beta"), { engine: "pulumi" });
    // Each engine has its own config file: the other's does not count.
    assert.throws(() => run("pulumi", "alpha"));
    assert.throws(() => run("cdk", "beta"));
    assert.equal(fs.statSync(fake).mode & 0o111, 0o111, "the step makes the binary executable");
});

const STACKPILOT_JOB = "./.github/workflows/stackpilot.yml";
const WORKFLOW_FILES = fs.readdirSync(path.join(REPO_ROOT, ".github/workflows")).map((name) => `.github/workflows/${name}`);


const PLAN_FILE = "${{ runner.temp }}/stackpilot-plan.json";

/** The step of a job that runs this repository's action, and the job's other steps by the action they use. */
function stackpilotStep(job: any): any {
    const steps = job.steps.filter((s: any) => s.uses === "./" || String(s.uses).startsWith("./ "));
    assert.equal(steps.length, 1);
    return steps[0];
}
const stepsUsing = (job: any, action: string) => (job.steps ?? []).filter((s: any) => String(s.uses).startsWith(`${action}@`));

test("plan, then approve, then apply: the plan job is ungated and uploads, the apply job is gated and applies that plan", () => {
    const shared = workflow("stackpilot.yml");
    const { plan, apply } = shared.jobs;
    assert.deepEqual(Object.keys(shared.jobs), ["plan", "apply"]);

    assert.equal(plan.environment, undefined, "the plan job waits for no one");
    const planned = stackpilotStep(plan);
    assert.equal(planned.with["save-plan"], "${{ inputs.command != 'preview' && format('{0}/stackpilot-plan.json', runner.temp) || '' }}");
    assert.equal(planned.with.plan, undefined);
    const [upload] = stepsUsing(plan, "actions/upload-artifact");
    assert.equal(upload.with.path, PLAN_FILE);
    assert.equal(upload.with.name, "${{ steps.name.outputs.plan_artifact }}");
    assert.equal(upload.with["if-no-files-found"], "error");
    assert.equal(plan.outputs.plan_artifact, "${{ steps.name.outputs.plan_artifact }}");

    assert.deepEqual(apply.needs, "plan");
    assert.equal(apply.environment, "${{ inputs.env }}", "the env's reviewers gate the apply");
    assert.equal(apply.if, "inputs.command != 'preview' && needs.plan.outputs.has_changes != 'false'");
    const applied = stackpilotStep(apply);
    assert.equal(applied.with.plan, "${{ runner.temp }}/plan/stackpilot-plan.json");
    assert.equal(applied.with["save-plan"], undefined);
    assert.equal(applied.with.args, undefined, "nothing but the approved plan decides what the apply does");
    const downloads = stepsUsing(apply, "actions/download-artifact").map((s: any) => s.with);
    assert.deepEqual(downloads, [
        { name: "${{ inputs.artifact }}", path: "${{ runner.temp }}/bin" },
        { name: "${{ needs.plan.outputs.plan_artifact }}", path: "${{ runner.temp }}/plan" },
    ]);

    // The callers pick no environment of their own: the shared workflow gates the apply.
    for (const [name, id] of [["infrastructure.yml", "stack"], ["app-update.yml", "update"], ["preview.yml", "preview"]]) {
        const job = workflow(name).jobs[id];
        assert.equal(job.uses, "./.github/workflows/stackpilot.yml", `${name} ${id}`);
        assert.equal(job.with.environment, undefined, `${name} ${id}`);
    }
    assert.equal(workflow("infrastructure.yml").jobs.stack.with.command, "${{ inputs.action }}");
    assert.equal(workflow("app-update.yml").jobs.update.with.command, "update");
    assert.equal(workflow("preview.yml").jobs.preview.with.command, "preview");
    assert.equal(workflow("infrastructure.yml").concurrency.group, "${{ inputs.layer }}-${{ inputs.env }}");
    assert.equal(workflow("app-update.yml").concurrency.group, "app-${{ inputs.env }}");
});

test("no job both plans and applies, and only a gated job holds the deploy role", () => {
    let jobs = 0;
    for (const file of WORKFLOW_FILES) {
        for (const [id, job] of Object.entries<any>(load(file).jobs)) {
            const steps: any[] = job.steps ?? [];
            const roles = stepsUsing(job, "aws-actions/configure-aws-credentials").map((s: any) => s.with["role-to-assume"]);
            const runs = steps.filter((s: any) => s.uses === "./" || String(s.uses).startsWith("./ "));
            if (runs.length === 0 && roles.length === 0) continue;
            jobs++;
            const saves = runs.some((s) => s.with?.["save-plan"]);
            const applies = runs.some((s) => s.with?.plan);
            assert.ok(!(saves && applies), `${file} ${id} plans and applies`);
            if (job.environment) {
                assert.ok(applies, `${file} ${id}: a gated job applies a saved plan`);
                assert.deepEqual(roles, ["${{ vars.AWS_DEPLOY_ROLE_ARN }}"], `${file} ${id}`);
            } else {
                assert.ok(!applies, `${file} ${id}: an ungated job never applies`);
                assert.deepEqual(roles, ["${{ vars.AWS_PREVIEW_ROLE_ARN }}"], `${file} ${id}`);
            }
        }
    }
    assert.equal(jobs, 2);
});

test("secrets only on the stackpilot step, never in a job's or a workflow's env", () => {
    for (const file of [...WORKFLOW_FILES, "action.yml"]) {
        const doc = load(file);
        assert.doesNotMatch(JSON.stringify(doc.env ?? {}), /secrets\./, file);
        for (const [id, job] of Object.entries<any>(doc.jobs ?? {})) {
            assert.doesNotMatch(JSON.stringify(job.env ?? {}), /secrets\./, `${file} ${id}`);
            for (const step of job.steps ?? []) {
                const uses = String(step.uses ?? "");
                const holds = /secrets\./.test(JSON.stringify([step.env ?? {}, step.with ?? {}]));
                if (holds) assert.ok(uses === "./" || uses.startsWith("./ "), `${file} ${id}: ${step.name ?? uses}`);
            }
        }
    }
    for (const job of Object.values<any>(workflow("stackpilot.yml").jobs)) {
        assert.equal(stackpilotStep(job).with["pulumi-config-passphrase"], "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    }
});

test("PR previews skip forks with a notice", () => {
    const preview = workflow("preview.yml");
    const same = "github.event.pull_request.head.repo.full_name == github.repository";
    assert.equal(preview.jobs.changes.if, same);
    assert.equal(preview.jobs.preview.if, same);
    assert.equal(preview.jobs.fork.if, same.replace("==", "!="));
    const notice: string = preview.jobs.fork.steps.map((s: any) => s.run).join("\n");
    assert.match(notice, /::notice /);
    assert.doesNotMatch(notice, /\$\{\{/, "nothing the fork controls is expanded into the script");
});

test("the plan and the binary outlive the approval window the README promises", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const days = Number(/kept for (\d+) days/.exec(readme)?.[1]);
    assert.ok(days > 1, "README.md does not say how long the artifacts are kept");
    const plan = stepsUsing(workflow("stackpilot.yml").jobs.plan, "actions/upload-artifact")[0];
    const binary = stepsUsing(workflow("build-stackpilot.yml").jobs.build, "actions/upload-artifact")[0];
    assert.equal(plan.with["retention-days"], days);
    assert.equal(binary.with["retention-days"], days);
});

test("AWS access is OIDC only, with the binary of the run's own build", () => {
    for (const name of fs.readdirSync(path.join(REPO_ROOT, ".github/workflows"))) {
        const text = fs.readFileSync(path.join(REPO_ROOT, ".github/workflows", name), "utf8");
        assert.doesNotMatch(text, /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/, name);
    }
    for (const job of Object.values<any>(workflow("stackpilot.yml").jobs)) {
        const steps: any[] = job.steps;
        assert.ok(steps.some((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials") && s.with["role-to-assume"]));
        assert.ok(steps.some((s) => String(s.uses).startsWith("actions/download-artifact") && s.with.name === "${{ inputs.artifact }}"));
    }
    // The plan job takes what the caller grants (a PR preview's comment
    // needs pull-requests: write); the apply job narrows it to OIDC.
    assert.equal(workflow("stackpilot.yml").jobs.plan.permissions, undefined);
    assert.deepEqual(workflow("stackpilot.yml").jobs.apply.permissions, { contents: "read", "id-token": "write" });
    let callers = 0;
    for (const name of ["infrastructure.yml", "app-update.yml", "preview.yml"]) {
        for (const [id, job] of Object.entries<any>(workflow(name).jobs).filter(([, job]) => job.uses === STACKPILOT_JOB)) {
            callers++;
            assert.equal(job.permissions?.["id-token"], "write", `${name} ${id}`);
            assert.equal(job.with.artifact, "${{ needs.build.outputs.artifact }}", `${name} ${id}`);
            assert.equal(job.permissions?.["pull-requests"], name === "preview.yml" ? "write" : undefined, `${name} ${id}`);
        }
    }
    assert.equal(callers, 3);
    assert.equal(workflow("preview.yml").jobs.preview.with.args, "--pr-comment");
});

test("every shell step of action.yml parses", () => {
    for (const step of load("action.yml").runs.steps.filter((s: any) => s.run)) {
        execFileSync("bash", ["-n", "-c", step.run]);
    }
});

test("every third-party action is pinned to a commit, its tag in a comment", () => {
    let pinned = 0;
    for (const file of [...WORKFLOW_FILES, "action.yml"]) {
        const lines = fs.readFileSync(path.join(REPO_ROOT, file), "utf8").split("\n");
        // Everything but the repository's own workflows and action (`./`).
        const uses = lines.filter((line) => /^\s*-?\s*uses:\s*[^.\s]/.test(line));
        pinned += uses.length;
        for (const line of uses) {
            assert.match(line, /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${file}: ${line.trim()}`);
        }
    }
    assert.ok(pinned >= 15, `only ${pinned} pinned actions found`);
});

test("release: builds exactly the targets the installer can pick", () => {
    const built = workflow("release.yml").jobs.build.strategy.matrix.include.map((m: any) => m.target).sort();
    const installer = fs.readFileSync(path.join(REPO_ROOT, "scripts/install-stackpilot"), "utf8");
    const picked = [...new Set([...installer.matchAll(/\btarget=([\w-]+)/g)].map((m) => m[1]))].sort();
    assert.deepEqual(built, picked);
});

test("release: least privilege, a time limit on every job, only a tag publishes", () => {
    const release = workflow("release.yml");
    assert.deepEqual(release.permissions, {});
    for (const [id, job] of Object.entries<any>(release.jobs)) {
        assert.ok(job["timeout-minutes"] > 0, `${id} has no timeout-minutes`);
        const writes = Object.entries(job.permissions ?? { unset: "write" }).filter(([, level]) => level === "write");
        assert.deepEqual(writes, id === "publish" ? [["contents", "write"]] : [], id);
        for (const step of job.steps.filter((s: any) => String(s.uses).startsWith("actions/checkout@"))) {
            assert.equal(step.with?.["persist-credentials"], false, `${id}: checkout keeps its token`);
        }
    }
    assert.equal(release.jobs.publish.if, "github.event_name == 'push' && github.ref_type == 'tag'");
    assert.deepEqual(Object.keys(release.on).sort(), ["push", "workflow_dispatch"]);
    assert.deepEqual(release.on.push.tags, ["v*"]);
});

test("action: the download step installs the release binary, or stops with an annotation", () => {
    const step = load("action.yml").runs.steps.find((s: any) => s.id === "install");
    const dir = tempDir();
    const fake = path.join(dir, "built-stackpilot");
    fs.writeFileSync(fake, '#!/bin/sh\necho "stackpilot 1.2.3"\n');
    const target = "x86_64-unknown-linux-gnu";
    execFileSync(path.join(REPO_ROOT, "scripts/package-release"), ["1.2.3", target, fake, path.join(dir, "releases/v1.2.3")], { stdio: "ignore" });
    const output = path.join(dir, "output");
    const run = (version: string) =>
        execFileSync("bash", ["-c", step.run], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            env: {
                ...process.env, VERSION: version, GITHUB_ACTION_PATH: REPO_ROOT, RUNNER_TEMP: dir, GITHUB_OUTPUT: output,
                STACKPILOT_RELEASES_URL: `file://${dir}/releases`, STACKPILOT_OS: "Linux", STACKPILOT_ARCH: "x86_64",
            },
        });
    run("1.2.3");
    const installed = fs.readFileSync(output, "utf8").trim().replace(/^path=/, "");
    assert.equal(installed, path.join(dir, "stackpilot-action/bin/stackpilot"));
    assert.equal(execFileSync(installed, { encoding: "utf8" }).trim(), "stackpilot 1.2.3");
    assert.throws(() => run("9.9.9"), (err: any) => /^::error::no stackpilot binary/m.test(err.stdout));
});

/** The envs that have a stack file in stacks/<layer>/. */
function envsOf(layer: string): string[] {
    return fs.readdirSync(path.join(REPO_ROOT, "stacks", layer)).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []).sort();
}

test("env inputs offer exactly the envs that have a stack file", () => {
    const app = workflow("app-update.yml").on.workflow_dispatch.inputs.env;
    assert.equal(app.type, "choice");
    assert.deepEqual(app.options, envsOf("app"));
    const infra = workflow("infrastructure.yml").on.workflow_dispatch.inputs.env;
    assert.equal(infra.type, "choice");
    assert.deepEqual(infra.options, [...new Set([...envsOf("base"), ...envsOf("app")])].sort());
});

test("every job has a time limit, the stackpilot job one above stackpilot's own deadline", () => {
    const cli = fs.readFileSync(path.join(REPO_ROOT, "src/cli.rs"), "utf8");
    const deadline = Number(/default_value_t = (\d+),[^\n]*\n\s*pub timeout: u64/.exec(cli)?.[1]);
    assert.ok(deadline > 0, "update's --timeout default not found in src/cli.rs");
    for (const file of WORKFLOW_FILES) {
        for (const [id, job] of Object.entries<any>(load(file).jobs)) {
            // A job that calls a reusable workflow takes its limits from that workflow's jobs.
            if (job.uses) continue;
            assert.ok(job["timeout-minutes"] > 0, `${file} ${id} has no timeout-minutes`);
        }
    }
    for (const job of Object.values<any>(workflow("stackpilot.yml").jobs)) {
        assert.ok(job["timeout-minutes"] * 60 > deadline);
    }
});

test("no checkout leaves its token behind for later steps", () => {
    let checkouts = 0;
    for (const file of WORKFLOW_FILES) {
        for (const [id, job] of Object.entries<any>(load(file).jobs)) {
            for (const step of (job.steps ?? []).filter((s: any) => String(s.uses).startsWith("actions/checkout@"))) {
                checkouts++;
                assert.equal(step.with?.["persist-credentials"], false, `${file} ${id}`);
            }
        }
    }
    assert.ok(checkouts >= 5, `only ${checkouts} checkouts found`);
});

test("workflows and the action cite only documents that exist in the repository", () => {
    for (const file of [...WORKFLOW_FILES, "action.yml"]) {
        const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
        assert.doesNotMatch(text, /DESIGN\.md/, file);
        for (const [, cited] of text.matchAll(/\b((?:docs|scripts)\/[\w./-]+\.\w+|README\.md)\b/g)) {
            assert.ok(fs.existsSync(path.join(REPO_ROOT, cited)), `${file} cites ${cited}`);
        }
    }
});

test("CI runs the README's test command on pushes and pull requests", () => {
    const ci = workflow("ci.yml");
    assert.deepEqual(Object.keys(ci.on).sort(), ["pull_request", "push"]);
    const runs = Object.values<any>(ci.jobs).flatMap((job) => job.steps.filter((s: any) => s.run).map((s: any) => s.run.trim()));
    assert.deepEqual(runs, ["bash .ci/run"]);
    assert.match(fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"), /CI runs the same test command \(`\.ci\/run`\)/);
});

// What stackpilot writes to $GITHUB_OUTPUT after a preview (tests/it/infra.rs pins it).
const STEP_OUTPUTS = ["has_changes", "create", "update", "replace", "delete", "same"];

test("action outputs: what stackpilot writes, its exit code and its summary, wired through the reusable workflow", () => {
    const action = load("action.yml");
    assert.deepEqual(Object.keys(action.outputs), [...STEP_OUTPUTS, "exit_code", "summary"]);
    for (const [name, output] of Object.entries<any>(action.outputs)) {
        assert.ok(output.description, name);
        assert.equal(output.value, `\${{ steps.run.outputs.${name} }}`, name);
    }
    assert.equal(action.runs.steps.at(-1).id, "run");
    const shared = workflow("stackpilot.yml");
    const { plan, apply } = shared.jobs;
    assert.equal(stackpilotStep(plan).id, "stackpilot");
    assert.equal(stackpilotStep(apply).id, "stackpilot");
    // The counts are the plan's, which the reviewer approved; the exit code the last job's.
    for (const name of STEP_OUTPUTS) {
        assert.equal(shared.on.workflow_call.outputs[name].value, `\${{ jobs.plan.outputs.${name} }}`, name);
        assert.equal(plan.outputs[name], `\${{ steps.stackpilot.outputs.${name} }}`, name);
    }
    assert.equal(shared.on.workflow_call.outputs.exit_code.value, "${{ jobs.apply.outputs.exit_code || jobs.plan.outputs.exit_code }}");
    for (const job of [plan, apply]) assert.equal(job.outputs.exit_code, "${{ steps.stackpilot.outputs.exit_code }}");
});

test("action: the exit code and the summary become outputs, and the step fails with stackpilot", () => {
    const step = load("action.yml").runs.steps.at(-1);
    const dir = tempDir();
    const fake = path.join(dir, "stackpilot");
    fs.writeFileSync(fake, '#!/bin/sh\necho "has_changes=true" >> "$GITHUB_OUTPUT"\necho "## Preview" >> "$GITHUB_STEP_SUMMARY"\nexit 3\n');
    fs.chmodSync(fake, 0o755);
    const output = path.join(dir, "output");
    const jobSummary = path.join(dir, "job-summary.md");
    fs.writeFileSync(jobSummary, "# earlier step\n");
    const env = {
        ...process.env, STACKPILOT: fake, COMMAND: "preview", LAYER: "base", STACK_ENV: "dev", BACKEND: "", FRONTEND: "", ARGS: "", SAVE_PLAN: "", PLAN: "", PASSPHRASE_INPUT: "",
        RUNNER_TEMP: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: jobSummary,
    };
    assert.throws(() => execFileSync("bash", ["-c", step.run], { env, stdio: "ignore" }), (err: any) => err.status === 3);
    const values = Object.fromEntries(fs.readFileSync(output, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2)));
    assert.equal(values.has_changes, "true");
    assert.equal(values.exit_code, "3");
    assert.equal(fs.readFileSync(values.summary, "utf8"), "## Preview\n");
    assert.equal(fs.readFileSync(jobSummary, "utf8"), "# earlier step\n## Preview\n");
});

test("action: a cancelled run's stop reaches stackpilot, whose exit code is still an output", { timeout: 30_000 }, async () => {
    const step = load("action.yml").runs.steps.at(-1);
    const dir = tempDir();
    const fake = path.join(dir, "stackpilot");
    // Not a shell script: a shell cannot trap a SIGINT it started with
    // ignored, as background commands of a script do; stackpilot, like
    // this Node fake, installs its own handler.
    fs.writeFileSync(fake, [
        "#!/usr/bin/env node",
        'const fs = require("node:fs");',
        'process.on("SIGINT", () => { fs.appendFileSync(process.env.GITHUB_OUTPUT, "got=SIGINT\\n"); process.exit(130); });',
        'fs.writeFileSync(process.env.READY, "");',
        "setInterval(() => {}, 60_000);",
    ].join("\n"));
    fs.chmodSync(fake, 0o755);
    const output = path.join(dir, "output");
    const ready = path.join(dir, "ready");
    const env = {
        ...process.env, STACKPILOT: fake, COMMAND: "up", LAYER: "base", STACK_ENV: "dev", BACKEND: "", FRONTEND: "", ARGS: "", SAVE_PLAN: "", PLAN: "", PASSPHRASE_INPUT: "",
        RUNNER_TEMP: dir, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: path.join(dir, "job-summary.md"), READY: ready,
    };
    const shell = spawn("bash", ["-c", step.run], { env, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => shell.on("exit", (code) => resolve(code)));
    for (let i = 0; !fs.existsSync(ready); i++) {
        assert.ok(i < 200, "the fake stackpilot never started");
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // What the runner does to a step when its run is cancelled.
    shell.kill("SIGINT");
    assert.equal(await exited, 130);
    const lines = fs.readFileSync(output, "utf8").trim().split("\n");
    assert.deepEqual(lines, ["got=SIGINT", "exit_code=130"]);
});
