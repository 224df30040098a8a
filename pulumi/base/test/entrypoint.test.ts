// index.ts as the Pulumi CLI loads it: config from the stack file, the outputs the app reads.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BASE_OUTPUT_KEYS } from "../src/outputs";
import { settle, stackConfig, startMocks } from "./harness";

test("the base entry point exports exactly the outputs the app stack reads", async () => {
    await startMocks("stackpilot-base", "dev", stackConfig("base", "dev"));
    const program = await import("../index");
    assert.deepEqual(Object.keys(program).filter((k) => k !== "default").sort(), [...BASE_OUTPUT_KEYS].sort());
    await settle();
});
