//! `preview --pr-comment`: one comment per stack, edited in place.

use crate::fake_github::{Behaviour, FakeGithub, OWN_LOGIN};
use crate::snapshot;
use crate::support::{finish, Repo};

/// A fresh repo with the base stack `dev` already in its backend, as a
/// pull request finds an env that was applied before.
fn repo_with_stack() -> Repo {
    let repo = Repo::new();
    std::fs::create_dir_all(repo.state_dir()).unwrap();
    let init = repo.pulumi("base", &["stack", "init", "dev"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    repo
}

fn preview_with_comment(repo: &Repo, github: &FakeGithub, env: &str) -> crate::support::Run {
    let event = repo.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 7}}"#).unwrap();
    finish(
        repo.command(&[
            "preview",
            "base",
            env,
            "--pr-comment",
            "--summary",
            repo.summary_path().to_str().unwrap(),
        ])
        .env("GITHUB_API_URL", &github.url)
        .env("GITHUB_TOKEN", "ghs_test_token")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_EVENT_PATH", &event)
        .output()
        .unwrap(),
    )
}

#[test]
fn the_comment_is_created_once_then_edited_in_place() {
    let repo = repo_with_stack();
    let github = FakeGithub::start(&[
        "a reviewer's comment",
        "<!-- stackpilot:preview:base:staging -->\nanother stack",
    ]);

    let first = preview_with_comment(&repo, &github, "dev");
    assert_eq!(first.code, 0, "{}", first.stderr);
    let created_id = {
        let state = github.state.lock().unwrap();
        assert_eq!(state.comments.len(), 3, "one new comment");
        let (id, _, body) = state.comments.last().unwrap().clone();
        assert!(
            body.starts_with("<!-- stackpilot:preview:base:dev -->\n## ✅ Preview · base stack `dev`"),
            "{body}"
        );
        assert!(state
            .requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer ghs_test_token")));
        id
    };

    let program = repo.read("pulumi/base/Pulumi.yaml");
    repo.write(
        "pulumi/base/Pulumi.yaml",
        &program.replace("https://${value}", "https://www.${value}"),
    );
    let second = preview_with_comment(&repo, &github, "dev");
    assert_eq!(second.code, 0, "{}", second.stderr);
    let state = github.state.lock().unwrap();
    assert_eq!(state.comments.len(), 3, "edited, not duplicated");
    let (id, _, body) = state.comments.last().unwrap();
    assert_eq!(*id, created_id);
    assert!(body.contains("https://www.v1.example.test"), "{body}");
    assert_eq!(state.comments[0].2, "a reviewer's comment", "other comments untouched");
    assert_eq!(
        state.comments[1].2,
        "<!-- stackpilot:preview:base:staging -->\nanother stack"
    );
    let methods: Vec<&str> = state.requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "POST", "GET", "GET", "PATCH"]);
    assert_eq!(state.requests[0].path, "/user", "who the token is, once per run");
    assert_eq!(state.requests[2].path, "/repos/acme/app/issues/7/comments");
    assert_eq!(
        state.requests[5].path,
        format!("/repos/acme/app/issues/comments/{created_id}")
    );
    assert!(state.requests[5].body.contains("stackpilot:preview:base:dev"));
}

#[test]
fn the_marker_is_found_past_the_first_page() {
    let repo = repo_with_stack();
    let mut existing: Vec<String> = (0..150).map(|i| format!("chatter {i}")).collect();
    existing.push("<!-- stackpilot:preview:base:dev -->\nold preview".to_owned());
    let existing: Vec<&str> = existing.iter().map(String::as_str).collect();
    let github = FakeGithub::start(&existing);
    let run = preview_with_comment(&repo, &github, "dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state = github.state.lock().unwrap();
    assert_eq!(state.comments.len(), 151);
    assert!(
        state.comments[150].2.contains("## ✅ Preview"),
        "the old preview was edited"
    );
}

#[test]
fn without_a_token_nothing_runs() {
    let repo = Repo::new();
    let run = finish(
        repo.command(&["preview", "base", "dev", "--pr-comment"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--pr-comment needs GITHUB_TOKEN"), "{}", run.stderr);
    assert!(!repo.state_dir().exists(), "checked before pulumi ran");
}

const PLANTED: &str = "<!-- stackpilot:preview:base:dev -->\nplanted by someone else";

/// Anyone can write the marker into a comment on a public repository;
/// stackpilot edited such a comment (and failed when GitHub said no).
#[test]
fn a_comment_by_another_user_with_the_marker_is_not_edited() {
    let repo = repo_with_stack();
    let github = FakeGithub::start_with(Behaviour::default(), &[("mallory", PLANTED)]);
    let run = preview_with_comment(&repo, &github, "dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state = github.state.lock().unwrap();
    assert_eq!(state.comments.len(), 2, "a new comment beside the planted one");
    assert_eq!(state.comments[0].2, PLANTED, "the planted comment is untouched");
    assert_eq!(state.comments[1].1, OWN_LOGIN);
    assert!(state.comments[1].2.contains("## ✅ Preview"));
    assert!(state.requests.iter().all(|r| r.method != "PATCH"));
}

/// With Actions' own token `GET /user` is refused; the comments of
/// `github-actions[bot]` are then the run's own, and no one else's.
#[test]
fn with_an_installation_token_only_the_actions_bot_comment_is_edited() {
    let repo = repo_with_stack();
    let behaviour = Behaviour {
        own_login: None,
        ..Behaviour::default()
    };
    let github = FakeGithub::start_with(
        behaviour,
        &[
            ("mallory", PLANTED),
            ("github-actions[bot]", "<!-- stackpilot:preview:base:dev -->\nold"),
        ],
    );
    let run = preview_with_comment(&repo, &github, "dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state = github.state.lock().unwrap();
    assert_eq!(state.comments.len(), 2, "edited, not duplicated");
    assert_eq!(state.comments[0].2, PLANTED);
    assert!(state.comments[1].2.contains("## ✅ Preview"), "{}", state.comments[1].2);
}

/// A 403 on the edit failed the preview step.
#[test]
fn a_refused_edit_posts_a_new_comment_and_the_preview_succeeds() {
    let repo = repo_with_stack();
    let behaviour = Behaviour {
        refuse_edits: true,
        ..Behaviour::default()
    };
    let github = FakeGithub::start_with(behaviour, &[(OWN_LOGIN, "<!-- stackpilot:preview:base:dev -->\nold")]);
    let run = preview_with_comment(&repo, &github, "dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state = github.state.lock().unwrap();
    let methods: Vec<&str> = state.requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "PATCH", "POST"]);
    assert_eq!(state.comments.len(), 2);
    assert!(state.comments[1].2.contains("## ✅ Preview"));
}

/// A pull request that added a stack file created that stack in the shared
/// backend before anyone approved it.
#[test]
fn a_pull_request_preview_never_creates_a_missing_stack() {
    let repo = Repo::new();
    let github = FakeGithub::start(&[]);
    let run = preview_with_comment(&repo, &github, "dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(repo, "pr_preview_of_a_stack_not_created_yet", repo.summary());
    {
        let state = github.state.lock().unwrap();
        assert_eq!(state.comments.len(), 1);
        let body = &state.comments[0].2;
        assert!(body.starts_with("<!-- stackpilot:preview:base:dev -->\n"), "{body}");
        assert!(
            body.contains("Stack `dev` does not exist yet; it will be created when the change is applied."),
            "{body}"
        );
    }
    let stacks = repo.pulumi("base", &["stack", "ls", "--json"]);
    assert_eq!(stacks.code, 0, "{}", stacks.stderr);
    let stacks: serde_json::Value = serde_json::from_str(&stacks.stdout).expect("stack ls JSON");
    assert_eq!(stacks, serde_json::json!([]), "the backend holds no stack");
}
