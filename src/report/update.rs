//! The Markdown of an app update: what was registered, how the migration
//! went, how each service rolled, what was rolled back — rendered from the
//! values in [`crate::outcome::update`], which `--json` prints as they are.

use super::escape::{code_block, html, inline};
use super::{Document, Row, Whole};
use crate::outcome::update::{BakeReport, MigrationReport, StepResult, TaskFailure, UpdateOutcome, UpdateReport};

impl UpdateOutcome {
    pub(crate) fn headline(self) -> &'static str {
        match self {
            UpdateOutcome::Succeeded => "✅ updated",
            UpdateOutcome::NothingToDo => "✅ already up to date",
            UpdateOutcome::Planned => "📝 plan (dry run, nothing changed)",
            UpdateOutcome::Failed => "❌ failed",
            UpdateOutcome::RolledBack => "↩️ failed and rolled back",
            UpdateOutcome::TimedOut => "⏱️ timed out",
            UpdateOutcome::Unknown => "❓ outcome unknown",
            UpdateOutcome::ChangedSinceApproved => "⛔ changed since it was approved, nothing written",
            UpdateOutcome::Interrupted => "⛔ interrupted",
        }
    }
}

impl StepResult {
    pub(crate) fn label(self) -> &'static str {
        match self {
            StepResult::Unchanged => "unchanged",
            StepResult::Planned => "would roll",
            StepResult::Skipped => "not started",
            StepResult::InProgress => "in progress",
            StepResult::Succeeded => "✅ succeeded",
            StepResult::Failed => "❌ failed",
            StepResult::TimedOut => "⏱️ timed out",
            StepResult::Unknown => "❓ unknown",
            StepResult::Interrupted => "⛔ interrupted",
        }
    }
}

impl UpdateReport {
    /// The Markdown summary, at most `limit` bytes.
    pub fn markdown(&self, limit: usize) -> String {
        let mut doc = Document::new(Whole::Update);
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|(kind, tag)| format!("{} <code>{}</code>", inline(kind), inline(tag)))
            .collect();
        doc.essential(format!(
            "### App update of <code>{}</code>: {}\n\nCluster <code>{}</code> · {} · {:.0} s\n\n",
            inline(&self.env),
            self.outcome.headline(),
            inline(&self.cluster),
            tags.join(", "),
            self.duration_secs
        ));
        if let Some(message) = &self.message {
            doc.essential(format!("> [!{}]\n> {}\n\n", callout(self.outcome), inline(message)));
        }
        if let Some(plan) = &self.plan {
            let how = "once this plan is approved, `update --plan` registers and rolls exactly it, or nothing";
            doc.essential(super::plan::markdown(plan, how));
        }
        if self.dry_run {
            self.plan_sections(&mut doc);
        }
        if let Some(m) = &self.migration {
            migration_section(&mut doc, m);
        }
        if !self.services.is_empty() {
            self.services_table(&mut doc);
            if let Some(bake) = &self.bake {
                doc.essential(bake_line(bake));
            }
            for s in &self.services {
                for failure in &s.failed_tasks {
                    doc.detail(task_failure_details(&format!("{}: task", s.name), failure));
                }
            }
        }
        doc.render(limit)
    }

    fn plan_sections(&self, doc: &mut Document) {
        doc.essential("#### Task definitions\n\n");
        for r in &self.revisions {
            let action = if r.registers {
                format!("register revision {} (from {})", r.old_revision + 1, r.old_revision)
            } else {
                format!("keep revision {}: it already runs the image", r.old_revision)
            };
            let mut text = format!(
                "**<code>{}</code>** ({}): {}\n\n",
                inline(&r.family),
                inline(&r.container),
                action
            );
            if !r.changes.is_empty() {
                text.push_str("| field | now | after |\n| --- | --- | --- |\n");
                for c in &r.changes {
                    text.push_str(&format!(
                        "| {} | <code>{}</code> | <code>{}</code> |\n",
                        inline(&c.field),
                        inline(&c.old),
                        inline(&c.new)
                    ));
                }
                text.push('\n');
            }
            if !r.environment.is_empty() || !r.secrets.is_empty() {
                text.push_str(&format!(
                    "<details><summary>{} environment variables, {} secrets (unchanged)</summary>\n\n",
                    r.environment.len(),
                    r.secrets.len()
                ));
                for e in &r.environment {
                    text.push_str(&format!(
                        "- <code>{}</code> = <code>{}</code>\n",
                        inline(&e.name),
                        inline(&e.value)
                    ));
                }
                for s in &r.secrets {
                    text.push_str(&format!(
                        "- <code>{}</code> from <code>{}</code>\n",
                        inline(&s.name),
                        inline(&s.value_from)
                    ));
                }
                text.push_str("\n</details>\n\n");
            }
            doc.essential(text);
        }
    }

    fn services_table(&self, doc: &mut Document) {
        let header = "#### Services\n\n| service | revision | image | desired / running | result | time |\n| --- | --- | --- | --- | --- | --- |\n";
        let rows = self
            .services
            .iter()
            .map(|s| {
                let rev = |r: Option<i32>| r.map_or_else(|| "–".to_owned(), |r| r.to_string());
                let revision = if s.old_revision == s.new_revision || s.new_revision.is_none() {
                    rev(s.old_revision)
                } else {
                    format!("{} → {}", rev(s.old_revision), rev(s.new_revision))
                };
                let image = match (&s.old_image, &s.new_image) {
                    (Some(old), Some(new)) if old != new => {
                        format!(
                            "<code>{}</code> → <code>{}</code>",
                            inline(image_tag(old)),
                            inline(image_tag(new))
                        )
                    }
                    (Some(img), _) | (None, Some(img)) => format!("<code>{}</code>", inline(image_tag(img))),
                    (None, None) => "–".into(),
                };
                let mut result = s.result.label().to_owned();
                result.push_str(&reason_suffix(s.reason.as_deref()));
                if let Some(rb) = &s.rollback {
                    result.push_str(&format!(
                        "<br>rolled back to {}: {}",
                        rb.to_revision
                            .map_or_else(|| "the previous revision".to_owned(), |r| format!("revision {r}")),
                        rb.result.label()
                    ));
                    if let Some(reason) = &rb.reason {
                        result.push_str(&format!(" ({})", inline(reason)));
                    }
                }
                Row {
                    text: format!(
                        "| <code>{}</code> | {} | {} | {} / {} | {} | {:.0} s |\n",
                        inline(&s.name),
                        revision,
                        image,
                        s.desired,
                        s.running,
                        result,
                        s.duration_secs
                    ),
                    priority: 0,
                    group: "service".into(),
                }
            })
            .collect();
        doc.table(header, rows);
        doc.essential("\n");
    }
}

/// `--bake`: how long the services were watched after the rollouts, and
/// whether they held.
fn bake_line(bake: &BakeReport) -> String {
    format!(
        "Bake window: watched {:.0} s of {} s after every rollout completed: {}{}\n\n",
        bake.watched_secs,
        bake.window_secs,
        if bake.result == StepResult::Succeeded {
            "✅ every service held"
        } else {
            bake.result.label()
        },
        reason_suffix(bake.reason.as_deref())
    )
}

/// ": the reason", escaped, or nothing.
fn reason_suffix(reason: Option<&str>) -> String {
    reason.map(|r| format!(": {}", inline(r))).unwrap_or_default()
}

fn callout(outcome: UpdateOutcome) -> &'static str {
    match outcome {
        UpdateOutcome::Succeeded | UpdateOutcome::NothingToDo | UpdateOutcome::Planned => "NOTE",
        UpdateOutcome::Interrupted | UpdateOutcome::TimedOut | UpdateOutcome::Unknown => "WARNING",
        UpdateOutcome::Failed | UpdateOutcome::RolledBack | UpdateOutcome::ChangedSinceApproved => "CAUTION",
    }
}

/// `repo.example/acme-backend:v2` → `acme-backend:v2`: the registry host
/// makes the table wide without telling anyone anything.
fn image_tag(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

fn migration_section(doc: &mut Document, m: &MigrationReport) {
    let mut text = format!(
        "#### Migration\n\n<code>{}</code> revision {} · database <code>{}</code> · {}{} · {:.0} s\n\n",
        inline(&m.family),
        m.revision.map_or_else(|| "–".to_owned(), |r| r.to_string()),
        inline(&m.database),
        if m.result == StepResult::Planned {
            "would run first"
        } else {
            m.result.label()
        },
        reason_suffix(m.reason.as_deref()),
        m.duration_secs,
    );
    text.push_str(&format!("<code>{}</code>\n\n", inline(&m.command.join(" "))));
    doc.essential(text);
    if let Some(f) = &m.failure {
        // The reason the gate failed is the point of the summary: never cut.
        doc.essential(task_failure_details("migration task", f));
    }
    if let Some(log) = m.log.as_ref().filter(|l| !l.lines.is_empty()) {
        let mut text = format!(
            "<details><summary>{}</summary>\n\n",
            html(&format!("Migration log, last {} lines", log.lines.len()))
        );
        if let Some(loc) = &log.location {
            text.push_str(&format!(
                "Log <code>{}</code> / <code>{}</code>:\n\n",
                inline(&loc.group),
                inline(&loc.stream)
            ));
        }
        text.push_str(&code_block(&log.lines.join("\n")));
        text.push_str("\n</details>\n\n");
        doc.detail(text);
    }
}

fn task_failure_details(what: &str, f: &TaskFailure) -> String {
    let mut head = format!("{what} {}", f.task_id);
    if let Some(c) = &f.container {
        head.push_str(&format!(", container {c}"));
    }
    if let Some(code) = f.exit_code {
        head.push_str(&format!(", exit code {code}"));
    }
    let mut text = format!("<details open><summary>{}</summary>\n\n", html(&head));
    if let Some(reason) = &f.stopped_reason {
        text.push_str(&format!(
            "Stopped: {}{}\n\n",
            inline(reason),
            f.stop_code
                .as_ref()
                .map(|c| format!(" (<code>{}</code>)", inline(c)))
                .unwrap_or_default()
        ));
    }
    if let Some(log) = &f.log {
        if let Some(loc) = &log.location {
            text.push_str(&format!(
                "Log <code>{}</code> / <code>{}</code>:\n\n",
                inline(&loc.group),
                inline(&loc.stream)
            ));
        }
        if !log.lines.is_empty() {
            text.push_str(&code_block(&log.lines.join("\n")));
        } else if let Some(why) = &log.unavailable {
            text.push_str(&format!("No log lines: {}\n", inline(why)));
        }
    }
    text.push_str("\n</details>\n\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::update::{LogLocation, LogTail, RollbackReport, ServiceReport};

    fn rolled_back() -> UpdateReport {
        let mut report = UpdateReport::new("alpha", "alpha-cluster", false);
        report.outcome = UpdateOutcome::RolledBack;
        report.tags.insert("backend".into(), "broken".into());
        report.message =
            Some("gunicorn failed; every service this run updated is back on its previous revision".into());
        report.duration_secs = 93.4;
        let failure = TaskFailure {
            task_id: "0123456789abcdef0123456789abcdef".into(),
            container: Some("gunicorn".into()),
            exit_code: Some(1),
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: Some("Essential container in task exited".into()),
            log: Some(LogTail {
                location: Some(LogLocation {
                    group: "/ecs/alpha-gunicorn".into(),
                    stream: "ecs/gunicorn/0123456789abcdef0123456789abcdef".into(),
                }),
                // What a hostile log line could try: close the block, open HTML.
                lines: vec![
                    "Traceback (most recent call last):".into(),
                    "```\n</details><script>x</script>".into(),
                ],
                unavailable: None,
            }),
        };
        for (name, result, reason, failures) in [
            (
                "gunicorn",
                StepResult::Failed,
                Some("task 0123: container gunicorn exited with 1 (Essential container in task exited)"),
                vec![failure],
            ),
            ("default", StepResult::Succeeded, None, vec![]),
            (
                "beat",
                StepResult::InProgress,
                Some("stopped watching: gunicorn failed"),
                vec![],
            ),
        ] {
            report.services.push(ServiceReport {
                name: name.into(),
                service: format!("alpha-{name}"),
                old_revision: Some(1),
                new_revision: Some(2),
                old_image: Some("1.dkr.ecr.us-east-1.amazonaws.com/acme-backend:latest".into()),
                new_image: Some("1.dkr.ecr.us-east-1.amazonaws.com/acme-backend:broken".into()),
                desired: 1,
                running: 1,
                result,
                reason: reason.map(str::to_owned),
                deployment_id: Some("ecs-svc/1".into()),
                duration_secs: 41.0,
                failed_tasks: failures,
                rollback: Some(RollbackReport {
                    to_revision: Some(1),
                    deployment_id: Some("ecs-svc/2".into()),
                    result: StepResult::Succeeded,
                    reason: None,
                }),
            });
        }
        report
    }

    #[test]
    fn a_rolled_back_update_reads_as_one() {
        insta::assert_snapshot!(rolled_back().markdown(crate::report::SUMMARY_LIMIT));
    }

    /// The late-fail benchmark's story: every rollout completed, then
    /// gunicorn's new task failed its health check inside the bake window.
    #[test]
    fn a_failure_in_the_bake_window_reads_as_one() {
        let mut report = rolled_back();
        report.message =
            Some("gunicorn failed; every service this run updated is back on its previous revision".into());
        report.services.truncate(2);
        let gunicorn = &mut report.services[0];
        gunicorn.reason = Some(
            "failed after its rollout completed, 92 s into the bake window: task 0123: container gunicorn exited with 0 (Task failed container health checks)".into(),
        );
        gunicorn.failed_tasks[0].exit_code = Some(0);
        gunicorn.failed_tasks[0].stop_code = Some("ServiceSchedulerInitiated".into());
        gunicorn.failed_tasks[0].stopped_reason = Some("Task failed container health checks".into());
        report.bake = Some(BakeReport {
            window_secs: 300,
            watched_secs: 92.4,
            result: StepResult::Failed,
            reason: Some("gunicorn failed within the window".into()),
        });
        insta::assert_snapshot!(report.markdown(crate::report::SUMMARY_LIMIT));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["bake"]["result"], "failed");
        assert!(
            serde_json::to_value(rolled_back()).unwrap().get("bake").is_none(),
            "no --bake, no key"
        );
    }

    #[test]
    fn json_carries_the_same_values() {
        let json = serde_json::to_value(rolled_back()).unwrap();
        assert_eq!(json["outcome"], "rolled_back");
        assert_eq!(json["services"][0]["result"], "failed");
        assert_eq!(json["services"][0]["rollback"]["result"], "succeeded");
        assert_eq!(json["services"][0]["failed_tasks"][0]["exit_code"], 1);
    }

    #[test]
    fn a_huge_log_does_not_break_the_limit() {
        let mut report = rolled_back();
        let lines: Vec<String> = (0..50).map(|i| format!("{i} {}", "x".repeat(4000))).collect();
        for s in &mut report.services {
            s.failed_tasks = (0..10)
                .map(|_| {
                    let mut f = rolled_back().services[0].failed_tasks[0].clone();
                    if let Some(log) = f.log.as_mut() {
                        log.lines = lines.clone();
                    }
                    f
                })
                .collect();
        }
        let out = report.markdown(100_000);
        assert!(out.len() <= 100_000);
        assert!(out.contains("rolled back to revision 1"), "the table survives");
    }
}
