// The app settings' defaults and checks as plain functions, shared by the
// Pulumi program (settings.ts, over pulumi.Config) and the CDK app (cdk/,
// over stacks/app/<env>.json), so both engines accept the same configs.
import { ConfigSource } from "../../base/src/configSource";
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

const SERVICE_DEFAULTS: ServiceSettings = { cpu: 256, memory: 512, desiredCount: 1, spot: false };
export const MIGRATION_DEFAULTS: TaskSize = { cpu: 512, memory: 1024 };
export const DEFAULT_BACKEND_PATHS = ["/api/*", "/admin/*", "/static/*"];
export const DEFAULT_HEALTH_CHECKS: Record<RoutedService, string> = { gunicorn: "/api/health/", "web-ui": "/" };
export const DEFAULT_LOG_RETENTION_DAYS = 30;

export function checkRepository(key: string, uri: string): string {
    // The tag is stackpilot's business (`latest` at creation, then each release).
    if (/[:@]/.test(uri.split("/").slice(1).join("/")) || !uri.includes("/")) {
        throw new Error(`${key} must be a repository without tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/ublog-backend; got ${uri}`);
    }
    return uri;
}

export function checkRedisDatabase(redisDatabase: number): number {
    if (!Number.isInteger(redisDatabase) || redisDatabase < 0 || redisDatabase > 15) {
        throw new Error(`redisDatabase must be 0-15 (ElastiCache's default of 16 databases), got ${redisDatabase}`);
    }
    return redisDatabase;
}

export function migrationSize(given: Partial<TaskSize> | undefined): TaskSize {
    const migration = { ...MIGRATION_DEFAULTS, ...given };
    checkFargateSize("migration", migration.cpu, migration.memory);
    return migration;
}

export function serviceSettings(given: Record<string, Partial<ServiceSettings>>): Record<ServiceName, ServiceSettings> {
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

export function appSettings(env: string, region: string, config: ConfigSource): AppSettings {
    const listenerPriority = config.requireNumber("listenerPriority");
    rulePriorities(listenerPriority); // validates the range
    const redisDatabase = checkRedisDatabase(config.requireNumber("redisDatabase"));
    const migration = migrationSize(config.getObject<Partial<TaskSize>>("migration"));
    return {
        env: validateEnvName(env),
        region,
        baseEnv: validateEnvName(config.require("baseEnv")),
        images: {
            backend: checkRepository("backendImage", config.require("backendImage")),
            frontend: checkRepository("frontendImage", config.require("frontendImage")),
        },
        listenerPriority,
        redisDatabase,
        backendPaths: config.getObject<string[]>("backendPaths") ?? DEFAULT_BACKEND_PATHS,
        healthChecks: { ...DEFAULT_HEALTH_CHECKS, ...config.getObject("healthChecks") },
        services: serviceSettings(config.getObject<Record<string, Partial<ServiceSettings>>>("services") ?? {}),
        migration,
        logRetentionDays: config.getNumber("logRetentionDays") ?? DEFAULT_LOG_RETENTION_DAYS,
        backendEnvironment: checkExtraEnvironment("backend", config.getObject("backendEnvironment") ?? {}, "backendEnvironment"),
        frontendEnvironment: checkExtraEnvironment("frontend", config.getObject("frontendEnvironment") ?? {}, "frontendEnvironment"),
    };
}
