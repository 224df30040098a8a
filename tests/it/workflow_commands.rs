//! Nothing a stack says becomes a workflow command: a program whose resource
//! names, output values and error messages carry `::add-mask::`, `::error::`,
//! `::stop-commands::` and `##[error]`, run with the real Pulumi CLI as in
//! GitHub Actions, and every line read the way the runner reads it.

use crate::support::{finish, Repo, Run};

/// Hostile in every place a stack can put text: resource names, a
/// property, output values over several lines, one hidden behind a
/// zero-width space.
const HOSTILE_PROGRAM: &str = r###"
name: fixture-base
runtime: yaml
stackConfigDir: ../../stacks/base
resources:
  "::add-mask::web":
    type: fixture:index:Thing
    properties:
      value: "::error::from-a-property"
      kind: small
  "##[error]worker":
    type: fixture:index:Thing
    properties:
      value: "two\n::stop-commands::tok\n::error::boom"
      kind: fixed
outputs:
  url: "::add-mask::secret-looking"
  multi: "first line\n::stop-commands::tok\n::error::boom\n  ::add-mask::x\n##[error]oops\n:\u200b:warning::hidden"
"###;

/// An error message that spans lines, each a command.
const HOSTILE_ERROR: &str = r###"
  broken:
    fn::readFile: "./missing\n::stop-commands::tok\n::error::from-an-error\n##[warning]x\n::add-mask::y"
"###;

/// A command the runner would act on: its name and the line it came from.
#[derive(Debug)]
struct Command {
    name: String,
    line: String,
}

/// Reads `output` the way the Actions runner does: lines split at `\n`,
/// `\r` and `\r\n`; leading whitespace trimmed; a line starting with `::`
/// or holding `##[` is a command, named by what follows up to a space, `::`
/// or `]`; after `stop-commands`, nothing is until `::<token>::`. Characters
/// the runner's culture-sensitive comparison skips (controls, zero-width and
/// format characters) are dropped first. Errs towards finding commands: the
/// runner also needs the name to be one it knows.
fn commands_read_by_runner(output: &str) -> Vec<Command> {
    let mut found = Vec::new();
    let mut stopped_until: Option<String> = None;
    for raw in output.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        let line: String = raw.chars().filter(|c| !skipped_by_culture(*c)).collect();
        let line = line.trim_start();
        let name = if let Some(rest) = line.strip_prefix("::") {
            rest.split([' ', ':']).next().unwrap_or_default().to_owned()
        } else if let Some(at) = line.find("##[") {
            line[at + 3..].split([' ', ']']).next().unwrap_or_default().to_owned()
        } else {
            continue;
        };
        if let Some(token) = &stopped_until {
            if name.eq_ignore_ascii_case(token) {
                stopped_until = None;
            }
            continue;
        }
        if name.eq_ignore_ascii_case("stop-commands") {
            let token = line.splitn(3, "::").nth(2).unwrap_or_default();
            stopped_until = Some(token.to_owned());
        }
        found.push(Command {
            name,
            line: raw.to_owned(),
        });
    }
    found
}

fn skipped_by_culture(c: char) -> bool {
    c.is_control() && !c.is_whitespace()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

fn names(commands: &[Command]) -> Vec<&str> {
    commands.iter().map(|c| c.name.as_str()).collect()
}

fn run_in_actions(repo: &Repo, args: &[&str]) -> Run {
    finish(
        repo.command(args)
            .env("GITHUB_ACTIONS", "true")
            .output()
            .expect("stackpilot runs"),
    )
}

#[test]
fn the_checker_finds_what_the_runner_would_act_on() {
    let text = "  ::add-mask::x\nsome ##[error]y\r:\u{200b}:warning::z\nplain :: text\n\
                ::stop-commands::tok\n::error::dead\n::tok::\n::endgroup::";
    assert_eq!(
        names(&commands_read_by_runner(text)),
        ["add-mask", "error", "warning", "stop-commands", "endgroup"]
    );
}

#[test]
fn stack_text_relayed_in_actions_started_workflow_commands() {
    let repo = Repo::new();
    repo.write("pulumi/base/Pulumi.yaml", HOSTILE_PROGRAM);

    let preview = run_in_actions(&repo, &["preview", "base", "dev"]);
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(
        preview.stdout.contains("add-mask::web"),
        "the preview names the resource"
    );
    assert_eq!(names(&commands_read_by_runner(&preview.stdout)), Vec::<&str>::new());
    assert_eq!(names(&commands_read_by_runner(&preview.stderr)), ["group", "endgroup"]);

    let up = run_in_actions(&repo, &["up", "base", "dev", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    // Pulumi's own lines are relayed, readable, with a backslash where the
    // runner would have found a command.
    assert!(
        up.stderr.contains("fixture:index:Thing ##\\[error]worker created"),
        "{}",
        up.stderr
    );
    let relayed = commands_read_by_runner(&up.stderr);
    assert_eq!(
        names(&relayed),
        ["group", "endgroup", "group", "endgroup"],
        "{relayed:#?}\n{}",
        up.stderr
    );

    let outputs = run_in_actions(&repo, &["outputs", "base", "dev"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    assert_eq!(
        outputs.stdout,
        "multi  first line\n       \\::stop-commands::tok\n       \\::error::boom\n         \\::add-mask::x\n       \
         ##\\[error]oops\n       :\\u{200b}:warning::hidden\nurl    ::add-mask::secret-looking\n"
    );
    assert_eq!(names(&commands_read_by_runner(&outputs.stdout)), Vec::<&str>::new());

    let json = run_in_actions(&repo, &["outputs", "base", "dev", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(names(&commands_read_by_runner(&json.stdout)), Vec::<&str>::new());
    let values: serde_json::Value = serde_json::from_str(&json.stdout).expect("outputs JSON");
    assert_eq!(
        values["multi"],
        "first line\n::stop-commands::tok\n::error::boom\n  ::add-mask::x\n##[error]oops\n:\u{200b}:warning::hidden",
        "JSON keeps the value exactly"
    );

    repo.write("pulumi/base/Pulumi.yaml", &format!("{HOSTILE_PROGRAM}{HOSTILE_ERROR}"));
    let failed = run_in_actions(&repo, &["up", "base", "dev", "--yes"]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("from-an-error"), "{}", failed.stderr);
    assert_eq!(names(&commands_read_by_runner(&failed.stdout)), Vec::<&str>::new());
    // The one annotation stackpilot means, its data escaped onto one line.
    let meant = commands_read_by_runner(&failed.stderr);
    assert_eq!(
        names(&meant),
        ["group", "endgroup", "error"],
        "{meant:#?}\n{}",
        failed.stderr
    );
    assert!(
        meant[2].line.contains("%0A::stop-commands::tok%0A"),
        "{}",
        meant[2].line
    );
}
