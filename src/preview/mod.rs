//! What `pulumi preview --json` says, as types, and the change set we derive
//! from it for reports.

mod changes;
mod model;
mod property_path;
pub mod synthetic;
pub mod value;

pub use changes::{
    is_tooling_notice, ChangeKind, ChangeSet, DiagnosticLine, DiffKind, OpCount, OutputChange, PropertyChange,
    ResourceChange,
};
pub use model::{DiagnosticSeverity, PreviewDigest, PreviewStep, PropertyDiff, ResourceState, UrnParts};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("`pulumi preview --json` printed nothing on stdout")]
    Empty,
    #[error("could not read the preview JSON (at line {line}, column {column})", line = .source.line(), column = .source.column())]
    Json {
        #[source]
        source: serde_json::Error,
    },
}

/// Parses a preview digest and blinds every secret in it.
pub fn parse(json: &str) -> Result<PreviewDigest, PreviewError> {
    if json.trim().is_empty() {
        return Err(PreviewError::Empty);
    }
    let mut digest: PreviewDigest = serde_json::from_str(json).map_err(|source| PreviewError::Json { source })?;
    digest.blind_secrets();
    Ok(digest)
}
