//! Saved plans: what a reviewer approved, written to a file by a preview
//! (`preview --save-plan`, `update --dry-run --save-plan`) and checked
//! again by the run that applies it (`up --plan`, `update --plan`). A run
//! whose fresh plan differs from the approved one refuses before it writes
//! anything (exit 6, "changed since it was approved").
//!
//! A plan file never holds a secret value: changed values are kept as
//! SHA-256 digests of what the preview showed (secrets are already
//! `[secret]` there), and Pulumi's own plan, when it is embedded, carries
//! secrets encrypted by the stack's secrets provider, as its state does.

pub(crate) mod infra;
pub(crate) mod update;

use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

pub(crate) use crate::digest::sha256;

/// Bumped when a plan file's shape changes; an older or newer file is
/// refused rather than half-understood.
pub(crate) const FORMAT: u32 = 1;

/// The most a plan file may weigh: Pulumi's own plan of a large stack is a
/// few MiB.
const PLAN_CAP: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("could not read the plan {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: crate::input::InputError,
    },
    #[error("{} is not a stackpilot plan: {source}", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} is a plan of format {found}; this stackpilot reads format {FORMAT}: make the plan again with this version", .path.display())]
    Format { path: PathBuf, found: u32 },
    #[error("the plan {} is for {planned}, not for {asked}", .path.display())]
    OtherTarget {
        path: PathBuf,
        planned: String,
        asked: String,
    },
    #[error("could not write the plan {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not build the plan: {0}")]
    Encode(#[source] serde_json::Error),
}

/// The fingerprint of a value: SHA-256 of its canonical JSON (serde_json
/// writes struct fields in declaration order and maps sorted, so the same
/// value always gives the same text).
pub(crate) fn fingerprint<T: Serialize>(value: &T) -> Result<String, PlanError> {
    serde_json::to_vec(value).map(sha256).map_err(PlanError::Encode)
}

/// One row per key whose description differs between the approved plan
/// and now, or that only one side has; `absent` names a missing side
/// (approved, now), `subject` a key.
pub(crate) fn push_differences(
    out: &mut Vec<crate::outcome::PlanDifference>,
    approved: std::collections::BTreeMap<String, String>,
    now: std::collections::BTreeMap<String, String>,
    absent: (&str, &str),
    subject: impl Fn(&str) -> String,
) {
    let keys: std::collections::BTreeSet<&String> = approved.keys().chain(now.keys()).collect();
    for key in keys {
        let (a, n) = (approved.get(key), now.get(key));
        if a != n {
            out.push(crate::outcome::PlanDifference {
                subject: subject(key),
                approved: a.cloned().unwrap_or_else(|| absent.0.to_owned()),
                now: n.cloned().unwrap_or_else(|| absent.1.to_owned()),
            });
        }
    }
}

/// Writes a plan next to its final name, then renames it into place: a
/// reader never sees half a plan.
pub(crate) fn write<T: Serialize>(path: &Path, plan: &T) -> Result<(), PlanError> {
    let text = serde_json::to_string_pretty(plan).map_err(PlanError::Encode)?;
    let err = |source| PlanError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes()).map_err(err)?;
    file.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Reads a plan: size-capped and interruptible like every file named on
/// the command line, then its format checked before its fields.
pub(crate) fn read<T: DeserializeOwned>(path: &Path) -> Result<T, PlanError> {
    let text = crate::input::read_to_string(path, PLAN_CAP).map_err(|source| PlanError::Read {
        path: path.to_owned(),
        source,
    })?;
    #[derive(serde::Deserialize)]
    struct Header {
        format: u32,
    }
    let parse = |source| PlanError::Parse {
        path: path.to_owned(),
        source,
    };
    let header: Header = serde_json::from_str(&text).map_err(parse)?;
    if header.format != FORMAT {
        return Err(PlanError::Format {
            path: path.to_owned(),
            found: header.format,
        });
    }
    serde_json::from_str(&text).map_err(parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_of_another_format_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, r#"{"format": 99}"#).unwrap();
        let err = read::<serde_json::Value>(&path).unwrap_err();
        assert!(matches!(err, PlanError::Format { found: 99, .. }), "{err}");
    }

    #[test]
    fn write_then_read_gives_the_same_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let value = serde_json::json!({"format": FORMAT, "b": [1, 2]});
        write(&path, &value).unwrap();
        assert_eq!(read::<serde_json::Value>(&path).unwrap(), value);
    }
}
