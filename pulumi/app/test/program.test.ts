// The app program under mocks, once per app env that has a stack file.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { stackEnvs } from "../../base/test/harness";
import { contractProblems } from "../src/contract";
import { overbroadStatements, PolicyDocument } from "../src/iam";
import { AppRun, containerDefinitions, runApp } from "./fixtures";

const SERVICE = "aws:ecs/service:Service";
const NAMES = ["gunicorn", "default", "beat", "web-ui"];

for (const env of stackEnvs("app")) {
    describe(`app env ${env}`, () => {
        let app: AppRun;
        before(async () => {
            app = await runApp(env);
        });

        test("every service ignores taskDefinition and desiredCount", () => {
            const services = app.run.ofType(SERVICE);
            assert.equal(services.length, 4);
            for (const s of services) {
                assert.deepEqual([...(s.opts.ignoreChanges ?? [])].sort(), ["desiredCount", "taskDefinition"], s.name);
            }
        });

        test("every service starts at 0 tasks with the circuit breaker rolling back", () => {
            for (const s of app.run.ofType(SERVICE)) {
                assert.equal(s.inputs.desiredCount, 0, s.name);
                assert.deepEqual(s.inputs.deploymentCircuitBreaker, { enable: true, rollback: true }, s.name);
                assert.equal(s.inputs.networkConfiguration.assignPublicIp, false, s.name);
            }
        });

        test("every container starts from the latest tag of its repository", () => {
            for (const [family, containers] of containerDefinitions(app.run)) {
                for (const c of containers) {
                    assert.match(c.image, /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/ublog-(backend|frontend):latest$/, family);
                }
            }
        });

        test("names follow <env>-<name>", () => {
            const [cluster] = app.run.ofType("aws:ecs/cluster:Cluster");
            assert.equal(cluster.inputs.name, `${env}-cluster`);
            assert.deepEqual(app.run.ofType(SERVICE).map((s) => s.inputs.name).sort(), NAMES.map((n) => `${env}-${n}`).sort());
            assert.deepEqual(
                [...containerDefinitions(app.run).keys()].sort(),
                [...NAMES, "backend_update"].map((n) => `${env}-${n}`).sort(),
            );
            const logGroups = app.run.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs.name).sort();
            assert.deepEqual(logGroups, [...NAMES, "backend_update"].map((n) => `/ecs/${env}-${n}`).sort());
            const [dns] = app.run.ofType("aws:route53/record:Record");
            assert.equal(dns.inputs.name, `${env}.dev.ublog.example.com`);
        });

        test("the cluster offers FARGATE and FARGATE_SPOT", () => {
            const [capacity] = app.run.ofType("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders");
            assert.deepEqual([...capacity.inputs.capacityProviders].sort(), ["FARGATE", "FARGATE_SPOT"]);
        });

        test("the base is read by a stack reference that works on a file backend", () => {
            const [ref] = app.run.ofType("pulumi:pulumi:StackReference");
            assert.equal(ref.inputs.name, "organization/stackpilot-base/dev");
        });

        test("the deploy output matches the contract", () => {
            assert.deepEqual(contractProblems(app.deploy), []);
            assert.equal(app.deploy.cluster, `${env}-cluster`);
            assert.equal(app.deploy.database, `${env}-db`);
            assert.deepEqual(app.deploy.network, { subnets: ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b2"], securityGroups: ["sg-0c0c0c0c0c0c0c0c1"], assignPublicIp: false });
            assert.deepEqual(app.deploy.migration, {
                taskFamily: `${env}-backend_update`, container: "backend_update", image: "backend", command: ["python", "manage.py", "pre_update"],
            });
            assert.deepEqual(app.deploy.services.map((s) => [s.name, s.service, s.taskFamily, s.container, s.image]), NAMES.map((n) => [
                n, `${env}-${n}`, `${env}-${n}`, n, n === "web-ui" ? "frontend" : "backend",
            ]));
        });

        test("every contract name points at a resource the stack creates", () => {
            const families = containerDefinitions(app.run);
            for (const s of [...app.deploy.services, { taskFamily: app.deploy.migration.taskFamily, container: app.deploy.migration.container }]) {
                const containers = families.get(s.taskFamily);
                assert.ok(containers, `no task definition ${s.taskFamily}`);
                assert.deepEqual(containers.map((c) => c.name), [s.container]);
            }
            const [migration] = families.get(app.deploy.migration.taskFamily)!;
            assert.deepEqual(migration.command, app.deploy.migration.command);
        });

        test("no IAM statement grants wildcard actions on every resource", () => {
            const policies = app.run.ofType("aws:iam/rolePolicy:RolePolicy");
            assert.equal(policies.length, 2);
            for (const p of policies) {
                const doc = JSON.parse(p.inputs.policy) as PolicyDocument;
                assert.deepEqual(overbroadStatements(doc), [], p.name);
                for (const s of doc.Statement.filter((s) => s.Resource.includes("*"))) {
                    assert.deepEqual(s.Action, ["ecr:GetAuthorizationToken"], `${p.name} ${s.Sid}`);
                }
            }
        });

        test("environment variables are sorted and secrets come from the base secret", () => {
            for (const [family, [container]] of containerDefinitions(app.run)) {
                const names = container.environment.map((e: { name: string }) => e.name);
                assert.deepEqual(names, [...names].sort(), family);
                assert.ok(names.includes("STACKPILOT_ENV"), family);
            }
            const [gunicorn] = containerDefinitions(app.run).get(`${env}-gunicorn`)!;
            const vars = Object.fromEntries(gunicorn.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
            assert.equal(vars.DATABASE_NAME, `${env}-db`);
            assert.equal(vars.ASSETS_PREFIX, `${env}/`);
            assert.ok(!("DATABASE_PASSWORD" in vars), "the password must not be a plain variable");
            assert.deepEqual(gunicorn.secrets, [{ name: "DATABASE_PASSWORD", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-db-AbCdEf:password::" }]);
        });

        test("gunicorn takes the backend paths of its host, web-ui the rest", () => {
            const rules = app.run.ofType("aws:lb/listenerRule:ListenerRule");
            const gunicorn = rules.find((r) => r.name === `${env}-gunicorn`)!;
            const webUi = rules.find((r) => r.name === `${env}-web-ui`)!;
            assert.ok(gunicorn.inputs.priority < webUi.inputs.priority, "path rule must be evaluated first");
            assert.deepEqual(gunicorn.inputs.conditions[0].hostHeader.values, [`${env}.dev.ublog.example.com`]);
            assert.ok(gunicorn.inputs.conditions[1].pathPattern.values.includes("/api/*"));
            assert.equal(webUi.inputs.conditions.length, 1);
            const targetGroups = app.run.ofType("aws:lb/targetGroup:TargetGroup");
            assert.deepEqual(targetGroups.map((t) => t.inputs.healthCheck.path).sort(), ["/", "/api/health/"]);
        });

        test("every taggable AWS resource is tagged with its env and base", () => {
            const untaggable = new Set([
                "aws:iam/rolePolicy:RolePolicy",
                "aws:route53/record:Record",
                "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
            ]);
            for (const r of app.run.resources.filter((r) => r.type.startsWith("aws:") && !untaggable.has(r.type))) {
                assert.equal(r.inputs.tags?.env, env, `${r.type} ${r.name}`);
                assert.equal(r.inputs.tags?.["base-env"], "dev", `${r.type} ${r.name}`);
            }
        });

        test("beat never runs twice, not even during a deployment", () => {
            const beat = app.run.ofType(SERVICE).find((s) => s.inputs.name === `${env}-beat`)!;
            assert.equal(beat.inputs.deploymentMaximumPercent, 100);
            assert.equal(beat.inputs.capacityProviderStrategies[0].capacityProvider, "FARGATE");
        });
    });
}
