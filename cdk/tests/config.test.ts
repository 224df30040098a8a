// Env configs: one file per env, names that never collide, the sandbox path.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadEnvConfig } from "../src/config";
import { evaluate, Json, resourcesOfType, STACKS_DIR, synth } from "./cfn";

/** Every physical name or export an app stack claims in the account and region. */
function claimedNames(template: Json): Set<string> {
    const names = new Set<string>();
    const fields = ["ServiceName", "Family", "LogGroupName", "RoleName", "ClusterName"];
    for (const resource of Object.values(template.Resources as Record<string, Json>)) {
        for (const field of fields) if (typeof resource.Properties?.[field] === "string") names.add(resource.Properties[field]);
    }
    for (const output of Object.values((template.Outputs ?? {}) as Record<string, Json>)) if (output.Export) names.add(output.Export.Name);
    return names;
}

test("alpha and beta claim disjoint names and rule priorities on the same base", () => {
    const alpha = synth("alpha");
    const beta = synth("beta");
    const a = claimedNames(alpha);
    // 4 services (named like their task families), the migration family, 5 log groups, 2 roles, the cluster.
    assert.equal(a.size, 13, [...a].join(", "));
    assert.deepEqual([...claimedNames(beta)].filter((n) => a.has(n)), []);
    const priorities = (t: Json) => Object.values(resourcesOfType(t, "AWS::ElasticLoadBalancingV2::ListenerRule")).map((r: Json) => r.Properties.Priority);
    assert.deepEqual(priorities(alpha).filter((p: number) => priorities(beta).includes(p)), []);
});

test("each env file loads as its layer with the Pulumi settings rules", () => {
    assert.equal(loadEnvConfig(STACKS_DIR, "dev").layer, "base");
    const alpha = loadEnvConfig(STACKS_DIR, "alpha");
    assert.equal(alpha.layer, "app");
    assert.equal(alpha.sandbox, false);
    assert.equal(loadEnvConfig(STACKS_DIR, "alpha", true).sandbox, true);
});

test("config mistakes fail synthesis, naming the file and key", () => {
    const dir = mkdtempSync(join(tmpdir(), "cdk-config-"));
    try {
        mkdirSync(join(dir, "app"));
        mkdirSync(join(dir, "base"));
        const write = (layer: string, env: string, value: object) => writeFileSync(join(dir, layer, `${env}.json`), JSON.stringify(value));
        const app = { region: "us-east-1", baseEnv: "dev", backendImage: "r.example/b", frontendImage: "r.example/f", listenerPriority: 1, redisDatabase: 0 };
        write("app", "gamma", { ...app, listenerPrority: 2 });
        assert.throws(() => loadEnvConfig(dir, "gamma"), /gamma\.json: unknown keys listenerPrority/);
        write("app", "gamma", { ...app, services: { beat: { desiredCount: 2 } } });
        assert.throws(() => loadEnvConfig(dir, "gamma"), /beat\.desiredCount must be 0 or 1/);
        write("app", "gamma", { ...app, backendImage: "r.example/b:v1" });
        assert.throws(() => loadEnvConfig(dir, "gamma"), /backendImage must be a repository without tag/);
        write("app", "gamma", { ...app, sandbox: "yes" });
        assert.throws(() => loadEnvConfig(dir, "gamma"), /sandbox must be true or false/);
        write("base", "gamma", { region: "us-east-1" });
        assert.throws(() => loadEnvConfig(dir, "gamma"), /configured twice/);
        assert.throws(() => loadEnvConfig(dir, "delta"), /no env delta: expected .*base\/delta\.json or .*app\/delta\.json/);
        assert.throws(() => loadEnvConfig(dir, "Bad_Env"), /not a valid env name/);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

function types(template: Json): Set<string> {
    return new Set(Object.values(template.Resources as Record<string, Json>).map((r) => r.Type));
}

test("the sandbox flag leaves out exactly what moto's CloudFormation cannot create", () => {
    const real = synth("dev");
    const sandbox = synth("dev", true);
    const left = [...types(real)].filter((t) => !types(sandbox).has(t)).sort();
    assert.deepEqual(left, [
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::SubnetGroup",
        "AWS::RDS::DBParameterGroup",
        "AWS::SecretsManager::Secret",
        "AWS::SecretsManager::SecretTargetAttachment",
    ]);
    assert.equal(real.Resources.HttpsListener.Properties.Protocol, "HTTPS");
    assert.equal(sandbox.Resources.HttpsListener.Properties.Protocol, "HTTP");
    assert.equal(sandbox.Resources.HttpsListener.Properties.Certificates, undefined);
    // The app still finds every output it imports.
    assert.deepEqual(Object.keys(sandbox.Outputs), Object.keys(real.Outputs));

    const app = synth("alpha");
    const appSandbox = synth("alpha", true);
    assert.deepEqual([...types(app)].filter((t) => !types(appSandbox).has(t)), ["AWS::Route53::RecordSet"]);
    assert.deepEqual(evaluate(appSandbox.Outputs, {}), evaluate(app.Outputs, {}));
});
