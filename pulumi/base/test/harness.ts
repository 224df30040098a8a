// Test harness shared by both projects: runs a Pulumi program under
// pulumi.runtime.setMocks (no CLI, no cloud) with a stack's real config file,
// and records every resource the program registers, with its options.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    opts: pulumi.CustomResourceOptions;
}

export const REPO_ROOT = path.resolve(__dirname, "../../..");

/** The `config:` map of stacks/<layer>/Pulumi.<env>.yaml, flattened the way the CLI hands it to a program. */
export function stackConfig(layer: "base" | "app", env: string): Record<string, string> {
    const file = path.join(REPO_ROOT, "stacks", layer, `Pulumi.${env}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        flat[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}

/** Every env that has a stack file for a layer. */
export function stackEnvs(layer: "base" | "app"): string[] {
    return fs
        .readdirSync(path.join(REPO_ROOT, "stacks", layer))
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((env): env is string => env !== undefined)
        .sort();
}

// Values a real provider would compute; tests only need them to be plausible.
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const arn = `arn:aws:mock:us-east-1:123456789012:${type.split(":")[1]}/${name}`;
    const state: Record<string, any> = { arn, ...inputs };
    state.name ??= name;
    if (type === "aws:lb/loadBalancer:LoadBalancer") {
        Object.assign(state, { dnsName: `${name}.elb.example`, zoneId: "ZALB" });
    }
    if (type === "aws:rds/instance:Instance") {
        Object.assign(state, { address: `${name}.rds.example`, port: 5432 });
    }
    if (type === "aws:elasticache/replicationGroup:ReplicationGroup") {
        state.primaryEndpointAddress = `${name}.cache.example`;
    }
    if (type === "aws:s3/bucket:Bucket") {
        state.bucket = `${inputs.bucketPrefix ?? name}mock`;
    }
    if (type === "random:index/randomPassword:RandomPassword") {
        state.result = "mock-password";
    }
    return state;
}

export interface MockRun {
    resources: RecordedResource[];
    /** The component to parent a program's resources to, so their options are recorded. */
    root: pulumi.ComponentResource;
    ofType(type: string): RecordedResource[];
}

/**
 * Starts the mocks for one stack. `stackOutputs` answers stack references by
 * name. Call `settle()` after building the program.
 */
export async function startMocks(
    project: string,
    stack: string,
    config: Record<string, string>,
    stackOutputs: Record<string, Record<string, unknown>> = {},
): Promise<MockRun> {
    const resources: RecordedResource[] = [];
    const optionsByName = new Map<string, pulumi.CustomResourceOptions>();
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks({
        newResource(args) {
            const inputs = args.inputs as Record<string, any>;
            resources.push({ type: args.type, name: args.name, inputs, opts: optionsByName.get(`${args.type}::${args.name}`) ?? {} });
            if (args.type === "pulumi:pulumi:StackReference") {
                const outputs = stackOutputs[inputs.name];
                if (outputs === undefined) {
                    throw new Error(`no stack ${inputs.name} in this test`);
                }
                return { id: inputs.name, state: { name: inputs.name, outputs, secretOutputNames: [] } };
            }
            return { id: `${args.name}-id`, state: computedState(args.type, args.name, inputs) };
        },
        call(args) {
            return args.inputs;
        },
    }, project, stack, false);

    // Legacy transformations run in-process, before registration, and see
    // the options (ignoreChanges, dependsOn...) that mocks never receive.
    const root = new pulumi.ComponentResource(`test:index:Root`, `${stack}-root`, {}, {
        transformations: [(args) => {
            optionsByName.set(`${args.type}::${args.name}`, args.opts);
            return undefined;
        }],
    });
    return { resources, root, ofType: (type) => resources.filter((r) => r.type === type) };
}

/** Waits until every registration the program started has reached the mocks. */
export async function settle(): Promise<void> {
    // Not in the public API, but it is what the runtime itself awaits before exit.
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
}

/** The resolved value of an output (mocks run with known values). */
export function valueOf<T>(input: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(input).apply((v) => { resolve(v as T); return v; }));
}

// How a secret value reaches the mocks: wrapped under Pulumi's signature key.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** A mock input with any secret wrapper removed. */
export function plain(value: any): any {
    return isSecret(value) ? value.value : value;
}
