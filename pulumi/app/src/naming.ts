// Every physical name the app stack gives out, in one place: `<env>-<name>`.
// stackpilot finds things by these names (see the deploy contract), so they
// are a public interface, not a style choice.

export const BASE_PROJECT = "stackpilot-base";

export const names = {
    cluster: (env: string) => `${env}-cluster`,
    service: (env: string, service: string) => `${env}-${service}`,
    family: (env: string, container: string) => `${env}-${container}`,
    logGroup: (env: string, container: string) => `/ecs/${env}-${container}`,
    database: (env: string) => `${env}-db`,
    host: (env: string, domain: string) => `${env}.${domain}`,
    role: (env: string, purpose: string) => `${env}-${purpose}`,
};

/**
 * The stack reference to a base env. The `organization/` form is the one the
 * local file backend (and S3 backends) accept; Pulumi Cloud accepts it too.
 */
export function baseStackReference(baseEnv: string): string {
    return `organization/${BASE_PROJECT}/${baseEnv}`;
}
