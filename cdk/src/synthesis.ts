// How every stack is synthesized: templates that plain CloudFormation can
// create in any account (and in the local sandbox) without `cdk bootstrap`.
// BootstraplessSynthesizer adds no BootstrapVersion parameter or rule and
// expects no assets; analyticsReporting off drops the CDK Metadata resource.
// The stacks use L1 (Cfn*) resources only, so no construct slips in a
// Lambda-backed custom resource or a file asset.
import { App, BootstraplessSynthesizer, StackProps } from "aws-cdk-lib";
import { Layer } from "./config";

export function stackName(env: string, layer: Layer): string {
    return `${env}-${layer}`;
}

export function stackProps(env: string, layer: Layer, region: string): StackProps {
    return {
        stackName: stackName(env, layer),
        description: `stackpilot ${layer} env ${env}`,
        // The account stays the deploying credentials' own: the template never names one.
        env: { region },
        synthesizer: new BootstraplessSynthesizer(),
        analyticsReporting: false,
    };
}

/** The export a base env publishes one of its outputs under; region-wide names, so prefixed by the stack. */
export function exportName(baseEnv: string, key: string): string {
    return `${stackName(baseEnv, "base")}:${key}`;
}

/** The app, with the settings of cdk.json that shape templates repeated for tests that synthesize without the CLI. */
export function newApp(outdir?: string): App {
    return new App({
        analyticsReporting: false,
        context: { "aws:cdk:enable-path-metadata": false, "aws:cdk:enable-asset-metadata": false },
        ...(outdir ? { outdir } : {}),
    });
}
