//! Rollouts: [`services`] starts them (`UpdateService`) and reads services,
//! [`watch`] follows every deployment of a run to its verdict, [`bake`]
//! keeps following them for a while after they completed (`--bake`), and
//! [`stopped`] explains the tasks that crashed on the way.

mod bake;
pub(crate) mod services;
mod stopped;
pub(crate) mod watch;

pub(crate) use bake::BakeEnd;
pub(crate) use services::{describe_services, in_progress_deployments, matches_name, start};
pub(crate) use watch::{RolloutWatcher, Watch, WatchEnd, WatchLimits};
