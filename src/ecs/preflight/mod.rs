//! The preflight: every new task definition revision a run would register,
//! checked against the rules ECS enforces (at RegisterTaskDefinition, or
//! later when a task fails to start) before anything is written, in the
//! dry run too. Every problem of every family is reported at once, each
//! with its rule, the field and the AWS page that documents the rule.
//!
//! stackpilot deploys to Fargate, so every family is checked as a Fargate
//! task definition, whatever its `requiresCompatibilities` says.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;

pub(crate) use rules::Rule;

/// One place a request breaks one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub(crate) family: String,
    pub(crate) rule: Rule,
    /// The JSON path in the request: `containerDefinitions[1].portMappings[0].hostPort`.
    pub(crate) field: String,
    /// What the value is; values are Debug-escaped.
    pub(crate) detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{family:?} {field} {detail}\n    rule {id}: {statement}\n    see {doc}",
            family = self.family,
            field = self.field,
            detail = self.detail,
            id = self.rule.id(),
            statement = self.rule.statement(),
            doc = self.rule.doc(),
        )
    }
}

/// New revisions that ECS would refuse, or whose tasks could not start.
#[derive(Debug, thiserror::Error)]
#[error("{}", render(.problems))]
pub struct PreflightError {
    pub(crate) problems: Vec<Problem>,
}

fn render(problems: &[Problem]) -> String {
    let mut families: Vec<&str> = problems.iter().map(|p| p.family.as_str()).collect();
    families.dedup();
    let mut text = format!(
        "{} in the new task definition revisions of {}; nothing was registered or started. Fix the task definitions (in the app stack), then run again:",
        match problems.len() {
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        },
        families.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", "),
    );
    for problem in problems {
        text.push_str("\n  - ");
        text.push_str(&problem.to_string());
    }
    text
}

/// Every problem of one request, in the order of the rules.
pub(crate) fn problems(input: &RegisterTaskDefinitionInput) -> Vec<Problem> {
    let family = input.family().unwrap_or_default();
    Rule::ALL
        .iter()
        .flat_map(|rule| {
            rule.check(input).into_iter().map(|finding| Problem {
                family: family.to_owned(),
                rule: *rule,
                field: finding.field,
                detail: finding.detail,
            })
        })
        .collect()
}

/// Checks every request; `Err` names all the problems of all of them.
pub(crate) fn check<'i>(
    inputs: impl IntoIterator<Item = &'i RegisterTaskDefinitionInput>,
) -> Result<(), PreflightError> {
    let found: Vec<Problem> = inputs.into_iter().flat_map(problems).collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(PreflightError { problems: found })
    }
}
