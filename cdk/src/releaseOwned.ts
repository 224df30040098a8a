// The CDK's counterpart of the Pulumi program's `ignoreChanges: ["taskDefinition",
// "desiredCount"]` on every ECS service (pulumi/app/src/services.ts).
//
// CloudFormation has no per-property "ignore changes", and leaving a value
// constant in the template is not enough: whenever anything else about a
// service changes (a tag, a health check grace period), the AWS::ECS::Service
// handler sends the template's DesiredCount and TaskDefinition with its
// UpdateService call, which would scale the env back to 0 and roll it back to
// the `latest` revision CloudFormation registered. What the handler does
// leave alone is a property that is absent: for an existing service an
// omitted DesiredCount (and TaskDefinition) is omitted from UpdateService,
// and ECS keeps what `stackpilot update` set.
//
// So both properties are create-time only: the stack takes a parameter,
// `StackpilotPhase`, and each service's two properties are
// `Fn::If [Creating, <value>, AWS::NoValue]`. A CREATE change set passes
// `StackpilotPhase=create` (desired count 0, the first revision); every later
// UPDATE change set passes `update` (the default), which removes both from
// the template. The first update after creation therefore shows each service
// as modified once (the two properties go away); after that the services
// change only when their other properties do. The one template serves both
// phases, so a plan is still the template plus its parameters.
import { Aws, CfnCondition, CfnParameter, Fn, IAspect, Stack, Token } from "aws-cdk-lib";
import { CfnService } from "aws-cdk-lib/aws-ecs";
import { IConstruct } from "constructs";

export const PHASE_PARAMETER = "StackpilotPhase";
export const CREATING_CONDITION = "Creating";
export type Phase = "create" | "update";

/** Makes DesiredCount and TaskDefinition of every ECS service in the stack create-time only. */
export class ReleaseOwnedFields implements IAspect {
    private readonly creating: CfnCondition;

    constructor(stack: Stack) {
        const phase = new CfnParameter(stack, PHASE_PARAMETER, {
            type: "String",
            allowedValues: ["create", "update"],
            default: "update",
            description: "create: the change set creates the stack (services start at desired count 0 with the first task definition); update: any later change set (services keep what stackpilot update set)",
        });
        this.creating = new CfnCondition(stack, CREATING_CONDITION, { expression: Fn.conditionEquals(phase.valueAsString, "create") });
    }

    visit(node: IConstruct): void {
        if (!(node instanceof CfnService) || node.taskDefinition === undefined) return;
        const onlyWhenCreating = (value: unknown) => Fn.conditionIf(this.creating.logicalId, value, Aws.NO_VALUE);
        node.desiredCount = Token.asNumber(onlyWhenCreating(node.desiredCount ?? 0));
        node.taskDefinition = onlyWhenCreating(node.taskDefinition).toString();
    }
}
