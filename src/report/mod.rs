//! Reports: the typed results of a run, rendered as Markdown for people and
//! serialised as JSON for machines, from the same values.

pub(crate) mod bootstrap;
mod document;
pub(crate) mod escape;
pub(crate) mod infra;
mod plan;
pub(crate) mod sink;
pub(crate) mod update;

pub use document::SUMMARY_LIMIT;
pub(crate) use document::{Document, Row, Whole};
pub use infra::InfraReport;
pub(crate) use infra::{Action, AppliedChanges, Failure, Outcome};
