//! The Markdown summary for a corpus of preview digests: some captured from
//! the real CLI (tests/fixtures/previews/real-*.json), some written by hand
//! for what the fixture projects cannot produce.

use stackpilot::preview;
use stackpilot::report::{InfraReport, SUMMARY_LIMIT};

fn render(json: &str) -> String {
    let digest = preview::parse(json).expect("fixture parses");
    InfraReport::from_saved_preview(&digest).preview_markdown(SUMMARY_LIMIT)
}

#[test]
fn every_fixture_preview_renders_as_its_snapshot() {
    insta::glob!("../fixtures/previews", "*.json", |path| {
        let json = std::fs::read_to_string(path).unwrap();
        insta::assert_snapshot!(render(&json));
    });
}

/// Counts `|` that still split cells (escaped ones are entities).
fn cells(row: &str) -> usize {
    row.matches('|').count()
}

#[test]
fn hostile_names_cannot_break_the_table_or_inject_html() {
    let json = std::fs::read_to_string(crate::support::fixtures().join("previews/hostile-names.json")).unwrap();
    let md = render(&json);
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| | Operation"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    let resources = preview::parse(&json)
        .unwrap()
        .steps
        .iter()
        .filter(|s| s.op != "same")
        .count();
    assert_eq!(table.len(), 2 + resources, "one row per resource:\n{md}");
    assert!(table.iter().all(|row| cells(row) == 5), "{table:#?}");
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count(),
        "{md}"
    );
    // A link needs an unescaped `](`; every one here is escaped.
    assert!(md.match_indices("](").all(|(i, _)| md[..i].ends_with('\\')), "{md}");
}

/// Whether GitHub would find a mention or an issue reference in `text`:
/// `@` or `#` directly before a letter or digit, or `GH-` before a digit
/// (backslash escapes do not stop it).
fn live_references(text: &str) -> Vec<String> {
    let plain = text.replace('\\', "");
    let lower = plain.to_lowercase();
    let mut found = Vec::new();
    for (i, c) in plain.char_indices() {
        let next = plain[i + c.len_utf8()..].chars().next();
        let live = match c {
            '@' | '#' => next.is_some_and(|n| n.is_ascii_alphanumeric()),
            '-' => lower[..i].ends_with("gh") && next.is_some_and(|n| n.is_ascii_digit()),
            _ => false,
        };
        if live {
            found.push(plain[i.saturating_sub(12)..].chars().take(24).collect());
        }
    }
    found
}

/// Names holding `@octocat`, `@acme/security-team`, `#123`, `acme/app#5`
/// would have notified people and linked issues from a PR comment, and NUL,
/// BEL and U+202E went raw into the summary and `::error title=`.
#[test]
fn hostile_mentions_and_controls_reach_the_pr_comment_and_annotations_inert() {
    use stackpilot::github::pr_comment::{marker, COMMENT_LIMIT};
    let json = std::fs::read_to_string(crate::support::fixtures().join("previews/hostile-mentions.json")).unwrap();
    let digest = preview::parse(&json).unwrap();
    let report = InfraReport::from_saved_preview(&digest);
    let marker = marker("app", "dev");
    let comment = format!(
        "{marker}\n{}",
        report.preview_markdown(COMMENT_LIMIT - marker.len() - 1)
    );
    let annotations = stackpilot::github::annotations(report.changes.as_ref().unwrap()).join("\n");
    for text in [&comment, &annotations] {
        assert_eq!(live_references(text), Vec::<String>::new(), "{text}");
        for raw in ['\u{0}', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(raw), "{raw:?} survived in {text}");
        }
    }
    assert!(comment.contains(r"\\u{202e}"), "the override is shown: {comment}");
    insta::assert_snapshot!("hostile_mentions_pr_comment", comment);
    insta::assert_snapshot!("hostile_mentions_annotations", annotations);
}

#[test]
fn secrets_in_a_preview_are_never_rendered() {
    let json = std::fs::read_to_string(crate::support::fixtures().join("previews/replace-and-delete.json")).unwrap();
    assert!(json.contains("plaintext"), "the fixture carries a decrypted secret");
    let md = render(&json);
    assert!(!md.contains("s3cr3t-value"), "{md}");
    assert!(md.contains("\\[secret\\]"), "{md}");
}

#[test]
fn a_20000_resource_preview_stays_under_the_step_summary_limit() {
    let json = preview::synthetic::digest(20_000).to_string();
    let md = render(&json);
    assert!(md.len() <= SUMMARY_LIMIT, "{} bytes", md.len());
    assert!(
        md.starts_with("## ✅ Preview · big stack `prod` · 20000 resources to change"),
        "{}",
        &md[..200]
    );
    assert!(
        md.contains("**+ 5000 to create · ~ 5000 to update · +- 5000 to replace · - 5000 to delete** · 1 unchanged")
    );
    assert!(md.contains("> [!WARNING]\n> This will delete or replace 10000 resources"));
    // What destroys things is kept first; the rest is counted by kind.
    assert_eq!(md.matches("\n| - | delete |").count(), 5000);
    assert_eq!(md.matches("\n| +- | replace |").count(), 5000);
    assert!(md.matches("\n| ~ | update |").count() > 1000);
    assert!(
        md.contains("*Rows not shown: 5000 × create aws:s3/bucketV2:BucketV2"),
        "the reader is told which rows are missing"
    );
    assert!(
        md.contains("detail sections were left out"),
        "the reader is told what is missing"
    );
    assert!(std::str::from_utf8(md.as_bytes()).is_ok());
    // The note sends the reader to `summarize --json`: it must hold them all.
    assert!(
        md.contains("`stackpilot summarize <file> --json`"),
        "{}",
        &md[md.len() - 600..]
    );
    let digest = preview::parse(&json).unwrap();
    let whole = serde_json::to_value(InfraReport::from_saved_preview(&digest)).unwrap();
    assert_eq!(whole["changes"]["resources"].as_array().unwrap().len(), 20_000);
    let tail = &md[md.len().saturating_sub(600)..];
    insta::assert_snapshot!(tail);
}

#[test]
fn a_pr_comment_of_a_huge_preview_fits_githubs_comment_limit() {
    use stackpilot::github::pr_comment::{marker, COMMENT_LIMIT};
    let digest = preview::parse(&preview::synthetic::digest(20_000).to_string()).unwrap();
    let report = InfraReport::from_saved_preview(&digest);
    let marker = marker("app", "prod");
    let body = format!(
        "{marker}\n{}",
        report.preview_markdown(COMMENT_LIMIT - marker.len() - 1)
    );
    assert!(body.chars().count() <= 65_536, "{} characters", body.chars().count());
    assert!(body.contains("> [!WARNING]"));
    assert!(body.contains("Rows not shown"));
}
