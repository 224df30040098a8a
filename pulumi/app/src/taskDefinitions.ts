// One Fargate task definition per container. These are only the first
// revisions: `stackpilot update` registers new ones with the release tag, and
// the services ignore `taskDefinition` so a later `up` never rolls them back.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ContainerArgs, containerDefinition } from "./containers";
import { TaskSize } from "./settings";

export interface TaskDefinitionArgs {
    family: string;
    size: TaskSize;
    container: pulumi.Input<ContainerArgs>;
    executionRoleArn: pulumi.Input<string>;
    taskRoleArn?: pulumi.Input<string>;
    tags: Record<string, string>;
}

export function createTaskDefinition(args: TaskDefinitionArgs, opts: pulumi.CustomResourceOptions): aws.ecs.TaskDefinition {
    return new aws.ecs.TaskDefinition(args.family, {
        family: args.family,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.size.cpu),
        memory: String(args.size.memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: args.executionRoleArn,
        taskRoleArn: args.taskRoleArn,
        containerDefinitions: pulumi.output(args.container).apply((c) => JSON.stringify([containerDefinition(c as ContainerArgs)])),
        tags: args.tags,
    }, opts);
}
