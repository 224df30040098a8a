// index.ts as the Pulumi CLI loads it: config from the stack file, one output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { settle, stackConfig, startMocks, valueOf } from "../../base/test/harness";
import { contractProblems } from "../src/contract";
import { FAKE_BASE } from "./fixtures";

test("the app entry point exports exactly one output, a valid deploy contract", async () => {
    await startMocks("stackpilot-app", "beta", stackConfig("app", "beta"), { "organization/stackpilot-base/dev": { ...FAKE_BASE } });
    const program = await import("../index");
    assert.deepEqual(Object.keys(program).filter((k) => k !== "default"), ["deploy"]);
    assert.deepEqual(contractProblems(await valueOf(program.deploy)), []);
    await settle();
});
