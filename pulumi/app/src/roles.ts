// The execution role (ECS starting tasks) and the backend task role (the
// Django/celery code calling AWS). The front end gets no task role: it never
// calls AWS. Policies are inline and scoped to this env's resources.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assertLeastPrivilege, backendTaskPolicy, ecsTasksTrustPolicy, executionPolicy } from "./iam";

export interface RoleArgs {
    env: string;
    logGroupArns: pulumi.Output<string>[];
    repositoryUris: string[];
    dbSecretArn: pulumi.Input<string>;
    assetsBucketArn: pulumi.Input<string>;
    assetsPrefix: string;
    tags: Record<string, string>;
}

export interface Roles {
    execution: aws.iam.Role;
    backendTask: aws.iam.Role;
}

function role(name: string, description: string, policy: pulumi.Input<string>, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.iam.Role {
    const created = new aws.iam.Role(name, {
        description,
        assumeRolePolicy: JSON.stringify(ecsTasksTrustPolicy()),
        tags,
    }, opts);
    new aws.iam.RolePolicy(name, { role: created.id, policy }, { ...opts, parent: created });
    return created;
}

export function createRoles(args: RoleArgs, opts: pulumi.CustomResourceOptions): Roles {
    const { env, tags } = args;
    const executionDoc = pulumi
        .all([pulumi.all(args.logGroupArns), args.dbSecretArn])
        .apply(([logGroupArns, secretArn]) =>
            JSON.stringify(assertLeastPrivilege(`${env}-execution`, executionPolicy({
                logGroupArns,
                repositoryUris: args.repositoryUris,
                secretArns: [secretArn],
            }))));
    const taskDoc = pulumi
        .output(args.assetsBucketArn)
        .apply((bucketArn) => JSON.stringify(assertLeastPrivilege(`${env}-backend-task`, backendTaskPolicy(bucketArn, args.assetsPrefix))));
    return {
        execution: role(`${env}-execution`, `${env}: ECS pulls images, reads the DB secret, writes logs`, executionDoc, tags, opts),
        backendTask: role(`${env}-backend-task`, `${env}: backend code reads and writes its assets prefix`, taskDoc, tags, opts),
    };
}
