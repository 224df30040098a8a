// The outputs the base stack exports: the only interface the app stack sees.
// The app project imports this type, so a rename breaks its type check
// instead of a deploy. Plain types only (no Pulumi import), so the CDK app in
// cdk/ exports and imports exactly these keys too.

export interface BaseOutputs {
    env: string;
    region: string;
    vpcId: string;
    publicSubnetIds: string[];
    privateSubnetIds: string[];
    appSecurityGroupId: string;
    httpsListenerArn: string;
    loadBalancerDnsName: string;
    loadBalancerZoneId: string;
    domain: string;
    hostedZoneId: string;
    dbAddress: string;
    dbPort: number;
    dbUsername: string;
    dbSecretArn: string;
    redisAddress: string;
    redisPort: number;
    assetsBucketName: string;
    assetsBucketArn: string;
}

/** Every key the app stack may read, in a stable order (tests compare against it). */
export const BASE_OUTPUT_KEYS: readonly (keyof BaseOutputs)[] = [
    "env",
    "region",
    "vpcId",
    "publicSubnetIds",
    "privateSubnetIds",
    "appSecurityGroupId",
    "httpsListenerArn",
    "loadBalancerDnsName",
    "loadBalancerZoneId",
    "domain",
    "hostedZoneId",
    "dbAddress",
    "dbPort",
    "dbUsername",
    "dbSecretArn",
    "redisAddress",
    "redisPort",
    "assetsBucketName",
    "assetsBucketArn",
];
