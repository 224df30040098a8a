//! One comment per stack on a pull request, edited in place on every push.
//!
//! The comment starts with a hidden marker naming the layer and env; on the
//! next run stackpilot finds its own comment by that marker and its author
//! (the token's own account) and edits it, so a PR that is pushed ten times
//! still has one preview comment per stack.

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
    #[serde(default)]
    user: Option<Account>,
}

#[derive(Debug, Deserialize)]
struct Account {
    login: String,
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

/// The account whose comments this run may edit. The marker alone proves
/// nothing: anyone can write it into a comment on a public repository.
///
/// A personal or OAuth token names its user through `GET /user`. An
/// installation token — Actions' own `GITHUB_TOKEN` — gets 403 there; its
/// comments are written by `github-actions[bot]`, so that is the author
/// accepted then. (A comment by that account came from a workflow of this
/// repository, which is as trusted as this one.) With another app's
/// installation token, no earlier comment qualifies and each run posts a
/// new one: a duplicate comment is better than editing someone else's.
const ACTIONS_BOT: &str = "github-actions[bot]";

struct Api<'a> {
    pr: &'a PullRequest,
    client: reqwest::blocking::Client,
    base: String,
}

impl Api<'_> {
    fn send(&self, what: String, request: reqwest::blocking::RequestBuilder) -> Result<Response, CommentError> {
        let response = request
            .bearer_auth(&self.pr.token)
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
        Ok(Response { what, response })
    }

    /// The login this token acts as (see [`ACTIONS_BOT`]).
    fn own_login(&self) -> Result<String, CommentError> {
        match self.send("GET user".into(), self.client.get(format!("{}/user", self.pr.api_url))) {
            Ok(response) => Ok(response.json::<Account>()?.login),
            Err(CommentError::Status { status: 403 | 404, .. }) => Ok(ACTIONS_BOT.to_owned()),
            Err(other) => Err(other),
        }
    }

    /// The id of the comment with `marker` that `login` wrote, reading
    /// every page: a PR can have many comments.
    fn find(&self, marker: &str, login: &str) -> Result<Option<u64>, CommentError> {
        let number = self.pr.number;
        for page in 1.. {
            let comments: Vec<Comment> = self
                .send(
                    format!("GET issues/{number}/comments page {page}"),
                    self.client.get(format!(
                        "{}/issues/{number}/comments?per_page=100&page={page}",
                        self.base
                    )),
                )?
                .json()?;
            let ours = comments.iter().find(|c| {
                c.body.as_deref().is_some_and(|b| b.starts_with(marker))
                    && c.user.as_ref().is_some_and(|u| u.login == login)
            });
            if let Some(found) = ours {
                return Ok(Some(found.id));
            }
            if comments.len() < 100 {
                break;
            }
        }
        Ok(None)
    }

    fn create(&self, body: &str) -> Result<Posted, CommentError> {
        let number = self.pr.number;
        let created: Comment = self
            .send(
                format!("POST issues/{number}/comments"),
                self.client
                    .post(format!("{}/issues/{number}/comments", self.base))
                    .json(&Body { body }),
            )?
            .json()?;
        Ok(Posted::Created(created.id))
    }
}

/// A successful answer, with the request it answers for error messages.
struct Response {
    what: String,
    response: reqwest::blocking::Response,
}

impl Response {
    fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, CommentError> {
        let what = self.what;
        self.response
            .json()
            .map_err(|source| CommentError::Http { what, source })
    }
}

/// Creates the stack's comment, or edits the one an earlier run of this
/// token's account left. An edit GitHub refuses (403, 404: the comment was
/// deleted, or is not ours after all) becomes a new comment, not a failed
/// preview.
pub fn upsert(pr: &PullRequest, marker: &str, markdown: &str) -> Result<Posted, CommentError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("stackpilot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(CommentError::Client)?;
    let api = Api {
        pr,
        client,
        base: format!("{}/repos/{}", pr.api_url, pr.repository),
    };
    let body = format!("{marker}\n{markdown}");
    let login = api.own_login()?;
    let Some(id) = api.find(marker, &login)? else {
        return api.create(&body);
    };
    let edit = api.send(
        format!("PATCH issues/comments/{id}"),
        api.client
            .patch(format!("{}/issues/comments/{id}", api.base))
            .json(&Body { body: &body }),
    );
    match edit {
        Ok(_) => Ok(Posted::Updated(id)),
        Err(CommentError::Status {
            status: status @ (403 | 404),
            ..
        }) => {
            tracing::warn!("GitHub refused to edit comment {id} ({status}); posting a new one");
            api.create(&body)
        }
        Err(other) => Err(other),
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
