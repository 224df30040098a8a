# The recipes people type. `just` is optional: every recipe is a script or a
# stackpilot command you can run by hand. Install it with `cargo install just`
# or `pip install rust-just`.

set shell := ["bash", "-euo", "pipefail", "-c"]

stackpilot := "cargo run --quiet --release --locked --bin stackpilot --"

default:
    @just --list

# Install the Pulumi CLI and friends (built from the Go module proxy) into the tools cache.
tools:
    scripts/install-tools

# The whole job on this machine, no AWS account: PostgreSQL, Pulumi, the sandbox, two app updates and a rollback.
demo:
    scripts/demo

# The same chain on stacks a real IaC engine made: the CDK app applied to the sandbox's CloudFormation, then deploy, rollback and a stack change.
demo-cdk:
    scripts/demo-cdk

# Every test suite, installing what it needs first.
test:
    scripts/test

# App stack up, then the app update; the tag defaults to this commit's (the image CI builds for it).
deploy env tag=`git rev-parse --short=12 HEAD` *args:
    {{stackpilot}} deploy {{env}} --backend {{tag}} {{args}}

# Roll a new backend image tag out to an app env (migration first, then every service).
update env tag *args:
    {{stackpilot}} update {{env}} --backend {{tag}} {{args}}

# Preview one stack and print its Markdown summary.
preview layer env:
    {{stackpilot}} preview {{layer}} {{env}}

# Preview, then apply one stack.
up layer env *args:
    {{stackpilot}} up {{layer}} {{env}} {{args}}

# Destroy one stack (asks first on a terminal).
destroy layer env *args:
    {{stackpilot}} destroy {{layer}} {{env}} {{args}}

# A stack's outputs.
outputs layer env:
    {{stackpilot}} outputs {{layer}} {{env}}

# Summarize a saved `pulumi preview --json`.
summarize file:
    {{stackpilot}} summarize {{file}}

# The local AWS sandbox in the foreground (Ctrl-C stops it); SANDBOX_PORT changes the port.
sandbox scenario="sandbox/scenarios/healthy.yaml":
    bash sandbox/bootstrap
    sandbox/.venv/bin/python -m stackpilot_sandbox serve --scenario {{scenario}}

# Create an env shaped like the deploy contract in a running sandbox; prints the contract.
sandbox-seed env:
    sandbox/.venv/bin/python -m stackpilot_sandbox seed {{env}} --endpoint http://127.0.0.1:${SANDBOX_PORT:-4566}

# Benchmark the app update next to the AWS CLI pipeline, ecs-deploy, the official ECS deploy action and ecspresso on the sandbox (writes benchmarks/compare/results.md and results.json).
bench *args:
    cargo build --release --locked --bin stackpilot
    benchmarks/compare/run {{args}}

# Benchmark `summarize` on a 20,000-resource preview.
bench-summarize:
    cargo build --release --locked --bin stackpilot --example synthetic-preview
    bash benchmarks/summarize.sh
