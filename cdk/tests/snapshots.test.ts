// Whole templates, committed under tests/snapshots/ so a review sees every
// change to what CloudFormation will get. Update: UPDATE_SNAPSHOTS=1 bash cdk/test
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Json, synth } from "./cfn";

const CASES: { env: string; sandbox: boolean }[] = [
    { env: "dev", sandbox: false },
    { env: "alpha", sandbox: false },
    { env: "beta", sandbox: false },
    { env: "dev", sandbox: true },
    { env: "alpha", sandbox: true },
];

for (const { env, sandbox } of CASES) {
    const name = `${env}${sandbox ? ".sandbox" : ""}.template.json`;
    test(`template snapshot ${name}`, () => {
        const file = join(__dirname, "snapshots", name);
        const actual = `${JSON.stringify(synth(env, sandbox), null, 2)}\n`;
        if (process.env.UPDATE_SNAPSHOTS === "1") {
            writeFileSync(file, actual);
            return;
        }
        assert.ok(existsSync(file), `no snapshot ${file}: run UPDATE_SNAPSHOTS=1 bash cdk/test`);
        assert.equal(actual, readFileSync(file, "utf8"), `${name} changed: review, then UPDATE_SNAPSHOTS=1 bash cdk/test`);
    });
}

test("templates need no bootstrap, no assets, no custom resources and no CDK metadata", () => {
    for (const { env, sandbox } of CASES) {
        const template: Json = synth(env, sandbox);
        const text = JSON.stringify(template);
        assert.equal(template.Parameters?.BootstrapVersion, undefined, env);
        assert.equal(template.Rules, undefined, env);
        assert.doesNotMatch(text, /CDKMetadata|aws:cdk:|AssetParameters|cdk-hnb659fds|ssm:/, env);
        for (const [id, resource] of Object.entries(template.Resources as Record<string, Json>)) {
            assert.doesNotMatch(resource.Type, /^(Custom::|AWS::CloudFormation::CustomResource|AWS::Lambda::)/, `${env}: ${id}`);
        }
    }
});
