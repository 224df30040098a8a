// The services' task definition and desired count belong to `stackpilot update`
// after creation: a CREATE change set sets them, every later one leaves them out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SERVICES } from "../../pulumi/app/src/catalog";
import { CREATING_CONDITION, PHASE_PARAMETER } from "../src/releaseOwned";
import { evaluate, Json, resourcesOfType, synth } from "./cfn";

for (const env of ["alpha", "beta"]) {
    const template = synth(env);
    const services = Object.values(resourcesOfType(template, "AWS::ECS::Service"));

    test(`${env}: every service is covered`, () => {
        assert.equal(services.length, SERVICES.length);
        assert.deepEqual(template.Parameters[PHASE_PARAMETER].AllowedValues, ["create", "update"]);
        // A change set that forgets the parameter must not reset anything.
        assert.equal(template.Parameters[PHASE_PARAMETER].Default, "update");
        assert.deepEqual(template.Conditions[CREATING_CONDITION], { "Fn::Equals": [{ Ref: PHASE_PARAMETER }, "create"] });
    });

    test(`${env}: creating starts every service at 0 with its own first task definition`, () => {
        const tasks = resourcesOfType(template, "AWS::ECS::TaskDefinition");
        for (const service of services) {
            const props = evaluate(service.Properties, { conditions: { [CREATING_CONDITION]: true } });
            assert.equal(props.DesiredCount, 0);
            const task: Json = tasks[props.TaskDefinition.Ref];
            assert.ok(task, `${props.ServiceName}: TaskDefinition is a Ref to a task definition of this stack`);
            assert.equal(task.Properties.Family, props.ServiceName);
        }
    });

    test(`${env}: updating leaves every service's task definition and desired count alone`, () => {
        for (const service of services) {
            const props = evaluate(service.Properties, { conditions: { [CREATING_CONDITION]: false } });
            assert.equal("DesiredCount" in props, false, props.ServiceName);
            assert.equal("TaskDefinition" in props, false, props.ServiceName);
            // Everything else is still managed by the stack.
            assert.equal(props.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback, true);
            assert.ok(props.NetworkConfiguration);
        }
    });
}
