use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = stackpilot::cli::Cli::parse();
    stackpilot::logging::init(cli.verbose);
    match stackpilot::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            stackpilot::Exit::from_error(&err).into()
        }
    }
}
