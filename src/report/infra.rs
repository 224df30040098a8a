//! The Markdown of an infrastructure run — preview, up or destroy of one
//! stack — rendered from the values in [`crate::outcome::infra`].

use std::fmt::Write as _;

use super::document::{Document, Row, Whole};
use super::escape::{code_block, html, inline};
pub use crate::outcome::infra::{Action, AppliedChanges, Failure, InfraReport, Outcome};
use crate::preview::{ChangeKind, ChangeSet, DiagnosticLine, DiagnosticSeverity, ResourceChange};

impl Action {
    pub(crate) fn title(self) -> &'static str {
        match self {
            Action::Preview | Action::Summarize => "Preview",
            Action::Up => "Update",
            Action::Destroy => "Destroy",
        }
    }
}

impl Outcome {
    pub(crate) fn icon(self) -> &'static str {
        match self {
            Outcome::Succeeded | Outcome::Previewed => "✅",
            Outcome::Failed => "❌",
            Outcome::Locked => "🔒",
            Outcome::Interrupted => "⏹️",
            Outcome::ChangedSinceApproved => "⛔",
            Outcome::NotCreatedYet => "🆕",
        }
    }

    pub(crate) fn words(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Previewed => "previewed, nothing applied (dry run)",
            Outcome::Failed => "failed",
            Outcome::Locked => "blocked: the stack is locked",
            Outcome::Interrupted => "interrupted",
            Outcome::ChangedSinceApproved => "refused: changed since it was approved, nothing applied",
            Outcome::NotCreatedYet => "not created yet",
        }
    }
}

impl InfraReport {
    /// The preview part of the report (everything but the applied result).
    pub fn preview_markdown(&self, limit: usize) -> String {
        let mut doc = Document::new(Whole::Preview);
        self.heading(&mut doc);
        if let Some(plan) = &self.plan {
            let how = "once this preview is approved, `up --plan` (or `destroy --plan`) applies exactly it, or nothing";
            doc.essential(super::plan::markdown(plan, how));
        }
        if let Some(failure) = &self.failure {
            failure_section(&mut doc, failure);
        }
        match (&self.changes, self.outcome) {
            (Some(changes), _) => changes_sections(&mut doc, changes),
            (None, Outcome::NotCreatedYet) => doc.essential(format!(
                "Stack `{}` does not exist yet; it will be created when the change is applied. \
                 A pull request preview never creates a stack, so there is nothing to compare with.\n\n",
                inline(&self.env)
            )),
            (None, _) => doc.essential("Pulumi did not produce a preview, so there is no list of changes.\n\n"),
        }
        doc.render(limit)
    }

    /// The section `up` and `destroy` append once the apply finished.
    pub fn applied_markdown(&self) -> String {
        let mut out = String::new();
        let Some(applied) = &self.applied else {
            return out;
        };
        let _ = writeln!(
            out,
            "### {} {} in {:.1} s\n",
            self.outcome.icon(),
            match self.action {
                Action::Destroy => "Destroyed",
                _ => "Applied",
            },
            applied.duration_secs
        );
        let counts: Vec<String> = applied
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(op, n)| format!("{n} {}", inline(op.past_tense())))
            .collect();
        if counts.is_empty() {
            out.push_str("Nothing changed.\n\n");
        } else {
            let _ = writeln!(out, "**{}**\n", counts.join(" · "));
        }
        if !applied.outputs.is_empty() {
            out.push_str("| Output | Value |\n| --- | --- |\n");
            for (name, value) in &applied.outputs {
                let _ = writeln!(out, "| {} | {} |", inline(name), inline(value));
            }
            out.push('\n');
        }
        if let (Some(failure), true) = (&self.failure, self.outcome != Outcome::Succeeded) {
            let _ = writeln!(out, "**{}**\n", inline(&failure.message));
        }
        out
    }

    fn heading(&self, doc: &mut Document) {
        let result = match (&self.changes, self.outcome) {
            (Some(c), Outcome::Succeeded | Outcome::Previewed) if !c.has_changes() => "no changes".to_owned(),
            (Some(c), Outcome::Succeeded | Outcome::Previewed) => {
                let n = c.resources.len();
                let what = if n == 1 { "resource" } else { "resources" };
                let mut s = format!("{n} {what} to change");
                if !c.outputs.is_empty() {
                    let _ = write!(s, ", {}", plural(c.outputs.len(), "output"));
                }
                if self.outcome == Outcome::Previewed {
                    s.push_str(" (dry run)");
                }
                s
            }
            (_, outcome) => outcome.words().to_owned(),
        };
        doc.essential(format!(
            "## {} {} · {} stack `{}` · {}\n\n",
            self.outcome.icon(),
            self.action.title(),
            inline(&self.layer),
            inline(&self.env),
            result
        ));
    }
}

fn failure_section(doc: &mut Document, failure: &Failure) {
    doc.essential(failure_markdown(failure, "### ❌ What went wrong"));
}

/// What went wrong, under `heading`: the message, and the tail of Pulumi's
/// stderr when there is one. The one renderer of a failure.
pub(crate) fn failure_markdown(failure: &Failure, heading: &str) -> String {
    let mut s = format!("{heading}\n\n");
    s.push_str(&code_block(&failure.message));
    if !failure.stderr_tail.trim().is_empty() {
        s.push_str("\n<details open><summary>The last lines Pulumi wrote to stderr</summary>\n\n");
        s.push_str(&code_block(&failure.stderr_tail));
        s.push_str("\n</details>\n");
    }
    s.push('\n');
    s
}

fn changes_sections(doc: &mut Document, changes: &ChangeSet) {
    doc.essential(counts_line(changes));
    let destructive: Vec<&ResourceChange> = changes.destructive().collect();
    if !destructive.is_empty() {
        doc.essential(destructive_banner(&destructive));
    }
    let access: Vec<&ResourceChange> = changes.access().collect();
    if !access.is_empty() {
        doc.essential(access_banner(&access));
    }
    let errors: Vec<&DiagnosticLine> = changes.errors().collect();
    if !errors.is_empty() {
        let mut s = String::from("### Errors\n\n");
        for e in errors {
            diagnostic_item(&mut s, e);
        }
        s.push('\n');
        doc.essential(s);
    }
    if changes.program_failed() {
        let stderr = program_lines(changes, DiagnosticSeverity::Stderr);
        if !stderr.is_empty() {
            doc.essential(format!(
                "### What the program wrote to stderr\n\n{}\n",
                code_block(&stderr.join("\n"))
            ));
        }
    }
    if !changes.resources.is_empty() {
        doc.table(
            "| | Operation | Type | Name |\n| --- | --- | --- | --- |\n",
            changes.resources.iter().map(table_row).collect(),
        );
        doc.essential("\n");
    }
    output_section(doc, changes);
    let mut first_detail = true;
    for r in changes
        .resources
        .iter()
        .filter(|r| !r.properties.is_empty() || !r.replace_reasons.is_empty())
    {
        if first_detail {
            doc.detail("### What changes in each resource\n\n");
            first_detail = false;
        }
        doc.detail(resource_details(r));
    }
    warnings_and_output(doc, changes);
}

fn counts_line(changes: &ChangeSet) -> String {
    if changes.counts.is_empty() {
        return format!(
            "No resource changes. {} unchanged.\n\n",
            plural(changes.unchanged, "resource")
        );
    }
    let parts: Vec<String> = changes
        .counts
        .iter()
        .map(|c| format!("{} {} to {}", c.op.symbol(), c.count, inline(c.op.label())))
        .collect();
    format!("**{}** · {} unchanged\n\n", parts.join(" · "), changes.unchanged)
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn destructive_banner(resources: &[&ResourceChange]) -> String {
    let intro = format!("This will delete or replace {}", plural(resources.len(), "resource"));
    banner("WARNING", &intro, resources)
}

/// Who may do what changes: worth a reviewer's slow read.
fn access_banner(resources: &[&ResourceChange]) -> String {
    let intro = format!(
        "This changes who may do what — {}",
        plural(resources.len(), "IAM or policy resource")
    );
    banner("IMPORTANT", &intro, resources)
}

/// A GitHub alert naming the resources (the first 25).
fn banner(alert: &str, intro: &str, resources: &[&ResourceChange]) -> String {
    const NAMED: usize = 25;
    let named: Vec<String> = resources
        .iter()
        .take(NAMED)
        .map(|r| format!("**{}** ({}, {})", inline(&r.name), inline(&r.type_token), r.op.label()))
        .collect();
    let mut s = format!("> [!{alert}]\n> {intro}: {}", named.join(", "));
    if resources.len() > NAMED {
        let _ = write!(s, ", and {} more", resources.len() - NAMED);
    }
    s.push_str(".\n\n");
    s
}

fn table_row(r: &ResourceChange) -> Row {
    // If the table must be cut, what destroys things is the last to go.
    let priority = match r.op {
        ChangeKind::Delete => 0,
        ChangeKind::Replace => 1,
        ChangeKind::Update => 2,
        _ => 3,
    };
    let text = format!(
        "| {} | {} | <code>{}</code> | {} |\n",
        r.op.symbol(),
        inline(r.op.label()),
        inline(&r.type_token),
        inline(&r.name)
    );
    Row {
        text,
        priority,
        group: format!("{} {}", r.op.label(), inline(&r.type_token)),
    }
}

fn resource_details(r: &ResourceChange) -> String {
    let mut s = format!(
        "<details><summary>{} {} <code>{}</code> {}</summary>\n\n",
        r.op.symbol(),
        html(r.op.label()),
        html(&r.type_token),
        html(&r.name)
    );
    if !r.replace_reasons.is_empty() {
        let reasons: Vec<String> = r
            .replace_reasons
            .iter()
            .map(|k| format!("<code>{}</code>", inline(k)))
            .collect();
        let _ = writeln!(s, "Replaced because of: {}\n", reasons.join(", "));
    }
    if !r.properties.is_empty() {
        s.push_str("| Property | Change | Before | After |\n| --- | --- | --- | --- |\n");
        for p in &r.properties {
            let kind = if p.forces_replacement {
                format!("{}, forces replacement", p.kind.label())
            } else {
                p.kind.label().to_owned()
            };
            let _ = writeln!(
                s,
                "| <code>{}</code> | {} | {} | {} |",
                inline(&p.path),
                kind,
                p.before.as_deref().map(inline).unwrap_or_default(),
                p.after.as_deref().map(inline).unwrap_or_default()
            );
        }
        s.push('\n');
    }
    s.push_str("</details>\n\n");
    s
}

fn output_section(doc: &mut Document, changes: &ChangeSet) {
    if changes.outputs.is_empty() {
        return;
    }
    let mut s = String::from("### Stack outputs\n\n| Output | Change | Before | After |\n| --- | --- | --- | --- |\n");
    for o in &changes.outputs {
        let kind = o.kind.label();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            inline(&o.name),
            kind,
            o.before.as_deref().map(inline).unwrap_or_default(),
            o.after.as_deref().map(inline).unwrap_or_default()
        );
    }
    s.push('\n');
    doc.detail(s);
}

fn diagnostic_item(s: &mut String, d: &DiagnosticLine) {
    match &d.resource {
        Some(r) => {
            let _ = writeln!(s, "- **{}**: {}", inline(r), inline(d.message.trim()));
        }
        None => {
            let _ = writeln!(s, "- {}", inline(d.message.trim()));
        }
    }
}

fn program_lines(changes: &ChangeSet, severity: DiagnosticSeverity) -> Vec<&str> {
    changes
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .flat_map(|d| d.message.lines())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn warnings_and_output(doc: &mut Document, changes: &ChangeSet) {
    let warnings: Vec<&DiagnosticLine> = changes
        .diagnostics
        .iter()
        .filter(|d| d.severity == DiagnosticSeverity::Warning)
        .collect();
    if !warnings.is_empty() {
        let mut s = String::from("### Warnings\n\n");
        for w in warnings {
            diagnostic_item(&mut s, w);
        }
        s.push('\n');
        doc.detail(s);
    }
    let mut output = program_lines(changes, DiagnosticSeverity::Info);
    if !changes.program_failed() {
        output.extend(program_lines(changes, DiagnosticSeverity::Stderr));
    }
    if !output.is_empty() {
        doc.detail(format!(
            "<details><summary>Program output ({})</summary>\n\n{}\n</details>\n\n",
            plural(output.len(), "line"),
            code_block(&output.join("\n"))
        ));
    }
    if changes.hidden_notices > 0 {
        doc.detail(format!(
            "<sub>{} hidden (plugins found on PATH, default providers).</sub>\n\n",
            plural(changes.hidden_notices, "tooling notice")
        ));
    }
}
