// The base settings' defaults and checks, over any ConfigSource: pulumi.Config
// here, a JSON file in the CDK app (cdk/).
import { ConfigSource } from "./configSource";
import { validateEnvName } from "./envName";

export interface DatabaseSettings {
    instanceClass: string;
    allocatedStorage: number;
    engineVersion: string;
    username: string;
    multiAz: boolean;
    deletionProtection: boolean;
    backupRetentionDays: number;
}

export interface CacheSettings {
    nodeType: string;
    engineVersion: string;
}

export interface BaseSettings {
    env: string;
    region: string;
    domain: string;
    hostedZoneId: string;
    certificateArn: string;
    vpcCidr: string;
    availabilityZones: string[];
    appPorts: number[];
    database: DatabaseSettings;
    cache: CacheSettings;
}

const DATABASE_DEFAULTS: DatabaseSettings = {
    instanceClass: "db.t4g.micro",
    allocatedStorage: 20,
    engineVersion: "16",
    username: "stackpilot",
    multiAz: false,
    deletionProtection: true,
    backupRetentionDays: 7,
};

const CACHE_DEFAULTS: CacheSettings = { nodeType: "cache.t4g.micro", engineVersion: "7.1" };

function requirePort(port: number): number {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`appPorts: ${port} is not a TCP port`);
    }
    return port;
}

/** The parameter group family for an engine version such as "16" or "16.4". */
export function postgresFamily(engineVersion: string): string {
    const major = engineVersion.split(".")[0];
    if (!/^\d+$/.test(major)) {
        throw new Error(`database.engineVersion must start with a major version, got ${engineVersion}`);
    }
    return `postgres${major}`;
}

export function baseSettings(env: string, region: string, config: ConfigSource): BaseSettings {
    const certificateArn = config.require("certificateArn");
    if (!certificateArn.startsWith("arn:aws:acm:")) {
        throw new Error(`certificateArn must be an ACM certificate ARN, got ${certificateArn}`);
    }
    // Named in config rather than looked up, so a preview never depends on
    // which zones the account happens to see, and subnets never move.
    const availabilityZones = config.getObject<string[]>("availabilityZones") ?? [`${region}a`, `${region}b`];
    if (availabilityZones.length < 2 || new Set(availabilityZones).size !== availabilityZones.length) {
        throw new Error(`availabilityZones: need at least 2 distinct zones, got ${availabilityZones.join(", ")}`);
    }
    return {
        env: validateEnvName(env),
        region,
        domain: config.require("domain"),
        hostedZoneId: config.require("hostedZoneId"),
        certificateArn,
        vpcCidr: config.get("vpcCidr") ?? "10.0.0.0/16",
        availabilityZones,
        appPorts: (config.getObject<number[]>("appPorts") ?? [3000, 8000]).map(requirePort),
        database: { ...DATABASE_DEFAULTS, ...config.getObject<Partial<DatabaseSettings>>("database") },
        cache: { ...CACHE_DEFAULTS, ...config.getObject<Partial<CacheSettings>>("cache") },
    };
}
