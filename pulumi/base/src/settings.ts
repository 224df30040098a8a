// Reads and validates the base stack's configuration before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { BaseSettings, baseSettings } from "./settingRules";

export { BaseSettings, CacheSettings, DatabaseSettings } from "./settingRules";

export function loadBaseSettings(env: string): BaseSettings {
    return baseSettings(env, new pulumi.Config("aws").require("region"), new pulumi.Config());
}
