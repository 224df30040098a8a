// Security groups chained by reference, not by CIDR: internet → load balancer
// → app tasks → database and cache. Nothing but the load balancer is reachable
// from outside, and the data stores have no egress at all.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface SecurityGroups {
    loadBalancer: aws.ec2.SecurityGroup;
    app: aws.ec2.SecurityGroup;
    database: aws.ec2.SecurityGroup;
    cache: aws.ec2.SecurityGroup;
}

export interface SecurityGroupArgs {
    env: string;
    vpcId: pulumi.Input<string>;
    appPorts: number[];
    tags: Record<string, string>;
}

const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;

export function createSecurityGroups(args: SecurityGroupArgs, opts: pulumi.CustomResourceOptions): SecurityGroups {
    const { env, tags } = args;
    const group = (name: string, description: string) =>
        new aws.ec2.SecurityGroup(`${env}-${name}`, {
            vpcId: args.vpcId,
            description,
            // Inline rules would fight the standalone rule resources below.
            tags: { ...tags, Name: `${env}-${name}` },
        }, opts);

    const loadBalancer = group("lb", "load balancer: HTTP and HTTPS from anywhere");
    const app = group("app", "ECS tasks: app ports from the load balancer");
    const database = group("db", "PostgreSQL: from app tasks only");
    const cache = group("cache", "Redis: from app tasks only");

    const ingress = (name: string, to: aws.ec2.SecurityGroup, port: number, from: pulumi.Input<string> | aws.ec2.SecurityGroup) =>
        new aws.vpc.SecurityGroupIngressRule(`${env}-${name}`, {
            securityGroupId: to.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...(from instanceof aws.ec2.SecurityGroup ? { referencedSecurityGroupId: from.id } : { cidrIpv4: from }),
            tags,
        }, { ...opts, parent: to });

    ingress("lb-http", loadBalancer, 80, "0.0.0.0/0");
    ingress("lb-https", loadBalancer, 443, "0.0.0.0/0");
    for (const port of args.appPorts) {
        ingress(`app-${port}`, app, port, loadBalancer);
        new aws.vpc.SecurityGroupEgressRule(`${env}-lb-to-app-${port}`, {
            securityGroupId: loadBalancer.id,
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            referencedSecurityGroupId: app.id,
            tags,
        }, { ...opts, parent: loadBalancer });
    }
    ingress("db-postgres", database, POSTGRES_PORT, app);
    ingress("cache-redis", cache, REDIS_PORT, app);

    // Tasks pull images, read secrets and call AWS APIs through the NAT gateway.
    new aws.vpc.SecurityGroupEgressRule(`${env}-app-egress`, {
        securityGroupId: app.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        tags,
    }, { ...opts, parent: app });

    return { loadBalancer, app, database, cache };
}
