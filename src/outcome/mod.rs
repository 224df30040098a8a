//! What a run did, as plain data. The engines fill these values in and
//! return them; the reports render them; `--json` serialises them. Keeping
//! them here lets `ecs` and `report` each depend on the data and never on
//! each other.

pub(crate) mod infra;
pub(crate) mod update;
