// The shared PostgreSQL server. Each app env gets its own database on it
// (`<env>-db`), created by the migration task, not here. The master password
// is generated and lives only in Secrets Manager and the (encrypted) state.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DatabaseSettings } from "./settings";
import { postgresFamily } from "./settingRules";

export { postgresFamily } from "./settingRules";

export interface DatabaseArgs {
    env: string;
    settings: DatabaseSettings;
    subnetIds: pulumi.Input<string>[];
    securityGroupId: pulumi.Input<string>;
    tags: Record<string, string>;
}

export interface Database {
    instance: aws.rds.Instance;
    secret: aws.secretsmanager.Secret;
}

export function createDatabase(args: DatabaseArgs, opts: pulumi.CustomResourceOptions): Database {
    const { env, settings, tags } = args;

    // RDS refuses '/', '@', '"' and spaces in master passwords.
    const password = new random.RandomPassword(`${env}-db-password`, {
        length: 32,
        special: true,
        overrideSpecial: "!#$%&*()-_=+[]{}<>:?",
    }, opts);

    const subnets = new aws.rds.SubnetGroup(`${env}-db`, { subnetIds: args.subnetIds, tags }, opts);
    const parameters = new aws.rds.ParameterGroup(`${env}-db`, {
        family: postgresFamily(settings.engineVersion),
        description: `${env}: PostgreSQL with TLS required`,
        parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
        tags,
    }, opts);

    const instance = new aws.rds.Instance(`${env}-db`, {
        engine: "postgres",
        engineVersion: settings.engineVersion,
        instanceClass: settings.instanceClass,
        allocatedStorage: settings.allocatedStorage,
        storageEncrypted: true,
        username: settings.username,
        password: password.result,
        dbSubnetGroupName: subnets.name,
        parameterGroupName: parameters.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz: settings.multiAz,
        backupRetentionPeriod: settings.backupRetentionDays,
        deletionProtection: settings.deletionProtection,
        skipFinalSnapshot: !settings.deletionProtection,
        finalSnapshotIdentifier: settings.deletionProtection ? `${env}-db-final` : undefined,
        copyTagsToSnapshot: true,
        tags,
    }, opts);

    const secret = new aws.secretsmanager.Secret(`${env}-db`, {
        description: `${env}: PostgreSQL master credentials (JSON: username, password, host, port)`,
        tags,
    }, opts);
    new aws.secretsmanager.SecretVersion(`${env}-db`, {
        secretId: secret.id,
        secretString: pulumi.jsonStringify({
            username: settings.username,
            password: password.result,
            host: instance.address,
            port: instance.port,
        }),
    }, { ...opts, parent: secret });

    return { instance, secret };
}
