// The ECS services. Pulumi creates them and then lets go of what stackpilot
// owns: the task definition revision and the desired count. Every service
// goes through `serviceOptions`, so none can forget to ignore them.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./catalog";
import { names } from "./naming";
import { ServiceSettings } from "./settings";

/** The fields `stackpilot update` changes on a live service; Pulumi must never revert them. */
export const RELEASE_OWNED_FIELDS = ["taskDefinition", "desiredCount"];

export function serviceOptions(opts: pulumi.CustomResourceOptions, dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions {
    return { ...opts, dependsOn, ignoreChanges: [...RELEASE_OWNED_FIELDS] };
}

export interface ServiceArgs {
    env: string;
    spec: ServiceSpec;
    settings: ServiceSettings;
    clusterArn: pulumi.Input<string>;
    taskDefinitionArn: pulumi.Input<string>;
    subnets: pulumi.Input<string[]>;
    securityGroups: pulumi.Input<string>[];
    targetGroupArn?: pulumi.Input<string>;
    dependsOn: pulumi.Resource[];
    tags: Record<string, string>;
}

export function createService(args: ServiceArgs, opts: pulumi.CustomResourceOptions): aws.ecs.Service {
    const { env, spec } = args;
    const name = names.service(env, spec.name);
    return new aws.ecs.Service(name, {
        name,
        cluster: args.clusterArn,
        taskDefinition: args.taskDefinitionArn,
        // Nothing runs until the first release: `latest` may not even exist yet.
        desiredCount: 0,
        capacityProviderStrategies: [{ capacityProvider: args.settings.spot ? "FARGATE_SPOT" : "FARGATE", weight: 1 }],
        networkConfiguration: { subnets: args.subnets, securityGroups: args.securityGroups, assignPublicIp: false },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // A singleton stops the old task before starting the new one, so two never overlap.
        deploymentMinimumHealthyPercent: spec.singleton ? 0 : 100,
        deploymentMaximumPercent: spec.singleton ? 100 : 200,
        ...(args.targetGroupArn
            ? {
                loadBalancers: [{ targetGroupArn: args.targetGroupArn, containerName: spec.name, containerPort: spec.port! }],
                healthCheckGracePeriodSeconds: 60,
            }
            : {}),
        propagateTags: "SERVICE",
        waitForSteadyState: false,
        tags: args.tags,
    }, serviceOptions(opts, args.dependsOn));
}
