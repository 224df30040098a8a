// How requests reach an app env on the shared load balancer: a target group
// per load-balanced service, a listener rule per service on the base's HTTPS
// listener, and the env's DNS name pointing at the load balancer.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface RouteArgs {
    env: string;
    service: string;
    port: number;
    healthCheckPath: string;
    vpcId: pulumi.Input<string>;
    listenerArn: pulumi.Input<string>;
    host: pulumi.Input<string>;
    /** Omitted for the host's catch-all rule. */
    paths?: string[];
    priority: number;
    tags: Record<string, string>;
}

export interface Route {
    targetGroup: aws.lb.TargetGroup;
    rule: aws.lb.ListenerRule;
}

export function createRoute(args: RouteArgs, opts: pulumi.CustomResourceOptions): Route {
    const name = `${args.env}-${args.service}`;
    const targetGroup = new aws.lb.TargetGroup(name, {
        targetType: "ip",
        protocol: "HTTP",
        port: args.port,
        vpcId: args.vpcId,
        // Short drain: gunicorn and Nuxt finish requests in seconds; rolls stay quick.
        deregistrationDelay: 30,
        healthCheck: {
            path: args.healthCheckPath,
            matcher: "200-399",
            interval: 15,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
        },
        tags: args.tags,
    }, opts);
    const conditions: aws.types.input.lb.ListenerRuleCondition[] = [{ hostHeader: { values: [args.host] } }];
    if (args.paths) {
        conditions.push({ pathPattern: { values: args.paths } });
    }
    const rule = new aws.lb.ListenerRule(name, {
        listenerArn: args.listenerArn,
        priority: args.priority,
        conditions,
        actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags: args.tags,
    }, { ...opts, parent: targetGroup });
    return { targetGroup, rule };
}

export interface DnsArgs {
    env: string;
    zoneId: pulumi.Input<string>;
    host: pulumi.Input<string>;
    loadBalancerDnsName: pulumi.Input<string>;
    loadBalancerZoneId: pulumi.Input<string>;
}

export function createDnsRecord(args: DnsArgs, opts: pulumi.CustomResourceOptions): aws.route53.Record {
    return new aws.route53.Record(`${args.env}-dns`, {
        zoneId: args.zoneId,
        name: args.host,
        type: "A",
        aliases: [{ name: args.loadBalancerDnsName, zoneId: args.loadBalancerZoneId, evaluateTargetHealth: true }],
    }, opts);
}
