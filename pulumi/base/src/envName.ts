// What an environment name may be. Shared by both projects (the app imports it)
// because every physical name is `<env>-<name>` and AWS caps the shortest of
// those limits (target group and load balancer names: 32 characters).

/** Env names: lowercase, start with a letter, at most 12 characters. */
const ENV_NAME = /^[a-z][a-z0-9-]{0,10}[a-z0-9]$/;

export function validateEnvName(env: string): string {
    if (!ENV_NAME.test(env)) {
        throw new Error(
            `stack name ${JSON.stringify(env)} is not a valid env name: ` +
                "use 2-12 lowercase letters, digits or dashes, starting with a letter",
        );
    }
    return env;
}

/** The tags every resource of an env carries, so cost reports and cleanups can find it. */
export function envTags(env: string, layer: "base" | "app"): Record<string, string> {
    return { env, layer, "managed-by": "stackpilot" };
}
