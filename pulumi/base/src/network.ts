// The VPC: two AZs, public subnets for the load balancer and the NAT gateway,
// private subnets for tasks, the database and the cache. One NAT gateway keeps
// a dev base cheap; tasks lose egress if its AZ fails, which dev accepts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetLayout } from "./subnets";

export interface Network {
    vpc: aws.ec2.Vpc;
    publicSubnets: aws.ec2.Subnet[];
    privateSubnets: aws.ec2.Subnet[];
}

export interface NetworkArgs {
    env: string;
    cidr: string;
    zones: string[];
    tags: Record<string, string>;
}

export function createNetwork(args: NetworkArgs, opts: pulumi.CustomResourceOptions): Network {
    const { env, tags } = args;
    const named = (name: string) => ({ ...tags, Name: `${env}-${name}` });
    const layout = subnetLayout(args.cidr, args.zones.length);

    const vpc = new aws.ec2.Vpc(`${env}-vpc`, {
        cidrBlock: args.cidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: named("vpc"),
    }, opts);
    const child = { ...opts, parent: vpc };

    // One route table per tier; each subnet of the tier is associated with it.
    const tier = (kind: "public" | "private", cidrs: string[], routes: aws.ec2.RouteTable) =>
        args.zones.map((zone, i) => {
            const subnet = new aws.ec2.Subnet(`${env}-${kind}-${i}`, {
                vpcId: vpc.id,
                availabilityZone: zone,
                cidrBlock: cidrs[i],
                mapPublicIpOnLaunch: false,
                tags: named(`${kind}-${i}`),
            }, child);
            new aws.ec2.RouteTableAssociation(`${env}-${kind}-${i}`, {
                subnetId: subnet.id,
                routeTableId: routes.id,
            }, { ...opts, parent: subnet });
            return subnet;
        });

    const gateway = new aws.ec2.InternetGateway(`${env}-igw`, { vpcId: vpc.id, tags: named("igw") }, child);
    const publicSubnets = tier("public", layout.public, new aws.ec2.RouteTable(`${env}-public`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }],
        tags: named("public"),
    }, child));

    const natAddress = new aws.ec2.Eip(`${env}-nat`, { domain: "vpc", tags: named("nat") }, child);
    const nat = new aws.ec2.NatGateway(`${env}-nat`, {
        allocationId: natAddress.id,
        subnetId: publicSubnets[0].id,
        tags: named("nat"),
    }, { ...child, dependsOn: [gateway] });
    const privateSubnets = tier("private", layout.private, new aws.ec2.RouteTable(`${env}-private`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
        tags: named("private"),
    }, child));

    return { vpc, publicSubnets, privateSubnets };
}
