// An env's live configuration: stacks/base/<env>.json or stacks/app/<env>.json,
// next to that env's Pulumi file. The keys are the Pulumi ones without their
// namespace (`region` for `aws:region`), read through the same settings rules
// as the Pulumi programs, plus `sandbox`. A key no rule reads is an error, so a
// typo never silently falls back to a default.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigSource } from "../../pulumi/base/src/configSource";
import { validateEnvName } from "../../pulumi/base/src/envName";
import { BaseSettings, baseSettings } from "../../pulumi/base/src/settingRules";
import { AppSettings, appSettings } from "../../pulumi/app/src/settingRules";

export type Layer = "base" | "app";
export const LAYERS: readonly Layer[] = ["base", "app"];

/** A ConfigSource over one parsed JSON object that remembers which keys were read. */
export class JsonConfig implements ConfigSource {
    private readonly read = new Set<string>();

    constructor(private readonly file: string, private readonly values: Record<string, unknown>) {}

    private value(key: string): unknown {
        this.read.add(key);
        return this.values[key];
    }

    get(key: string): string | undefined {
        const value = this.value(key);
        if (value === undefined) return undefined;
        if (typeof value !== "string") throw new Error(`${this.file}: ${key} must be a string`);
        return value;
    }

    require(key: string): string {
        const value = this.get(key);
        if (value === undefined) throw new Error(`${this.file}: ${key} is required`);
        return value;
    }

    getNumber(key: string): number | undefined {
        const value = this.value(key);
        if (value === undefined) return undefined;
        if (typeof value !== "number") throw new Error(`${this.file}: ${key} must be a number`);
        return value;
    }

    requireNumber(key: string): number {
        const value = this.getNumber(key);
        if (value === undefined) throw new Error(`${this.file}: ${key} is required`);
        return value;
    }

    getObject<T>(key: string): T | undefined {
        return this.value(key) as T | undefined;
    }

    getBoolean(key: string): boolean | undefined {
        const value = this.value(key);
        if (value !== undefined && typeof value !== "boolean") throw new Error(`${this.file}: ${key} must be true or false`);
        return value as boolean | undefined;
    }

    /** Throws naming every key that no rule read. */
    rejectUnread(): void {
        const unknown = Object.keys(this.values).filter((key) => !this.read.has(key));
        if (unknown.length > 0) throw new Error(`${this.file}: unknown keys ${unknown.join(", ")}`);
    }
}

export type EnvConfig =
    | { layer: "base"; settings: BaseSettings; sandbox: boolean }
    | { layer: "app"; settings: AppSettings; sandbox: boolean };

export function configPath(stacksDir: string, layer: Layer, env: string): string {
    return join(stacksDir, layer, `${env}.json`);
}

function readJson(file: string): Record<string, unknown> | undefined {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
    }
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
    return value as Record<string, unknown>;
}

/**
 * Loads the env from whichever layer's folder has `<env>.json`. An env is
 * either a base env or an app env, never both. `forceSandbox` (the context
 * flag `-c sandbox=true`) turns the sandbox path on for an env whose file
 * does not.
 */
export function loadEnvConfig(stacksDir: string, env: string, forceSandbox = false): EnvConfig {
    validateEnvName(env);
    const found = LAYERS.flatMap((layer) => {
        const file = configPath(stacksDir, layer, env);
        const values = readJson(file);
        return values ? [{ layer, file, values }] : [];
    });
    if (found.length !== 1) {
        const where = LAYERS.map((layer) => configPath(stacksDir, layer, env)).join(" or ");
        throw new Error(found.length === 0 ? `no env ${env}: expected ${where}` : `env ${env} is configured twice: ${where}`);
    }
    const [{ layer, file, values }] = found;
    const config = new JsonConfig(file, values);
    const region = config.require("region");
    const sandbox = forceSandbox || (config.getBoolean("sandbox") ?? false);
    const result: EnvConfig = layer === "base"
        ? { layer, settings: baseSettings(env, region, config), sandbox }
        : { layer, settings: appSettings(env, region, config), sandbox };
    config.rejectUnread();
    return result;
}
