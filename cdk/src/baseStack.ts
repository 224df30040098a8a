// One base env as a CloudFormation stack, mirroring pulumi/base: VPC, security
// groups, load balancer, PostgreSQL, Redis, assets bucket. Every key of
// BaseOutputs (the interface the app layer reads) becomes an output exported
// as `<env>-base:<key>`; lists are comma-joined.
//
// Sandbox path (`sandbox: true`): moto's CloudFormation skips or cannot build
// some resources; they are left out and their outputs become placeholders
// (see cdk/README.md, "The sandbox path").
import { CfnDeletionPolicy, CfnOutput, Fn, Stack, Tags, Validations } from "aws-cdk-lib";
import { CfnInternetGateway, CfnEIP, CfnNatGateway, CfnRoute, CfnRouteTable, CfnSecurityGroup, CfnSecurityGroupIngress, CfnSubnet, CfnSubnetRouteTableAssociation, CfnVPC, CfnVPCGatewayAttachment } from "aws-cdk-lib/aws-ec2";
import { CfnReplicationGroup, CfnSubnetGroup } from "aws-cdk-lib/aws-elasticache";
import { CfnListener, CfnLoadBalancer } from "aws-cdk-lib/aws-elasticloadbalancingv2";
import { CfnDBInstance, CfnDBParameterGroup, CfnDBSubnetGroup } from "aws-cdk-lib/aws-rds";
import { CfnBucket } from "aws-cdk-lib/aws-s3";
import { CfnSecret, CfnSecretTargetAttachment } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { envTags } from "../../pulumi/base/src/envName";
import { BASE_OUTPUT_KEYS, BaseOutputs } from "../../pulumi/base/src/outputs";
import { BaseSettings, postgresFamily } from "../../pulumi/base/src/settingRules";
import { subnetLayout } from "../../pulumi/base/src/subnets";
import { exportName, stackProps } from "./synthesis";

const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;

/** Values that stand in, in the sandbox, for resources it leaves out. */
export const SANDBOX_PLACEHOLDERS = {
    redisAddress: "redis.sandbox.invalid",
    dbSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox-db",
    dbPassword: "sandbox-only-password",
};

type OutputValues = { [K in keyof BaseOutputs]: string };

export class BaseStack extends Stack {
    constructor(scope: Construct, settings: BaseSettings, readonly sandbox: boolean) {
        super(scope, `${settings.env}-base`, stackProps(settings.env, "base", settings.region));
        const { env } = settings;
        for (const [key, value] of Object.entries(envTags(env, "base"))) Tags.of(this).add(key, value);
        const named = (name: string) => [{ key: "Name", value: `${env}-${name}` }];

        // Network: one route table per tier, one NAT gateway (dev accepts losing egress with its AZ).
        const layout = subnetLayout(settings.vpcCidr, settings.availabilityZones.length);
        Validations.of(this).acknowledge({
            id: "CloudFormation-Validate::W3010",
            reason: "zones are named in config, not looked up, so subnets never move",
        });
        if (sandbox) {
            Validations.of(this).acknowledge({ id: "CloudFormation-Validate::W2501", reason: "the sandbox database's password is a placeholder" });
        }
        const vpc = new CfnVPC(this, "Vpc", { cidrBlock: settings.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: named("vpc") });
        const gateway = new CfnInternetGateway(this, "InternetGateway", { tags: named("igw") });
        const attachment = new CfnVPCGatewayAttachment(this, "InternetGatewayAttachment", { vpcId: vpc.ref, internetGatewayId: gateway.ref });
        const tier = (kind: "Public" | "Private", cidrs: string[]) => {
            const routes = new CfnRouteTable(this, `${kind}Routes`, { vpcId: vpc.ref, tags: named(kind.toLowerCase()) });
            const subnets = settings.availabilityZones.map((zone, i) => {
                const subnet = new CfnSubnet(this, `${kind}Subnet${i}`, {
                    vpcId: vpc.ref, availabilityZone: zone, cidrBlock: cidrs[i], mapPublicIpOnLaunch: false,
                    tags: named(`${kind.toLowerCase()}-${i}`),
                });
                new CfnSubnetRouteTableAssociation(this, `${kind}Subnet${i}Routes`, { subnetId: subnet.ref, routeTableId: routes.ref });
                return subnet;
            });
            return { routes, subnets };
        };
        const publicTier = tier("Public", layout.public);
        new CfnRoute(this, "PublicDefaultRoute", { routeTableId: publicTier.routes.ref, destinationCidrBlock: "0.0.0.0/0", gatewayId: gateway.ref })
            .addResourceDependency(attachment);
        const natAddress = new CfnEIP(this, "NatAddress", { domain: "vpc", tags: named("nat") });
        const nat = new CfnNatGateway(this, "NatGateway", { allocationId: natAddress.attrAllocationId, subnetId: publicTier.subnets[0].ref, tags: named("nat") });
        nat.addResourceDependency(attachment);
        const privateTier = tier("Private", layout.private);
        new CfnRoute(this, "PrivateDefaultRoute", { routeTableId: privateTier.routes.ref, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.ref });

        // Security groups chained by reference: internet → load balancer → tasks → data stores.
        // An egress list that matches nothing replaces CloudFormation's default allow-all egress
        // (the same trick CDK's allowAllOutbound: false uses): the data stores reach nothing.
        const noEgress = [{ ipProtocol: "icmp", cidrIp: "255.255.255.255/32", fromPort: 252, toPort: 86, description: "no egress" }];
        const group = (id: string, name: string, description: string, egress: CfnSecurityGroup.EgressProperty[]) =>
            new CfnSecurityGroup(this, id, { vpcId: vpc.ref, groupDescription: description, securityGroupEgress: egress, tags: named(name) });
        const app = group("AppSecurityGroup", "app", "ECS tasks: app ports from the load balancer",
            [{ ipProtocol: "-1", cidrIp: "0.0.0.0/0", description: "images, secrets and AWS APIs through the NAT gateway" }]);
        const lb = group("LoadBalancerSecurityGroup", "lb", "load balancer: HTTP and HTTPS from anywhere",
            settings.appPorts.map((port) => ({ ipProtocol: "tcp", fromPort: port, toPort: port, destinationSecurityGroupId: app.attrGroupId })));
        const db = group("DatabaseSecurityGroup", "db", "PostgreSQL: from app tasks only", noEgress);
        const cache = group("CacheSecurityGroup", "cache", "Redis: from app tasks only", noEgress);
        const ingress = (id: string, to: CfnSecurityGroup, port: number, from: { cidrIp: string } | { sourceSecurityGroupId: string }) =>
            new CfnSecurityGroupIngress(this, id, { groupId: to.attrGroupId, ipProtocol: "tcp", fromPort: port, toPort: port, ...from });
        ingress("LoadBalancerHttp", lb, 80, { cidrIp: "0.0.0.0/0" });
        ingress("LoadBalancerHttps", lb, 443, { cidrIp: "0.0.0.0/0" });
        for (const port of settings.appPorts) ingress(`AppFromLoadBalancer${port}`, app, port, { sourceSecurityGroupId: lb.attrGroupId });
        ingress("DatabaseFromApp", db, POSTGRES_PORT, { sourceSecurityGroupId: app.attrGroupId });
        ingress("CacheFromApp", cache, REDIS_PORT, { sourceSecurityGroupId: app.attrGroupId });

        // Load balancer: redirects to HTTPS; hosts no app env claims get a plain 404.
        const alb = new CfnLoadBalancer(this, "LoadBalancer", {
            type: "application", scheme: "internet-facing",
            subnets: publicTier.subnets.map((s) => s.ref), securityGroups: [lb.attrGroupId],
            loadBalancerAttributes: [{ key: "routing.http.drop_invalid_header_fields.enabled", value: "true" }],
        });
        alb.addResourceDependency(attachment);
        new CfnListener(this, "HttpListener", {
            loadBalancerArn: alb.ref, port: 80, protocol: "HTTP",
            defaultActions: [{ type: "redirect", redirectConfig: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        });
        // The sandbox has no ACM certificate to terminate TLS with: there the port-443
        // listener speaks plain HTTP, and the app envs' rules attach to it all the same.
        const https = new CfnListener(this, "HttpsListener", {
            loadBalancerArn: alb.ref, port: 443,
            ...(sandbox
                ? { protocol: "HTTP" }
                : { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificates: [{ certificateArn: settings.certificateArn }] }),
            defaultActions: [{ type: "fixed-response", fixedResponseConfig: { contentType: "text/plain", statusCode: "404", messageBody: "no such environment" } }],
        });

        // PostgreSQL. The master password is generated into the secret and resolved by
        // CloudFormation at deploy time; it never appears in the template.
        const database = settings.database;
        const privateSubnetIds = privateTier.subnets.map((s) => s.ref);
        const secret = sandbox ? undefined : new CfnSecret(this, "DatabaseSecret", {
            description: `${env}: PostgreSQL master credentials (JSON: username, password, host, port)`,
            generateSecretString: {
                secretStringTemplate: JSON.stringify({ username: database.username }),
                generateStringKey: "password",
                passwordLength: 32,
                // RDS refuses '/', '@', '"' and spaces in master passwords.
                excludeCharacters: "/@\"' \\`",
            },
        });
        const dbSubnets = new CfnDBSubnetGroup(this, "DatabaseSubnets", { dbSubnetGroupDescription: `${env}: private subnets`, subnetIds: privateSubnetIds });
        // moto passes a Ref to a DBParameterGroup to the instance as an object, not a
        // name, and fails: the sandbox's instance keeps the default group.
        const parameters = sandbox ? undefined : new CfnDBParameterGroup(this, "DatabaseParameters", {
            family: postgresFamily(database.engineVersion),
            description: `${env}: PostgreSQL with TLS required`,
            parameters: { "rds.force_ssl": "1" },
        });
        const instance = new CfnDBInstance(this, "Database", {
            engine: "postgres",
            engineVersion: database.engineVersion,
            dbInstanceClass: database.instanceClass,
            allocatedStorage: String(database.allocatedStorage),
            storageEncrypted: true,
            masterUsername: database.username,
            masterUserPassword: secret
                ? Fn.join("", ["{{resolve:secretsmanager:", secret.ref, ":SecretString:password}}"])
                : SANDBOX_PLACEHOLDERS.dbPassword, // sandbox only: moto has no dynamic references
            port: String(POSTGRES_PORT),
            dbSubnetGroupName: dbSubnets.ref,
            dbParameterGroupName: parameters?.ref,
            vpcSecurityGroups: [db.attrGroupId],
            publiclyAccessible: false,
            multiAz: database.multiAz,
            backupRetentionPeriod: database.backupRetentionDays,
            deletionProtection: database.deletionProtection,
            copyTagsToSnapshot: true,
        });
        // Deletion protection also keeps a final snapshot, as the Pulumi program does.
        if (database.deletionProtection) {
            instance.cfnOptions.deletionPolicy = CfnDeletionPolicy.SNAPSHOT;
            instance.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.SNAPSHOT;
        }
        if (secret) {
            // Adds host, port and engine to the secret once the instance exists.
            new CfnSecretTargetAttachment(this, "DatabaseSecretTarget", { secretId: secret.ref, targetId: instance.ref, targetType: "AWS::RDS::DBInstance" });
        }

        // Redis: app envs keep apart by database number.
        const redis = sandbox ? undefined : (() => {
            const subnets = new CfnSubnetGroup(this, "CacheSubnets", { description: `${env}: private subnets`, subnetIds: privateSubnetIds });
            return new CfnReplicationGroup(this, "Cache", {
                replicationGroupDescription: `${env}: Redis for celery and the Django cache`,
                engine: "redis",
                engineVersion: settings.cache.engineVersion,
                cacheNodeType: settings.cache.nodeType,
                numCacheClusters: 1,
                port: REDIS_PORT,
                cacheSubnetGroupName: subnets.ref,
                securityGroupIds: [cache.attrGroupId],
                atRestEncryptionEnabled: true,
                transitEncryptionEnabled: true,
            });
        })();

        // Assets: private, owner-enforced, encrypted; CloudFormation names it (names are global).
        const bucket = new CfnBucket(this, "Assets", {
            publicAccessBlockConfiguration: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            ownershipControls: { rules: [{ objectOwnership: "BucketOwnerEnforced" }] },
            bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        });

        const outputs: OutputValues = {
            env,
            region: settings.region,
            vpcId: vpc.ref,
            publicSubnetIds: Fn.join(",", publicTier.subnets.map((s) => s.ref)),
            privateSubnetIds: Fn.join(",", privateSubnetIds),
            appSecurityGroupId: app.attrGroupId,
            httpsListenerArn: https.ref,
            loadBalancerDnsName: alb.attrDnsName,
            loadBalancerZoneId: alb.attrCanonicalHostedZoneId,
            domain: settings.domain,
            hostedZoneId: settings.hostedZoneId,
            dbAddress: instance.attrEndpointAddress,
            dbPort: instance.attrEndpointPort,
            dbUsername: database.username,
            dbSecretArn: secret ? secret.ref : SANDBOX_PLACEHOLDERS.dbSecretArn,
            redisAddress: redis ? redis.attrPrimaryEndPointAddress : SANDBOX_PLACEHOLDERS.redisAddress,
            redisPort: redis ? redis.attrPrimaryEndPointPort : String(REDIS_PORT),
            assetsBucketName: bucket.ref,
            assetsBucketArn: bucket.attrArn,
        };
        for (const key of BASE_OUTPUT_KEYS) {
            new CfnOutput(this, key, { value: outputs[key], exportName: exportName(env, key) });
        }
    }
}
