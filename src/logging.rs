//! Logs go to stderr; stdout belongs to results.

use tracing_subscriber::EnvFilter;

/// `-v` shows debug logs (every command line run), `-vv` trace.
/// `STACKPILOT_LOG` overrides with a full filter.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "stackpilot=info",
        1 => "stackpilot=debug",
        _ => "stackpilot=trace,info",
    };
    let filter = EnvFilter::try_from_env("STACKPILOT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::printer::log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}
