// Reads the base env's outputs through a stack reference. Every key is
// required: a base stack that lacks one fails the preview with its name.
import * as pulumi from "@pulumi/pulumi";
import { BASE_OUTPUT_KEYS, BaseOutputs } from "../../base/src/outputs";
import { baseStackReference } from "./naming";

export function readBase(baseEnv: string, opts: pulumi.CustomResourceOptions): pulumi.Output<BaseOutputs> {
    const reference = new pulumi.StackReference("base", { name: baseStackReference(baseEnv) }, opts);
    const values: Record<string, pulumi.Output<unknown>> = {};
    for (const key of BASE_OUTPUT_KEYS) {
        values[key] = reference.requireOutput(key);
    }
    return pulumi.all(values) as unknown as pulumi.Output<BaseOutputs>;
}
