// Runs the app program for one env under mocks, with the env's real stack
// file and a base stack whose outputs are typed by the base project itself.
import { BaseOutputs } from "../../base/src/outputs";
import { MockRun, settle, stackConfig, startMocks, valueOf } from "../../base/test/harness";
import { DeployContract } from "../src/contract";
import { baseStackReference } from "../src/naming";
import { createApp } from "../src/program";
import { loadAppSettings } from "../src/settings";

export const FAKE_BASE: BaseOutputs = {
    env: "dev",
    region: "us-east-1",
    vpcId: "vpc-1",
    publicSubnetIds: ["subnet-0a0a0a0a0a0a0a0a1", "subnet-0a0a0a0a0a0a0a0a2"],
    privateSubnetIds: ["subnet-0b0b0b0b0b0b0b0b1", "subnet-0b0b0b0b0b0b0b0b2"],
    appSecurityGroupId: "sg-0c0c0c0c0c0c0c0c1",
    httpsListenerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/dev-alb/1/2",
    loadBalancerDnsName: "dev-alb-1.us-east-1.elb.amazonaws.com",
    loadBalancerZoneId: "Z35SXDOTRQ7X7K",
    domain: "dev.ublog.example.com",
    hostedZoneId: "Z0123456789EXAMPLE",
    dbAddress: "dev-db.abc.us-east-1.rds.amazonaws.com",
    dbPort: 5432,
    dbUsername: "ublog",
    dbSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-db-AbCdEf",
    redisAddress: "master.dev-cache.abc.use1.cache.amazonaws.com",
    redisPort: 6379,
    assetsBucketName: "dev-assets-123",
    assetsBucketArn: "arn:aws:s3:::dev-assets-123",
};

export interface AppRun {
    run: MockRun;
    deploy: DeployContract;
}

export async function runApp(env: string, overrides: Record<string, string> = {}): Promise<AppRun> {
    const run = await startMocks("stackpilot-app", env, { ...stackConfig("app", env), ...overrides }, {
        [baseStackReference("dev")]: { ...FAKE_BASE },
    });
    let settings;
    try {
        settings = loadAppSettings(env);
    } finally {
        // Let the root component finish registering before the next test resets the mocks.
        await settle();
    }
    const app = createApp(settings, { parent: run.root });
    const deploy = await valueOf(app.deploy);
    await settle();
    return { run, deploy };
}

/** The parsed container definitions of every task definition, by family. */
export function containerDefinitions(run: MockRun): Map<string, any[]> {
    return new Map(run.ofType("aws:ecs/taskDefinition:TaskDefinition").map((t) => [t.inputs.family, JSON.parse(t.inputs.containerDefinitions)]));
}
