// Reads and validates the app stack's configuration before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { validateEnvName } from "../../base/src/envName";
import { ImageKind, SERVICES, ServiceName } from "./catalog";
import { checkExtraEnvironment } from "./environment";
import { checkFargateSize } from "./fargate";
import { RoutedService, rulePriorities } from "./priorities";

export interface TaskSize {
    cpu: number;
    memory: number;
}

export interface ServiceSettings extends TaskSize {
    /** The count `stackpilot update` scales to; the stack itself always creates 0. */
    desiredCount: number;
    /** Run on FARGATE_SPOT (interruptible, cheaper). */
    spot: boolean;
}

export interface AppSettings {
    env: string;
    region: string;
    baseEnv: string;
    images: Record<ImageKind, string>;
    listenerPriority: number;
    redisDatabase: number;
    backendPaths: string[];
    healthChecks: Record<RoutedService, string>;
    services: Record<ServiceName, ServiceSettings>;
    migration: TaskSize;
    logRetentionDays: number;
    backendEnvironment: Record<string, string>;
    frontendEnvironment: Record<string, string>;
}

const SERVICE_DEFAULTS: ServiceSettings = { cpu: 256, memory: 512, desiredCount: 1, spot: false };

function repository(config: pulumi.Config, key: string): string {
    const uri = config.require(key);
    // The tag is stackpilot's business (`latest` at creation, then each release).
    if (/[:@]/.test(uri.split("/").slice(1).join("/")) || !uri.includes("/")) {
        throw new Error(`${key} must be a repository without tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/ublog-backend; got ${uri}`);
    }
    return uri;
}

function serviceSettings(config: pulumi.Config): Record<ServiceName, ServiceSettings> {
    const given = config.getObject<Record<string, Partial<ServiceSettings>>>("services") ?? {};
    const known = new Set<string>(SERVICES.map((s) => s.name));
    for (const name of Object.keys(given)) {
        if (!known.has(name)) throw new Error(`services.${name}: no such service (${[...known].join(", ")})`);
    }
    const result = {} as Record<ServiceName, ServiceSettings>;
    for (const spec of SERVICES) {
        const s = { ...SERVICE_DEFAULTS, ...given[spec.name] };
        checkFargateSize(`services.${spec.name}`, s.cpu, s.memory);
        if (!Number.isInteger(s.desiredCount) || s.desiredCount < 0) {
            throw new Error(`services.${spec.name}.desiredCount must be a non-negative integer`);
        }
        if (spec.singleton && s.desiredCount > 1) {
            throw new Error(`services.${spec.name}.desiredCount must be 0 or 1: two would run every schedule twice`);
        }
        if (spec.singleton && s.spot) {
            throw new Error(`services.${spec.name}.spot: a singleton must not be interrupted`);
        }
        result[spec.name] = s;
    }
    return result;
}

export function loadAppSettings(env: string): AppSettings {
    const config = new pulumi.Config();
    const aws = new pulumi.Config("aws");
    const listenerPriority = config.requireNumber("listenerPriority");
    rulePriorities(listenerPriority); // validates the range
    const redisDatabase = config.requireNumber("redisDatabase");
    if (!Number.isInteger(redisDatabase) || redisDatabase < 0 || redisDatabase > 15) {
        throw new Error(`redisDatabase must be 0-15 (ElastiCache's default of 16 databases), got ${redisDatabase}`);
    }
    const migration = { cpu: 512, memory: 1024, ...config.getObject<Partial<TaskSize>>("migration") };
    checkFargateSize("migration", migration.cpu, migration.memory);
    return {
        env: validateEnvName(env),
        region: aws.require("region"),
        baseEnv: validateEnvName(config.require("baseEnv")),
        images: { backend: repository(config, "backendImage"), frontend: repository(config, "frontendImage") },
        listenerPriority,
        redisDatabase,
        backendPaths: config.getObject<string[]>("backendPaths") ?? ["/api/*", "/admin/*", "/static/*"],
        healthChecks: { gunicorn: "/api/health/", "web-ui": "/", ...config.getObject("healthChecks") },
        services: serviceSettings(config),
        migration,
        logRetentionDays: config.getNumber("logRetentionDays") ?? 30,
        backendEnvironment: checkExtraEnvironment("backend", config.getObject("backendEnvironment") ?? {}, "backendEnvironment"),
        frontendEnvironment: checkExtraEnvironment("frontend", config.getObject("frontendEnvironment") ?? {}, "frontendEnvironment"),
    };
}
