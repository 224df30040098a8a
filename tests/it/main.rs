//! stackpilot's integration tests: one binary, an area per file.

mod support;

mod infra;
mod interrupt;
mod lock;
mod summary_corpus;
mod validation;
