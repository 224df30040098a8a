// `npx cdk synth -c env=<env> [-c sandbox=true]` (from cdk/): the stack of one
// env, configured by stacks/<layer>/<env>.json.
import { join } from "node:path";
import { addEnvStack } from "../src/envApp";
import { newApp } from "../src/synthesis";

const app = newApp();
const env = app.node.tryGetContext("env");
if (typeof env !== "string" || env === "") {
    throw new Error("name the env: cdk synth -c env=<env> (an env has stacks/base/<env>.json or stacks/app/<env>.json)");
}
const sandbox = app.node.tryGetContext("sandbox");
addEnvStack(app, join(__dirname, "..", "..", "stacks"), env, sandbox === true || sandbox === "true");
app.synth();
