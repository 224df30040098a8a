// The base program under mocks, with the real stacks/base/Pulumi.dev.yaml.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { BASE_OUTPUT_KEYS } from "../src/outputs";
import { BaseOutputInputs, createBase } from "../src/program";
import { loadBaseSettings } from "../src/settings";
import { isSecret, MockRun, plain, settle, stackConfig, startMocks, valueOf } from "./harness";

// Resources AWS cannot tag; every other AWS resource must carry the env tag.
const UNTAGGABLE = new Set([
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
]);

let run: MockRun;
let outputs: BaseOutputInputs;

before(async () => {
    run = await startMocks("stackpilot-base", "dev", stackConfig("base", "dev"));
    outputs = createBase(loadBaseSettings("dev"), { parent: run.root });
    await settle();
});

test("every taggable AWS resource is tagged with its env", () => {
    const aws = run.resources.filter((r) => r.type.startsWith("aws:"));
    assert.ok(aws.length > 20, `only ${aws.length} AWS resources`);
    for (const r of aws.filter((r) => !UNTAGGABLE.has(r.type))) {
        assert.equal(r.inputs.tags?.env, "dev", `${r.type} ${r.name} lacks tags.env`);
    }
});

test("the VPC spans two zones with public and private subnets and one NAT gateway", () => {
    const subnets = run.ofType("aws:ec2/subnet:Subnet");
    const zones = (prefix: string) =>
        new Set(subnets.filter((s) => s.name.startsWith(prefix)).map((s) => s.inputs.availabilityZone));
    assert.equal(zones("dev-public-").size, 2);
    assert.equal(zones("dev-private-").size, 2);
    assert.equal(run.ofType("aws:ec2/natGateway:NatGateway").length, 1);
});

test("HTTP redirects to HTTPS and HTTPS uses the configured certificate", () => {
    const listeners = run.ofType("aws:lb/listener:Listener");
    const http = listeners.find((l) => l.inputs.port === 80);
    const https = listeners.find((l) => l.inputs.port === 443);
    assert.equal(http?.inputs.defaultActions[0].type, "redirect");
    assert.equal(http?.inputs.defaultActions[0].redirect.protocol, "HTTPS");
    assert.equal(https?.inputs.protocol, "HTTPS");
    assert.match(https?.inputs.certificateArn, /^arn:aws:acm:/);
});

test("PostgreSQL requires TLS and takes its password from a generated secret", () => {
    const [group] = run.ofType("aws:rds/parameterGroup:ParameterGroup");
    assert.deepEqual(
        group.inputs.parameters.filter((p: { name: string }) => p.name === "rds.force_ssl").map((p: { value: string }) => p.value),
        ["1"],
    );
    const [db] = run.ofType("aws:rds/instance:Instance");
    assert.ok(isSecret(db.inputs.password), "the password must stay a secret");
    assert.equal(plain(db.inputs.password), "mock-password");
    assert.equal(db.inputs.publiclyAccessible, false);
    assert.equal(db.inputs.storageEncrypted, true);
    const [version] = run.ofType("aws:secretsmanager/secretVersion:SecretVersion");
    assert.ok(isSecret(version.inputs.secretString));
    assert.equal(JSON.parse(plain(version.inputs.secretString)).password, "mock-password");
});

test("the assets bucket blocks every kind of public access", () => {
    const [block] = run.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
        assert.equal(block.inputs[flag], true, flag);
    }
});

test("data stores accept traffic only from the app security group", () => {
    const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const open = rules.filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0").map((r) => r.inputs.fromPort).sort();
    assert.deepEqual(open, [443, 80]);
    for (const name of ["dev-db-postgres", "dev-cache-redis"]) {
        const rule = rules.find((r) => r.name === name);
        assert.equal(rule?.inputs.referencedSecurityGroupId, "dev-app-id", name);
    }
});

test("the base exports every key the app stack reads, all resolved", async () => {
    assert.deepEqual(Object.keys(outputs).sort(), [...BASE_OUTPUT_KEYS].sort());
    for (const key of BASE_OUTPUT_KEYS) {
        const value = await valueOf(outputs[key] as any);
        assert.ok(value !== undefined && value !== "", `${key} is empty`);
    }
    assert.deepEqual(await valueOf(outputs.privateSubnetIds), ["dev-private-0-id", "dev-private-1-id"]);
});
