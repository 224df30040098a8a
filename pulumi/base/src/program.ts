// Builds one base environment from validated settings and returns the outputs
// the app stacks read. index.ts only wires config in and exports these.
import * as pulumi from "@pulumi/pulumi";
import { createAssetsBucket } from "./assets";
import { createCache } from "./cache";
import { createDatabase } from "./database";
import { envTags } from "./envName";
import { createLoadBalancer } from "./loadBalancer";
import { createNetwork } from "./network";
import { BaseOutputs } from "./outputs";
import { createSecurityGroups } from "./securityGroups";
import { BaseSettings } from "./settings";

export type BaseOutputInputs = { [K in keyof BaseOutputs]: pulumi.Input<BaseOutputs[K]> };

export function createBase(settings: BaseSettings, opts: pulumi.CustomResourceOptions = {}): BaseOutputInputs {
    const { env } = settings;
    const tags = envTags(env, "base");

    const network = createNetwork({ env, cidr: settings.vpcCidr, zones: settings.availabilityZones, tags }, opts);
    const publicSubnetIds = network.publicSubnets.map((s) => s.id);
    const privateSubnetIds = network.privateSubnets.map((s) => s.id);
    const groups = createSecurityGroups({ env, vpcId: network.vpc.id, appPorts: settings.appPorts, tags }, opts);
    const lb = createLoadBalancer({
        env,
        subnetIds: publicSubnetIds,
        securityGroupId: groups.loadBalancer.id,
        certificateArn: settings.certificateArn,
        tags,
    }, opts);
    const db = createDatabase({
        env,
        settings: settings.database,
        subnetIds: privateSubnetIds,
        securityGroupId: groups.database.id,
        tags,
    }, opts);
    const cache = createCache({
        env,
        settings: settings.cache,
        subnetIds: privateSubnetIds,
        securityGroupId: groups.cache.id,
        tags,
    }, opts);
    const bucket = createAssetsBucket(env, tags, opts);

    return {
        env,
        region: settings.region,
        vpcId: network.vpc.id,
        publicSubnetIds: pulumi.all(publicSubnetIds),
        privateSubnetIds: pulumi.all(privateSubnetIds),
        appSecurityGroupId: groups.app.id,
        httpsListenerArn: lb.https.arn,
        loadBalancerDnsName: lb.alb.dnsName,
        loadBalancerZoneId: lb.alb.zoneId,
        domain: settings.domain,
        hostedZoneId: settings.hostedZoneId,
        dbAddress: db.instance.address,
        dbPort: db.instance.port,
        dbUsername: settings.database.username,
        dbSecretArn: db.secret.arn,
        redisAddress: cache.primaryEndpointAddress,
        redisPort: cache.port.apply((port) => port ?? 6379),
        assetsBucketName: bucket.bucket,
        assetsBucketArn: bucket.arn,
    };
}
