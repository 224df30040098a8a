//! Files (and stdin) that a user names on the command line: the deploy
//! contract and a saved preview. Each is read with a size cap, so that
//! `/dev/zero` or a runaway pipe ends with an error instead of all the
//! memory, and gives way to Ctrl-C or SIGTERM: opening a FIFO nobody writes
//! to, or reading a pipe that never ends, blocks in the kernel where no
//! signal flag is looked at.
//!
//! The blocking open and read happen on a thread of their own; the calling
//! thread waits for its answer or for an interrupt, whichever comes first.
//! On an interrupt the reader thread is left blocked: the process is about
//! to exit with 130, which ends it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The most a deploy contract may weigh: a real one is a few KiB.
pub(crate) const CONTRACT_CAP: u64 = 1 << 20;
/// The most a saved `pulumi preview --json` may weigh: a preview of 20,000
/// resources is about 30 MiB, so this leaves room and still bounds memory.
pub(crate) const PREVIEW_CAP: u64 = 256 << 20;

/// The reader thread's name (Linux keeps 15 bytes of it), which tests
/// look for to know the read has begun.
const READER_THREAD: &str = "input-reader";

/// How often the wait looks at the interrupt count: short enough that
/// Ctrl-C feels immediate, long enough to cost nothing.
const INTERRUPT_CHECK: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("it is larger than {} (the most stackpilot reads from it)", mib(*.cap))]
    TooLarge { cap: u64 },
    #[error("it is not UTF-8 text")]
    NotText,
    #[error("interrupted while reading it")]
    Interrupted,
    #[error("could not start a thread to read it")]
    Thread(#[source] std::io::Error),
}

impl InputError {
    pub(crate) fn is_interrupted(&self) -> bool {
        matches!(self, InputError::Interrupted)
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Where the text comes from: `-` is stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    fn of(path: &Path) -> Self {
        if path == Path::new("-") {
            Source::Stdin
        } else {
            Source::File(path.to_path_buf())
        }
    }

    fn read(&self, cap: u64) -> Result<String, InputError> {
        let mut bytes = Vec::new();
        // One byte past the cap tells "exactly at the cap" from "over it".
        let limit = cap.saturating_add(1);
        match self {
            Source::Stdin => std::io::stdin().lock().take(limit).read_to_end(&mut bytes)?,
            Source::File(path) => {
                let file = File::open(path)?;
                // A regular file says its size: no need to read 256 MiB to know.
                let meta = file.metadata()?;
                if meta.is_file() && meta.len() > cap {
                    return Err(InputError::TooLarge { cap });
                }
                file.take(limit).read_to_end(&mut bytes)?
            }
        };
        if bytes.len() as u64 > cap {
            return Err(InputError::TooLarge { cap });
        }
        String::from_utf8(bytes).map_err(|_| InputError::NotText)
    }
}

/// Reads `path` (`-` for stdin) as text of at most `cap` bytes, or stops
/// with [`InputError::Interrupted`] as soon as an interrupt arrives.
pub(crate) fn read_to_string(path: &Path, cap: u64) -> Result<String, InputError> {
    let source = Source::of(path);
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(READER_THREAD.into())
        .spawn(move || {
            // The receiver is gone only when the run was interrupted.
            let _ = tx.send(source.read(cap));
        })
        .map_err(InputError::Thread)?;
    loop {
        if crate::interrupt::requested() {
            return Err(InputError::Interrupted);
        }
        match rx.recv_timeout(INTERRUPT_CHECK) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(InputError::Io(std::io::Error::other("the reading thread stopped")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_the_cap_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(read_to_string(&path, 2).unwrap(), "{}");
        assert!(matches!(read_to_string(&path, 1), Err(InputError::TooLarge { cap: 1 })));
    }

    /// `--contract /dev/zero` grew until it ran out of memory.
    #[test]
    fn an_endless_device_stops_at_the_cap() {
        let err = read_to_string(Path::new("/dev/zero"), CONTRACT_CAP).unwrap_err();
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "it is larger than 1 MiB (the most stackpilot reads from it)"
        );
    }

    #[test]
    fn binary_input_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_to_string(&path, 10), Err(InputError::NotText)));
    }
}
