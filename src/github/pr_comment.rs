//! One comment per stack on a pull request, edited in place on every push.
//!
//! The comment starts with a hidden marker naming the layer and env; on the
//! next run stackpilot finds its own comment by that marker and edits it, so
//! a PR that is pushed ten times still has one preview comment per stack.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// GitHub refuses comment bodies over 65,536 characters; bytes are never
/// fewer than characters, so a byte budget under it is always safe.
pub const COMMENT_LIMIT: usize = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error("--pr-comment needs {0} (GitHub Actions sets it; elsewhere, export it)")]
    MissingVar(&'static str),
    #[error("GITHUB_REPOSITORY `{0}` is not of the form owner/name")]
    BadRepository(String),
    #[error("could not read the pull request number from {}: run --pr-comment from a pull_request workflow, or set STACKPILOT_PR_NUMBER", .path.display())]
    NoPullRequest { path: PathBuf },
    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("GitHub API request `{what}` failed")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("GitHub API request `{what}` answered {status}: {body}")]
    Status { what: String, status: u16, body: String },
}

impl CommentError {
    /// Whether the environment was wrong (as opposed to GitHub failing).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            CommentError::MissingVar(_) | CommentError::BadRepository(_) | CommentError::NoPullRequest { .. }
        )
    }
}

/// Where the comment goes, read from the environment Actions provides.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub api_url: String,
    pub repository: String,
    pub number: u64,
    token: String,
}

#[derive(Deserialize)]
struct Event {
    pull_request: Option<EventPullRequest>,
}

#[derive(Deserialize)]
struct EventPullRequest {
    number: u64,
}

impl PullRequest {
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, CommentError> {
        let need = |k: &'static str| var(k).filter(|v| !v.is_empty()).ok_or(CommentError::MissingVar(k));
        let token = need("GITHUB_TOKEN")?;
        let repository = need("GITHUB_REPOSITORY")?;
        if repository.split('/').count() != 2 || repository.split('/').any(str::is_empty) {
            return Err(CommentError::BadRepository(repository));
        }
        let number = match var("STACKPILOT_PR_NUMBER").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => {
                let path = PathBuf::from(need("GITHUB_EVENT_PATH")?);
                std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str::<Event>(&t).ok())
                    .and_then(|e| e.pull_request)
                    .map(|p| p.number)
                    .ok_or(CommentError::NoPullRequest { path })?
            }
        };
        let api_url = var("GITHUB_API_URL")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "https://api.github.com".to_owned());
        Ok(PullRequest {
            api_url: api_url.trim_end_matches('/').to_owned(),
            repository,
            number,
            token,
        })
    }
}

/// The hidden line that identifies stackpilot's comment for one stack.
pub fn marker(layer: &str, env: &str) -> String {
    format!("<!-- stackpilot:preview:{layer}:{env} -->")
}

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    body: &'a str,
}

/// What happened to the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Posted {
    Created(u64),
    Updated(u64),
}

/// Creates the stack's comment, or edits the one an earlier run left.
pub fn upsert(pr: &PullRequest, marker: &str, markdown: &str) -> Result<Posted, CommentError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("stackpilot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(CommentError::Client)?;
    let body = format!("{marker}\n{markdown}");
    let send = |what: String, request: reqwest::blocking::RequestBuilder| {
        let response = request
            .bearer_auth(&pr.token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .map_err(|source| CommentError::Http {
                what: what.clone(),
                source,
            })?;
        let status = response.status();
        if !status.is_success() {
            // GitHub's error bodies are short JSON messages, never secrets.
            let text: String = response.text().unwrap_or_default().chars().take(500).collect();
            return Err(CommentError::Status {
                what,
                status: status.as_u16(),
                body: text,
            });
        }
        Ok(response)
    };
    let base = format!("{}/repos/{}", pr.api_url, pr.repository);
    // A PR can have many comments; read every page until the marker turns up.
    let mut page = 1;
    let existing = loop {
        let what = format!("GET issues/{}/comments page {page}", pr.number);
        let url = format!("{base}/issues/{}/comments?per_page=100&page={page}", pr.number);
        let comments: Vec<Comment> = send(what.clone(), client.get(&url))?
            .json()
            .map_err(|source| CommentError::Http { what, source })?;
        if let Some(found) = comments
            .iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(marker)))
        {
            break Some(found.id);
        }
        if comments.len() < 100 {
            break None;
        }
        page += 1;
    };
    match existing {
        Some(id) => {
            send(
                format!("PATCH issues/comments/{id}"),
                client
                    .patch(format!("{base}/issues/comments/{id}"))
                    .json(&Body { body: &body }),
            )?;
            Ok(Posted::Updated(id))
        }
        None => {
            let what = format!("POST issues/{}/comments", pr.number);
            let created: Comment = send(
                what.clone(),
                client
                    .post(format!("{base}/issues/{}/comments", pr.number))
                    .json(&Body { body: &body }),
            )?
            .json()
            .map_err(|source| CommentError::Http { what, source })?;
            Ok(Posted::Created(created.id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pull_request_comes_from_the_event_file() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(&event, r#"{"action":"synchronize","pull_request":{"number":42}}"#).unwrap();
        let event_s = event.display().to_string();
        let var = move |k: &str| match k {
            "GITHUB_TOKEN" => Some("t".to_owned()),
            "GITHUB_REPOSITORY" => Some("acme/app".to_owned()),
            "GITHUB_EVENT_PATH" => Some(event_s.clone()),
            _ => None,
        };
        let pr = PullRequest::from_env(&var).unwrap();
        assert_eq!((pr.number, pr.api_url.as_str()), (42, "https://api.github.com"));
    }

    #[test]
    fn missing_token_and_bad_repository_are_named() {
        let none = |_: &str| None;
        assert!(PullRequest::from_env(&none)
            .unwrap_err()
            .to_string()
            .contains("GITHUB_TOKEN"));
        let bad = |k: &str| match k {
            "GITHUB_TOKEN" => Some("t".to_owned()),
            "GITHUB_REPOSITORY" => Some("acme".to_owned()),
            _ => None,
        };
        assert!(matches!(
            PullRequest::from_env(&bad),
            Err(CommentError::BadRepository(_))
        ));
    }
}
