// Builds the stack of one env from its live config: the whole CDK app for
// `cdk synth -c env=<env>`. Shared by bin/app.ts and the tests, so the tests
// synthesize exactly what the CLI does.
import { App, Stack } from "aws-cdk-lib";
import { AppStack } from "./appStack";
import { BaseStack } from "./baseStack";
import { loadEnvConfig } from "./config";

export function addEnvStack(app: App, stacksDir: string, env: string, forceSandbox = false): Stack {
    const config = loadEnvConfig(stacksDir, env, forceSandbox);
    if (config.layer === "base") return new BaseStack(app, config.settings, config.sandbox);
    const { settings } = config;
    // Checked here, from the base env's file, so a mismatch fails synth instead of a deploy.
    const base = loadEnvConfig(stacksDir, settings.baseEnv);
    if (base.layer !== "base") throw new Error(`baseEnv ${settings.baseEnv} of ${env} is an app env, not a base env`);
    if (base.settings.region !== settings.region) {
        throw new Error(`base env ${settings.baseEnv} is in ${base.settings.region} but app env ${env} is in ${settings.region}`);
    }
    return new AppStack(app, settings, config.sandbox);
}
