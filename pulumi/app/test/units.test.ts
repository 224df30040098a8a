// The pure modules: naming, priorities, sizes, container data, IAM, contract.
import assert from "node:assert/strict";
import { test } from "node:test";
import { containerDefinition, mergeEnvironment, sortedEnvironment } from "../src/containers";
import { buildDeployContract, contractProblems } from "../src/contract";
import { checkFargateSize } from "../src/fargate";
import { assertLeastPrivilege, ecrRepositoryArn, executionPolicy, overbroadStatements, PolicyDocument } from "../src/iam";
import { baseStackReference, names } from "../src/naming";
import { rulePriorities } from "../src/priorities";

const REPO = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-backend";

test("names", () => {
    assert.equal(names.cluster("alpha"), "alpha-cluster");
    assert.equal(names.family("alpha", "backend_update"), "alpha-backend_update");
    assert.equal(names.database("alpha"), "alpha-db");
    assert.equal(baseStackReference("dev"), "organization/stackpilot-base/dev");
});

test("rule priorities: path rule first, blocks of ten per env, range checked", () => {
    assert.deepEqual(rulePriorities(10), { gunicorn: 100, "web-ui": 101 });
    assert.notDeepEqual(rulePriorities(10), rulePriorities(11));
    for (const bad of [0, -1, 5000, 1.5]) {
        assert.throws(() => rulePriorities(bad), /listenerPriority/, String(bad));
    }
});

test("Fargate sizes", () => {
    checkFargateSize("x", 256, 512);
    checkFargateSize("x", 1024, 8192);
    assert.throws(() => checkFargateSize("x", 256, 4096), /does not fit cpu 256/);
    assert.throws(() => checkFargateSize("x", 300, 512), /not a Fargate size/);
});

test("environment variables sort by code point and refuse overrides", () => {
    assert.deepEqual(sortedEnvironment({ b: "2", B: "1", a: "3" }).map((v) => v.name), ["B", "a", "b"]);
    assert.deepEqual(mergeEnvironment({ A: "1" }, { Z: "2" }, "x"), { A: "1", Z: "2" });
    assert.throws(() => mergeEnvironment({ A: "1" }, { A: "2" }, "x"), /cannot be overridden/);
    assert.throws(() => mergeEnvironment({}, { "BAD-NAME": "2" }, "x"), /not an environment variable name/);
});

test("container definitions start at latest and log to their own group", () => {
    const def = containerDefinition({
        name: "gunicorn", image: "backend", repositories: { backend: REPO, frontend: "f" }, port: 8000,
        environment: { Z: "1", A: "2" }, secrets: [], logGroup: "/ecs/alpha-gunicorn", region: "eu-west-1",
    }) as any;
    assert.equal(def.image, `${REPO}:latest`);
    assert.deepEqual(def.environment, [{ name: "A", value: "2" }, { name: "Z", value: "1" }]);
    assert.equal(def.logConfiguration.options["awslogs-group"], "/ecs/alpha-gunicorn");
    assert.deepEqual(def.portMappings, [{ containerPort: 8000, protocol: "tcp" }]);
});

test("ECR repository ARNs come from image URIs; other registries get none", () => {
    assert.equal(ecrRepositoryArn(REPO), "arn:aws:ecr:eu-west-1:123456789012:repository/acme-backend");
    assert.equal(ecrRepositoryArn("ghcr.io/acme/backend"), undefined);
});

test("the wildcard check catches * on * and service-wide wildcards, and nothing narrower", () => {
    const policy = (Action: string[], Resource: string[]): PolicyDocument => ({
        Version: "2012-10-17", Statement: [{ Sid: "S", Effect: "Allow", Action, Resource }],
    });
    assert.equal(overbroadStatements(policy(["*"], ["*"])).length, 1);
    assert.equal(overbroadStatements(policy(["s3:*"], ["*"])).length, 1);
    assert.equal(overbroadStatements(policy(["s3:*"], ["arn:aws:s3:::b/*"])).length, 0);
    assert.equal(overbroadStatements(policy(["ecr:GetAuthorizationToken"], ["*"])).length, 0);
    assert.throws(() => assertLeastPrivilege("p", policy(["*"], ["*"])), /grant wildcard actions/);
    const execution = executionPolicy({ logGroupArns: ["arn:aws:logs:r:1:log-group:/ecs/a-x:*"], repositoryUris: [REPO], secretArns: ["arn:s"] });
    assert.deepEqual(overbroadStatements(execution), []);
    assert.deepEqual(execution.Statement[0].Resource, ["arn:aws:logs:r:1:log-group:/ecs/a-x:log-stream:*"]);
});

test("the contract check names what is wrong", () => {
    const contract = buildDeployContract({
        env: "alpha", region: "us-east-1", subnets: ["subnet-1"], securityGroups: ["sg-1"],
        images: { backend: "b", frontend: "f" }, desiredCounts: { gunicorn: 1, default: 1, beat: 1, "web-ui": 1 },
    });
    assert.deepEqual(contractProblems(contract), []);
    assert.deepEqual(contractProblems({ ...contract, cluster: 3 }), ["cluster: expected a string"]);
    assert.deepEqual(contractProblems({ ...contract, extra: 1 }), ["deploy: unexpected key extra"]);
    const { database: _database, ...missing } = contract;
    assert.deepEqual(contractProblems(missing), ["database: expected a string"]);
    const badService = { ...contract, services: [{ ...contract.services[0], image: "sidecar" }] };
    assert.deepEqual(contractProblems(badService), ['services[0].image: expected "backend" or "frontend", got "sidecar"']);
    assert.deepEqual(contractProblems({ ...contract, network: { ...contract.network, subnets: [] } }), ["network.subnets: expected a non-empty list of strings"]);
});
