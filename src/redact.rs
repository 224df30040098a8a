//! Credentials in text that stackpilot prints: the shapes a credential is
//! recognised by whatever variable or log line holds it, and the values a
//! run already knows are sensitive. Every mask in reports, `--json`, errors
//! and logs comes from here, so there is one list to extend.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What stands where a secret was.
pub(crate) const MASK: &str = "••••";

/// Shorter known values are not masked in free text: a flag (`1`, `True`)
/// or a port would blank unrelated words, and a credential that short
/// protects nothing anyway.
const MIN_KNOWN_LEN: usize = 8;

/// One shape: a pattern whose `keep` group (when it has one) stays visible
/// and whose remainder is the secret.
struct Shape {
    regex: Regex,
    /// Text put back after the mask (the `@` that ends URL user-info).
    suffix: &'static str,
}

fn shape(pattern: &str, suffix: &'static str) -> Shape {
    // The patterns are constants tested below; a typo fails every test.
    let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("shape pattern {pattern}: {e}"));
    Shape { regex, suffix }
}

/// Characters that end a token in logs, JSON and Markdown alike, as a
/// regex class body (`url_credentials` splits on the same ones).
const NOT_IN_TOKEN: &str = r#"\s"'<>`"#;

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
    vec![
        // URL user-info, `scheme://user:password@host` or `scheme://token@host`.
        // The password part runs to the last `@` of the token, so a password
        // holding `@` or `/` is covered whole (at worst more is hidden).
        shape(
            &format!(
                r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?:[^{n}/?#@:]*:[^{n}]*|[^{n}/?#@:]+)@",
                n = NOT_IN_TOKEN
            ),
            "@",
        ),
        // `password=…`, `DB_PASSWORD: …`, `"api_key": "…"`. A colon must be
        // followed by a space or a quote so that ARNs (`…:secret:name`) pass.
        shape(
            r#"(?i)(?P<keep>[\w.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)["']?(?:\s*=\s*|:\s*["'\s]\s*)["']?)[^\s"',;&]+"#,
            "",
        ),
        // HTTP credentials: whatever follows an authorization header's
        // scheme, and a long bearer token anywhere. (A bare "Basic" or a
        // short word after "Bearer" is English, not a credential.)
        shape(
            r#"(?i)(?P<keep>\bauthorization["']?\s*[:=]\s*["']?(?:bearer\s+|basic\s+|token\s+)?)[^\s"',;]+"#,
            "",
        ),
        shape(r"(?P<keep>\bBearer\s+)[A-Za-z0-9._~+/\-]{20,}=*", ""),
        // AWS access key ids (long-term and temporary).
        shape(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", ""),
        // GitHub tokens: classic, OAuth, user-to-server, server-to-server,
        // refresh, and fine-grained.
        shape(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b", ""),
        // Slack tokens.
        shape(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", ""),
        // JSON Web Tokens: three base64url parts, the first a JSON object.
        shape(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", ""),
        // A PEM private key, to its end line or the end of the text.
        shape(
            r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z)",
            "",
        ),
    ]
});

static PEM_BEGIN: LazyLock<Regex> = LazyLock::new(|| shape(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "").regex);
static PEM_END: LazyLock<Regex> = LazyLock::new(|| shape(r"-----END [A-Z ]*PRIVATE KEY-----", "").regex);

/// Generic "high entropy" detection is left out on purpose: image tags,
/// digests, task ids and ARNs look just as random, and a mask over them
/// would hide what a reviewer needs to see.
pub(crate) fn shapes(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for shape in SHAPES.iter() {
        if shape.regex.is_match(&out) {
            let replaced = shape
                .regex
                .replace_all(&out, |c: &Captures| {
                    let keep = c.name("keep").map_or("", |m| m.as_str());
                    format!("{keep}{MASK}{}", shape.suffix)
                })
                .into_owned();
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// A location that may carry a password (a backend URL): user-info masked
/// in a URL, and in a scheme-less `user:password@host` everything before
/// the last `@`.
pub(crate) fn location(raw: &str) -> String {
    let masked = shapes(raw);
    if matches!(masked, Cow::Borrowed(_)) && !raw.contains("://") {
        if let Some((_, host)) = raw.rsplit_once('@') {
            return format!("{MASK}@{host}");
        }
    }
    masked.into_owned()
}

/// The passwords (and tokens in the user position) of URLs in `text`:
/// a log line can repeat one without the URL around it.
pub(crate) fn url_credentials(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .filter_map(|token| url::Url::parse(token).ok())
        .flat_map(|u| {
            let user = u.username().to_owned();
            let password = u.password().map(str::to_owned);
            // A user alone is a token (`https://ghp_…@github.com`); with a
            // password, the user is a name, not a secret.
            match password {
                Some(p) => vec![p],
                None if !user.is_empty() => vec![user],
                None => Vec::new(),
            }
        })
        .flat_map(|raw| {
            let decoded = percent_decoded(&raw);
            if decoded == raw {
                vec![raw]
            } else {
                vec![raw, decoded]
            }
        })
        .collect()
}

fn percent_decoded(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| raw.to_owned())
}

/// The values one run knows are sensitive, for masking free text (log
/// lines) that may repeat them.
#[derive(Debug, Clone, Default)]
pub(crate) struct KnownSecrets {
    /// Longest first, so that a value containing another is masked whole.
    values: Vec<String>,
}

impl KnownSecrets {
    pub(crate) fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| v.trim().chars().count() >= MIN_KNOWN_LEN)
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        KnownSecrets { values }
    }

    /// `text` with every known value and every credential shape masked.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), MASK);
            }
        }
        shapes(&out).into_owned()
    }

    /// Log lines masked one by one, and every line of a private key block
    /// hidden: the key's body lines have no shape of their own.
    pub(crate) fn mask_lines(&self, lines: Vec<String>) -> Vec<String> {
        let mut in_key = false;
        lines
            .into_iter()
            .map(|line| {
                if in_key {
                    in_key = !PEM_END.is_match(&line);
                    return MASK.to_owned();
                }
                in_key = PEM_BEGIN.is_match(&line) && !PEM_END.is_match(&line);
                self.mask(&line)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_user_info_is_masked_wherever_the_url_is() {
        assert_eq!(
            shapes("postgres://admin:SUPERSECRET@db:5432/app"),
            format!("postgres://{MASK}@db:5432/app")
        );
        assert_eq!(
            shapes("connect to redis://:p@ss/w0rd@cache:6379/0 failed"),
            format!("connect to redis://{MASK}@cache:6379/0 failed")
        );
        assert_eq!(
            shapes("https://ghp_abc@github.com/acme/app"),
            format!("https://{MASK}@github.com/acme/app")
        );
        for harmless in [
            "s3://bucket?region=us-east-1",
            "https://example.com/@octocat",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend@sha256:abcdef",
        ] {
            assert_eq!(shapes(harmless), harmless);
        }
    }

    #[test]
    fn known_key_shapes_are_masked() {
        let cases = [
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAXXXXXXXXXXXXXXXX",
            "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789",
            "xoxb-1234567890-abcdefghij",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ];
        for secret in cases {
            let line = format!("token {secret} used");
            assert_eq!(shapes(&line), format!("token {MASK} used"), "{secret}");
        }
        let pem = "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done";
        assert_eq!(shapes(pem), format!("key: {MASK} done"));
    }

    #[test]
    fn key_value_assignments_keep_the_key_and_hide_the_value() {
        assert_eq!(shapes("PGPASSWORD=hunter22 psql"), format!("PGPASSWORD={MASK} psql"));
        assert_eq!(
            shapes(r#"{"api_key": "abc123def"}"#),
            format!(r#"{{"api_key": "{MASK}"}}"#)
        );
        assert_eq!(
            shapes("Authorization: Bearer abcdefgh12345"),
            format!("Authorization: Bearer {MASK}")
        );
        assert_eq!(
            shapes("authorization=Basic dXNlcjpwYXNz"),
            format!("authorization=Basic {MASK}")
        );
        assert_eq!(
            shapes("sent Bearer abcdefghijklmnopqrstuvwxyz0123"),
            format!("sent Bearer {MASK}")
        );
        for english in ["basic authentication failed", "Bearer authentication failed"] {
            assert_eq!(shapes(english), english);
        }
        // An ARN names a secret; it is not one.
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
        assert_eq!(shapes(arn), arn);
    }

    #[test]
    fn image_references_and_arns_are_left_alone() {
        for text in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:v2.3.1-4f9c2e1",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:7",
            "alpha.settings.production",
            "4f9c2e1b8a7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e",
        ] {
            assert_eq!(shapes(text), text);
        }
    }

    #[test]
    fn a_location_without_a_scheme_hides_what_precedes_the_at() {
        assert_eq!(location("admin:pw@db:5432"), format!("{MASK}@db:5432"));
        assert_eq!(location("s3://bucket"), "s3://bucket");
    }

    #[test]
    fn url_credentials_are_found_raw_and_decoded() {
        assert_eq!(
            url_credentials("DATABASE_URL postgres://admin:p%40ss%21word@db/app"),
            ["p%40ss%21word", "p@ss!word"]
        );
        assert_eq!(url_credentials("https://ghp_tok@github.com"), ["ghp_tok"]);
        assert!(url_credentials("s3://bucket and plain text").is_empty());
    }

    #[test]
    fn known_values_are_masked_but_short_ones_are_not() {
        let known = KnownSecrets::new(["0".to_owned(), "s3cr3t-value!".to_owned()]);
        assert_eq!(
            known.mask("login with s3cr3t-value! failed 0 times"),
            format!("login with {MASK} failed 0 times")
        );
    }

    #[test]
    fn every_line_of_a_private_key_block_is_hidden() {
        let lines = [
            "start",
            "-----BEGIN PRIVATE KEY-----",
            "MIIBVQIBADAN",
            "-----END PRIVATE KEY-----",
            "end",
        ];
        let masked = KnownSecrets::default().mask_lines(lines.iter().map(|s| s.to_string()).collect());
        assert_eq!(masked, ["start", MASK, MASK, MASK, "end"]);
    }
}
