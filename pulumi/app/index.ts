// Pulumi entry point of the app project: stack name = env name. The one
// output, `deploy`, is what `stackpilot update` reads (docs/deploy-contract.md).
import * as pulumi from "@pulumi/pulumi";
import { createApp } from "./src/program";
import { loadAppSettings } from "./src/settings";

export const deploy = createApp(loadAppSettings(pulumi.getStack())).deploy;
