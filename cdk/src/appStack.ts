// One app env as a CloudFormation stack, mirroring pulumi/app: ECS cluster,
// log groups, roles, task definitions (all at `latest`), target groups and
// listener rules on the base's HTTPS listener, services at desired count 0,
// the DNS record, and the `deploy` output (the deploy contract as a JSON
// string). The base env's values come in through Fn::ImportValue of the
// exports its stack publishes; the plain-data rules (names, containers,
// environment, IAM documents, contract) are the Pulumi program's own.
//
// Sandbox path: the DNS record is left out (the zone is not in the sandbox).
import { Aspects, CfnOutput, Fn, Stack, Tags } from "aws-cdk-lib";
import { CfnCluster, CfnService, CfnTaskDefinition } from "aws-cdk-lib/aws-ecs";
import { CfnListenerRule, CfnTargetGroup } from "aws-cdk-lib/aws-elasticloadbalancingv2";
import { CfnRole } from "aws-cdk-lib/aws-iam";
import { CfnLogGroup } from "aws-cdk-lib/aws-logs";
import { CfnRecordSet } from "aws-cdk-lib/aws-route53";
import { Construct } from "constructs";
import { envTags } from "../../pulumi/base/src/envName";
import { BASE_OUTPUT_KEYS, BaseOutputs } from "../../pulumi/base/src/outputs";
import { ImageKind, MIGRATION, SERVICES, ServiceName, ServiceSpec } from "../../pulumi/app/src/catalog";
import { containerDefinition } from "../../pulumi/app/src/containers";
import { buildDeployContract } from "../../pulumi/app/src/contract";
import { assetsPrefix, imageEnvironment } from "../../pulumi/app/src/environment";
import { assertLeastPrivilege, backendTaskPolicy, ecsTasksTrustPolicy, executionPolicy } from "../../pulumi/app/src/iam";
import { names } from "../../pulumi/app/src/naming";
import { RoutedService, rulePriorities } from "../../pulumi/app/src/priorities";
import { AppSettings, TaskSize } from "../../pulumi/app/src/settingRules";
import { ReleaseOwnedFields } from "./releaseOwned";
import { exportName, stackProps } from "./synthesis";

/**
 * The base env's outputs as CloudFormation values. Every one is a string
 * token: the shared environment rules only interpolate them, so the two
 * numeric ports travel as strings (the export's own type) under the
 * BaseOutputs type.
 */
function importBase(baseEnv: string): BaseOutputs {
    const values: Record<string, unknown> = {};
    for (const key of BASE_OUTPUT_KEYS) values[key] = Fn.importValue(exportName(baseEnv, key));
    values.publicSubnetIds = Fn.split(",", values.publicSubnetIds as string);
    values.privateSubnetIds = Fn.split(",", values.privateSubnetIds as string);
    return values as unknown as BaseOutputs;
}

/**
 * The items of a list token as the inside of a JSON string array: placed as
 * the only element of a list that is then JSON-stringified, it becomes
 * ["a","b"] once CloudFormation joins it.
 */
function jsonListItems(list: string[]): string {
    return Fn.join('","', list);
}

export class AppStack extends Stack {
    constructor(scope: Construct, settings: AppSettings, readonly sandbox: boolean) {
        super(scope, `${settings.env}-app`, stackProps(settings.env, "app", settings.region));
        const { env } = settings;
        for (const [key, value] of Object.entries({ ...envTags(env, "app"), "base-env": settings.baseEnv })) Tags.of(this).add(key, value);
        Aspects.of(this).add(new ReleaseOwnedFields(this));
        const base = importBase(settings.baseEnv);
        const host = names.host(env, base.domain);

        const cluster = new CfnCluster(this, "Cluster", {
            clusterName: names.cluster(env),
            clusterSettings: [{ name: "containerInsights", value: "enabled" }],
            capacityProviders: ["FARGATE", "FARGATE_SPOT"],
            defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
        });

        const containers = [...SERVICES.map((s) => s.name), MIGRATION.container];
        const logGroups = new Map(containers.map((name) => [name, new CfnLogGroup(this, `Logs-${name}`, {
            logGroupName: names.logGroup(env, name),
            retentionInDays: settings.logRetentionDays,
        })]));

        const role = (id: string, purpose: string, description: string, policy: object) => new CfnRole(this, id, {
            roleName: names.role(env, purpose),
            description,
            assumeRolePolicyDocument: ecsTasksTrustPolicy(),
            policies: [{ policyName: names.role(env, purpose), policyDocument: policy }],
        });
        const execution = role("ExecutionRole", "execution", `${env}: ECS pulls images, reads the DB secret, writes logs`,
            assertLeastPrivilege(`${env}-execution`, executionPolicy({
                logGroupArns: [...logGroups.values()].map((g) => g.attrArn),
                repositoryUris: Object.values(settings.images),
                secretArns: [base.dbSecretArn],
            })));
        const backendTask = role("BackendTaskRole", "backend-task", `${env}: backend code reads and writes its assets prefix`,
            assertLeastPrivilege(`${env}-backend-task`, backendTaskPolicy(base.assetsBucketArn, assetsPrefix(env))));

        const extraEnvironment = { backend: settings.backendEnvironment, frontend: settings.frontendEnvironment };
        const taskDefinition = (container: string, image: ImageKind, size: TaskSize, extras: Partial<ServiceSpec>) => {
            const logGroup = logGroups.get(container)!;
            const definition = new CfnTaskDefinition(this, `Task-${container}`, {
                family: names.family(env, container),
                requiresCompatibilities: ["FARGATE"],
                networkMode: "awsvpc",
                cpu: String(size.cpu),
                memory: String(size.memory),
                runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
                executionRoleArn: execution.attrArn,
                taskRoleArn: image === "backend" ? backendTask.attrArn : undefined,
                // The shared builder's keys are the ECS API's camelCase ones, which are also
                // this L1's property names; CDK turns them into CloudFormation's PascalCase.
                containerDefinitions: [containerDefinition({
                    name: container,
                    image,
                    repositories: settings.images,
                    command: extras.command,
                    port: extras.port,
                    stopTimeout: extras.stopTimeout,
                    ...imageEnvironment(image, { env, redisDatabase: settings.redisDatabase, base }, extraEnvironment[image]),
                    logGroup: logGroup.ref,
                    region: settings.region,
                }) as unknown as CfnTaskDefinition.ContainerDefinitionProperty],
            });
            return definition;
        };
        taskDefinition(MIGRATION.container, MIGRATION.image, settings.migration, { command: MIGRATION.command });

        const priorities = rulePriorities(settings.listenerPriority);
        for (const spec of SERVICES) {
            const size = settings.services[spec.name];
            const task = taskDefinition(spec.name, spec.image, size, spec);
            const route = spec.port === undefined ? undefined : this.route(spec, settings, base, host, priorities[spec.name as RoutedService]);
            const service = new CfnService(this, `Service-${spec.name}`, {
                serviceName: names.service(env, spec.name),
                cluster: cluster.ref,
                taskDefinition: task.ref,
                // Nothing runs until the first release: `latest` may not even exist yet.
                desiredCount: 0,
                capacityProviderStrategy: [{ capacityProvider: size.spot ? "FARGATE_SPOT" : "FARGATE", weight: 1 }],
                networkConfiguration: { awsvpcConfiguration: { subnets: base.privateSubnetIds, securityGroups: [base.appSecurityGroupId], assignPublicIp: "DISABLED" } },
                deploymentConfiguration: {
                    deploymentCircuitBreaker: { enable: true, rollback: true },
                    // A singleton stops the old task before starting the new one, so two never overlap.
                    minimumHealthyPercent: spec.singleton ? 0 : 100,
                    maximumPercent: spec.singleton ? 100 : 200,
                },
                ...(route
                    ? { loadBalancers: [{ targetGroupArn: route.targetGroup.ref, containerName: spec.name, containerPort: spec.port }], healthCheckGracePeriodSeconds: 60 }
                    : {}),
                propagateTags: "SERVICE",
            });
            if (route) service.addResourceDependency(route.rule);
        }

        if (!sandbox) {
            new CfnRecordSet(this, "Dns", {
                hostedZoneId: base.hostedZoneId,
                name: host,
                type: "A",
                aliasTarget: { dnsName: base.loadBalancerDnsName, hostedZoneId: base.loadBalancerZoneId, evaluateTargetHealth: true },
            });
        }

        const desiredCounts = Object.fromEntries(SERVICES.map((s) => [s.name, settings.services[s.name].desiredCount])) as Record<ServiceName, number>;
        const contract = buildDeployContract({
            env,
            region: settings.region,
            subnets: [jsonListItems(base.privateSubnetIds)],
            securityGroups: [base.appSecurityGroupId],
            images: settings.images,
            desiredCounts,
        });
        // Plain JSON.stringify, not Stack.toJsonString: a list token inside toJsonString
        // makes CDK add a Lambda-backed custom resource to stringify it at deploy time.
        // Tokens stay in the text as placeholders that CloudFormation fills in (through
        // Fn::Join); the values are AWS ids, which need no JSON escaping.
        new CfnOutput(this, "deploy", { value: JSON.stringify(contract), description: "the deploy contract stackpilot update reads" });
    }

    private route(spec: ServiceSpec, settings: AppSettings, base: BaseOutputs, host: string, priority: number) {
        const targetGroup = new CfnTargetGroup(this, `Targets-${spec.name}`, {
            targetType: "ip",
            protocol: "HTTP",
            port: spec.port,
            vpcId: base.vpcId,
            // Short drain: gunicorn and Nuxt finish requests in seconds; rolls stay quick.
            targetGroupAttributes: [{ key: "deregistration_delay.timeout_seconds", value: "30" }],
            healthCheckPath: settings.healthChecks[spec.name as RoutedService],
            matcher: { httpCode: "200-399" },
            healthCheckIntervalSeconds: 15,
            healthyThresholdCount: 2,
            unhealthyThresholdCount: 3,
        });
        const conditions: CfnListenerRule.RuleConditionProperty[] = [{ field: "host-header", hostHeaderConfig: { values: [host] } }];
        if (spec.name === "gunicorn") conditions.push({ field: "path-pattern", pathPatternConfig: { values: settings.backendPaths } });
        const rule = new CfnListenerRule(this, `Rule-${spec.name}`, {
            listenerArn: base.httpsListenerArn,
            priority,
            conditions,
            actions: [{ type: "forward", targetGroupArn: targetGroup.ref }],
        });
        return { targetGroup, rule };
    }
}
