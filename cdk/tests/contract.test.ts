// The `deploy` output, read as CloudFormation would fill it in: the same
// contract the Pulumi app exports, and valid by the contract's own check.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BASE_OUTPUT_KEYS } from "../../pulumi/base/src/outputs";
import { contractProblems } from "../../pulumi/app/src/contract";
import { evaluate, Json, resourcesOfType, synth } from "./cfn";

function importsOf(baseEnv: string): Record<string, string> {
    const imports: Record<string, string> = {};
    for (const key of BASE_OUTPUT_KEYS) imports[`${baseEnv}-base:${key}`] = `<${key}>`;
    imports[`${baseEnv}-base:privateSubnetIds`] = "subnet-a,subnet-b";
    return imports;
}

for (const env of ["alpha", "beta"]) {
    test(`${env}: deploy is a JSON string holding a valid deploy contract`, () => {
        const template = synth(env);
        assert.deepEqual(Object.keys(template.Outputs), ["deploy"]);
        const text = evaluate(template.Outputs.deploy.Value, { imports: importsOf("dev") });
        assert.equal(typeof text, "string");
        const contract: Json = JSON.parse(text);
        assert.deepEqual(contractProblems(contract), []);
        assert.equal(contract.cluster, `${env}-cluster`);
        assert.deepEqual(contract.network, { subnets: ["subnet-a", "subnet-b"], securityGroups: ["<appSecurityGroupId>"], assignPublicIp: false });
        assert.deepEqual(contract.migration.taskFamily, `${env}-backend_update`);
        assert.deepEqual(contract.services.map((s: Json) => s.service), ["gunicorn", "default", "beat", "web-ui"].map((s) => `${env}-${s}`));

        // Every family and container the contract names exists in the template.
        const tasks = Object.values(resourcesOfType(template, "AWS::ECS::TaskDefinition"));
        const families = new Map(tasks.map((t: Json) => [t.Properties.Family, t.Properties.ContainerDefinitions.map((c: Json) => c.Name)]));
        for (const { taskFamily, container } of [contract.migration, ...contract.services]) {
            assert.deepEqual(families.get(taskFamily), [container], taskFamily);
        }
        for (const [, task] of Object.entries(resourcesOfType(template, "AWS::ECS::TaskDefinition"))) {
            assert.match(task.Properties.ContainerDefinitions[0].Image, /:latest$/);
        }
    });
}

test("the base exports every key the app imports", () => {
    const base = synth("dev");
    const exported = Object.values(base.Outputs as Record<string, Json>).map((o) => o.Export.Name).sort();
    assert.deepEqual(exported, BASE_OUTPUT_KEYS.map((k) => `dev-base:${k}`).sort());
    const imported = new Set(JSON.stringify(synth("alpha")).match(/"Fn::ImportValue":"[^"]+"/g)?.map((m) => m.split('"')[3]));
    for (const name of imported) assert.ok(exported.includes(name), name);
});
