//! Reports: the typed results of a run, rendered as Markdown for people and
//! serialised as JSON for machines, from the same values.

mod document;
pub mod escape;
mod infra;
pub mod sink;
pub mod update;

pub use document::{Document, Row, SUMMARY_LIMIT};
pub use infra::{Action, AppliedChanges, Failure, InfraReport, Outcome};
