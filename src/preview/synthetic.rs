//! A synthetic preview digest of any size, shaped like what `pulumi preview
//! --json` prints for a large AWS stack. Used by the benchmark and by the
//! tests that check the summary's size limit.

use serde_json::{json, Value};

/// A digest with `resources` changed resources: a mix of creates, updates
/// with detailed diffs, replacements and deletes, plus one diagnostic.
pub fn digest(resources: usize) -> Value {
    let mut steps = Vec::with_capacity(resources + 1);
    steps.push(json!({
        "op": "same",
        "urn": "urn:pulumi:prod::big::pulumi:pulumi:Stack::big-prod",
        "oldState": {"type": "pulumi:pulumi:Stack", "outputs": {"url": "https://old.example"}},
        "newState": {"type": "pulumi:pulumi:Stack", "outputs": {"url": "https://new.example"}}
    }));
    for i in 0..resources {
        let urn = format!("urn:pulumi:prod::big::aws:s3/bucketV2:BucketV2::bucket-{i:05}");
        let old_inputs = json!({"bucket": format!("bucket-{i:05}"), "tags": {"env": "prod", "owner": "team-a"}, "forceDestroy": false});
        let new_inputs = json!({"bucket": format!("bucket-{i:05}"), "tags": {"env": "prod", "owner": "team-b"}, "forceDestroy": true});
        let step = match i % 4 {
            0 => {
                json!({"op": "create", "urn": urn, "newState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": new_inputs}})
            }
            1 => json!({
                "op": "update", "urn": urn,
                "oldState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": old_inputs, "outputs": old_inputs},
                "newState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": new_inputs},
                "diffReasons": ["tags", "forceDestroy"],
                "detailedDiff": {"tags.owner": {"kind": "update", "inputDiff": false}, "forceDestroy": {"kind": "update", "inputDiff": false}}
            }),
            2 => json!({
                "op": "replace", "urn": urn,
                "oldState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": old_inputs, "outputs": old_inputs},
                "newState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": new_inputs},
                "diffReasons": ["bucket"], "replaceReasons": ["bucket"],
                "detailedDiff": {"bucket": {"kind": "update-replace", "inputDiff": false}}
            }),
            _ => {
                json!({"op": "delete", "urn": urn, "oldState": {"type": "aws:s3/bucketV2:BucketV2", "inputs": old_inputs, "outputs": old_inputs}})
            }
        };
        steps.push(step);
    }
    let quarter = resources / 4;
    json!({
        "steps": steps,
        "diagnostics": [{"urn": "urn:pulumi:prod::big::aws:s3/bucketV2:BucketV2::bucket-00001", "message": "deprecated argument", "severity": "warning"}],
        "duration": 12_000_000_000_i64,
        "changeSummary": {"create": resources - 3 * quarter, "update": quarter, "replace": quarter, "delete": quarter, "same": 1}
    })
}
