// The assets bucket (static files and uploads). Nothing in it is public: the
// front end and Django serve it through signed URLs or a CDN added later.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export function createAssetsBucket(env: string, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.s3.Bucket {
    // A prefix, not a fixed name: bucket names are global across all accounts.
    const bucket = new aws.s3.Bucket(`${env}-assets`, { bucketPrefix: `${env}-assets-`, tags }, opts);
    const child = { ...opts, parent: bucket };
    new aws.s3.BucketPublicAccessBlock(`${env}-assets`, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    }, child);
    new aws.s3.BucketOwnershipControls(`${env}-assets`, {
        bucket: bucket.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
    }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${env}-assets`, {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, child);
    return bucket;
}
