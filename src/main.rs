use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = stackpilot::cli::Cli::parse();
    stackpilot::logging::init(cli.verbose);
    match stackpilot::run(cli) {
        Ok(code) => code.into(),
        Err(err) => stackpilot::report_failure(err).into(),
    }
}
