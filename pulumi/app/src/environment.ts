// The environment variables and secrets each image gets, from settings and
// the base env's outputs. Each generated variable is a named rule, so the set
// of names is known before the base is read: settings refuse overrides of
// them at load time, not halfway through a deploy.
import { BaseOutputs } from "../../base/src/outputs";
import { ImageKind } from "./catalog";
import { mergeEnvironment, SecretRef } from "./containers";
import { names } from "./naming";

/** What the generated variables are computed from. */
export interface EnvironmentInputs {
    env: string;
    redisDatabase: number;
    base: BaseOutputs;
}

type Rule = (inputs: EnvironmentInputs) => string;

const host = ({ env, base }: EnvironmentInputs) => names.host(env, base.domain);

/** The S3 prefix an app env owns in the shared assets bucket. */
export const assetsPrefix = (env: string) => `${env}/`;

const GENERATED: Record<ImageKind, Record<string, Rule>> = {
    backend: {
        ALLOWED_HOSTS: host,
        ASSETS_BUCKET: ({ base }) => base.assetsBucketName,
        ASSETS_PREFIX: ({ env }) => assetsPrefix(env),
        DATABASE_HOST: ({ base }) => base.dbAddress,
        DATABASE_NAME: ({ env }) => names.database(env),
        DATABASE_PORT: ({ base }) => String(base.dbPort),
        DATABASE_SSLMODE: () => "require",
        DATABASE_USER: ({ base }) => base.dbUsername,
        // rediss: ElastiCache runs with in-transit encryption; each env has its own Redis database.
        REDIS_URL: ({ base, redisDatabase }) =>
            `rediss://${base.redisAddress}:${base.redisPort}/${redisDatabase}?ssl_cert_reqs=required`,
        STACKPILOT_ENV: ({ env }) => env,
    },
    frontend: {
        NUXT_PUBLIC_API_BASE: (inputs) => `https://${host(inputs)}/api`,
        PORT: () => "3000",
        STACKPILOT_ENV: ({ env }) => env,
    },
};

/** Checks operator-supplied variables against the generated ones; returns them unchanged. */
export function checkExtraEnvironment(image: ImageKind, extra: Record<string, string>, what: string): Record<string, string> {
    const placeholders = Object.fromEntries(Object.keys(GENERATED[image]).map((name) => [name, ""]));
    mergeEnvironment(placeholders, extra, what);
    return extra;
}

export interface ImageEnvironment {
    environment: Record<string, string>;
    secrets: SecretRef[];
}

export function imageEnvironment(image: ImageKind, inputs: EnvironmentInputs, extra: Record<string, string>): ImageEnvironment {
    const generated = Object.fromEntries(Object.entries(GENERATED[image]).map(([name, rule]) => [name, rule(inputs)]));
    return {
        environment: mergeEnvironment(generated, extra, `${image}Environment`),
        // ECS resolves the JSON key of the base's credentials secret at task start.
        secrets: image === "backend" ? [{ name: "DATABASE_PASSWORD", valueFrom: `${inputs.base.dbSecretArn}:password::` }] : [],
    };
}
