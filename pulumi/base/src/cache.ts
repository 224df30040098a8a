// The shared Redis (celery broker and Django cache). App envs keep apart by
// Redis database number, which each app stack's config picks.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CacheSettings } from "./settings";

export interface CacheArgs {
    env: string;
    settings: CacheSettings;
    subnetIds: pulumi.Input<string>[];
    securityGroupId: pulumi.Input<string>;
    tags: Record<string, string>;
}

export function createCache(args: CacheArgs, opts: pulumi.CustomResourceOptions): aws.elasticache.ReplicationGroup {
    const { env, settings, tags } = args;
    const subnets = new aws.elasticache.SubnetGroup(`${env}-cache`, {
        description: `${env}: private subnets`,
        subnetIds: args.subnetIds,
        tags,
    }, opts);
    return new aws.elasticache.ReplicationGroup(`${env}-cache`, {
        description: `${env}: Redis for celery and the Django cache`,
        engine: "redis",
        engineVersion: settings.engineVersion,
        nodeType: settings.nodeType,
        numCacheClusters: 1,
        port: 6379,
        subnetGroupName: subnets.name,
        securityGroupIds: [args.securityGroupId],
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        tags,
    }, opts);
}
