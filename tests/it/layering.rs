//! The layering the architecture promises, checked on the source: the ECS
//! engine and the reports meet only in `outcome`.

use std::path::Path;

/// Every `use`/path mention of `module` in the Rust files under `dir`,
/// comments left out.
fn mentions(dir: &Path, module: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(mentions(&path, module));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if code.contains(&format!("crate::{module}")) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn the_ecs_engine_and_the_reports_do_not_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let engine_to_report = mentions(&src.join("ecs"), "report");
    assert!(engine_to_report.is_empty(), "ecs imports report: {engine_to_report:#?}");
    let report_to_engine = mentions(&src.join("report"), "ecs");
    assert!(report_to_engine.is_empty(), "report imports ecs: {report_to_engine:#?}");
    let model_to_either: Vec<String> = ["ecs", "report"]
        .iter()
        .flat_map(|m| mentions(&src.join("outcome"), m))
        .collect();
    assert!(
        model_to_either.is_empty(),
        "outcome depends on an engine or a renderer: {model_to_either:#?}"
    );
}
