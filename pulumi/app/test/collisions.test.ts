// Two app envs on one base must not collide: not in the names they give AWS,
// not in their listener rule priorities, not in their Redis database.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stackConfig, stackEnvs } from "../../base/test/harness";
import { EnvSlot, slotConflicts } from "../src/priorities";
import { runApp } from "./fixtures";

function slot(env: string): EnvSlot {
    const config = stackConfig("app", env);
    return {
        env,
        baseEnv: config["stackpilot-app:baseEnv"],
        listenerPriority: Number(config["stackpilot-app:listenerPriority"]),
        redisDatabase: Number(config["stackpilot-app:redisDatabase"]),
    };
}

// Physical names AWS would see, plus Pulumi's logical names (unique within a
// stack, but a shared name would also mean a shared autoname prefix).
async function claimedNames(env: string): Promise<{ names: Set<string>; priorities: number[] }> {
    const { run } = await runApp(env);
    const names = new Set<string>();
    for (const r of run.resources.filter((r) => r.type.startsWith("aws:"))) {
        names.add(`${r.type} logical ${r.name}`);
        for (const key of ["name", "family"]) {
            if (typeof r.inputs[key] === "string") names.add(`${r.type} ${key} ${r.inputs[key]}`);
        }
    }
    const priorities = run.ofType("aws:lb/listenerRule:ListenerRule").map((r) => r.inputs.priority);
    return { names, priorities };
}

test("there are at least two app envs on the same base", () => {
    const bases = stackEnvs("app").map((env) => slot(env).baseEnv);
    assert.ok(bases.length >= 2 && bases.some((b, i) => bases.indexOf(b) !== i), `app envs: ${stackEnvs("app").join(", ")}`);
});

test("no two app env stack files share a listener priority or Redis database on one base", () => {
    assert.deepEqual(slotConflicts(stackEnvs("app").map(slot)), []);
});

test("alpha and beta claim disjoint names and listener rule priorities", async () => {
    const alpha = await claimedNames("alpha");
    const beta = await claimedNames("beta");
    assert.ok(alpha.names.size > 20);
    assert.deepEqual([...alpha.names].filter((n) => beta.names.has(n)), []);
    assert.deepEqual(alpha.priorities.filter((p) => beta.priorities.includes(p)), []);
    assert.equal(new Set([...alpha.priorities, ...beta.priorities]).size, 4);
});

test("the collision check catches a copied stack file", () => {
    const alpha = slot("alpha");
    const copy = { ...alpha, env: "gamma" };
    assert.equal(slotConflicts([alpha, copy]).length, 2);
    assert.deepEqual(slotConflicts([alpha, { ...copy, baseEnv: "staging" }]), [], "other bases have their own listener");
});
