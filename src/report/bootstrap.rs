//! The parts of a bootstrap summary that other stacks lack: what the
//! account now has, and the settings the workflows need.

use std::fmt::Write as _;

use super::escape::inline;
use crate::bootstrap::Outputs;

/// The table of what the stack made, with where each value goes.
pub fn outputs_markdown(outputs: &Outputs) -> String {
    let mut s = String::from("### What the account has\n\n| | Value |\n| --- | --- |\n");
    for (name, value) in outputs.table() {
        let _ = writeln!(s, "| {} | <code>{}</code> |", inline(&name), inline(&value));
    }
    let _ = writeln!(
        s,
        "\nRepository `{}` may assume these roles: the preview role from any workflow, each deploy role only from a job bound to the GitHub environment of the same name. Set `AWS_PREVIEW_ROLE_ARN` and each environment's `AWS_DEPLOY_ROLE_ARN` as variables; `PULUMI_BACKEND_URL` and a passphrase are no longer needed (stackpilot finds the bucket and key through this stack).\n",
        inline(&outputs.github_repository)
    );
    s
}
