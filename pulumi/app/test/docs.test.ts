// Every config key a program reads or a stack file sets is documented.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT, stackConfig, stackEnvs } from "../../base/test/harness";

const readme = fs.readFileSync(path.join(REPO_ROOT, "pulumi/README.md"), "utf8");

test("every key in a stack file is in pulumi/README.md", () => {
    for (const layer of ["base", "app"] as const) {
        for (const env of stackEnvs(layer)) {
            for (const key of Object.keys(stackConfig(layer, env))) {
                assert.ok(readme.includes(`\`${key}\``), `${key} (stacks/${layer}/Pulumi.${env}.yaml)`);
            }
        }
    }
});

test("every key the programs read is in pulumi/README.md", () => {
    for (const layer of ["base", "app"]) {
        // The rules over a ConfigSource, shared with the CDK app (cdk/).
        const source = fs.readFileSync(path.join(REPO_ROOT, "pulumi", layer, "src/settingRules.ts"), "utf8");
        const keys = [...source.matchAll(/config\.(?:require|get)\w*(?:<.*?>)?\("([A-Za-z]+)"/g)].map((m) => m[1]);
        assert.ok(keys.length >= (layer === "base" ? 8 : 12), `found only ${keys.join(", ")} in ${layer}`);
        for (const key of keys) {
            assert.ok(readme.includes(`\`stackpilot-${layer}:${key}\``), `stackpilot-${layer}:${key}`);
        }
    }
});
