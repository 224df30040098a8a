// Config mistakes fail at preview time, with the key in the message.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runApp } from "./fixtures";

const cases: [string, Record<string, string>, RegExp][] = [
    ["a second beat", { "stackpilot-app:services": JSON.stringify({ beat: { desiredCount: 2 } }) }, /services\.beat\.desiredCount must be 0 or 1/],
    ["an unknown service", { "stackpilot-app:services": JSON.stringify({ celery: {} }) }, /services\.celery: no such service/],
    ["a tagged image", { "stackpilot-app:backendImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ublog-backend:v1" }, /backendImage must be a repository without tag/],
    ["a size Fargate lacks", { "stackpilot-app:migration": JSON.stringify({ cpu: 256, memory: 8192 }) }, /migration: memory 8192 does not fit cpu 256/],
    ["a Redis database ElastiCache lacks", { "stackpilot-app:redisDatabase": "16" }, /redisDatabase must be 0-15/],
    ["an override of a generated variable", { "stackpilot-app:backendEnvironment": JSON.stringify({ DATABASE_NAME: "x" }) }, /DATABASE_NAME is set by the stack/],
];

for (const [what, overrides, message] of cases) {
    test(`config with ${what} is refused`, async () => {
        await assert.rejects(runApp("alpha", overrides), message);
    });
}

test("extra backend variables join the sorted environment", async () => {
    const { run } = await runApp("alpha", { "stackpilot-app:backendEnvironment": JSON.stringify({ SENTRY_ENVIRONMENT: "alpha", AAA: "first" }) });
    const task = run.ofType("aws:ecs/taskDefinition:TaskDefinition").find((t) => t.inputs.family === "alpha-default")!;
    const names = JSON.parse(task.inputs.containerDefinitions)[0].environment.map((e: { name: string }) => e.name);
    assert.equal(names[0], "AAA");
    assert.ok(names.includes("SENTRY_ENVIRONMENT"));
});
