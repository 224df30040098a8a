use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = stackpilot::cli::Cli::parse();
    stackpilot::logging::init(cli.verbose);
    match stackpilot::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            let exit = stackpilot::Exit::from_error(&err);
            // anyhow prints the whole chain of causes on one line.
            eprintln!("error: {:#}", anyhow::Error::new(err));
            exit.into()
        }
    }
}
