import assert from "node:assert/strict";
import { test } from "node:test";
import { postgresFamily } from "../src/database";
import { validateEnvName } from "../src/envName";
import { subnetLayout } from "../src/subnets";

test("subnet layout splits a /16 into non-overlapping /20s", () => {
    const layout = subnetLayout("10.40.0.0/16", 2);
    assert.deepEqual(layout.public, ["10.40.0.0/20", "10.40.16.0/20"]);
    assert.deepEqual(layout.private, ["10.40.128.0/20", "10.40.144.0/20"]);
});

test("subnet layout refuses anything but a clean /16", () => {
    assert.throws(() => subnetLayout("10.40.0.0/24", 2), /must be a \/16/);
    assert.throws(() => subnetLayout("10.40.1.0/16", 2), /host bits/);
    assert.throws(() => subnetLayout("10.400.0.0/16", 2), /not an IPv4/);
});

test("parameter group family follows the engine's major version", () => {
    assert.equal(postgresFamily("16"), "postgres16");
    assert.equal(postgresFamily("15.7"), "postgres15");
    assert.throws(() => postgresFamily("latest"));
});

test("env names are short lowercase words", () => {
    assert.equal(validateEnvName("alpha"), "alpha");
    for (const bad of ["", "A", "Alpha", "1dev", "dev-", "a_b", "averyveryverylongname"]) {
        assert.throws(() => validateEnvName(bad), /not a valid env name/, bad);
    }
});
