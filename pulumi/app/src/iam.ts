// IAM policy documents for the task and execution roles, as plain data so
// tests (and the program itself) can prove no statement grants "*" on "*".

export interface Statement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

const document = (statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/** Only ECS tasks may assume the roles. */
export function ecsTasksTrustPolicy(): object {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" } }],
    };
}

/** The ARN of an ECR repository from its URI, or undefined when the image lives elsewhere. */
export function ecrRepositoryArn(repositoryUri: string): string | undefined {
    const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/.exec(repositoryUri);
    if (!match) return undefined;
    const [, account, region, repository] = match;
    return `arn:aws:ecr:${region}:${account}:repository/${repository}`;
}

export interface ExecutionPolicyArgs {
    logGroupArns: string[];
    repositoryUris: string[];
    secretArns: string[];
}

/** What ECS itself needs to start a task: pull the image, read secrets, write logs. */
export function executionPolicy(args: ExecutionPolicyArgs): PolicyDocument {
    const repositories = args.repositoryUris.map(ecrRepositoryArn).filter((arn): arn is string => arn !== undefined);
    const statements: Statement[] = [
        {
            Sid: "WriteLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: args.logGroupArns.map((arn) => `${arn.replace(/:\*$/, "")}:log-stream:*`),
        },
        {
            Sid: "ReadSecrets",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: args.secretArns,
        },
    ];
    if (repositories.length > 0) {
        statements.push(
            {
                // GetAuthorizationToken has no resource type: "*" is the only value AWS accepts.
                Sid: "EcrLogin",
                Effect: "Allow",
                Action: ["ecr:GetAuthorizationToken"],
                Resource: ["*"],
            },
            {
                Sid: "PullImages",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                Resource: repositories,
            },
        );
    }
    return document(statements);
}

/** What the backend code may do: read and write its own prefix of the assets bucket. */
export function backendTaskPolicy(bucketArn: string, prefix: string): PolicyDocument {
    return document([
        {
            Sid: "ListOwnPrefix",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [bucketArn],
            Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
        },
        {
            Sid: "ReadWriteOwnPrefix",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            Resource: [`${bucketArn}/${prefix}*`],
        },
    ]);
}

function isWildcardAction(action: string): boolean {
    return action === "*" || action.endsWith(":*");
}

/** Statements that grant every action (of all services, or of one) on every resource. */
export function overbroadStatements(policy: PolicyDocument): Statement[] {
    return policy.Statement.filter((s) => s.Resource.includes("*") && s.Action.some(isWildcardAction));
}

/** Throws unless the policy is least-privilege in the sense this project checks. */
export function assertLeastPrivilege(name: string, policy: PolicyDocument): PolicyDocument {
    const bad = overbroadStatements(policy);
    if (bad.length > 0) {
        throw new Error(`${name}: statements ${bad.map((s) => s.Sid).join(", ")} grant wildcard actions on "*"`);
    }
    return policy;
}
