//! Ctrl-C and termination requests.
//!
//! Children run in their own process group so that a terminal's Ctrl-C reaches
//! only stackpilot, which then forwards exactly one SIGINT per request. Pulumi
//! treats a first SIGINT as "cancel cleanly" and a second as "stop now", so a
//! signal delivered to the whole group at once would turn a clean cancel into
//! a hard kill.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

static REQUESTS: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers; later calls are no-ops.
pub fn install() -> std::io::Result<()> {
    if REQUESTS.get().is_some() {
        return Ok(());
    }
    let counter = Arc::new(AtomicUsize::new(0));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let counter = Arc::clone(&counter);
        // SAFETY: the handler only performs an atomic increment, which is
        // async-signal-safe.
        unsafe {
            signal_hook::low_level::register(signal, move || {
                counter.fetch_add(1, Ordering::SeqCst);
            })?;
        }
    }
    let _ = REQUESTS.set(counter);
    Ok(())
}

/// How many interrupt requests arrived since start.
pub fn requests() -> usize {
    REQUESTS.get().map_or(0, |c| c.load(Ordering::SeqCst))
}

/// Whether the user asked us to stop.
pub fn requested() -> bool {
    requests() > 0
}
