// The `deploy` output of every app env validates against the deploy
// contract's JSON Schema (docs/deploy-contract.schema.json), the one
// `stackpilot contract schema` prints and stackpilot's parser agrees with.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import Ajv2020, { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import { REPO_ROOT, stackEnvs } from "../../base/test/harness";
import { DeployContract } from "../src/contract";
import { runApp } from "./fixtures";

const SCHEMA_FILE = path.join(REPO_ROOT, "docs/deploy-contract.schema.json");
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function compileSchema(): ValidateFunction {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    // The schema is generated from Rust types; an `i32` field carries this format.
    ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max,
    });
    return ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
}

function errorsOf(validate: ValidateFunction, value: unknown): ErrorObject[] {
    return validate(value) ? [] : [...(validate.errors ?? [])];
}

const validate = compileSchema();

for (const env of stackEnvs("app")) {
    test(`app env ${env}: the deploy output validates against the contract schema`, async () => {
        const { deploy } = await runApp(env);
        assert.deepEqual(errorsOf(validate, deploy), []);
    });
}

describe("the contract schema refuses what stackpilot's parser refuses", () => {
    let deploy: DeployContract;
    before(async () => {
        deploy = (await runApp(stackEnvs("app")[0])).deploy;
    });

    test("an unknown field, at the top and inside a service", () => {
        const top = errorsOf(validate, { ...deploy, databse: deploy.database });
        assert.deepEqual(
            top.map((e) => [e.instancePath, e.keyword, e.params]),
            [["", "additionalProperties", { additionalProperty: "databse" }]],
        );
        const services = deploy.services.map((s, i) => (i === 0 ? { ...s, replicas: 2 } : s));
        const nested = errorsOf(validate, { ...deploy, services });
        assert.deepEqual(
            nested.map((e) => [e.instancePath, e.keyword, e.params]),
            [["/services/0", "additionalProperties", { additionalProperty: "replicas" }]],
        );
    });

    test("a missing required field", () => {
        const { database: _dropped, ...withoutDatabase } = deploy;
        const missing = errorsOf(validate, withoutDatabase);
        assert.deepEqual(
            missing.map((e) => [e.instancePath, e.keyword, e.params]),
            [["", "required", { missingProperty: "database" }]],
        );
    });

    test("a desiredCount that is not a 32-bit integer", () => {
        for (const desiredCount of [1.5, 2 ** 31, "1"]) {
            const services = deploy.services.map((s, i) => (i === 0 ? { ...s, desiredCount } : s));
            assert.notDeepEqual(errorsOf(validate, { ...deploy, services }), [], String(desiredCount));
        }
    });
});
