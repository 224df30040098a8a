//! Helpers: a throwaway copy of the fixture repository, the real Pulumi CLI
//! from the tools cache, and the stackpilot binary run against them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// Where `scripts/install-tools` put the Pulumi CLI and its plugins. A test
/// that needs them fails (never skips) when they are missing.
pub fn tools_bin() -> PathBuf {
    let dir = std::env::var_os("STACKPILOT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache"));
            cache.join("stackpilot/tools")
        })
        .join("bin");
    for tool in ["pulumi", "pulumi-language-yaml", "pulumi-resource-fixture"] {
        assert!(
            dir.join(tool).is_file(),
            "{tool} is not in {}; run scripts/install-tools first (the README's test command does)",
            dir.display()
        );
    }
    dir
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of `tests/fixtures/repo` in a temp dir, with its own Pulumi home
/// and file backend, so tests run in parallel without sharing state.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Repo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&fixtures().join("repo"), dir.path());
        Repo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// The command with a clean environment: nothing from the developer's
    /// own Pulumi login, AWS profile or CI leaks in.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackpilot"));
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", tools_bin().display());
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.path().join("home"))
            .env("PULUMI_HOME", self.path().join("pulumi-home"))
            .env("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
            .env("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
            .arg("--root")
            .arg(self.path())
            .args(args);
        cmd
    }

    /// Runs the real Pulumi CLI in one of the repo's projects, with the same
    /// backend and passphrase stackpilot uses by default.
    pub fn pulumi(&self, layer: &str, args: &[&str]) -> Run {
        let out = Command::new(tools_bin().join("pulumi"))
            .current_dir(self.path().join("pulumi").join(layer))
            .env("PULUMI_HOME", self.path().join("pulumi-home"))
            .env("PULUMI_BACKEND_URL", format!("file://{}", self.state_dir().display()))
            .env("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
            .env("PULUMI_SKIP_UPDATE_CHECK", "true")
            .args(args)
            .arg("--non-interactive")
            .output()
            .expect("pulumi runs");
        finish(out)
    }

    /// stackpilot's default backend inside the repo.
    pub fn state_dir(&self) -> PathBuf {
        self.path().join(".stackpilot/state")
    }

    pub fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args).output().expect("stackpilot runs"))
    }

    /// The summary file path used with `--summary`.
    pub fn summary_path(&self) -> PathBuf {
        self.path().join("summary.md")
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.summary_path()).expect("the summary was written")
    }

    /// insta filters for what changes from run to run: temp paths, durations.
    pub fn filters(&self) -> Vec<(String, String)> {
        vec![
            (regex_escape(&self.path().display().to_string()), "[REPO]".into()),
            (r"/tmp/\.tmp[A-Za-z0-9]+".into(), "[TMP]".into()),
            (r"in [0-9]+\.[0-9] s".into(), "in [DURATION] s".into()),
        ]
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Snapshots `text` with the repo's filters applied.
#[macro_export]
macro_rules! snapshot {
    ($repo:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $repo.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
