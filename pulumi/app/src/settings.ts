// Reads and validates the app stack's configuration before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { AppSettings, appSettings } from "./settingRules";

export { AppSettings, ServiceSettings, TaskSize } from "./settingRules";

export function loadAppSettings(env: string): AppSettings {
    return appSettings(env, new pulumi.Config("aws").require("region"), new pulumi.Config());
}
