//! Pulumi's engine event log (`--event-log`): one JSON object per line. We
//! read only the summary event, which carries the duration and the counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub counts: BTreeMap<String, i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    summary_event: Option<SummaryEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SummaryEvent {
    #[serde(default)]
    duration_seconds: Option<f64>,
    #[serde(default)]
    resource_changes: BTreeMap<String, i64>,
}

/// Reads the summary from an event log; lines that are not events (or are
/// events of kinds we do not need) are skipped.
pub fn read_summary(path: &Path) -> Result<Option<ApplySummary>, EventLogError> {
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
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .filter_map(|e| e.summary_event)
        .last()
        .map(|s| ApplySummary {
            duration_secs: s.duration_seconds,
            counts: s.resource_changes,
        }))
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
        assert_eq!(s.counts.get("create"), Some(&2));
        assert_eq!(read_summary(&dir.path().join("missing")).unwrap(), None);
    }
}
