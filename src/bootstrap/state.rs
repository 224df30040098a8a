//! What the state bucket holds, asked before the bootstrap stack may go:
//! a versioned bucket is empty only when no version and no delete marker
//! is left, and CloudFormation cannot delete one that is not.

use aws_sdk_s3::Client;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("could not list the state bucket `{bucket}`: {message}")]
    List { bucket: String, message: String },
}

/// Up to `sample` keys the bucket holds (any version), and whether there
/// are more than that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub keys: Vec<String>,
    pub more: bool,
}

impl Contents {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

pub async fn contents(client: &Client, bucket: &str, sample: i32) -> Result<Contents, StateError> {
    let answer = client
        .list_object_versions()
        .bucket(bucket)
        .max_keys(sample)
        .send()
        .await
        .map_err(|e| StateError::List {
            bucket: bucket.to_owned(),
            message: crate::aws::call_failure(&e),
        })?;
    let mut keys: Vec<String> = answer
        .versions()
        .iter()
        .filter_map(|v| v.key())
        .chain(answer.delete_markers().iter().filter_map(|m| m.key()))
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys.dedup();
    Ok(Contents {
        keys,
        more: answer.is_truncated().unwrap_or(false),
    })
}
