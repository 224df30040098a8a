//! What a run did, as plain data. The engines fill these values in and
//! return them; the reports render them; `--json` serialises them. Keeping
//! them here lets `ecs` and `report` each depend on the data and never on
//! each other.

pub(crate) mod bootstrap;
pub(crate) mod infra;
pub(crate) mod stack;
pub(crate) mod update;

use serde::Serialize;

/// One line of a saved plan that a fresh read no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDifference {
    /// The resource (by name), output, or config file.
    pub subject: String,
    pub approved: String,
    pub now: String,
}

/// A saved plan a run wrote, or was asked to apply and how the fresh
/// read compared with it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    /// The plan file as named on the command line.
    pub file: String,
    pub fingerprint: String,
    /// This run wrote the plan (rather than checking against it).
    pub saved: bool,
    /// Empty when the fresh preview matches the plan.
    pub differences: Vec<PlanDifference>,
}
