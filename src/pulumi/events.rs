//! Pulumi's engine event log (`--event-log`): one JSON object per line. We
//! read only the summary event, which carries the duration and the counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::preview::ChangeKind;

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("could not read Pulumi's event log {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplySummary {
    pub duration_secs: Option<f64>,
    /// Resources changed, by what happened to them.
    pub counts: BTreeMap<ChangeKind, i64>,
    /// Resources left as they were (Pulumi's `same`).
    pub unchanged: i64,
}

impl ApplySummary {
    /// Pulumi counts by operation name; names that mean the same change
    /// (`create-replacement`, `replace`) add up.
    fn from_operations(duration_secs: Option<f64>, operations: BTreeMap<String, i64>) -> Self {
        let mut summary = ApplySummary {
            duration_secs,
            ..ApplySummary::default()
        };
        for (op, n) in operations {
            match ChangeKind::from_op(&op) {
                Some(kind) => *summary.counts.entry(kind).or_default() += n,
                None => summary.unchanged += n,
            }
        }
        summary
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    summary_event: Option<SummaryEvent>,
    #[serde(default)]
    res_outputs_event: Option<ResOutputsEvent>,
}

#[derive(Deserialize)]
struct ResOutputsEvent {
    metadata: StepMetadata,
}

#[derive(Deserialize)]
struct StepMetadata {
    #[serde(default, rename = "type")]
    type_token: String,
    #[serde(default)]
    old: Option<StateMetadata>,
    #[serde(default)]
    new: Option<StateMetadata>,
}

#[derive(Deserialize)]
struct StateMetadata {
    #[serde(default)]
    outputs: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The root stack's outputs before and after, as the engine registered them.
/// `pulumi preview --json` leaves these out; the event log has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackOutputs {
    pub old: serde_json::Map<String, serde_json::Value>,
    pub new: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SummaryEvent {
    #[serde(default)]
    duration_seconds: Option<f64>,
    #[serde(default)]
    resource_changes: BTreeMap<String, i64>,
}

fn read_events(path: &Path) -> Result<Option<Vec<Event>>, EventLogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(EventLogError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Ok(Some(
        text.lines()
            .filter_map(|l| serde_json::from_str::<Event>(l).ok())
            .collect(),
    ))
}

/// The last outputs the root stack registered, secrets blinded.
pub fn read_stack_outputs(path: &Path) -> Result<Option<StackOutputs>, EventLogError> {
    let Some(events) = read_events(path)? else {
        return Ok(None);
    };
    let found = events
        .into_iter()
        .filter_map(|e| e.res_outputs_event)
        .rfind(|e| e.metadata.type_token == "pulumi:pulumi:Stack");
    Ok(found.map(|e| {
        let take = |s: Option<StateMetadata>| {
            let mut map = s.and_then(|s| s.outputs).unwrap_or_default();
            map.values_mut().for_each(crate::preview::value::blind_secrets);
            map
        };
        StackOutputs {
            old: take(e.metadata.old),
            new: take(e.metadata.new),
        }
    }))
}

/// Reads the summary from an event log; lines that are not events (or are
/// events of kinds we do not need) are skipped.
pub fn read_summary(path: &Path) -> Result<Option<ApplySummary>, EventLogError> {
    let Some(events) = read_events(path)? else {
        return Ok(None);
    };
    Ok(events
        .into_iter()
        .filter_map(|e| e.summary_event)
        .next_back()
        .map(|s| ApplySummary::from_operations(s.duration_seconds, s.resource_changes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_summary_among_other_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(
            &path,
            "{\"sequence\":0,\"preludeEvent\":{}}\nnot json\n{\"sequence\":9,\"summaryEvent\":{\"durationSeconds\":3,\"resourceChanges\":{\"create\":2,\"same\":1}}}\n",
        )
        .unwrap();
        let s = read_summary(&path).unwrap().unwrap();
        assert_eq!(s.duration_secs, Some(3.0));
        assert_eq!(s.counts.get(&ChangeKind::Create), Some(&2));
        assert_eq!(s.unchanged, 1);
        assert_eq!(read_summary(&dir.path().join("missing")).unwrap(), None);
    }

    #[test]
    fn stack_outputs_come_from_the_last_root_registration_with_secrets_blinded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let secret =
            r#"{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"[secret]"}"#;
        std::fs::write(
            &path,
            format!(
                "{{\"resOutputsEvent\":{{\"metadata\":{{\"type\":\"pulumi:pulumi:Stack\",\"old\":null,\"new\":{{\"outputs\":{{}}}}}}}}}}\n\
                 {{\"resOutputsEvent\":{{\"metadata\":{{\"type\":\"fixture:index:Thing\",\"new\":{{\"outputs\":{{\"x\":1}}}}}}}}}}\n\
                 {{\"resOutputsEvent\":{{\"metadata\":{{\"type\":\"pulumi:pulumi:Stack\",\"old\":{{\"outputs\":{{\"url\":\"a\"}}}},\"new\":{{\"outputs\":{{\"url\":\"b\",\"pw\":{secret}}}}}}}}}}}\n"
            ),
        )
        .unwrap();
        let outputs = read_stack_outputs(&path).unwrap().unwrap();
        assert_eq!(outputs.old.get("url"), Some(&serde_json::json!("a")));
        assert_eq!(outputs.new.get("url"), Some(&serde_json::json!("b")));
        assert_eq!(outputs.new.get("pw"), Some(&serde_json::json!("[secret]")));
    }
}
