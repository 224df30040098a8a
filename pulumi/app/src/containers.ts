// Container definitions as plain data. Environment variables and secrets are
// sorted by name: ECS keeps the order it is given, and an unsorted map makes
// every preview show a spurious task definition diff.
import { ImageKind, INITIAL_TAG } from "./catalog";

export interface NameValue {
    name: string;
    value: string;
}

export interface SecretRef {
    name: string;
    valueFrom: string;
}

// By code point, not locale: the order must not depend on the machine running the preview.
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortedEnvironment(vars: Record<string, string>): NameValue[] {
    return Object.keys(vars)
        .sort(byCodePoint)
        .map((name) => ({ name, value: vars[name] }));
}

/** Merges operator-supplied variables into generated ones; overriding a generated one is a config error. */
export function mergeEnvironment(generated: Record<string, string>, extra: Record<string, string>, what: string): Record<string, string> {
    for (const name of Object.keys(extra)) {
        if (name in generated) {
            throw new Error(`${what}: ${name} is set by the stack and cannot be overridden`);
        }
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            throw new Error(`${what}: ${JSON.stringify(name)} is not an environment variable name`);
        }
    }
    return { ...generated, ...extra };
}

export interface ContainerArgs {
    name: string;
    image: ImageKind;
    repositories: Record<ImageKind, string>;
    command?: string[];
    port?: number;
    stopTimeout?: number;
    environment: Record<string, string>;
    secrets: SecretRef[];
    logGroup: string;
    region: string;
}

export function containerDefinition(args: ContainerArgs): Record<string, unknown> {
    return {
        name: args.name,
        image: `${args.repositories[args.image]}:${INITIAL_TAG}`,
        essential: true,
        ...(args.command ? { command: args.command } : {}),
        ...(args.port ? { portMappings: [{ containerPort: args.port, protocol: "tcp" }] } : {}),
        ...(args.stopTimeout ? { stopTimeout: args.stopTimeout } : {}),
        environment: sortedEnvironment(args.environment),
        secrets: [...args.secrets].sort((a, b) => byCodePoint(a.name, b.name)),
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": args.logGroup,
                "awslogs-region": args.region,
                "awslogs-stream-prefix": args.name,
            },
        },
    };
}
