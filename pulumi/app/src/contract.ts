// The `deploy` output: the contract between this stack and `stackpilot update`
// (docs/deploy-contract.md). Built from plain values so its shape is
// unit-tested, and checked by `contractProblems`, which the tests also run on
// the output of the whole program.
import { ImageKind, MIGRATION, SERVICES, ServiceName } from "./catalog";
import { names } from "./naming";

export interface ContractService {
    name: ServiceName;
    service: string;
    taskFamily: string;
    container: string;
    image: ImageKind;
    desiredCount: number;
}

export interface DeployContract {
    region: string;
    cluster: string;
    network: { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
    images: Record<ImageKind, string>;
    database: string;
    migration: { taskFamily: string; container: string; image: ImageKind; command: string[] };
    services: ContractService[];
}

export interface ContractArgs {
    env: string;
    region: string;
    subnets: string[];
    securityGroups: string[];
    images: Record<ImageKind, string>;
    desiredCounts: Record<ServiceName, number>;
}

export function buildDeployContract(args: ContractArgs): DeployContract {
    const { env } = args;
    return {
        region: args.region,
        cluster: names.cluster(env),
        network: { subnets: args.subnets, securityGroups: args.securityGroups, assignPublicIp: false },
        images: { backend: args.images.backend, frontend: args.images.frontend },
        database: names.database(env),
        migration: {
            taskFamily: names.family(env, MIGRATION.container),
            container: MIGRATION.container,
            image: MIGRATION.image,
            command: [...MIGRATION.command],
        },
        services: SERVICES.map((spec) => ({
            name: spec.name,
            service: names.service(env, spec.name),
            taskFamily: names.family(env, spec.name),
            container: spec.name,
            image: spec.image,
            desiredCount: args.desiredCounts[spec.name],
        })),
    };
}

// A small structural check instead of a JSON Schema library: the contract is
// tiny and the messages name the exact path that is wrong.
type Shape = "string" | "number" | "boolean" | "string[]" | "image" | { [key: string]: Shape } | [Shape];

const SERVICE_SHAPE: Shape = {
    name: "string", service: "string", taskFamily: "string", container: "string", image: "image", desiredCount: "number",
};

export const CONTRACT_SHAPE: Shape = {
    region: "string",
    cluster: "string",
    network: { subnets: "string[]", securityGroups: "string[]", assignPublicIp: "boolean" },
    images: { backend: "string", frontend: "string" },
    database: "string",
    migration: { taskFamily: "string", container: "string", image: "image", command: "string[]" },
    services: [SERVICE_SHAPE],
};

function check(value: unknown, shape: Shape, path: string, problems: string[]): void {
    const fail = (what: string) => problems.push(`${path || "deploy"}: ${what}`);
    if (Array.isArray(shape)) {
        if (!Array.isArray(value) || value.length === 0) return void fail("expected a non-empty array");
        value.forEach((item, i) => check(item, shape[0], `${path}[${i}]`, problems));
    } else if (typeof shape === "object") {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return void fail("expected an object");
        const record = value as Record<string, unknown>;
        for (const key of Object.keys(record)) {
            if (!(key in shape)) fail(`unexpected key ${key}`);
        }
        for (const [key, inner] of Object.entries(shape)) {
            check(record[key], inner, path ? `${path}.${key}` : key, problems);
        }
    } else if (shape === "string[]") {
        if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string" || v === "")) {
            fail("expected a non-empty list of strings");
        }
    } else if (shape === "image") {
        if (value !== "backend" && value !== "frontend") fail(`expected "backend" or "frontend", got ${JSON.stringify(value)}`);
    } else if (shape === "number") {
        if (!Number.isInteger(value) || (value as number) < 0) fail("expected a non-negative integer");
    } else if (typeof value !== shape || value === "") {
        fail(`expected a ${shape}`);
    }
}

/** Everything wrong with a value that claims to be a deploy contract; empty when it is one. */
export function contractProblems(value: unknown): string[] {
    const problems: string[] = [];
    check(value, CONTRACT_SHAPE, "", problems);
    return problems;
}
