// Builds one app env on top of its base env and returns the deploy contract.
// index.ts only wires config in and exports it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { envTags } from "../../base/src/envName";
import { readBase } from "./base";
import { ImageKind, MIGRATION, SERVICES, ServiceName } from "./catalog";
import { buildDeployContract, DeployContract } from "./contract";
import { assetsPrefix, imageEnvironment } from "./environment";
import { names } from "./naming";
import { RoutedService, rulePriorities } from "./priorities";
import { createRoles } from "./roles";
import { createDnsRecord, createRoute } from "./routing";
import { createService } from "./services";
import { AppSettings, TaskSize } from "./settings";
import { createTaskDefinition } from "./taskDefinitions";

export interface App {
    deploy: pulumi.Output<DeployContract>;
}

export function createApp(settings: AppSettings, opts: pulumi.CustomResourceOptions = {}): App {
    const { env } = settings;
    const tags = { ...envTags(env, "app"), "base-env": settings.baseEnv };
    const base = readBase(settings.baseEnv, opts);
    const host = base.domain.apply((domain) => names.host(env, domain));

    const cluster = new aws.ecs.Cluster(names.cluster(env), {
        name: names.cluster(env),
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags,
    }, opts);
    const capacity = new aws.ecs.ClusterCapacityProviders(names.cluster(env), {
        clusterName: cluster.name,
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1 }],
    }, { ...opts, parent: cluster });

    const containers = [...SERVICES.map((s) => s.name), MIGRATION.container];
    const logGroups = new Map(containers.map((name) => [name, new aws.cloudwatch.LogGroup(`${env}-${name}`, {
        name: names.logGroup(env, name),
        retentionInDays: settings.logRetentionDays,
        tags,
    }, opts)]));

    const roles = createRoles({
        env,
        logGroupArns: [...logGroups.values()].map((g) => g.arn),
        repositoryUris: Object.values(settings.images),
        dbSecretArn: base.dbSecretArn,
        assetsBucketArn: base.assetsBucketArn,
        assetsPrefix: assetsPrefix(env),
        tags,
    }, opts);

    const extraEnvironment = { backend: settings.backendEnvironment, frontend: settings.frontendEnvironment };
    type ContainerExtras = { command?: string[]; port?: number; stopTimeout?: number };
    const taskDefinition = (container: string, image: ImageKind, size: TaskSize, extras: ContainerExtras) =>
        createTaskDefinition({
            family: names.family(env, container),
            size,
            // Through the log group's output, so the group exists before any task could log.
            container: pulumi.all([base, logGroups.get(container)!.name]).apply(([b, logGroup]) => ({
                name: container,
                image,
                repositories: settings.images,
                ...extras,
                ...imageEnvironment(image, { env, redisDatabase: settings.redisDatabase, base: b }, extraEnvironment[image]),
                logGroup,
                region: settings.region,
            })),
            executionRoleArn: roles.execution.arn,
            taskRoleArn: image === "backend" ? roles.backendTask.arn : undefined,
            tags,
        }, opts);

    taskDefinition(MIGRATION.container, MIGRATION.image, settings.migration, { command: MIGRATION.command });

    const priorities = rulePriorities(settings.listenerPriority);
    const subnets = base.privateSubnetIds;
    for (const spec of SERVICES) {
        const size = settings.services[spec.name];
        const task = taskDefinition(spec.name, spec.image, size, { command: spec.command, port: spec.port, stopTimeout: spec.stopTimeout });
        const route = spec.port === undefined ? undefined : createRoute({
            env,
            service: spec.name,
            port: spec.port,
            healthCheckPath: settings.healthChecks[spec.name as RoutedService],
            vpcId: base.vpcId,
            listenerArn: base.httpsListenerArn,
            host,
            paths: spec.name === "gunicorn" ? settings.backendPaths : undefined,
            priority: priorities[spec.name as RoutedService],
            tags,
        }, opts);
        createService({
            env,
            spec,
            settings: size,
            clusterArn: cluster.arn,
            taskDefinitionArn: task.arn,
            subnets,
            securityGroups: [base.appSecurityGroupId],
            targetGroupArn: route?.targetGroup.arn,
            dependsOn: [capacity, ...(route ? [route.rule] : [])],
            tags,
        }, opts);
    }

    createDnsRecord({
        env,
        zoneId: base.hostedZoneId,
        host,
        loadBalancerDnsName: base.loadBalancerDnsName,
        loadBalancerZoneId: base.loadBalancerZoneId,
    }, opts);

    const desiredCounts = Object.fromEntries(SERVICES.map((s) => [s.name, settings.services[s.name].desiredCount])) as Record<ServiceName, number>;
    const deploy = base.apply((b) => {
        if (b.region !== settings.region) {
            throw new Error(`base env ${settings.baseEnv} is in ${b.region} but this app env is in ${settings.region}`);
        }
        return buildDeployContract({
            env,
            region: settings.region,
            subnets: b.privateSubnetIds,
            securityGroups: [b.appSecurityGroupId],
            images: settings.images,
            desiredCounts,
        });
    });
    return { deploy };
}
