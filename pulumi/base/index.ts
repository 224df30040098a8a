// Pulumi entry point of the base project: stack name = env name.
import * as pulumi from "@pulumi/pulumi";
import { createBase } from "./src/program";
import { loadBaseSettings } from "./src/settings";

const outputs = createBase(loadBaseSettings(pulumi.getStack()));

export const env = outputs.env;
export const region = outputs.region;
export const vpcId = outputs.vpcId;
export const publicSubnetIds = outputs.publicSubnetIds;
export const privateSubnetIds = outputs.privateSubnetIds;
export const appSecurityGroupId = outputs.appSecurityGroupId;
export const httpsListenerArn = outputs.httpsListenerArn;
export const loadBalancerDnsName = outputs.loadBalancerDnsName;
export const loadBalancerZoneId = outputs.loadBalancerZoneId;
export const domain = outputs.domain;
export const hostedZoneId = outputs.hostedZoneId;
export const dbAddress = outputs.dbAddress;
export const dbPort = outputs.dbPort;
export const dbUsername = outputs.dbUsername;
export const dbSecretArn = outputs.dbSecretArn;
export const redisAddress = outputs.redisAddress;
export const redisPort = outputs.redisPort;
export const assetsBucketName = outputs.assetsBucketName;
export const assetsBucketArn = outputs.assetsBucketArn;
