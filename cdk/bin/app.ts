// `npx cdk synth -c env=<env> [-c sandbox=true] [-c stacksDir=<dir>]` (from
// cdk/): the stack of one env, configured by <stacksDir>/<layer>/<env>.json
// (stacksDir: the repository's stacks/ unless stackpilot names another root's).
import { join } from "node:path";
import { addEnvStack } from "../src/envApp";
import { newApp } from "../src/synthesis";

const app = newApp();
const env = app.node.tryGetContext("env");
if (typeof env !== "string" || env === "") {
    throw new Error("name the env: cdk synth -c env=<env> (an env has stacks/base/<env>.json or stacks/app/<env>.json)");
}
const sandbox = app.node.tryGetContext("sandbox");
const stacksDir = app.node.tryGetContext("stacksDir");
const configRoot = typeof stacksDir === "string" && stacksDir !== "" ? stacksDir : join(__dirname, "..", "..", "stacks");
addEnvStack(app, configRoot, env, sandbox === true || sandbox === "true");
app.synth();
