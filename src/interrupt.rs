//! Ctrl-C and termination requests.
//!
//! Children run in their own process group so that a terminal's Ctrl-C reaches
//! only stackpilot, which then forwards exactly one SIGINT per request. Pulumi
//! treats a first SIGINT as "cancel cleanly" and a second as "stop now", so a
//! signal delivered to the whole group at once would turn a clean cancel into
//! a hard kill.
//!
//! Signals are received on a thread of signal-hook's iterator (no code runs
//! inside the signal handler), counted, and announced on a `watch` channel so
//! that an async wait wakes the moment one arrives instead of polling.

use std::sync::OnceLock;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tokio::sync::watch;

/// The number of requests so far; receivers wake on every change.
fn requests_channel() -> &'static watch::Sender<usize> {
    static CHANNEL: OnceLock<watch::Sender<usize>> = OnceLock::new();
    CHANNEL.get_or_init(|| watch::channel(0).0)
}

/// Installs the handlers; later calls are no-ops.
pub fn install() -> std::io::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("stackpilot-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                requests_channel().send_modify(|n| *n += 1);
            }
        })?;
    let _ = INSTALLED.set(());
    Ok(())
}

/// How many interrupt requests arrived since start.
pub fn requests() -> usize {
    *requests_channel().borrow()
}

/// Whether the user asked us to stop.
pub fn requested() -> bool {
    requests() > 0
}

/// Resolves once a request arrives (at once if one already has).
pub async fn wait() {
    let mut rx = requests_channel().subscribe();
    // `wait_for` errs only when the sender is dropped, which a static never is.
    let _ = rx.wait_for(|n| *n > 0).await;
}
