// The shared application load balancer. It only redirects and terminates TLS:
// each app env adds its own listener rules (host + path) to the HTTPS listener.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface LoadBalancerArgs {
    env: string;
    subnetIds: pulumi.Input<string>[];
    securityGroupId: pulumi.Input<string>;
    certificateArn: string;
    tags: Record<string, string>;
}

export interface LoadBalancer {
    alb: aws.lb.LoadBalancer;
    https: aws.lb.Listener;
}

export function createLoadBalancer(args: LoadBalancerArgs, opts: pulumi.CustomResourceOptions): LoadBalancer {
    const { env, tags } = args;
    const alb = new aws.lb.LoadBalancer(`${env}-alb`, {
        loadBalancerType: "application",
        internal: false,
        subnets: args.subnetIds,
        securityGroups: [args.securityGroupId],
        dropInvalidHeaderFields: true,
        tags,
    }, opts);
    const child = { ...opts, parent: alb };

    new aws.lb.Listener(`${env}-http`, {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{
            type: "redirect",
            redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
        }],
        tags,
    }, child);

    // Requests for hosts no app env claims get a plain 404, not a random env.
    const https = new aws.lb.Listener(`${env}-https`, {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificateArn: args.certificateArn,
        defaultActions: [{
            type: "fixed-response",
            fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "no such environment" },
        }],
        tags,
    }, child);

    return { alb, https };
}
