//! Step 5b of the update, with `--bake`: once every rollout completed, the
//! services stay watched for the window asked for. A failure within it
//! fails the run as a failed rollout does, so step 6 rolls every service
//! back; a window that ends unread or interrupted says so.

use tokio::time::Instant;

use super::UpdateRun;
use crate::ecs::error_chain;
use crate::ecs::rollout::{BakeEnd, Watch};
use crate::outcome::update::{BakeReport, StepResult};

impl UpdateRun<'_> {
    /// Watches the completed deployments for the `--bake` window.
    pub(super) async fn bake(&self, watches: &mut [&mut Watch]) -> BakeReport {
        let window = self.options().bake;
        let started = Instant::now();
        tracing::info!(
            "every rollout completed; watching the services for {} s more (--bake)",
            window.as_secs()
        );
        let end = self.watcher().bake(watches, window, self.options().pacing).await;
        let (result, reason) = match end {
            Ok(BakeEnd::Held) => (StepResult::Succeeded, None),
            Ok(BakeEnd::Failed) => {
                let failed: Vec<String> = watches.iter().filter(|w| w.failed()).map(|w| w.name.clone()).collect();
                (
                    StepResult::Failed,
                    Some(format!("{} failed within the window", failed.join(", "))),
                )
            }
            Ok(BakeEnd::Unreadable(error)) => (
                StepResult::Unknown,
                Some(format!("ECS could not be read when the window ended ({error})")),
            ),
            Ok(BakeEnd::Interrupted) => (StepResult::Interrupted, None),
            // Only an answer ends the watch early (a service deleted under
            // it): the run cannot say the release held.
            Err(err) => {
                let reason = format!("lost track of the deployments: {}", error_chain(&err));
                for w in watches.iter_mut() {
                    w.verdict = Some((StepResult::Failed, Some(reason.clone())));
                }
                (StepResult::Failed, Some(reason))
            }
        };
        BakeReport {
            window_secs: window.as_secs(),
            watched_secs: started.elapsed().as_secs_f64(),
            result,
            reason,
        }
    }
}
