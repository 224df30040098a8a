//! What `pulumi` inherits: stackpilot's own environment minus the runner's
//! tokens. A stand-in `pulumi` first on PATH writes down its environment,
//! then hands over to the real CLI.

use std::os::unix::fs::PermissionsExt;

use crate::support::{finish, tools_bin, Repo, PASSPHRASE};

/// What a GitHub Actions step may hold, none of which `pulumi` needs.
const RUNNER_TOKENS: [(&str, &str); 8] = [
    ("GITHUB_TOKEN", "ghs_withheld_github_token"),
    ("GH_TOKEN", "ghs_withheld_gh_token"),
    ("ACTIONS_RUNTIME_TOKEN", "withheld-runtime-token"),
    ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "withheld-oidc-token"),
    ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://withheld.example.test/oidc"),
    ("ACTIONS_CACHE_URL", "https://withheld.example.test/cache"),
    ("ACTIONS_RESULTS_URL", "https://withheld.example.test/results"),
    ("ACTIONS_RUNTIME_URL", "https://withheld.example.test/runtime"),
];

/// `pulumi` inherited `GITHUB_TOKEN` and the runner's `ACTIONS_*` tokens,
/// which a Pulumi program (or any npm package it loads) could read.
#[test]
fn pulumi_never_inherits_the_runners_tokens() {
    let repo = Repo::new();
    let spy_dir = repo.path().join("spy");
    std::fs::create_dir_all(&spy_dir).unwrap();
    let dump = repo.path().join("pulumi-env.txt");
    let spy = spy_dir.join("pulumi");
    std::fs::write(
        &spy,
        format!(
            "#!/bin/sh\nenv >> '{}'\necho '-- end of one call' >> '{}'\nexec '{}' \"$@\"\n",
            dump.display(),
            dump.display(),
            tools_bin().join("pulumi").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&spy, std::fs::Permissions::from_mode(0o755)).unwrap();

    let path = format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        spy_dir.display(),
        tools_bin().display()
    );
    let mut cmd = repo.command(&["preview", "base", "dev"]);
    cmd.env("PATH", path).envs(RUNNER_TOKENS);
    let run = finish(cmd.output().expect("stackpilot runs"));
    assert_eq!(run.code, 0, "{}", run.stderr);

    let seen = std::fs::read_to_string(&dump).expect("the stand-in pulumi ran");
    let calls = seen.matches("-- end of one call").count();
    assert!(
        calls >= 2,
        "stack select and preview both went through the stand-in: {calls}"
    );
    assert_eq!(
        seen.lines()
            .filter(|l| *l == format!("PULUMI_CONFIG_PASSPHRASE={PASSPHRASE}"))
            .count(),
        calls,
        "what pulumi needs is still passed on"
    );
    for (name, value) in RUNNER_TOKENS {
        assert!(!seen.contains(value), "{name}'s value reached pulumi");
        assert!(
            !seen.lines().any(|l| l.starts_with(&format!("{name}="))),
            "{name} reached pulumi"
        );
    }
}
