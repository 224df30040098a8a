//! Recognising "someone else is updating this stack".

use std::fmt;

use serde::Serialize;

/// Who holds a lock, as far as Pulumi says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockHolder {
    /// `user@host (pid N) at time` for file backends; the service's words otherwise.
    pub description: String,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// `Some` when `text` carries one of Pulumi's lock errors, listing the holders
/// it names (possibly none, for the service backend).
pub fn holders(text: &str) -> Option<Vec<LockHolder>> {
    if text.contains("the stack is currently locked by") {
        // Each lock is on its own line: `  <url>: created by user@host (pid N) at T`.
        let holders = text
            .lines()
            .filter_map(|line| line.split_once(": created by ").map(|(_, who)| who.trim()))
            .map(|who| LockHolder {
                description: who.to_owned(),
            })
            .collect();
        return Some(holders);
    }
    if text.contains("Another update is currently in progress") || text.contains("[409] Conflict") {
        return Some(vec![LockHolder {
            description: "another update on the Pulumi service".to_owned(),
        }]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_holders_from_the_file_backend_message() {
        let stderr = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///tmp/s/.pulumi/locks/organization/base/dev/1b2c.json: created by ci@runner-7 (pid 4242) at 2026-11-28T10:00:00Z";
        let found = holders(stderr).unwrap();
        assert_eq!(
            found,
            vec![LockHolder {
                description: "ci@runner-7 (pid 4242) at 2026-11-28T10:00:00Z".into()
            }]
        );
    }

    #[test]
    fn service_conflicts_count_as_locks() {
        assert!(holders("error: [409] Conflict: Another update is currently in progress.").is_some());
        assert!(holders("error: something else").is_none());
    }
}
