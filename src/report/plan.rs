//! The saved-plan section of a summary, for both pipelines: where the
//! plan was written, that a run matched it, or — side by side — what
//! changed since it was approved.

use std::fmt::Write as _;

use super::escape::inline;
use crate::outcome::PlanCheck;

/// `saved_hint` says how the saved plan is applied.
pub(crate) fn markdown(plan: &PlanCheck, saved_hint: &str) -> String {
    let short = crate::digest::short(&plan.fingerprint);
    let file = inline(&plan.file);
    if plan.saved {
        return format!("Plan saved to `{file}` (fingerprint `{short}`): {saved_hint}.\n\n");
    }
    if plan.differences.is_empty() {
        return format!("This matches the approved plan `{file}` (fingerprint `{short}`).\n\n");
    }
    let mut s = format!(
        "### ⛔ Changed since it was approved\n\nWhat this run found no longer matches the plan `{file}` (fingerprint `{short}`), so nothing was applied or written. Plan again and have the new plan approved.\n\n| What | Approved | Now |\n| --- | --- | --- |\n"
    );
    for d in &plan.differences {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            inline(&d.subject),
            inline(&d.approved),
            inline(&d.now)
        );
    }
    s.push('\n');
    s
}
